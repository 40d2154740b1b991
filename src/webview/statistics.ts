// The statistics panel's browser side. Charts are SVG built with DOM calls (no HTML parsing, no
// inline styles: the CSP allows neither), coloured by CSS classes from the theme's variables, so
// they follow light, dark and high-contrast themes; every chart has its numbers in a table beside it.
import {
  parseStatsHostMessage,
  type CountAtView,
  type StatisticsView,
  type StatsWebviewToHost,
} from '../shared/statisticsProtocol';
import { byId, el, vscodeApi } from './dom';

const vscode = vscodeApi<StatsWebviewToHost>();
const SVG = 'http://www.w3.org/2000/svg';
const nf = new Intl.NumberFormat('en-US');

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
  ...children: (Node | string)[]
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  for (const c of children) node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return node;
}

const short = (s: string, max = 28) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** A time as the axis shows it, by the bucket's size. */
function timeLabel(iso: string, bucket: string): string {
  if (bucket === 'month') return iso.slice(0, 7);
  if (bucket === 'day') return iso.slice(0, 10);
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/** Vertical bars over time: the first and last times and the highest count on the axes. */
function columnChart(points: readonly CountAtView[], bucket: string, label: string): SVGSVGElement {
  const width = 600;
  const height = 180;
  const left = 44;
  const bottom = 22;
  const plotW = width - left - 8;
  const plotH = height - bottom - 10;
  const max = Math.max(1, ...points.map((p) => p.count));
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label, class: 'chart' });
  chart.append(
    svg('line', { x1: left, y1: 10 + plotH, x2: left + plotW, y2: 10 + plotH, class: 'axis' }),
    svg('line', { x1: left, y1: 10, x2: left, y2: 10 + plotH, class: 'axis' }),
    svg('text', { x: left - 4, y: 14, class: 'tick', 'text-anchor': 'end' }, nf.format(max)),
    svg('text', { x: left - 4, y: 10 + plotH, class: 'tick', 'text-anchor': 'end' }, '0'),
  );
  const step = plotW / Math.max(1, points.length);
  points.forEach((p, i) => {
    const h = (p.count / max) * plotH;
    const bar = svg('rect', {
      x: left + i * step + (step - Math.max(1, Math.min(40, step * 0.8))) / 2,
      y: 10 + plotH - h,
      width: Math.max(1, Math.min(40, step * 0.8)),
      height: Math.max(p.count > 0 ? 1 : 0, h),
      class: 'bar',
    });
    bar.append(svg('title', {}, `${timeLabel(p.start, bucket)}: ${nf.format(p.count)}`));
    chart.append(bar);
  });
  if (points.length > 0) {
    chart.append(
      svg('text', { x: left, y: height - 6, class: 'tick' }, timeLabel(points[0]!.start, bucket)),
      svg(
        'text',
        { x: left + plotW, y: height - 6, class: 'tick', 'text-anchor': 'end' },
        timeLabel(points[points.length - 1]!.start, bucket),
      ),
    );
  }
  return chart;
}

/** Horizontal bars, one per name, longest first. */
function barChart(items: readonly { name: string; count: number }[], label: string): SVGSVGElement {
  const row = 22;
  const width = 600;
  const labelW = 190;
  const valueW = 70;
  const height = Math.max(row, items.length * row) + 4;
  const max = Math.max(1, ...items.map((i) => i.count));
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label, class: 'chart' });
  items.forEach((item, k) => {
    const y = 2 + k * row;
    const w = ((width - labelW - valueW) * item.count) / max;
    const bar = svg('rect', { x: labelW, y: y + 3, width: Math.max(1, w), height: row - 6, class: 'bar' });
    bar.append(svg('title', {}, `${item.name}: ${nf.format(item.count)}`));
    chart.append(
      svg('text', { x: labelW - 6, y: y + row / 2 + 4, class: 'label', 'text-anchor': 'end' }, short(item.name)),
      bar,
      svg('text', { x: labelW + w + 6, y: y + row / 2 + 4, class: 'value' }, nf.format(item.count)),
    );
  });
  return chart;
}

function table(caption: string, head: readonly string[], rows: readonly (string | Node)[][]): HTMLElement {
  const t = el('table', {}, el('caption', {}, caption));
  t.append(el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { scope: 'col' }, h)))));
  const body = el('tbody');
  for (const r of rows) body.append(el('tr', {}, ...r.map((c) => el('td', {}, c))));
  t.append(body);
  return el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': `${caption} (table)` }, t);
}

function section(id: string, title: string, note: string, chart: Node | null, data: HTMLElement): HTMLElement {
  const s = el('section', { 'aria-labelledby': `${id}-title`, class: 'card' });
  s.append(el('h2', { id: `${id}-title` }, title));
  if (note) s.append(el('p', { class: 'muted' }, note));
  const body = el('div', { class: 'card-body' });
  if (chart) body.append(el('figure', {}, chart));
  body.append(data);
  s.append(body);
  return s;
}

