// Writes the walkthrough's diagrams, media/walkthrough/*.svg: `node scripts/walkthroughDiagrams.mjs`.
// One small drawing vocabulary for all of them, so they agree with each other. The walkthrough shows
// a diagram about 350 px wide: a 360-unit canvas with text of 14 units or more stays readable.
// They are generic on purpose (n, p, "a cart"): no count that could contradict the store on screen.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'media', 'walkthrough');
const W = 360;
const H = 250;

const C = {
  fg: 'var(--vscode-foreground, #333)',
  muted: 'var(--vscode-descriptionForeground, #616161)',
  bg: 'var(--vscode-editor-background, #fff)',
  command: 'var(--vscode-charts-blue, #1a85ff)',
  event: 'var(--vscode-charts-orange, #d18616)',
  model: 'var(--vscode-charts-green, #388a34)',
  query: 'var(--vscode-charts-purple, #652d90)',
  bad: 'var(--vscode-charts-red, #e51400)',
};

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function text(x, y, s, { size = 14, color = C.fg, anchor = 'middle', bold = false, italic = false } = {}) {
  return `<text x="${x}" y="${y}" font-size="${size}" fill="${color}" text-anchor="${anchor}"${bold ? ' font-weight="bold"' : ''}${italic ? ' font-style="italic"' : ''}>${esc(s)}</text>`;
}

/** A box with a bold title and an optional second line; `kind` colours its border. */
function box(x, y, w, h, title, sub, kind = 'fg', { fill = false } = {}) {
  const stroke = C[kind];
  const rect = `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="6" fill="${fill ? stroke : C.bg}"${fill ? ' fill-opacity="0.16"' : ''} stroke="${stroke}" stroke-width="1.6"/>`;
  const cx = x + w / 2;
  if (!sub) return rect + text(cx, y + h / 2 + 5, title, { size: 15, bold: true });
  return (
    rect + text(cx, y + h / 2 - 3, title, { size: 15, bold: true }) + text(cx, y + h / 2 + 15, sub, { color: C.muted })
  );
}

function arrow(x1, y1, x2, y2, kind = 'fg', label) {
  const line = `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${C[kind]}" stroke-width="2" marker-end="url(#arrow-${kind})"/>`;
  return label ? line + label : line;
}

/** Small event chips in a row, e.g. positions. */
function chips(x, y, labels, { w = 34, gap = 6, kind = 'event', highlight = -1 } = {}) {
  return labels
    .map((l, i) => {
      const cx = x + i * (w + gap);
      const on = i === highlight;
      return (
        `<rect x="${cx}" y="${y}" width="${w}" height="26" rx="4" fill="${C[kind]}" fill-opacity="${on ? 0.45 : 0.16}" stroke="${C[kind]}" stroke-width="${on ? 2.4 : 1.4}"/>` +
        text(cx + w / 2, y + 18, l, { bold: on })
      );
    })
    .join('');
}

function svg(name, title, body) {
  const markers = Object.keys(C)
    .map(
      (k) =>
        `<marker id="arrow-${k}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${C[k]}"/></marker>`,
    )
    .join('');
  const doc =
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}" ` +
    `font-family="var(--vscode-font-family, -apple-system, Segoe UI, sans-serif)">\n` +
    `  <title>${esc(title)}</title>\n  <defs>${markers}</defs>\n  ${body.join('\n  ')}\n</svg>\n`;
  writeFileSync(path.join(out, `${name}.svg`), doc);
}

const caption = (s, y = H - 10) => text(W / 2, y, s, { color: C.muted, italic: true });

