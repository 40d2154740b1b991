// The replay panel's browser side. Everything from the store is untrusted text: it is only ever
// put into the page with textContent / DOM nodes, never parsed as HTML.
import {
  MAX_MOVE_COUNT,
  parseHostMessage,
  type ChangeView,
  type FaultView,
  type FilterView,
  type HistoryTarget,
  type HostToWebview,
  type ReadModelView,
  type ReplayPlace,
  type RowView,
  type StepTiming,
  type StepView,
  type WebviewToHost,
} from '../shared/protocol';
import { byId, el, vscodeApi } from './dom';
import { renderJson, type JsonLineCache } from './json';
import { Timeline } from './timeline';

const vscode = vscodeApi<WebviewToHost>();
const send = (message: WebviewToHost): void => vscode.postMessage(message);

const ui = {
  first: byId<HTMLButtonElement>('first'),
  back: byId<HTMLButtonElement>('back'),
  play: byId<HTMLButtonElement>('play'),
  playIcon: byId<SVGElement>('play-icon'),
  pauseIcon: byId<SVGElement>('pause-icon'),
  forward: byId<HTMLButtonElement>('forward'),
  last: byId<HTMLButtonElement>('last'),
  slider: byId<HTMLInputElement>('position'),
  positionLabel: byId('position-label'),
  speed: byId<HTMLSelectElement>('speed'),
  gotoForm: byId<HTMLFormElement>('goto-form'),
  goto: byId<HTMLInputElement>('goto'),
  onlyChanges: byId<HTMLInputElement>('only-changes'),
  exportNdjson: byId<HTMLButtonElement>('export-ndjson'),
  exportTest: byId<HTMLButtonElement>('export-test'),
  branch: byId<HTMLButtonElement>('branch'),
  explanation: byId('explanation'),
  error: byId('error'),
  storeLabel: byId('store-label'),
  whatIfBanner: byId('whatif-banner'),
  whatIfText: byId('whatif-text'),
  whatIfClear: byId<HTMLButtonElement>('whatif-clear'),
  filterStream: byId<HTMLInputElement>('filter-stream'),
  filterType: byId<HTMLInputElement>('filter-type'),
  filterText: byId<HTMLInputElement>('filter-text'),
  filterCorrelation: byId('filter-correlation'),
  filterCorrelationText: byId('filter-correlation-text'),
  filterCorrelationClear: byId<HTMLButtonElement>('filter-correlation-clear'),
  filterSummary: byId('filter-summary'),
  search: byId<HTMLInputElement>('search'),
  searchStatus: byId('search-status'),
  searchResults: byId('search-results'),
  eventRegion: byId('event'),
  streamRegion: byId('stream'),
  readModelsRegion: byId('read-models'),
};

let current: StepView | undefined;
let playTimer: number | undefined;
let playIntervalMs = 600;
let correlationFilter: string | undefined;
let causationFilter: string | undefined;

// ---- requests answered by a step ------------------------------------------------------------
// One navigation at a time is on its way to the host; what the person asks meanwhile waits here,
// merged: the latest place wins, and presses of a held key add up into one move.

type Navigation =
  | { type: 'seek'; position: number }
  | { type: 'seekIndex'; index: number }
  | { type: 'move'; to: 'first' | 'prev' | 'next' | 'last'; count?: number };
type Answered =
  | Navigation
  | { type: 'filter'; filter: FilterView }
  | { type: 'skip'; position: number; skipped: boolean }
  | { type: 'clearSkips' };

let seq = 0;
/** Requests sent and not answered yet. */
let outstanding = 0;
let lastSeq = 0;
let waiting: Navigation | undefined;
/** When the input behind each request on its way happened (wall clock), to measure click → paint. */
const inputAt = new Map<number, number>();
let waitingInputAt = 0;
const wallClock = (timeStamp = performance.now()) => performance.timeOrigin + timeStamp;

function request(message: Answered, at: number): void {
  seq += 1;
  outstanding += 1;
  inputAt.set(seq, at);
  send({ ...message, seq } as WebviewToHost);
}

