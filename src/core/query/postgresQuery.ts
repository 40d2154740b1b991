import { Connection } from 'pg';
import type { Client, CustomTypesConfig, QueryConfig } from 'pg';
import {
  connectPostgres,
  describeTarget,
  PostgresConnectionError,
  type PostgresTarget,
} from '../formats/postgres/connection';
import { detectDialect, schemaColumns, type Dialect } from '../formats/postgres/dialects';
import {
  DEFAULT_QUERY_LIMIT,
  lineColumnAt,
  QueryError,
  READ_ONLY_MESSAGE,
  type QueryOptions,
  type QueryResult,
  type QuerySource,
  type QueryValue,
} from './querySource';
import { postgresQueryViewsSql } from './queryViews';

/** A statement runs at most this long unless the caller says otherwise. */
export const DEFAULT_POSTGRES_QUERY_TIMEOUT_MS = 30_000;
/** After a cancel request, how long the server has to stop the statement before the connection is dropped. */
const CANCEL_GRACE_MS = 3_000;

/** The statement's text as it will run, and what the scan learned about it. */
export interface ScannedStatement {
  /** The SQL up to its last token, without trailing `;`, blanks and comments (a second statement is kept: the server refuses it). */
  readonly body: string;
  /** True when a `;` is followed by more than blanks and comments. */
  readonly several: boolean;
  /** The first word (upper case) and where it starts, when the statement starts with one. */
  readonly firstWord?: { readonly word: string; readonly offset: number };
}

/**
 * Finds where the statement ends: PostgreSQL's strings ('…', E'…' with backslashes), quoted names,
 * dollar-quoted bodies and comments (`--`, nested `/* … *\/`) are skipped. Hand-written, because
 * only the statement's boundaries are needed (a parser of the whole grammar would be much more):
 * the server is what refuses a second statement; this only words the error and strips the tail.
 */
export function scanStatement(sql: string): ScannedStatement {
  const n = sql.length;
  let end = 0;
  let afterSemicolon = false;
  let several = false;
  let firstWord: ScannedStatement['firstWord'];
  let started = false;
  const content = (to: number) => {
    started = true;
    if (afterSemicolon) several = true;
    end = to;
  };
  let i = 0;
  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (/\s/.test(c)) i++;
    else if (c === '-' && next === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl === -1 ? n : nl + 1;
    } else if (c === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        const pair = sql.slice(i, i + 2);
        depth += pair === '/*' ? 1 : pair === '*/' ? -1 : 0;
        i += pair === '/*' || pair === '*/' ? 2 : 1;
      }
    } else if (c === ';') {
      if (started) afterSemicolon = true;
      i++;
    } else if (c === "'" || c === '"') {
      const escapes = c === "'" && i > 0 && /[eE]/.test(sql[i - 1]!) && !/[A-Za-z0-9_$]/.test(sql[i - 2] ?? ' ');
      i++;
      while (i < n) {
        if (escapes && sql[i] === '\\') i += 2;
        else if (sql[i] === c && sql[i + 1] === c) i += 2;
        else if (sql[i] === c) break;
        else i++;
      }
      i = Math.min(n, i + 1);
      content(i);
    } else if (c === '$' && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? ' ')) {
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64))?.[0];
      if (tag) {
        const close = sql.indexOf(tag, i + tag.length);
        i = close === -1 ? n : close + tag.length;
      } else i++;
      content(i);
    } else if (/[A-Za-z_]/.test(c)) {
      const start = i;
      while (i < n && /[A-Za-z0-9_$]/.test(sql[i]!)) i++;
      if (!started) firstWord = { word: sql.slice(start, i).toUpperCase(), offset: start };
      content(i);
    } else {
      i++;
      content(i);
    }
  }
  return { body: sql.slice(0, end), several, ...(firstWord ? { firstWord } : {}) };
}

