import type { QueryResult, QueryValue } from './querySource';

export type ResultFormat = 'table' | 'ndjson' | 'csv';
export const RESULT_FORMATS: readonly ResultFormat[] = ['table', 'ndjson', 'csv'];

/** One row as a JSON object keyed by column (a repeated column name keeps its last value, as in SQLite's JSON). */
export function rowObject(columns: readonly string[], row: readonly QueryValue[]): Record<string, QueryValue> {
  const out: Record<string, QueryValue> = {};
  columns.forEach((c, i) => (out[c] = row[i] ?? null));
  return out;
}

export function ndjsonLines(result: Pick<QueryResult, 'columns' | 'rows'>): string[] {
  return result.rows.map((r) => `${JSON.stringify(rowObject(result.columns, r))}\n`);
}

/** RFC 4180: quoted when needed, quotes doubled, CRLF line ends; NULL is an empty field. */
export function csvField(value: QueryValue): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLines(result: Pick<QueryResult, 'columns' | 'rows'>): string[] {
  return [result.columns, ...result.rows].map((r) => `${r.map((v) => csvField(v)).join(',')}\r\n`);
}

/** A cell as people read it: NULL spelled out, control characters made visible so a row stays one line. */
export function cellText(value: QueryValue): string {
  if (value === null) return 'NULL';
  return String(value).replace(/[\r\n\t]/g, (c) => (c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

/** Columns padded to their widest cell (counted in code points), for a terminal. */
export function tableLines(result: Pick<QueryResult, 'columns' | 'rows'>): string[] {
  const cells = [result.columns.map((c) => cellText(c)), ...result.rows.map((r) => r.map(cellText))];
  const width = (s: string) => [...s].length;
  const widths = result.columns.map((_, i) => Math.max(...cells.map((r) => width(r[i] ?? ''))));
  const line = (r: readonly string[]) =>
    `${r
      .map((c, i) => c + ' '.repeat(widths[i]! - width(c)))
      .join('  ')
      .trimEnd()}\n`;
  return [line(cells[0]!), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)];
}

export function formatResult(result: Pick<QueryResult, 'columns' | 'rows'>, format: ResultFormat): string[] {
  switch (format) {
    case 'table':
      return tableLines(result);
    case 'ndjson':
      return ndjsonLines(result);
    case 'csv':
      return csvLines(result);
  }
}
