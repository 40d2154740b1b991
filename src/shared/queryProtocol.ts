// Messages between the extension host and the "Query Results" webview. Both sides validate what
// they receive: cell values come from the store (untrusted text), requests from the webview are
// untrusted input to the host.

import { isRecord } from './json';

export type CellValue = string | number | null;

export interface QueryResultView {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly CellValue[])[];
  readonly truncated: boolean;
  readonly elapsedMs: number;
  readonly limit: number;
  /** The query's first line, for the title of the results. */
  readonly title: string;
}

export type QueryHostToWebview =
  | { readonly type: 'running'; readonly title: string }
  | ({ readonly type: 'result' } & QueryResultView)
  | { readonly type: 'failed'; readonly message: string; readonly cancelled: boolean };

export interface SortOrder {
  readonly column: number;
  readonly descending: boolean;
}

export type ExportFormat = 'csv' | 'ndjson';

export type QueryWebviewToHost =
  | { readonly type: 'ready' }
  | { readonly type: 'cancel' }
  | { readonly type: 'copy'; readonly text: string; readonly what: 'cell' | 'row' }
  | { readonly type: 'export'; readonly format: ExportFormat; readonly sort: SortOrder | null }
  | { readonly type: 'openReplay'; readonly position: number };

/** At most this much text is copied in one message (a cell or a row of JSON). */
export const MAX_COPY_CHARS = 4 * 1024 * 1024;
export const MAX_COLUMNS = 2000;

const hasOnly = (raw: Record<string, unknown>, keys: readonly string[]) =>
  Object.keys(raw).every((k) => keys.includes(k));
const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isCell = (v: unknown): v is CellValue =>
  v === null || typeof v === 'string' || (typeof v === 'number' && !Number.isNaN(v));
const short = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;

function parseSort(raw: unknown): SortOrder | null | undefined {
  if (raw === null) return null;
  if (!isRecord(raw) || !hasOnly(raw, ['column', 'descending'])) return undefined;
  return isIndex(raw.column) && raw.column < MAX_COLUMNS && typeof raw.descending === 'boolean'
    ? { column: raw.column, descending: raw.descending }
    : undefined;
}

export function parseQueryWebviewMessage(raw: unknown): QueryWebviewToHost | undefined {
  if (!isRecord(raw) || typeof raw.type !== 'string') return undefined;
  switch (raw.type) {
    case 'ready':
    case 'cancel':
      return hasOnly(raw, ['type']) ? { type: raw.type } : undefined;
    case 'copy':
      return short(raw.text, MAX_COPY_CHARS) &&
        (raw.what === 'cell' || raw.what === 'row') &&
        hasOnly(raw, ['type', 'text', 'what'])
        ? { type: 'copy', text: raw.text, what: raw.what }
        : undefined;
    case 'export': {
      const sort = parseSort(raw.sort);
      return (raw.format === 'csv' || raw.format === 'ndjson') &&
        sort !== undefined &&
        hasOnly(raw, ['type', 'format', 'sort'])
        ? { type: 'export', format: raw.format, sort }
        : undefined;
    }
    case 'openReplay':
      return isIndex(raw.position) && raw.position >= 1 && hasOnly(raw, ['type', 'position'])
        ? { type: 'openReplay', position: raw.position }
        : undefined;
    default:
      return undefined;
  }
}

export function parseQueryHostMessage(raw: unknown): QueryHostToWebview | undefined {
  if (!isRecord(raw) || typeof raw.type !== 'string') return undefined;
  switch (raw.type) {
    case 'running':
      return short(raw.title, 1000) && hasOnly(raw, ['type', 'title'])
        ? { type: 'running', title: raw.title }
        : undefined;
    case 'failed':
      return short(raw.message, 10_000) &&
        typeof raw.cancelled === 'boolean' &&
        hasOnly(raw, ['type', 'message', 'cancelled'])
        ? { type: 'failed', message: raw.message, cancelled: raw.cancelled }
        : undefined;
    case 'result': {
      const { columns, rows } = raw;
      if (!Array.isArray(columns) || columns.length > MAX_COLUMNS || !columns.every((c) => short(c, 10_000)))
        return undefined;
      if (!Array.isArray(rows)) return undefined;
      for (const r of rows as unknown[])
        if (!Array.isArray(r) || r.length !== columns.length || !r.every(isCell)) return undefined;
      if (
        typeof raw.truncated !== 'boolean' ||
        typeof raw.elapsedMs !== 'number' ||
        !isIndex(raw.limit) ||
        !short(raw.title, 1000) ||
        !hasOnly(raw, ['type', 'columns', 'rows', 'truncated', 'elapsedMs', 'limit', 'title'])
      )
        return undefined;
      return {
        type: 'result',
        columns: columns as string[],
        rows: rows as CellValue[][],
        truncated: raw.truncated,
        elapsedMs: raw.elapsedMs,
        limit: raw.limit,
        title: raw.title,
      };
    }
    default:
      return undefined;
  }
}

/** SQLite's order of types: NULL, then numbers, then text (by code unit, as BINARY collation). */
export function compareCells(a: CellValue, b: CellValue): number {
  const rank = (v: CellValue) => (v === null ? 0 : typeof v === 'number' ? 1 : 2);
  const d = rank(a) - rank(b);
  if (d !== 0) return d;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return 0;
}

/** The row indexes in sorted order (stable: equal cells keep the query's order). */
export function sortedOrder(rows: readonly (readonly CellValue[])[], sort: SortOrder | null): number[] {
  const order = rows.map((_, i) => i);
  if (!sort) return order;
  const sign = sort.descending ? -1 : 1;
  return order.sort(
    (i, j) => sign * compareCells(rows[i]![sort.column] ?? null, rows[j]![sort.column] ?? null) || i - j,
  );
}

/** The column that holds a global position, when the result has one. */
export function positionColumn(columns: readonly string[]): number {
  return columns.findIndex((c) => c.toLowerCase() === 'position');
}
