// The Event Model and Causality panels' browser side. Names, types and reasons come from events
// and commands: untrusted text, put into the page only as text nodes.
import {
  parseHostToSystem,
  type CausalityView,
  type CausalNodeView,
  type ModelView,
  type SliceView,
  type SystemToHost,
} from '../shared/systemProtocol';
import { byId, el, vscodeApi } from './dom';

const vscode = vscodeApi<SystemToHost>();
const send = (message: SystemToHost): void => vscode.postMessage(message);

const ui = {
  summary: byId('summary'),
  toolbar: byId('toolbar'),
  error: byId('error'),
  content: byId('content'),
};

byId('export-mermaid').addEventListener('click', () => send({ type: 'export', format: 'mermaid' }));
byId('export-markdown').addEventListener('click', () => send({ type: 'export', format: 'markdown' }));
byId('compare').addEventListener('click', () => send({ type: 'compare' }));
byId('refresh').addEventListener('click', () => send({ type: 'refresh' }));

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Arrow keys move the focus among `items` (one tab stop for the whole group). */
function rovingFocus(container: HTMLElement, items: HTMLElement[], keys: { prev: string; next: string }): void {
  items.forEach((item, i) => item.setAttribute('tabindex', i === 0 ? '0' : '-1'));
  container.addEventListener('keydown', (e) => {
    const index = items.indexOf(document.activeElement as HTMLElement);
    if (index < 0) return;
    let next = index;
    if (e.key === keys.next) next = Math.min(items.length - 1, index + 1);
    else if (e.key === keys.prev) next = Math.max(0, index - 1);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = items.length - 1;
    else return;
    e.preventDefault();
    items[index]!.setAttribute('tabindex', '-1');
    items[next]!.setAttribute('tabindex', '0');
    items[next]!.focus();
  });
}

function lane(title: string, kind: string, ...children: (Node | string)[]): HTMLElement {
  return el('div', { class: `lane ${kind}` }, el('div', { class: 'lane-title' }, title), ...children);
}

const names = (items: readonly { name: string; count: number }[]) =>
  el('ul', {}, ...items.map((i) => el('li', {}, `${i.name} `, el('span', { class: 'count' }, `×${i.count}`))));

function renderSlice(slice: SliceView, index: number, total: number): HTMLElement {
  const label = `Slice ${index + 1} of ${total}: ${slice.command}, ${slice.accepted} accepted, ${slice.refused} refused`;
  const card = el('div', { class: 'slice', role: 'listitem', 'aria-label': label });
  if (slice.issuedBy.length) card.append(lane('Issued by', 'trigger', names(slice.issuedBy)));
  card.append(
    lane(
      'Command',
      slice.refused > 0 ? 'command refused' : 'command',
      el('div', { class: 'name' }, slice.command),
      el(
        'div',
        { class: 'muted small' },
        `${slice.accepted} accepted${slice.refused ? ` · ${slice.refused} refused` : ''}`,
      ),
    ),
  );
  if (slice.events.length) card.append(lane('Events', 'event', names(slice.events)));
  if (slice.readModels.length)
    card.append(lane('Read models', 'read-model', el('ul', {}, ...slice.readModels.map((r) => el('li', {}, r)))));
  for (const r of slice.reactions)
    card.append(
      lane(
        `Reaction on ${r.on}`,
        'reaction',
        el('div', { class: 'name' }, r.reaction),
        el(
          'ul',
          {},
          ...r.commands.map((c) =>
            el(
              'li',
              {},
              `→ ${c.type} `,
              el('span', { class: 'count' }, `${c.accepted} accepted`),
              ...(c.refused ? [' ', el('span', { class: 'refused-mark' }, `${c.refused} refused`)] : []),
            ),
          ),
        ),
      ),
    );
  if (slice.refusals.length)
    card.append(
      lane(
        'Refused because',
        'refusal',
        el(
          'ul',
          {},
          ...slice.refusals.map((r) => el('li', {}, r.name, ' ', el('span', { class: 'count' }, `×${r.count}`))),
        ),
      ),
    );
  return card;
}