function navigate(message: Navigation, at = wallClock()): void {
  if (outstanding === 0) return request(message, at);
  if (waiting?.type === 'move' && message.type === 'move' && (message.to === 'prev' || message.to === 'next')) {
    const opposite = waiting.to === (message.to === 'prev' ? 'next' : 'prev');
    if (waiting.to === message.to) waiting = { ...waiting, count: Math.min(MAX_MOVE_COUNT, (waiting.count ?? 1) + 1) };
    else if (opposite) waiting = (waiting.count ?? 1) > 1 ? { ...waiting, count: (waiting.count ?? 1) - 1 } : undefined;
    else waiting = message;
  } else waiting = message;
  waitingInputAt = at;
}

function answered(upTo: number): void {
  // The host may merge requests: an answer stands for every earlier one.
  if (upTo > lastSeq) {
    outstanding = Math.max(0, outstanding - (upTo - lastSeq));
    for (const key of inputAt.keys()) if (key <= upTo && key !== upTo) inputAt.delete(key);
    lastSeq = upTo;
  }
  if (outstanding === 0 && waiting) {
    const next = waiting;
    waiting = undefined;
    request(next, waitingInputAt);
  }
}

const timeline = new Timeline(byId('rows'), byId('rows-spacer'), {
  request: (offset, limit) => send({ type: 'rows', offset, limit }),
  select: (position) => navigate({ type: 'seek', position }),
  skip: (position, skipped) => request({ type: 'skip', position, skipped }, wallClock()),
});

// ---- controls --------------------------------------------------------------------------------

function move(to: 'first' | 'prev' | 'next' | 'last', at?: number): void {
  navigate({ type: 'move', to }, at);
}

function setPlaying(on: boolean): void {
  if (playTimer !== undefined) window.clearTimeout(playTimer);
  playTimer = undefined;
  if (on && current && current.index >= current.count) move('first');
  ui.play.setAttribute('aria-label', on ? 'Pause' : 'Play');
  ui.play.title = on ? 'Pause (Space)' : 'Play (Space)';
  ui.play.setAttribute('aria-pressed', String(on));
  ui.playIcon.toggleAttribute('hidden', on);
  ui.pauseIcon.toggleAttribute('hidden', !on);
  if (on) schedulePlay();
}

function schedulePlay(): void {
  playTimer = window.setTimeout(
    () => {
      if (playTimer === undefined) return;
      if (!current || current.index >= current.count) return setPlaying(false);
      // Wait for the previous step to arrive before asking for the next: a slow host never lags behind.
      if (outstanding === 0 && !waiting) move('next');
      schedulePlay();
    },
    playIntervalMs * Number(ui.speed.value || 1),
  );
}

const playing = () => playTimer !== undefined;

ui.first.addEventListener('click', (e) => move('first', wallClock(e.timeStamp)));
ui.back.addEventListener('click', (e) => move('prev', wallClock(e.timeStamp)));
ui.forward.addEventListener('click', (e) => move('next', wallClock(e.timeStamp)));
ui.last.addEventListener('click', (e) => move('last', wallClock(e.timeStamp)));
ui.play.addEventListener('click', () => setPlaying(!playing()));
ui.slider.addEventListener('input', (e) => {
  ui.positionLabel.textContent = `${ui.slider.value} / ${current?.count ?? 0}`;
  navigate({ type: 'seekIndex', index: Number(ui.slider.value) }, wallClock(e.timeStamp));
});
ui.gotoForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const n = Number(ui.goto.value);
  if (Number.isInteger(n) && n >= 0) navigate({ type: 'seek', position: n }, wallClock(e.timeStamp));
});
// What changed is the point of a step, so "only changes" starts on; the person's choice is kept.
const saved = vscode.getState() as { onlyChanges?: unknown } | undefined;
ui.onlyChanges.checked = typeof saved?.onlyChanges === 'boolean' ? saved.onlyChanges : true;
ui.onlyChanges.addEventListener('change', () => current && render(current));
ui.exportNdjson.addEventListener('click', () => send({ type: 'export', format: 'ndjson' }));
ui.exportTest.addEventListener('click', () => send({ type: 'export', format: 'test' }));
ui.branch.addEventListener('click', () => send({ type: 'branch' }));
ui.whatIfClear.addEventListener('click', (e) => request({ type: 'clearSkips' }, wallClock(e.timeStamp)));