svg(
  'overview',
  'A command goes to the write model, which decides events; the store appends them; the bus delivers them to the read models; queries read the read models',
  [
    box(4, 14, 92, 48, 'Command', 'AddItem', 'command', { fill: true }),
    arrow(96, 38, 114, 38, 'command'),
    box(116, 14, 112, 48, 'Write model', 'decides', 'fg'),
    arrow(228, 38, 244, 38, 'event'),
    box(246, 14, 110, 48, 'Event store', 'appends', 'fg'),
    arrow(301, 62, 301, 96, 'event'),
    box(246, 98, 110, 44, 'Event bus', undefined, 'fg'),
    arrow(246, 120, 232, 120, 'event'),
    box(108, 98, 124, 44, 'Read models', undefined, 'model'),
    arrow(60, 178, 150, 144, 'query'),
    box(6, 178, 100, 40, 'Query', undefined, 'query', { fill: true }),
    text(170, 198, 'answers from', { anchor: 'start', color: C.muted }),
    text(170, 216, 'a read model', { anchor: 'start', color: C.muted }),
    caption('Commands change state; queries only read.'),
  ],
);

svg(
  'command',
  'A command is decided by the Cart aggregate from the events of its stream: new events, or a refusal with a reason',
  [
    box(6, 20, 112, 52, 'AddItem', 'to a cart', 'command', { fill: true }),
    arrow(118, 46, 140, 46, 'command'),
    `<rect x="142" y="8" width="212" height="132" rx="6" fill="${C.bg}" stroke="${C.fg}" stroke-width="1.6"/>`,
    text(248, 30, 'Cart aggregate', { size: 15, bold: true }),
    text(156, 56, '1. read the cart\u2019s stream', { anchor: 'start' }),
    text(156, 80, '2. fold it into its state', { anchor: 'start' }),
    text(156, 104, '3. decide', { anchor: 'start' }),
    text(156, 128, '4. append its events', { anchor: 'start' }),
    arrow(200, 140, 120, 176, 'event'),
    box(20, 178, 130, 40, 'ItemAdded', undefined, 'event', { fill: true }),
    arrow(296, 140, 296, 176, 'bad'),
    box(216, 178, 138, 40, 'or: refused', undefined, 'bad'),
    caption('Deciding only looks at the command and the state.'),
  ],
);

svg(
  'appended',
  'The new event is appended at the next global position and the next version of its stream; the bus delivers it to every read model, which applies it or ignores its type',
  [
    text(8, 22, 'All events, by global position', { anchor: 'start', bold: true }),
    chips(8, 32, ['\u2026', 'n-1', 'n'], { w: 44 }),
    chips(8 + 3 * 50, 32, ['n+1'], { w: 52, highlight: 0 }),
    text(220, 50, '\u2190 new', { anchor: 'start', bold: true }),
    text(8, 84, 'its stream: version v \u2192 v+1', { anchor: 'start', color: C.muted }),
    arrow(184, 58, 184, 100, 'event'),
    box(124, 102, 120, 38, 'Event bus', undefined, 'fg'),
    arrow(150, 140, 70, 174, 'event'),
    arrow(184, 140, 184, 174, 'event'),
    arrow(218, 140, 298, 174, 'muted'),
    box(6, 176, 112, 44, 'Read model', 'applies it', 'model'),
    box(126, 176, 112, 44, 'Read model', 'applies it', 'model'),
    box(246, 176, 108, 44, 'Read model', 'ignores it', 'muted'),
    caption('Writers and readers never call each other.', H - 6),
  ],
);

svg(
  'read-models',
  'The same cart events, from every cart stream, feed Cart details, one entry per cart, and Totals per product, one entry per product',
  [
    text(8, 22, 'Cart events', { anchor: 'start', bold: true }),
    text(8, 40, 'from every cart stream', { anchor: 'start', color: C.muted }),
    box(8, 52, 130, 32, 'ItemAdded', undefined, 'event', { fill: true }),
    box(8, 92, 130, 32, 'ItemRemoved', undefined, 'event', { fill: true }),
    box(8, 132, 136, 32, 'CartConfirmed', undefined, 'event', { fill: true }),
    arrow(138, 100, 178, 62, 'event'),
    arrow(138, 116, 178, 160, 'event'),
    box(180, 30, 174, 60, 'Cart details', 'one entry per cart', 'model'),
    box(180, 130, 174, 60, 'Totals per product', 'one per product', 'model'),
    caption('Same events, shaped for two questions.', H - 22),
  ],
);