/** Statements that change something (or end the transaction): refused as writes, in SQLite's words. */
const WRITING =
  /^(INSERT|UPDATE|DELETE|MERGE|UPSERT|DROP|CREATE|ALTER|TRUNCATE|COPY|GRANT|REVOKE|COMMENT|LOCK|DO|CALL|COMMIT|ROLLBACK|BEGIN|START|END|ABORT|SAVEPOINT|RELEASE|PREPARE|VACUUM|CLUSTER|REINDEX|REFRESH|SECURITY|IMPORT|REASSIGN|SET|RESET|DISCARD|NOTIFY|LISTEN|UNLISTEN|LOAD|CHECKPOINT)$/;

const QUERY_START = /^(SELECT|WITH|VALUES|TABLE)$/;

/** UTF-16 offset of the `index`-th code point of `text` (PostgreSQL counts characters). */
function utf16Offset(text: string, index: number): number {
  let offset = 0;
  for (let k = 0; k < index; k++) offset += (text.codePointAt(offset) ?? 0) > 0xffff ? 2 : 1;
  return offset;
}

const OID = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
  jsonb: 3802,
} as const;

const TWO_53 = 2 ** 53;

/** A number when JavaScript holds it exactly (integers within 2^53); the server's text otherwise (NaN, Infinity). */
function numberOrText(text: string): QueryValue {
  const n = Number(text);
  if (!Number.isFinite(n)) return text;
  return /^-?\d+$/.test(text) ? (Number.isSafeInteger(n) ? n : text) : Math.abs(n) < TWO_53 ? n : text;
}

/** `2026-12-01 10:00:00.5+00` (ISO DateStyle, UTC) as `2026-12-01T10:00:00.500Z`, keeping every digit given. */
function isoTimestamp(text: string, zoned: boolean): string {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d+))?(\+00)?$/.exec(text);
  if (!m) return text; // infinity, years BC: as the server wrote them
  const fraction = (m[3] ?? '').padEnd(3, '0');
  return `${m[1]}T${m[2]}.${fraction}${zoned ? 'Z' : ''}`;
}

/**
 * Values as the grid and the exports show them, the same as on SQLite where both engines have the
 * type: integers and floats as numbers (int8 and numeric beyond 2^53 as text, so no digit is lost),
 * booleans as 1/0 (SQLite's true and false), json/jsonb as JSON text, timestamps as ISO 8601 text
 * (timestamptz in UTC with a `Z`), bytea as `X'HEX'` like SQLite's blobs, every other type as the
 * server's text.
 */
export function postgresValue(oid: number, text: string): QueryValue {
  switch (oid) {
    case OID.int2:
    case OID.int4:
    case OID.oid:
    case OID.int8:
    case OID.float4:
    case OID.float8:
    case OID.numeric:
      return numberOrText(text);
    case OID.bool:
      return text === 't' ? 1 : 0;
    case OID.bytea:
      return `X'${text.startsWith('\\x') ? text.slice(2).toUpperCase() : Buffer.from(text).toString('hex').toUpperCase()}'`;
    case OID.timestamptz:
      return isoTimestamp(text, true);
    case OID.timestamp:
      return isoTimestamp(text, false);
    default:
      return text;
  }
}

const TYPES = {
  getTypeParser: (oid: number) => (text: string) => postgresValue(oid, text),
} as unknown as CustomTypesConfig;

/** What comes between the views and the user's statement. */
const WRAP_OPEN = 'SELECT * FROM (\n';

/**
 * PostgreSQL's cancel request for what `client` runs: a connection of its own that carries the
 * backend's key, as the protocol wants (no login, so it works whatever the authentication).
 * pg's own `Client.cancel` does the same through a property it deprecates.
 */
function sendCancelRequest(client: Client): void {
  const c = client as unknown as { processID: number; secretKey: number; host: string; port: number };
  const con = new Connection() as unknown as {
    connect(port: number | string, host?: string): void;
    cancel(processID: number, secretKey: number): void;
    on(event: string, listener: () => void): void;
  };
  con.on('error', () => undefined);
  con.on('connect', () => con.cancel(c.processID, c.secretKey));
  if (c.host?.startsWith('/')) con.connect(`${c.host}/.s.PGSQL.${c.port}`);
  else con.connect(c.port, c.host);
}