function sendFilter(): void {
  const filter: Record<string, string> = {};
  if (ui.filterStream.value.trim()) filter.streamId = ui.filterStream.value.trim();
  if (ui.filterType.value.trim()) filter.eventType = ui.filterType.value.trim();
  if (ui.filterText.value.trim()) filter.text = ui.filterText.value.trim();
  if (correlationFilter) filter.correlationId = correlationFilter;
  if (causationFilter) filter.causationId = causationFilter;
  request({ type: 'filter', filter: filter as FilterView }, wallClock());
}
let filterTimer: number | undefined;
for (const input of [ui.filterStream, ui.filterType, ui.filterText]) {
  input.addEventListener('input', () => {
    window.clearTimeout(filterTimer);
    filterTimer = window.setTimeout(() => {
      filterTimer = undefined;
      sendFilter();
    }, 250);
  });
}
ui.filterCorrelationClear.addEventListener('click', () => {
  correlationFilter = undefined;
  causationFilter = undefined;
  sendFilter();
});

// ---- search: streams and words in event data, as the person types ---------------------------

let searchSeq = 0;
let searchTimer: number | undefined;
ui.search.addEventListener('input', () => {
  window.clearTimeout(searchTimer);
  searchTimer = window.setTimeout(() => {
    searchTimer = undefined;
    searchSeq += 1;
    const query = ui.search.value.trim();
    if (query === '') {
      ui.searchResults.hidden = true;
      ui.searchResults.replaceChildren();
      ui.searchStatus.textContent = '';
      return;
    }
    ui.searchStatus.textContent = 'Searching…';
    send({ type: 'search', query, seq: searchSeq });
  }, 150);
});

function hitButton(label: string, detail: string, title: string, position: number): HTMLElement {
  const b = el('button', { class: 'hit', title }, label, ' ', el('span', { class: 'snippet' }, detail));
  b.addEventListener('click', (e) => navigate({ type: 'seek', position }, wallClock(e.timeStamp)));
  return el('div', { role: 'listitem' }, b);
}

function showSearchResults(r: Extract<HostToWebview, { type: 'searchResults' }>): void {
  if (r.seq !== searchSeq) return;
  if (r.problem) {
    ui.searchStatus.textContent = r.problem;
    ui.searchResults.hidden = true;
    return;
  }
  const nodes: HTMLElement[] = [];
  if (r.streams.length > 0) {
    nodes.push(el('div', { class: 'group', role: 'listitem' }, 'Streams'));
    for (const s of r.streams)
      nodes.push(
        hitButton(
          s.streamId,
          `${s.version} event${s.version === 1 ? '' : 's'}`,
          `Go to the first event of ${s.streamId} (#${s.firstPosition})`,
          s.firstPosition,
        ),
      );
  }
  if (r.hits.length > 0) {
    nodes.push(el('div', { class: 'group', role: 'listitem' }, 'Events'));
    for (const h of r.hits)
      nodes.push(
        hitButton(
          `#${h.position} ${h.type} ${h.streamId}`,
          h.snippet,
          `${h.type} · ${h.streamId} v${h.streamVersion} · ${h.recordedAt}`,
          h.position,
        ),
      );
  }
  ui.searchResults.replaceChildren(...nodes);
  ui.searchResults.hidden = nodes.length === 0;
  const events = `${r.hits.length}${r.more ? '+' : ''} event${r.hits.length === 1 && !r.more ? '' : 's'}`;
  ui.searchStatus.textContent =
    nodes.length === 0
      ? 'Nothing found.'
      : `${r.streams.length} stream${r.streams.length === 1 ? '' : 's'}, ${events} found.`;
}