function render(stats: StatisticsView, ms: number): void {
  const content = byId('content');
  const sections: HTMLElement[] = [];
  const summary = el(
    'p',
    { class: 'summary' },
    `${nf.format(stats.events)} events in ${nf.format(stats.streams)} streams`,
    stats.firstRecordedAt ? `, from ${stats.firstRecordedAt.slice(0, 19).replace('T', ' ')}` : '',
    stats.lastRecordedAt ? ` to ${stats.lastRecordedAt.slice(0, 19).replace('T', ' ')} (UTC)` : '',
    `. Computed in ${nf.format(Math.round(ms))} ms.`,
  );
  const { bucket, points } = stats.overTime;
  sections.push(
    section(
      'over-time',
      'Events over time',
      `Per ${bucket}${stats.undated ? `; ${nf.format(stats.undated)} events without a readable time` : ''}.`,
      points.length ? columnChart(points, bucket, `Events per ${bucket}, ${points.length} ${bucket}s`) : null,
      table(
        `Events per ${bucket}`,
        [bucket, 'events'],
        points.filter((p) => p.count > 0).map((p) => [timeLabel(p.start, bucket), nf.format(p.count)]),
      ),
    ),
  );
  const recent = stats.recent.perMinute;
  const recentTotal = recent.reduce((n, m) => n + m.count, 0);
  sections.push(
    section(
      'recent',
      'Appends per minute, last hour',
      `${nf.format(recentTotal)} events in the hour up to ${stats.recent.until.slice(11, 16)} UTC.`,
      columnChart(recent, 'minute', `Appends per minute in the last hour, ${recentTotal} in all`),
      table(
        'Appends per minute (minutes with appends)',
        ['minute', 'events'],
        recent.filter((m) => m.count > 0).map((m) => [timeLabel(m.start, 'minute'), nf.format(m.count)]),
      ),
    ),
  );
  const topTypes = stats.byType.slice(0, 20);
  sections.push(
    section(
      'types',
      'Events per type',
      stats.byType.length > 20 ? `The 20 most frequent of ${stats.byType.length} types in the chart.` : '',
      topTypes.length ? barChart(topTypes, `Events per type, ${stats.byType.length} types`) : null,
      table(
        'Events per type',
        ['type', 'events'],
        stats.byType.map((t) => [t.name, nf.format(t.count)]),
      ),
    ),
  );
  sections.push(
    section(
      'categories',
      'Events per category',
      'The category of a stream is its id before the first "-".',
      stats.byCategory.length
        ? barChart(
            stats.byCategory.slice(0, 20).map((c) => ({ name: c.name, count: c.events })),
            `Events per category, ${stats.byCategory.length} categories`,
          )
        : null,
      table(
        'Events and streams per category',
        ['category', 'events', 'streams'],
        stats.byCategory.map((c) => [c.name, nf.format(c.events), nf.format(c.streams)]),
      ),
    ),
  );
  sections.push(
    section(
      'streams',
      'Longest streams',
      '',
      stats.longestStreams.length ? barChart(stats.longestStreams, 'Longest streams by number of events') : null,
      table(
        'Longest streams',
        ['stream', 'events'],
        stats.longestStreams.map((s) => [s.name, nf.format(s.count)]),
      ),
    ),
  );
  sections.push(
    section(
      'largest',
      'Largest events',
      'Size of the data and metadata as JSON (UTF-8).',
      null,
      table(
        'Largest events',
        ['position', 'stream', 'type', 'bytes', 'replay'],
        stats.largestEvents.map((e) => {
          const open = el('button', { type: 'button', class: 'link', 'aria-label': `Replay event ${e.position}` });
          open.textContent = 'Replay';
          open.addEventListener('click', () => vscode.postMessage({ type: 'openEvent', position: e.position }));
          return [`#${e.position}`, e.streamId, e.type, nf.format(e.bytes), open];
        }),
      ),
    ),
  );
  content.replaceChildren(summary, el('div', { class: 'grid' }, ...sections));
}

const status = byId('status');
window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = parseStatsHostMessage(event.data);
  if (!message) return;
  const root = byId('root');
  if (message.type === 'progress') {
    status.textContent = `Computing… ${Math.floor((100 * message.done) / Math.max(1, message.total))}%`;
  } else if (message.type === 'error') {
    root.setAttribute('aria-busy', 'false');
    status.textContent = message.message;
  } else {
    root.setAttribute('aria-busy', 'false');
    byId('store-label').textContent = message.storeLabel;
    status.textContent = 'Up to date.';
    render(message.stats, message.ms);
  }
});
byId('refresh').addEventListener('click', () => {
  status.textContent = 'Computing…';
  vscode.postMessage({ type: 'refresh' });
});
vscode.postMessage({ type: 'ready' });
