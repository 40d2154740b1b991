// The replay panel's browser side. Everything from the store is untrusted text: it is only ever
// put into the page with textContent / DOM nodes, never parsed as HTML.
import { parseHostMessage, type ChangeView, type HostToWebview, type StepView, type WebviewToHost } from '../shared/protocol';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return node;
}

const byId = <T extends HTMLElement>(id: string): T => {
  const node = document.getElementById(id);
  if (!node) throw new Error(`Missing #${id}`);
  return node as T;
};

const first = byId<HTMLButtonElement>('first');
const back = byId<HTMLButtonElement>('back');
const play = byId<HTMLButtonElement>('play');
const forward = byId<HTMLButtonElement>('forward');
const last = byId<HTMLButtonElement>('last');
const slider = byId<HTMLInputElement>('position');
const positionLabel = byId<HTMLElement>('position-label');
const explanation = byId<HTMLElement>('explanation');
const eventRegion = byId<HTMLElement>('event');
const streamRegion = byId<HTMLElement>('stream');
const readModelsRegion = byId<HTMLElement>('read-models');
const onlyChanges = byId<HTMLInputElement>('only-changes');
const errorBox = byId<HTMLElement>('error');
const storeLabel = byId<HTMLElement>('store-label');

let current: StepView | undefined;
let playTimer: number | undefined;
let playIntervalMs = 600;
let requested: number | undefined;

function send(message: WebviewToHost): void {
  vscode.postMessage(message);
}

function seek(position: number): void {
  const total = current?.total ?? 0;
  const target = Math.max(0, Math.min(total, Math.trunc(position)));
  if (current && target === current.position && requested === undefined) return;
  requested = target;
  slider.value = String(target);
  positionLabel.textContent = `${target} / ${total}`;
  send({ type: 'seek', position: target });
}

function setPlaying(on: boolean): void {
  if (on && current && current.position >= current.total) seek(0);
  if (playTimer !== undefined) window.clearInterval(playTimer);
  playTimer = undefined;
  if (on) {
    playTimer = window.setInterval(() => {
      if (!current || (requested ?? current.position) >= current.total) return setPlaying(false);
      seek((requested ?? current.position) + 1);
    }, playIntervalMs);
  }
  play.setAttribute('aria-label', on ? 'Pause' : 'Play');
  play.title = on ? 'Pause (Space)' : 'Play (Space)';
  play.textContent = on ? '⏸' : '▶';
  play.setAttribute('aria-pressed', String(on));
}

const stepBy = (delta: number) => seek((requested ?? current?.position ?? 0) + delta);

first.addEventListener('click', () => seek(0));
back.addEventListener('click', () => stepBy(-1));
forward.addEventListener('click', () => stepBy(1));
last.addEventListener('click', () => seek(current?.total ?? 0));
play.addEventListener('click', () => setPlaying(playTimer === undefined));
slider.addEventListener('input', () => seek(Number(slider.value)));
onlyChanges.addEventListener('change', () => current && render(current));

document.addEventListener('keydown', (e) => {
  const target = e.target as HTMLElement | null;
  if (target instanceof HTMLInputElement && target.type === 'checkbox' && e.key === ' ') return;
  // The slider handles its own arrows and Home/End (and reports them through 'input').
  if (target === slider && ['ArrowLeft', 'ArrowRight', 'Home', 'End', 'ArrowUp', 'ArrowDown', 'PageUp', 'PageDown'].includes(e.key)) return;
  switch (e.key) {
    case 'ArrowLeft':
      stepBy(-1);
      break;
    case 'ArrowRight':
      stepBy(1);
      break;
    case 'Home':
      seek(0);
      break;
    case 'End':
      seek(current?.total ?? 0);
      break;
    case ' ':
      setPlaying(playTimer === undefined);
      break;
    default:
      return;
  }
  e.preventDefault();
});

// ---- rendering -------------------------------------------------------------------------------

