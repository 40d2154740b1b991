/** A value of a result cell: SQLite's types, a blob as `X'hex'` text (results are shown and exported as text). */
export type QueryValue = string | number | null;
/** A bound parameter (`?` in the SQL, in order). */
export type QueryParam = string | number | null;

export interface QueryOptions {
  /** At most this many rows are returned; `truncated` says when there were more (default DEFAULT_QUERY_LIMIT). */
  readonly limit?: number;
  readonly params?: readonly QueryParam[];
  /** Aborting cancels the query where it runs (a worker is terminated, a server statement cancelled). */
  readonly signal?: AbortSignal;
  /** Called when the statement starts running (the store is loaded and caught up by then). */
  readonly onStart?: () => void;
  /** Cancels the query after this long (default: no limit on SQLite; a PostgreSQL source sets its statement timeout). */
  readonly timeoutMs?: number;
}

export interface QueryResult {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly QueryValue[])[];
  /** True when the query had more rows than the limit. */
  readonly truncated: boolean;
  /** Time spent where the query ran, from the start of the statement to its last row. */
  readonly elapsedMs: number;
}

/**
 * Runs read-only SQL over a store's query views (see queryViews.ts), away from the caller's thread.
 * Every format implements it the same way in spirit: a connection of its own that cannot write
 * (SQLite stores: a private in-memory copy in a worker, with `query_only`; PostgreSQL stores: a
 * `READ ONLY` transaction with a statement timeout on the server). One query runs at a time; a
 * second `run` waits for the first.
 */
export interface QuerySource {
  run(sql: string, options?: QueryOptions): Promise<QueryResult>;
  close(): Promise<void>;
}

export const DEFAULT_QUERY_LIMIT = 10_000;

/** What a refused write says, on every engine. */
export const READ_ONLY_MESSAGE = 'Queries only read: this statement would change the store.';

export type QueryErrorCode = 'sql' | 'read-only' | 'one-statement' | 'cancelled' | 'timeout' | 'unavailable';

/** A query that did not run to the end; `line` and `column` (1-based) point into the SQL when known. */
export class QueryError extends Error {
  constructor(
    readonly code: QueryErrorCode,
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
    this.name = 'QueryError';
  }
  static is(e: unknown): e is QueryError {
    return e instanceof QueryError;
  }
}

/** 1-based line and column of a UTF-16 offset in `text`. */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: lines[lines.length - 1]!.length + 1 };
}