svg(
  'query',
  'Commands change the event store; a query reads a read model and changes nothing: the store has as many events after it as before',
  [
    text(90, 20, 'Write side', { bold: true }),
    text(270, 20, 'Read side', { bold: true }),
    `<line x1="180" y1="6" x2="180" y2="206" stroke="${C.muted}" stroke-dasharray="4 4"/>`,
    box(20, 34, 140, 40, 'Command', undefined, 'command', { fill: true }),
    arrow(90, 74, 90, 104, 'command'),
    box(20, 106, 140, 52, 'Event store', 'n events', 'fg'),
    arrow(160, 132, 198, 132, 'event'),
    box(200, 106, 140, 52, 'Read model', 'as of position n', 'model'),
    arrow(270, 74, 270, 104, 'query'),
    box(200, 34, 140, 40, 'Query', undefined, 'query', { fill: true }),
    text(270, 186, 'changes nothing', { color: C.muted }),
    caption('After the query the store still has n events.', H - 14),
  ],
);

svg(
  'replay',
  'The replay at position p: the read models there are the fold of the events up to p; a branch copies those events into a new store and leaves the original as it is',
  [
    text(8, 22, 'The store', { anchor: 'start', bold: true }),
    chips(8, 32, ['1', '2', '\u2026', 'p', '\u2026', 'n'], { w: 40, highlight: 3 }),
    text(8 + 3 * 46 + 20, 80, '\u25B2 replay at p', { bold: true }),
    box(8, 98, 344, 44, 'Read models at p', 'the fold of events 1 to p', 'model'),
    text(8, 172, 'Branch Store Here', { anchor: 'start', bold: true }),
    chips(8, 182, ['1', '2', '\u2026', 'p'], { w: 40 }),
    text(190, 200, '\u2192 a new store', { anchor: 'start' }),
    caption('The original store is left as it is.', H - 8),
  ],
);

svg(
  'rebuild',
  'A read model is thrown away, every event is applied again from the first, and the read model comes back in the same state',
  [
    box(6, 20, 120, 52, 'Read model', 'thrown away', 'muted'),
    arrow(126, 46, 234, 46, 'event'),
    box(236, 20, 118, 52, 'Read model', 'same state', 'model'),
    text(180, 110, 'every event applied again, from the first', { color: C.muted }),
    chips(60, 124, ['1', '2', '3', '\u2026', 'n'], { w: 40 }),
    caption('Read models are derived: the events are the truth.', H - 40),
    caption('Fix a projection, rebuild it: right for all history.', H - 16),
  ],
);

svg(
  'rejected',
  'A command on a confirmed cart is refused with its reason: nothing is appended, and the refusal is kept in the Command Log',
  [
    box(6, 20, 110, 48, 'AddItem', 'to a cart', 'command', { fill: true }),
    arrow(116, 44, 140, 44, 'command'),
    box(142, 20, 212, 48, 'Cart: confirmed', 'it never changes again', 'fg'),
    arrow(248, 68, 248, 96, 'bad'),
    box(142, 98, 212, 40, '\u2715 refused, with a reason', undefined, 'bad'),
    box(6, 162, 164, 52, 'Event store', 'unchanged', 'fg'),
    box(190, 162, 164, 52, 'Command Log', 'keeps the refusal', 'bad'),
    caption('A refusal is not an event: the log keeps it.', H - 8),
  ],
);