function formatScalar(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

const pathKey = (path: readonly string[]) => JSON.stringify(path);

/** Renders a JSON value as indented lines; keys whose path changed carry a marker and a class. */
function renderJson(value: unknown, changes: readonly ChangeView[], showOnlyChanges: boolean): HTMLElement {
  const marks = new Map<string, ChangeView['kind']>();
  const onPath = new Set<string>();
  for (const c of changes) {
    marks.set(pathKey(c.path), c.kind);
    for (let i = 0; i <= c.path.length; i++) onPath.add(pathKey(c.path.slice(0, i)));
  }
  const root = el('div', { class: 'json', role: 'tree' });
  const line = (depth: number, path: string[], key: string | null, text: string, kind?: ChangeView['kind']) => {
    const row = el('div', { class: `line${kind ? ` ${kind}` : ''}`, role: 'treeitem', 'aria-level': String(depth + 1) });
    row.style.paddingLeft = `${depth * 1.2}em`;
    if (kind) row.append(el('span', { class: 'badge', 'aria-label': kind }, kind === 'added' ? '+' : kind === 'removed' ? '−' : '~'));
    if (key !== null) row.append(el('span', { class: 'key' }, key), ': ');
    row.append(el('span', { class: 'value' }, text));
    if (kind === 'changed') {
      const change = changes.find((c) => pathKey(c.path) === pathKey(path));
      if (change) row.append(el('span', { class: 'was' }, ` (was ${formatScalar(change.before)})`));
    }
    root.append(row);
  };
  const walk = (v: unknown, depth: number, path: string[], key: string | null) => {
    const k = pathKey(path);
    const kind = marks.get(k);
    if (showOnlyChanges && !onPath.has(k)) return;
    if (v !== null && typeof v === 'object') {
      const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v as Record<string, unknown>);
      if (entries.length === 0) return line(depth, path, key, Array.isArray(v) ? '[]' : '{}', kind);
      line(depth, path, key, Array.isArray(v) ? `[${entries.length}]` : `{${entries.length}}`, kind);
      for (const [ck, cv] of entries) walk(cv, depth + 1, [...path, ck], ck);
      return;
    }
    line(depth, path, key, formatScalar(v), kind);
  };
  walk(value, 0, [], null);
  for (const c of changes) {
    if (c.kind === 'removed') line(c.path.length, [...c.path], c.path[c.path.length - 1] ?? null, formatScalar(c.before), 'removed');
  }
  if (root.childElementCount === 0) root.append(el('div', { class: 'muted' }, 'No changes at this step.'));
  return root;
}

function changeSummary(changes: readonly ChangeView[]): string {
  if (changes.length === 0) return 'unchanged';
  const count = (k: string) => changes.filter((c) => c.kind === k).length;
  return [['added', count('added')], ['changed', count('changed')], ['removed', count('removed')]]
    .filter(([, n]) => (n as number) > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
}

function field(label: string, value: string): HTMLElement {
  return el('div', { class: 'field' }, el('span', { class: 'label' }, label), el('span', { class: 'field-value' }, value));
}

function render(step: StepView): void {
  current = step;
  requested = undefined;
  slider.max = String(step.total);
  slider.value = String(step.position);
  slider.setAttribute('aria-valuetext', `${step.position} of ${step.total} events applied`);
  positionLabel.textContent = `${step.position} / ${step.total}`;
  explanation.textContent = step.explanation;
  first.disabled = back.disabled = step.position === 0;
  forward.disabled = last.disabled = step.position >= step.total;
  vscode.setState({ position: step.position });

  const only = onlyChanges.checked;
  eventRegion.replaceChildren(el('h2', {}, 'Event'));
  if (!step.event) {
    eventRegion.append(el('p', { class: 'muted' }, step.total === 0 ? 'No events yet.' : 'Before the first event.'));
  } else {
    const e = step.event;
    eventRegion.append(
      el('div', { class: 'event-type' }, e.type),
      field('Stream', e.streamId),
      field('Stream version', String(e.streamVersion)),
      field('Global position', String(e.globalPosition)),
      field('Recorded', e.recordedAt),
      field('Event id', e.eventId),
      el('h3', {}, 'Data'),
      renderJson(e.data, [], false),
      el('h3', {}, 'Metadata'),
      renderJson(e.metadata, [], false),
    );
  }

  streamRegion.replaceChildren(el('h2', {}, 'Write model'));
  if (!step.stream) {
    streamRegion.append(el('p', { class: 'muted' }, 'The write model state of the current event\u2019s stream appears here.'));
  } else {
    const s = step.stream;
    streamRegion.append(
      field('Aggregate', s.aggregate ?? 'unknown (no decider for this stream)'),
      field('Stream', `${s.streamId} @ version ${s.version}`),
      el('h3', {}, `State after the event (${changeSummary(s.changes)})`),
      renderJson(s.after, s.changes, only),
    );
  }

  readModelsRegion.replaceChildren(el('h2', {}, 'Read models'));
  for (const rm of step.readModels) {
    const section = el('section', { class: `read-model${rm.changes.length ? ' touched' : ''}`, 'aria-label': rm.title });
    section.append(
      el('h3', {}, rm.title, el('span', { class: 'muted' }, ` · ${step.event ? (rm.handled ? changeSummary(rm.changes) : 'does not handle this event') : 'initial state'}`)),
      el('p', { class: 'description' }, rm.description),
      renderJson(rm.state, rm.changes, only),
    );
    readModelsRegion.append(section);
  }
}

window.addEventListener('message', (e: MessageEvent<unknown>) => {
  const message: HostToWebview | undefined = parseHostMessage(e.data);
  if (!message) return;
  switch (message.type) {
    case 'step':
      errorBox.hidden = true;
      render(message.step);
      if (current && playTimer !== undefined && current.position >= current.total) setPlaying(false);
      break;
    case 'config':
      playIntervalMs = message.playIntervalMs;
      storeLabel.textContent = message.storeLabel;
      break;
    case 'error':
      errorBox.hidden = false;
      errorBox.textContent = message.message;
      break;
  }
});

const saved = vscode.getState() as { position?: unknown } | undefined;
send({ type: 'ready' });
if (saved && typeof saved.position === 'number') send({ type: 'seek', position: Math.max(0, Math.trunc(saved.position)) });