document.addEventListener('keydown', (e) => {
  const target = e.target as HTMLElement | null;
  const typing = target instanceof HTMLInputElement && target.type !== 'range' && target.type !== 'checkbox';
  if (typing || target instanceof HTMLSelectElement) return;
  if (target instanceof HTMLInputElement && target.type === 'checkbox' && e.key === ' ') return;
  switch (e.key) {
    case 'ArrowLeft':
      move('prev', wallClock(e.timeStamp));
      break;
    case 'ArrowRight':
      move('next', wallClock(e.timeStamp));
      break;
    case 'Home':
      move('first', wallClock(e.timeStamp));
      break;
    case 'End':
      move('last', wallClock(e.timeStamp));
      break;
    case ' ':
      setPlaying(!playing());
      break;
    default:
      return;
  }
  e.preventDefault();
});

// ---- rendering -------------------------------------------------------------------------------

function changeSummary(changes: readonly ChangeView[]): string {
  if (changes.length === 0) return 'unchanged';
  const count = (k: string) => changes.filter((c) => c.kind === k).length;
  return (['added', 'changed', 'removed'] as const)
    .map((k) => [k, count(k)] as const)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
}

function field(label: string, value: string | Node): HTMLElement {
  return el(
    'div',
    { class: 'field' },
    el('span', { class: 'label' }, label),
    el('span', { class: 'field-value' }, value),
  );
}

function linkButton(text: string, label: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', { class: 'link', 'aria-label': label, title: label }, text);
  b.addEventListener('click', onClick);
  return b;
}

function setFlow(step: StepView): void {
  const lit = new Set<string>();
  const e = step.event;
  if (e) {
    if (step.skipped) lit.add('flow-store');
    else {
      const meta = e.metadata as Record<string, unknown> | null;
      if (meta && typeof meta.commandType === 'string')
        ['flow-command', 'flow-a1', 'flow-write', 'flow-a2'].forEach((id) => lit.add(id));
      ['flow-store', 'flow-a3', 'flow-bus'].forEach((id) => lit.add(id));
      if (step.readModels.some((r) => r.handled)) ['flow-a4', 'flow-readmodels'].forEach((id) => lit.add(id));
    }
  }
  // An event a reaction's command decided: the reaction is the first link of its path.
  const reaction = e && !step.skipped ? (e.metadata as Record<string, unknown> | null)?.reaction : undefined;
  const reactionNode = byId('flow-reaction');
  reactionNode.hidden = typeof reaction !== 'string';
  byId('flow-a0').hidden = typeof reaction !== 'string';
  reactionNode.textContent = typeof reaction === 'string' ? `Reaction: ${reaction}` : '';
  if (typeof reaction === 'string') ['flow-reaction', 'flow-a0'].forEach((id) => lit.add(id));
  for (const id of [
    'flow-reaction',
    'flow-a0',
    'flow-command',
    'flow-a1',
    'flow-write',
    'flow-a2',
    'flow-store',
    'flow-a3',
    'flow-bus',
    'flow-a4',
    'flow-readmodels',
  ]) {
    document.getElementById(id)?.classList.toggle('lit', lit.has(id));
  }
  const handled = step.readModels.filter((r) => r.handled).length;
  byId('flow-readmodels-text').textContent = e && !step.skipped ? `Read models (${handled})` : 'Read models';
  const meta = e?.metadata as Record<string, unknown> | null | undefined;
  byId('flow').setAttribute(
    'aria-label',
    e
      ? step.skipped
        ? 'This event is skipped in what-if mode: it is in the store, but nothing downstream sees it.'
        : `${typeof reaction === 'string' ? `The reaction ${reaction} answered an event with a command; ` : ''}${typeof meta?.commandType === 'string' ? `Command ${meta.commandType} went to the write model, which decided this event; ` : ''}the event store appended it and the event bus delivered it to ${handled} read model${handled === 1 ? '' : 's'}.`
      : 'No event at this position.',
  );
}

