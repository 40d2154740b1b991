// The "Query Results" panel's browser side: a virtualized table of the rows of one query. Every
// cell is untrusted text from the store: it is only ever put into the page as text nodes.
import {
  parseQueryHostMessage,
  positionColumn,
  sortedOrder,
  type CellValue,
  type QueryResultView,
  type QueryWebviewToHost,
  type SortOrder,
} from '../shared/queryProtocol';
import { byId, el, vscodeApi } from './dom';

const vscode = vscodeApi<QueryWebviewToHost>();
const send = (message: QueryWebviewToHost): void => vscode.postMessage(message);

const ui = {
  title: byId('query-title'),
  cancel: byId<HTMLButtonElement>('cancel'),
  copyCell: byId<HTMLButtonElement>('copy-cell'),
  copyRow: byId<HTMLButtonElement>('copy-row'),
  openReplay: byId<HTMLButtonElement>('open-replay'),
  exportCsv: byId<HTMLButtonElement>('export-csv'),
  exportNdjson: byId<HTMLButtonElement>('export-ndjson'),
  status: byId('status'),
  error: byId('error'),
  scroller: byId('scroller'),
  grid: byId<HTMLTableElement>('grid'),
  cols: byId('cols'),
  head: byId('head'),
  body: byId('body'),
};

const ROW_HEIGHT = 24;
const OVERSCAN = 10;
/** A cell shows this much of its text; the tooltip a little more; copy and export take all of it. */
const SHOWN_CHARS = 300;
const TITLE_CHARS = 2000;

let result: QueryResultView | undefined;
let order: number[] = [];
let sort: SortOrder | null = null;
let selected: { row: number; col: number } | undefined;
let renderedFrom = -1;
let renderedTo = -1;