type PgError = Error & { code?: string; position?: string };

/**
 * Runs read-only SQL on a PostgreSQL store's server (see QuerySource): each query on a connection of
 * its own (never the reader's), in a `READ ONLY` transaction with a statement timeout, always rolled
 * back; the views are defined by the store's format (queryViews.ts). Aborting sends PostgreSQL's
 * cancel request, which stops the statement on the server. Parameters are `$1`, `$2`, … as in
 * PostgreSQL.
 */
export class PostgresQuerySource implements QuerySource {
  private dialect: Dialect | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly ending = new Set<Promise<unknown>>();

  constructor(
    readonly target: PostgresTarget & { readonly schema: string },
    private readonly options: { readonly defaultTimeoutMs?: number } = {},
  ) {}

  run(sql: string, options: QueryOptions = {}): Promise<QueryResult> {
    const next = this.chain.then(() => this.runNow(sql, options));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async runNow(sql: string, options: QueryOptions): Promise<QueryResult> {
    if (this.closed) throw new QueryError('unavailable', 'The query source is closed.');
    if (options.signal?.aborted) throw new QueryError('cancelled', 'The query was cancelled.');
    const limit = options.limit ?? DEFAULT_QUERY_LIMIT;
    if (!Number.isSafeInteger(limit) || limit < 0)
      throw new QueryError('sql', `The row limit must be a whole number >= 0; got ${limit}.`);
    const timeoutMs = Math.max(
      1,
      Math.floor(options.timeoutMs ?? this.options.defaultTimeoutMs ?? DEFAULT_POSTGRES_QUERY_TIMEOUT_MS),
    );
    const scanned = scanStatement(sql);
    if (scanned.body.trim() === '') throw new QueryError('sql', 'The query is empty: write one SELECT statement.');

    // A connection per run, closed after it, rather than a pool: whatever a statement leaves on its
    // session (a session advisory lock, a setting) ends with it, and no two runs ever share one.
    let client: Client;
    try {
      client = await connectPostgres({ ...this.target, statementTimeoutMs: timeoutMs });
    } catch (e) {
      throw new QueryError('unavailable', e instanceof Error ? e.message : String(e));
    }
    try {
      // One round trip: a run that stops answering (our process, not the server) leaves no
      // transaction open for long; values come back in the forms postgresValue expects.
      await client.query(
        `SET idle_in_transaction_session_timeout = ${timeoutMs + 30_000}; BEGIN TRANSACTION READ ONLY; ` +
          `SET LOCAL statement_timeout = ${timeoutMs}; SET LOCAL TimeZone = 'UTC'; ` +
          "SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL bytea_output = 'hex'",
      );
      const dialect = (this.dialect ??= await this.detect(client));
      const prefix = `${postgresQueryViewsSql(dialect)}${WRAP_OPEN}`;
      // The newline ends a `--` comment on the statement's last line before the closing parenthesis.
      const text = `${prefix}${scanned.body}\n) AS esi_query LIMIT ${limit + 1}`;
      options.onStart?.();
      const started = performance.now();
      const result = await this.cancellable(client, options.signal, () =>
        client.query<QueryValue[]>({
          text,
          values: [...(options.params ?? [])],
          rowMode: 'array',
          types: TYPES,
          // The extended protocol, always (pg picks the simple one when there are no parameters): it
          // refuses more than one statement, so nothing can close the subquery and run another.
          queryMode: 'extended',
        } as QueryConfig),
      );
      const elapsedMs = performance.now() - started;
      const truncated = result.rows.length > limit;
      return {
        columns: result.fields.map((f) => f.name),
        rows: truncated ? result.rows.slice(0, limit) : result.rows,
        truncated,
        elapsedMs,
      };
    } catch (e) {
      throw this.explain(e, sql, scanned, options.signal, timeoutMs);
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      // The transaction is over: the connection closes while the caller already has its rows.
      const ending = client.end().catch(() => undefined);
      this.ending.add(ending);
      void ending.then(() => this.ending.delete(ending));
    }
  }

  private async detect(client: Client): Promise<Dialect> {
    const dialect = detectDialect(this.target.schema, await schemaColumns(client, this.target.schema));
    if (!dialect)
      throw new QueryError(
        'unavailable',
        `The schema "${this.target.schema}" of ${describeTarget(this.target)} holds no Emmett PostgreSQL, Message DB or Marten store.`,
      );
    return dialect;
  }

  /**
   * Runs `query`; an abort sends PostgreSQL's cancel request for it (on a connection of its own, as
   * the protocol wants), and if the server has not stopped it a few seconds later, the connection
   * is dropped.
   */
  private async cancellable<T>(client: Client, signal: AbortSignal | undefined, query: () => Promise<T>): Promise<T> {
    if (!signal) return query();
    if (signal.aborted) throw new QueryError('cancelled', 'The query was cancelled.');
    let grace: NodeJS.Timeout | undefined;
    const onAbort = () => {
      sendCancelRequest(client);
      grace = setTimeout(() => {
        (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      }, CANCEL_GRACE_MS);
      grace.unref();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await query();
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (grace) clearTimeout(grace);
    }
  }

  private explain(
    e: unknown,
    sql: string,
    scanned: ScannedStatement,
    signal: AbortSignal | undefined,
    timeoutMs: number,
  ): QueryError {
    if (QueryError.is(e)) return e;
    if (signal?.aborted) return new QueryError('cancelled', 'The query was cancelled.');
    if (e instanceof PostgresConnectionError) return new QueryError('unavailable', e.message);
    const error = e as PgError;
    let message = error?.message ?? String(e);
    if (error?.code === '57014') return new QueryError('timeout', `The query was stopped after ${timeoutMs} ms.`);
    if (
      error?.code === '25006' ||
      /data-modifying statement must be at the top level|transaction read-write mode/.test(message)
    )
      return new QueryError('read-only', READ_ONLY_MESSAGE);
    if (!error?.code) return new QueryError('unavailable', `The query could not reach the server: ${message}`);
    // The server's position counts characters of the whole text sent; the wrapper comes first.
    let offset: number | undefined;
    if (error.position && this.dialect) {
      const prefixLength = postgresQueryViewsSql(this.dialect).length + WRAP_OPEN.length;
      const full = `${postgresQueryViewsSql(this.dialect)}${WRAP_OPEN}${scanned.body}`;
      const at = utf16Offset(full, Number(error.position) - 1) - prefixLength;
      if (at >= 0) offset = Math.min(at, scanned.body.length);
      // Past the statement: it is unfinished, and the token named is the wrapper's.
      if (at > scanned.body.length && error.code === '42601') message = 'syntax error at end of input';
    }
    if (error.code === '42601') {
      if (scanned.several)
        return new QueryError('one-statement', 'Run one statement at a time: the query holds more than one.');
      // Only a query stands in the subquery: a statement of another kind is refused by the parser.
      if (scanned.firstWord && WRITING.test(scanned.firstWord.word))
        return new QueryError('read-only', READ_ONLY_MESSAGE);
    }
    if (offset === undefined) return new QueryError('sql', message);
    const { line, column } = lineColumnAt(sql, offset);
    const hint =
      error.code === '42601' && scanned.firstWord && !QUERY_START.test(scanned.firstWord.word)
        ? ' Only a query runs here (SELECT, WITH, VALUES or TABLE).'
        : '';
    return new QueryError('sql', `${message} (line ${line}, column ${column})${hint}`, line, column);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.chain.catch(() => undefined);
    await Promise.all(this.ending);
  }
}