function renderRejections(step: StepView): HTMLElement | undefined {
  if (step.rejections.length === 0) return undefined;
  const box = el('div', { class: 'rejections', role: 'note', 'aria-label': 'Commands refused here' });
  box.append(el('h3', {}, `Refused here: ${step.rejections.length} command${step.rejections.length === 1 ? '' : 's'}`));
  for (const r of step.rejections) {
    box.append(
      el(
        'div',
        { class: 'rejection' },
        el(
          'div',
          { class: 'mini-flow' },
          ...(r.reaction ? [el('span', { class: 'node-lit' }, `Reaction: ${r.reaction}`), ' → '] : []),
          el('span', { class: 'node-lit' }, r.type),
          ' → ',
          el('span', { class: 'node-stop' }, r.outcome === 'conflict' ? 'Write model: conflict ✗' : 'Write model ✗'),
          el('span', { class: 'node-dim' }, ' → Event store → Event bus → Read models'),
        ),
        el('div', { class: 'reason' }, r.reason),
        el(
          'div',
          { class: 'muted small' },
          `${r.at} · nothing was appended: the store stayed at ${step.position} event${step.position === 1 ? '' : 's'}, and no read model changed.`,
        ),
      ),
    );
  }
  return box;
}

function renderEvent(step: StepView): void {
  const region = ui.eventRegion;
  region.replaceChildren(el('h2', {}, 'Event'));
  const refused = renderRejections(step);
  if (refused) region.append(refused);
  const e = step.event;
  if (!e) {
    region.append(
      el(
        'p',
        { class: 'muted' },
        step.total === 0
          ? 'No events yet: issue a command, e.g. "Event Store: Create User".'
          : 'Before the first event.',
      ),
    );
    return;
  }
  /** A value with the link that filters the timeline by it. */
  const withLink = (value: string, label: string, ariaLabel: string, filter: () => void) =>
    el(
      'span',
      {},
      value,
      ' ',
      linkButton(label, ariaLabel, () => {
        filter();
        sendFilter();
      }),
    );
  const correlation = e.correlationId
    ? withLink(e.correlationId, 'Show all', `Show all events with correlation ${e.correlationId}`, () => {
        correlationFilter = e.correlationId ?? undefined;
      })
    : '—';
  region.append(
    el(
      'div',
      { class: `event-type${step.skipped ? ' skipped' : ''}` },
      e.type,
      step.skipped ? el('span', { class: 'tag' }, 'skipped') : '',
    ),
    field(
      'Stream',
      withLink(e.streamId, 'Filter', `Filter: only the events of stream ${e.streamId}`, () => {
        ui.filterStream.value = e.streamId;
      }),
    ),
    field('Stream version', String(e.streamVersion)),
    field('Global position', String(e.globalPosition)),
    el('h3', {}, 'Data'),
    renderJson(e.data, [], false),
    el('h3', {}, 'Recorded with it'),
    field('Recorded', e.recordedAt),
    field('Event id', e.eventId),
    field('Correlation', correlation),
    field(
      'Causation',
      e.causationId
        ? withLink(e.causationId, 'Show all', `Show all events caused by ${e.causationId}`, () => {
            causationFilter = e.causationId ?? undefined;
          })
        : '—',
    ),
    el('h3', {}, 'Metadata'),
    renderJson(e.metadata, [], false),
  );
}

function renderStream(step: StepView, only: boolean): void {
  const region = ui.streamRegion;
  region.replaceChildren(el('h2', {}, 'Write model'));
  const s = step.stream;
  if (!s) {
    region.append(
      el(
        'p',
        { class: 'muted' },
        'The state of the current event\u2019s aggregate, folded from the events of its stream, appears here: before the event and after it.',
      ),
    );
    return;
  }
  region.append(
    field('Aggregate', s.aggregate ?? 'unknown (no decider for this stream)'),
    field('Stream', `${s.streamId} @ version ${s.version}`),
    ...(s.aggregate ? [historyButton(`Show History of a Value of ${s.streamId}`, { streamId: s.streamId })] : []),
    el(
      'div',
      { class: 'before-after' },
      el('div', { class: 'state-before' }, el('h3', {}, 'Before'), renderJson(s.before, [], false)),
      el(
        'div',
        { class: 'state-after' },
        el('h3', {}, `After (${changeSummary(s.changes)})`),
        renderJson(s.after, s.changes, only),
      ),
    ),
  );
}

/** Sections keyed by what they show: a read model that did not change keeps its DOM between steps. */
const readModelSections = new Map<string, { key: string; node: HTMLElement }>();
/** Each read model's lines of its last rendering, reused for the parts a step did not change. */
const readModelLines = new Map<string, JsonLineCache>();
/** Unchanged read models the person opened: they stay open from step to step. */
const openedByPerson = new Set<string>();