function renderComparison(model: ModelView): HTMLElement | undefined {
  const c = model.comparison;
  if (!c) return undefined;
  const arrows = (title: string, list: readonly { from: string; to: string }[], empty: string) =>
    el(
      'section',
      { class: 'arrows', 'aria-label': title },
      el('h3', {}, `${title} (${list.length})`),
      list.length
        ? el('ul', {}, ...list.map((a) => el('li', {}, `${a.from} → ${a.to}`)))
        : el('p', { class: 'muted' }, empty),
    );
  return el(
    'section',
    { class: 'comparison', 'aria-label': 'Comparison with the model file' },
    el('h2', {}, `Compared with ${c.file}: ${plural(c.matched, 'arrow')} match the traffic`),
    arrows('In the model, never used by the traffic', c.unused, 'Every arrow of the model was used.'),
    arrows('Used by the traffic, missing from the model', c.missing, 'The model has every arrow the traffic used.'),
    ...(c.problems.length
      ? [
          el(
            'section',
            { 'aria-label': 'Lines not read' },
            el('h3', {}, 'Lines not read'),
            el('ul', {}, ...c.problems.map((p) => el('li', {}, p))),
          ),
        ]
      : []),
  );
}

function renderModel(model: ModelView): void {
  ui.toolbar.hidden = false;
  ui.summary.textContent =
    `${model.store}: ${plural(model.slices.length, 'slice')} from ${plural(model.totals.commands, 'command')} ` +
    `(${model.totals.refused} refused) and ${plural(model.totals.events, 'event')}. ` +
    `${model.autoRefresh ? '' : 'On a store this large it is derived again on Refresh only. '}` +
    'Left and Right move between slices.';
  const list = el('div', { class: 'slices', role: 'list', 'aria-label': 'Slices' });
  const cards = model.slices.map((s, i) => renderSlice(s, i, model.slices.length));
  list.append(...cards);
  rovingFocus(list, cards, { prev: 'ArrowLeft', next: 'ArrowRight' });
  const comparison = renderComparison(model);
  ui.content.replaceChildren(
    ...(model.slices.length ? [list] : [el('p', {}, 'No traffic yet: issue a command, then look again.')]),
    ...(comparison ? [comparison] : []),
  );
}

function nodeText(n: CausalNodeView): string {
  const where = n.streamId ? ` · ${n.streamId}` : '';
  if (n.kind === 'event') return `${n.type}${where}${n.position !== null ? ` · position ${n.position}` : ''}`;
  const by = n.reaction ? ` · by reaction ${n.reaction}` : '';
  return `${n.type}${where}${by}${n.inferred ? ' · known from its events' : ''}`;
}

function renderCausality(graph: CausalityView): void {
  ui.toolbar.hidden = true;
  ui.summary.textContent =
    `${graph.store}: correlation ${graph.correlationId}, ${plural(graph.nodes.length, 'step')} across ` +
    `${plural(graph.streams.length, 'stream')}, ${graph.refused} refused` +
    `${graph.omitted ? `, ${graph.omitted} more not shown` : ''}. Up and Down move; Enter opens an event in the replay.`;
  const tree = el('ul', { class: 'causality', role: 'tree', 'aria-label': `Causality of ${graph.correlationId}` });
  const items = graph.nodes.map((n) => {
    const refused = n.kind === 'command' && n.outcome !== null && n.outcome !== 'accepted';
    const item = el(
      'li',
      {
        role: 'treeitem',
        'aria-level': String(n.depth + 1),
        class: `node ${n.kind}${refused ? ' refused' : ''}`,
      },
      el('span', { class: 'kind' }, refused ? `${n.kind}, ${n.outcome}` : n.kind),
      ' ',
      el('span', { class: 'name' }, nodeText(n)),
      ...(n.reason ? [el('div', { class: 'reason' }, n.reason)] : []),
    );
    item.dataset.depth = String(Math.min(n.depth, 12));
    if (n.kind === 'event' && n.position !== null) {
      const position = n.position;
      item.title = 'Open in the replay (Enter)';
      item.addEventListener('click', () => send({ type: 'openReplay', position }));
      item.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          send({ type: 'openReplay', position });
        }
      });
    }
    return item;
  });
  tree.append(...items);
  rovingFocus(tree, items, { prev: 'ArrowUp', next: 'ArrowDown' });
  ui.content.replaceChildren(tree);
}

window.addEventListener('message', (e: MessageEvent) => {
  const message = parseHostToSystem(e.data);
  if (!message) return;
  ui.error.hidden = message.type !== 'error';
  if (message.type === 'error') ui.error.textContent = message.message;
  else if (message.type === 'model') renderModel(message.model);
  else renderCausality(message.graph);
});

send({ type: 'ready' });