svg(
  'conflict',
  'Windows A and B both read version v of a stream; A appends version v+1; B, expecting version v, is refused with a conflict; retrying reads v+1 and decides again',
  [
    box(6, 14, 166, 48, 'Window A', 'reads version v', 'command'),
    box(188, 14, 166, 48, 'Window B', 'reads version v', 'command'),
    arrow(89, 62, 89, 92, 'model'),
    arrow(271, 62, 271, 92, 'bad'),
    box(6, 94, 166, 48, '\u2713 appends', 'version v+1', 'model'),
    box(188, 94, 166, 48, '\u2715 conflict', 'stream is at v+1', 'bad'),
    arrow(271, 142, 271, 168, 'fg'),
    box(130, 170, 224, 48, 'Retry', 'read again, decide again', 'fg'),
    caption('Never append the old decision blindly.', H - 8),
  ],
);

svg(
  'domain',
  'A domain module in the workspace holds commands, events, decide, evolve and projections; Execute Command, the views and the replay use them',
  [
    `<rect x="6" y="10" width="164" height="196" rx="6" fill="${C.bg}" stroke="${C.fg}" stroke-width="1.6"/>`,
    text(88, 34, 'domain.js', { size: 15, bold: true }),
    text(20, 62, 'commands, fields', { anchor: 'start' }),
    text(20, 88, 'events', { anchor: 'start' }),
    text(20, 114, 'decide, evolve', { anchor: 'start' }),
    text(20, 140, 'projections', { anchor: 'start' }),
    text(20, 176, 'in .eventstore/', { anchor: 'start', color: C.muted }),
    arrow(170, 50, 196, 44, 'fg'),
    arrow(170, 108, 196, 108, 'fg'),
    arrow(170, 166, 196, 172, 'fg'),
    box(198, 20, 156, 48, 'Execute', 'Command\u2026', 'command'),
    box(198, 84, 156, 48, 'Views', 'read models', 'model'),
    box(198, 148, 156, 48, 'Replay', 'its streams', 'event'),
    caption('Loaded in a trusted workspace; reloaded on save.', H - 14),
  ],
);

svg(
  'reaction',
  'CartConfirmed reaches the stock reservation through the event bus; it issues ReserveStock to Inventory, which reserves or refuses; a refusal makes the reaction release what it reserved and notify the customer',
  [
    box(6, 10, 136, 40, 'CartConfirmed', undefined, 'event', { fill: true }),
    arrow(142, 30, 170, 30, 'event'),
    box(172, 8, 182, 46, 'Stock reservation', 'reacts to the event', 'query'),
    arrow(263, 54, 263, 80, 'command'),
    box(172, 82, 182, 40, 'ReserveStock', undefined, 'command', { fill: true }),
    arrow(172, 102, 144, 102, 'command'),
    box(6, 80, 136, 46, 'Inventory', 'one per product', 'fg'),
    arrow(50, 126, 50, 154, 'model'),
    box(6, 156, 136, 40, '\u2713 reserved', undefined, 'model'),
    arrow(110, 126, 196, 156, 'bad'),
    box(172, 146, 182, 60, '\u2715 refused: so', 'release, notify', 'bad'),
    caption('Same correlation; each cause is the step before.', H - 8),
  ],
);

svg(
  'in-flight',
  'Appenders A and B take positions 41 and 42; B commits first; the naive reader reads 42 and never asks for 41 again; the careful reader waits until 41 commits and reads both',
  [
    text(8, 20, 'A takes 41, B takes 42; B commits first', { anchor: 'start', bold: true }),
    chips(8, 30, ['40', '41', '42'], { w: 44, highlight: 2 }),
    text(160, 48, '41 still in flight', { anchor: 'start', color: C.muted }),
    box(6, 74, 170, 62, 'Naive reader', 'last seen: 42', 'bad'),
    box(184, 74, 170, 62, 'Careful reader', 'reads below 41', 'model'),
    arrow(91, 136, 91, 164, 'bad'),
    arrow(269, 136, 269, 164, 'model'),
    box(6, 166, 170, 44, '\u2715 41 is lost', undefined, 'bad'),
    box(184, 166, 170, 44, '\u2713 41, then 42', undefined, 'model'),
    caption('Wait for what is in flight, or append under a lock.', H - 10),
  ],
);

console.log(`Wrote 12 diagrams to ${path.relative(process.cwd(), out)}.`);