function renderLines(name: string, state: unknown, changes: readonly ChangeView[], only: boolean): HTMLElement {
  const next: JsonLineCache = new Map();
  const node = renderJson(state, changes, only, { previous: readModelLines.get(name) ?? new Map(), next });
  readModelLines.set(name, next);
  return node;
}

/** "Show History of This Value": the host asks which value, lists the events that changed it, each a link back here. */
function historyButton(label: string, target: HistoryTarget): HTMLElement {
  const button = el('button', { class: 'link history', type: 'button', 'aria-label': label }, 'History of a value…');
  button.addEventListener('click', () => send({ type: 'history', target }));
  return button;
}

/** This version beside the previous one of the domain module, the lines where the previous one differs marked. */
function renderVersions(current: HTMLElement, previous: NonNullable<ReadModelView['previous']>): HTMLElement {
  const hide = el('button', { class: 'link', type: 'button' }, 'Hide the previous version');
  hide.addEventListener('click', () => send({ type: 'endComparison' }));
  const n = previous.differences.length;
  return el(
    'div',
    { class: 'versions' },
    el('div', { class: 'version', 'aria-label': 'This version' }, el('h4', {}, 'This version'), current),
    el(
      'div',
      { class: 'version', 'aria-label': 'Previous version' },
      el('h4', {}, `Previous version (${n === 0 ? 'the same here' : `${n} difference${n === 1 ? '' : 's'}`})`),
      renderJson(previous.state, previous.differences, false, undefined, 'this version:'),
      hide,
    ),
  );
}

/** A read model that threw: said where the read model is, never shown as an empty success. */
function faultNotice(title: string, fault: FaultView): HTMLElement {
  const replay = el('button', { class: 'link', type: 'button' }, 'Replay to the Failing Event');
  replay.addEventListener('click', (e) => navigate({ type: 'seek', position: fault.position }, wallClock(e.timeStamp)));
  return el(
    'div',
    { class: 'fault', role: 'status' },
    el('strong', {}, `${title} is faulted at ${fault.position}`),
    `: ${fault.eventType} of ${fault.streamId} threw ${fault.error}. The state below is the one before that event. `,
    replay,
  );
}

function renderReadModels(step: StepView, only: boolean): void {
  const region = ui.readModelsRegion;
  // What the event changed comes first, open; the rest is one line each, to open on demand.
  // Among those, models keyed by an entity (changes below the top level) before store-wide counters,
  // then the fewest changes first.
  const counter = (rm: (typeof step.readModels)[number]) => (rm.changes.some((c) => c.path.length <= 1) ? 1 : 0);
  // A faulted read model comes first and open, whatever it changed: it must never pass for a quiet one.
  const loud = (rm: (typeof step.readModels)[number]) => rm.changes.length > 0 || rm.fault !== undefined;
  const changed = step.readModels
    .filter(loud)
    .sort(
      (a, b) =>
        Number(b.fault !== undefined) - Number(a.fault !== undefined) ||
        counter(a) - counter(b) ||
        a.changes.length - b.changes.length,
    );
  const unchanged = step.readModels.filter((rm) => !loud(rm));
  const nodes: HTMLElement[] = [el('h2', {}, 'Read models')];
  if (step.event && !step.readModels.some((rm) => rm.changes.length > 0))
    nodes.push(el('p', { class: 'muted small' }, 'No read model changed at this step.'));
  for (const rm of [...changed, ...unchanged]) {
    const touched = rm.changes.length > 0;
    const open = touched || rm.fault !== undefined || openedByPerson.has(rm.name);
    const status = rm.fault
      ? `faulted at ${rm.fault.position}`
      : step.event
        ? step.skipped
          ? 'skipped event: unchanged'
          : rm.handled
            ? changeSummary(rm.changes)
            : 'does not handle this event'
        : 'initial state';
    // An unchanged read model has no change to show: opened, it shows its whole state.
    const onlyHere = only && touched;
    const key = JSON.stringify([rm.state, rm.changes, onlyHere, status, rm.description, open, rm.fault, rm.previous]);
    const cached = readModelSections.get(rm.name);
    if (cached?.key === key) {
      nodes.push(cached.node);
      continue;
    }
    const node = el(
      'details',
      { class: `read-model${touched ? ' touched' : ''}`, 'aria-label': rm.title },
      el('summary', {}, el('h3', {}, rm.title, el('span', { class: 'status' }, ` · ${status}`))),
      el('p', { class: 'description', title: rm.description }, rm.description),
      ...(rm.fault ? [faultNotice(rm.title, rm.fault)] : []),
      historyButton(`Show History of a Value of ${rm.title}`, { readModel: rm.name }),
      rm.previous
        ? renderVersions(renderLines(rm.name, rm.state, rm.changes, onlyHere), rm.previous)
        : renderLines(rm.name, rm.state, rm.changes, onlyHere),
    );
    node.open = open;
    if (!touched) {
      node.addEventListener('toggle', () => {
        if (node.open) openedByPerson.add(rm.name);
        else openedByPerson.delete(rm.name);
      });
    }
    readModelSections.set(rm.name, { key, node });
    nodes.push(node);
  }
  region.replaceChildren(...nodes);
}