const shown = (v: CellValue): string => {
  if (v === null) return 'NULL';
  const text = String(v).replace(/[\r\n\t]/g, ' ');
  return text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}…` : text;
};

function rowObject(rowIndex: number): Record<string, CellValue> {
  const out: Record<string, CellValue> = {};
  result!.columns.forEach((c, i) => (out[c] = result!.rows[rowIndex]![i] ?? null));
  return out;
}

function selectedPosition(): number | undefined {
  if (!result || !selected) return undefined;
  const col = positionColumn(result.columns);
  const value = col === -1 ? undefined : result.rows[order[selected.row]!]![col];
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 ? value : undefined;
}

function updateButtons(running: boolean): void {
  const has = result !== undefined && result.rows.length > 0;
  ui.cancel.disabled = !running;
  ui.copyCell.disabled = running || !selected;
  ui.copyRow.disabled = running || !selected;
  ui.openReplay.disabled = running || selectedPosition() === undefined;
  ui.exportCsv.disabled = running || !has;
  ui.exportNdjson.disabled = running || !has;
}

function summary(): string {
  if (!result) return '';
  const n = result.rows.length;
  const rows = `${n} row${n === 1 ? '' : 's'}${result.truncated ? ` (stopped at the limit of ${result.limit}; there are more)` : ''}`;
  const sorted = sort
    ? `, sorted by ${result.columns[sort.column]} ${sort.descending ? 'descending' : 'ascending'}`
    : '';
  return `${rows} in ${result.elapsedMs < 10 ? result.elapsedMs.toFixed(1) : Math.round(result.elapsedMs)} ms${sorted}.`;
}

function renderHeader(): void {
  const r = result!;
  ui.cols.replaceChildren();
  ui.head.replaceChildren();
  const widths = r.columns.map((c, i) => {
    let w = c.length + 2;
    for (let k = 0; k < Math.min(r.rows.length, 200); k++) w = Math.max(w, shown(r.rows[k]![i] ?? null).length);
    return Math.min(Math.max(w, 6), 48);
  });
  const numberWidth = String(r.rows.length).length + 2;
  for (const w of [numberWidth, ...widths]) {
    const col = el('col');
    col.style.width = `calc(${w}ch + 18px)`;
    ui.cols.append(col);
  }
  ui.grid.style.width = `calc(${numberWidth + widths.reduce((a, b) => a + b, 0)}ch + ${18 * (widths.length + 1)}px)`;
  ui.head.append(el('th', { class: 'row-number', scope: 'col' }, '#'));
  r.columns.forEach((name, i) => {
    const th = el('th', { scope: 'col' });
    if (sort?.column === i) th.setAttribute('aria-sort', sort.descending ? 'descending' : 'ascending');
    const arrow = sort?.column === i ? (sort.descending ? ' ▼' : ' ▲') : '';
    const button = el('button', { type: 'button', title: `Sort by ${name}` }, name, arrow);
    button.addEventListener('click', () => sortBy(i));
    th.append(button);
    ui.head.append(th);
  });
  ui.grid.setAttribute('aria-rowcount', String(r.rows.length + 1));
  ui.grid.setAttribute('aria-colcount', String(r.columns.length + 1));
}

function spacer(height: number, columns: number): HTMLTableRowElement {
  const tr = el('tr', { class: 'spacer', 'aria-hidden': 'true' });
  const td = el('td', { colspan: String(columns) });
  td.style.height = `${height}px`;
  tr.append(td);
  return tr;
}

/** Puts only the rows in sight (and a few around them) into the table. */
function renderRows(force = false): void {
  if (!result) return;
  const total = order.length;
  const first = Math.max(0, Math.floor(ui.scroller.scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(total, Math.ceil((ui.scroller.scrollTop + ui.scroller.clientHeight) / ROW_HEIGHT) + OVERSCAN);
  if (!force && first === renderedFrom && last === renderedTo) return;
  renderedFrom = first;
  renderedTo = last;
  const columns = result.columns.length + 1;
  const rows: HTMLTableRowElement[] = [];
  if (first > 0) rows.push(spacer(first * ROW_HEIGHT, columns));
  for (let v = first; v < last; v++) {
    const index = order[v]!;
    const tr = el('tr', { 'aria-rowindex': String(v + 2), 'data-row': String(v) });
    tr.append(el('td', { class: 'row-number' }, String(v + 1)));
    result.rows[index]!.forEach((value, c) => {
      const classes = [value === null ? 'null' : typeof value === 'number' ? 'number' : ''];
      if (selected?.row === v && selected.col === c) classes.push('selected');
      const td = el('td', { class: classes.join(' ').trim(), 'data-col': String(c) }, shown(value));
      if (typeof value === 'string' && value.length > 20) td.setAttribute('title', value.slice(0, TITLE_CHARS));
      tr.append(td);
    });
    rows.push(tr);
  }
  if (last < total) rows.push(spacer((total - last) * ROW_HEIGHT, columns));
  ui.body.replaceChildren(...rows);
}

function select(row: number, col: number): void {
  if (!result || order.length === 0) return;
  selected = {
    row: Math.max(0, Math.min(order.length - 1, row)),
    col: Math.max(0, Math.min(result.columns.length - 1, col)),
  };
  const top = selected.row * ROW_HEIGHT;
  // Keeps the selected row below the sticky header and above the bottom edge.
  if (top < ui.scroller.scrollTop + ROW_HEIGHT) ui.scroller.scrollTop = Math.max(0, top - ROW_HEIGHT);
  else if (top + ROW_HEIGHT > ui.scroller.scrollTop + ui.scroller.clientHeight)
    ui.scroller.scrollTop = top + 2 * ROW_HEIGHT - ui.scroller.clientHeight;
  renderRows(true);
  const position = selectedPosition();
  ui.status.textContent = `Row ${selected.row + 1}, ${result.columns[selected.col]}: ${shown(result.rows[order[selected.row]!]![selected.col] ?? null).slice(0, 80)}${position !== undefined ? ` (Enter opens the replay at position ${position})` : ''}`;
  updateButtons(false);
}

function sortBy(column: number): void {
  if (!result) return;
  sort = { column, descending: sort?.column === column ? !sort.descending : false };
  const selectedIndex = selected ? order[selected.row] : undefined;
  order = sortedOrder(result.rows, sort);
  if (selected && selectedIndex !== undefined) selected = { row: order.indexOf(selectedIndex), col: selected.col };
  renderHeader();
  renderRows(true);
  ui.status.textContent = summary();
}

function show(view: QueryResultView): void {
  result = view;
  sort = null;
  selected = undefined;
  order = sortedOrder(view.rows, null);
  ui.error.hidden = true;
  ui.title.textContent = view.title;
  ui.scroller.hidden = false;
  ui.scroller.scrollTop = 0;
  renderHeader();
  renderRows(true);
  ui.status.textContent = summary();
  updateButtons(false);
}

function copy(what: 'cell' | 'row'): void {
  if (!result || !selected) return;
  const index = order[selected.row]!;
  const value = result.rows[index]![selected.col] ?? null;
  const text = what === 'cell' ? (value === null ? '' : String(value)) : JSON.stringify(rowObject(index));
  send({ type: 'copy', text, what });
}

function openReplay(): void {
  const position = selectedPosition();
  if (position !== undefined) send({ type: 'openReplay', position });
}

ui.scroller.addEventListener('scroll', () => renderRows());
window.addEventListener('resize', () => renderRows());
ui.body.addEventListener('click', (e) => {
  const td = (e.target as HTMLElement).closest('td');
  const tr = td?.closest('tr');
  if (!td || !tr || tr.dataset.row === undefined) return;
  select(Number(tr.dataset.row), td.dataset.col === undefined ? (selected?.col ?? 0) : Number(td.dataset.col));
});
ui.body.addEventListener('dblclick', () => openReplay());
ui.scroller.addEventListener('keydown', (e) => {
  if (!result) return;
  const at = selected ?? { row: -1, col: 0 };
  const page = Math.max(1, Math.floor(ui.scroller.clientHeight / ROW_HEIGHT) - 1);
  const moves: Record<string, () => void> = {
    ArrowDown: () => select(at.row + 1, at.col),
    ArrowUp: () => select(at.row - 1, at.col),
    ArrowRight: () => select(Math.max(0, at.row), at.col + 1),
    ArrowLeft: () => select(Math.max(0, at.row), at.col - 1),
    PageDown: () => select(at.row + page, at.col),
    PageUp: () => select(at.row - page, at.col),
    Home: () => select(0, at.col),
    End: () => select(order.length - 1, at.col),
    Enter: () => openReplay(),
  };
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'c') {
    copy('cell');
    e.preventDefault();
  } else if (moves[e.key]) {
    moves[e.key]!();
    e.preventDefault();
  }
});
ui.cancel.addEventListener('click', () => send({ type: 'cancel' }));
ui.copyCell.addEventListener('click', () => copy('cell'));
ui.copyRow.addEventListener('click', () => copy('row'));
ui.openReplay.addEventListener('click', () => openReplay());
ui.exportCsv.addEventListener('click', () => send({ type: 'export', format: 'csv', sort }));
ui.exportNdjson.addEventListener('click', () => send({ type: 'export', format: 'ndjson', sort }));

window.addEventListener('message', (event: MessageEvent) => {
  const message = parseQueryHostMessage(event.data);
  if (!message) return;
  switch (message.type) {
    case 'running':
      ui.title.textContent = message.title;
      ui.error.hidden = true;
      ui.status.textContent = 'Running the query…';
      updateButtons(true);
      ui.cancel.focus();
      break;
    case 'result':
      show(message);
      break;
    case 'failed':
      ui.error.textContent = message.message;
      ui.error.hidden = message.cancelled;
      ui.status.textContent = message.cancelled ? 'The query was cancelled.' : 'The query failed.';
      updateButtons(false);
      break;
  }
});

send({ type: 'ready' });