function render(step: StepView): void {
  const started = performance.now();
  const moved = current?.position !== step.position;
  current = step;
  ui.slider.max = String(step.count);
  ui.slider.value = String(step.index);
  ui.slider.setAttribute(
    'aria-valuetext',
    `${step.index} of ${step.count} events${step.count !== step.total ? ' in view' : ''}`,
  );
  ui.positionLabel.textContent = `${step.index} / ${step.count}`;
  ui.positionLabel.title = `Global position ${step.position} of ${step.total}`;
  ui.explanation.textContent = step.explanation;
  ui.first.disabled = ui.back.disabled = step.position === 0;
  ui.forward.disabled = ui.last.disabled = step.index >= step.count;
  // On an empty store, or before the first event, there is nothing to play, export or branch: say so.
  const empty = step.total === 0;
  ui.play.disabled = step.count === 0 && !playing();
  ui.exportNdjson.disabled = ui.exportTest.disabled = ui.branch.disabled = step.position === 0;
  const nothing = empty
    ? 'The store has no event yet: issue a command first'
    : 'Before the first event: step forward first';
  ui.exportNdjson.title =
    step.position === 0 ? nothing : 'The events up to this position, one JSON object per line (NDJSON)';
  ui.exportTest.title =
    step.position === 0 ? nothing : 'A given/when/then test for the decider, from the current event';
  ui.branch.title =
    step.position === 0
      ? nothing
      : 'Copy the events up to this position into a new store and open it; this store is untouched';
  ui.goto.max = String(step.total);
  const place: ReplayPlace = { position: step.position, filter: step.filter, whatIf: step.whatIf };
  vscode.setState({ ...place, onlyChanges: ui.onlyChanges.checked });

  ui.whatIfBanner.hidden = step.whatIf.length === 0;
  document.body.classList.toggle('what-if', step.whatIf.length > 0);
  ui.whatIfText.textContent = `${step.whatIf.length} event${step.whatIf.length === 1 ? '' : 's'} skipped (${step.whatIf
    .slice(0, 5)
    .map((p) => `#${p}`)
    .join(
      ', ',
    )}${step.whatIf.length > 5 ? ', …' : ''}): read models are recomputed without them; the store is unchanged.`;

  // A filter restored after a reload shows in its fields (never over what the person is typing).
  for (const [input, value] of [
    [ui.filterStream, step.filter.streamId],
    [ui.filterType, step.filter.eventType],
    [ui.filterText, step.filter.text],
  ] as const) {
    if (document.activeElement !== input && filterTimer === undefined && input.value.trim() !== (value ?? ''))
      input.value = value ?? '';
  }
  correlationFilter = step.filter.correlationId;
  causationFilter = step.filter.causationId;
  ui.filterCorrelation.hidden = !correlationFilter && !causationFilter;
  ui.filterCorrelationText.textContent = [
    correlationFilter ? `correlation ${correlationFilter}` : '',
    causationFilter ? `caused by ${causationFilter}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const filtered = step.count !== step.total || Object.keys(step.filter).length > 0;
  ui.filterSummary.textContent = filtered
    ? `${step.count} of ${step.total} events in view; the others are still applied.`
    : `${step.total} events`;

  const only = ui.onlyChanges.checked;
  setFlow(step);
  renderEvent(step);
  renderStream(step, only);
  renderReadModels(step, only);
  // Each column scrolls on its own; a new event starts them at the top, where its changes are.
  if (moved) for (const region of [ui.eventRegion, ui.streamRegion, ui.readModelsRegion]) region.scrollTop = 0;
  timeline.update(
    step.count,
    step.index,
    step.position,
    JSON.stringify([step.filter, step.whatIf, step.total, step.refusedTotal]),
  );
  // Reading layout forces it, so the figure covers style and layout too (tests read it).
  void document.body.offsetHeight;
  document.body.dataset.renderMs = (performance.now() - started).toFixed(2);
}

/** The last state of each read model: the host sends a state only when it differs from the one before. */
const keptStates = new Map<string, unknown>();

function withKeptStates(step: StepView): StepView {
  return {
    ...step,
    readModels: step.readModels.map((rm) => {
      if (!rm.same) {
        keptStates.set(rm.name, rm.state);
        return rm;
      }
      return { ...rm, state: keptStates.get(rm.name), same: undefined };
    }),
  };
}

/**
 * Click → paint of an answered request, and where the time went; kept on the body for the tests
 * and the bench to read. Paint is taken as the first task after the next animation frame.
 */
let measuring = false;
let pingSeq = 0;
let pingAt = 0;

function measure(timing: StepTiming, receivedAt: number): void {
  const clickAt = inputAt.get(timing.seq);
  inputAt.delete(timing.seq);
  if (clickAt === undefined) return;
  const rendered = wallClock();
  requestAnimationFrame(() =>
    setTimeout(() => {
      const painted = wallClock();
      document.body.dataset.stepTiming = JSON.stringify({
        seq: timing.seq,
        clickToPaintMs: painted - clickAt,
        hostMs: timing.hostMs,
        serializeMs: timing.serializeMs,
        bytes: timing.bytes,
        transportMs: Math.max(0, timing.receivedAt - clickAt) + Math.max(0, receivedAt - timing.sentAt),
        renderMs: rendered - receivedAt,
        paintMs: painted - rendered,
        loopDelayMaxMs: timing.loopDelayMaxMs,
      });
      // The baseline, measured beside each step when the host asks for figures: a bare round trip.
      if (measuring) {
        pingSeq += 1;
        pingAt = wallClock();
        send({ type: 'ping', seq: pingSeq });
      }
    }, 0),
  );
}

window.addEventListener('message', (e: MessageEvent<unknown>) => {
  const message: HostToWebview | undefined = parseHostMessage(e.data);
  if (!message) return;
  switch (message.type) {
    case 'step': {
      const receivedAt = wallClock();
      ui.error.hidden = true;
      const step = withKeptStates(message.step);
      if (message.timing) answered(message.timing.seq);
      render(step);
      if (message.timing) measure(message.timing, receivedAt);
      if (playing() && step.index >= step.count) setPlaying(false);
      break;
    }
    case 'rows':
      timeline.receive(message.offset, message.rows as RowView[], message.count);
      break;
    case 'searchResults':
      showSearchResults(message);
      break;
    case 'searchProgress':
      if (message.seq === searchSeq)
        ui.searchStatus.textContent = `Indexing event data… ${Math.floor((100 * message.indexed) / Math.max(1, message.total))}%`;
      break;
    case 'pong':
      if (message.seq === pingSeq) document.body.dataset.pingMs = (wallClock() - pingAt).toFixed(2);
      break;
    case 'config':
      measuring = message.measure === true;
      playIntervalMs = message.playIntervalMs;
      ui.storeLabel.textContent = message.storeLabel;
      ui.branch.hidden = !message.canBranch;
      break;
    case 'error':
      outstanding = 0;
      lastSeq = seq;
      waiting = undefined;
      ui.error.hidden = false;
      ui.error.textContent = message.message;
      break;
  }
});

send({ type: 'ready' });
