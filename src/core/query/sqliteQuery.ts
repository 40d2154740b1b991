import type { Database, SqlValue, Statement, StatementIterator } from 'sql.js';
import {
  lineColumnAt,
  QueryError,
  READ_ONLY_MESSAGE,
  type QueryParam,
  type QueryResult,
  type QueryValue,
} from './querySource';

/**
 * Settings every query starts from, set again before each one: a statement may have changed them
 * (`PRAGMA query_only = 0` is itself read-only), and the next one must not inherit that.
 */
const GUARD_SQL = 'PRAGMA query_only = ON; PRAGMA writable_schema = OFF; PRAGMA trusted_schema = OFF;';

/** Frees the iterator's current statement and its copy of the SQL (sql.js has it; its types omit it). */
function release(it: StatementIterator): void {
  (it as StatementIterator & { return(): unknown }).return();
}

function cell(value: SqlValue): QueryValue {
  if (value instanceof Uint8Array) return `X'${Buffer.from(value).toString('hex').toUpperCase()}'`;
  return value;
}

/** Where in `sql` SQLite's message points: the token it names, the name it did not find, or the end. */
export function errorOffset(sql: string, message: string): number | undefined {
  if (/incomplete input/.test(message)) return sql.trimEnd().length;
  const named =
    /near "((?:[^"]|"")*)": syntax error/.exec(message)?.[1]?.replace(/""/g, '"') ??
    /no such (?:column|table|function|collation sequence|module): ([^\s]+)/.exec(message)?.[1] ??
    /(?:ambiguous column name|unrecognized token): "?([^"\s]+)"?/.exec(message)?.[1];
  if (named) {
    const lower = sql.toLowerCase();
    const name = named.toLowerCase();
    // The last part of a qualified name (`t.col`) is what SQLite names when the table is known.
    for (const candidate of [name, name.split('.').pop()!]) {
      const at = lower.indexOf(candidate);
      if (at !== -1) return at;
    }
  }
  return undefined;
}

function sqlError(sql: string, e: unknown): QueryError {
  const message = e instanceof Error ? e.message : String(e);
  if (/attempt to write a readonly database/i.test(message)) return new QueryError('read-only', READ_ONLY_MESSAGE);
  const offset = errorOffset(sql, message) ?? 0;
  const { line, column } = lineColumnAt(sql, offset);
  return new QueryError('sql', `${message} (line ${line}, column ${column})`, line, column);
}

/** Detaches whatever a statement attached: the connection reads the store and nothing else. */
function detachOthers(db: Database): string[] {
  const attached = (db.exec('PRAGMA database_list')[0]?.values ?? [])
    .map((r) => String(r[1]))
    .filter((name) => name !== 'main' && name !== 'temp');
  for (const name of attached) db.exec(`DETACH DATABASE "${name.replace(/"/g, '""')}"`);
  return attached;
}

/**
 * Runs one statement of `sql` on `db` with `query_only` on, returning at most `limit` rows. The
 * connection must be a private copy of the store: this is the second wall, the copy the first.
 * More than one statement is refused before anything runs.
 */
export function runReadOnly(
  db: Database,
  sql: string,
  options: { readonly limit: number; readonly params?: readonly QueryParam[] },
): QueryResult {
  db.exec(GUARD_SQL);
  const started = performance.now();
  const statements = db.iterateStatements(sql);
  let first: IteratorResult<Statement>;
  try {
    first = statements.next();
  } catch (e) {
    throw sqlError(sql, e);
  }
  if (first.done) throw new QueryError('sql', 'The query is empty: write one SELECT statement.');
  const stmt = first.value;
  if (hasAnotherStatement(db, statements.getRemainingSQL())) {
    release(statements);
    throw new QueryError('one-statement', 'Run one statement at a time: the query holds more than one.');
  }
  const rows: QueryValue[][] = [];
  let truncated = false;
  let columns: string[] = [];
  let failure: QueryError | undefined;
  try {
    if (options.params && options.params.length > 0) stmt.bind(options.params as SqlValue[]);
    while (stmt.step()) {
      if (rows.length >= options.limit) {
        truncated = true;
        break;
      }
      rows.push(stmt.get().map(cell));
    }
    columns = stmt.getColumnNames();
  } catch (e) {
    failure = sqlError(sql, e);
  } finally {
    release(statements);
  }
  const elapsedMs = performance.now() - started;
  const attached = detachOthers(db);
  db.exec(GUARD_SQL);
  if (attached.length > 0)
    throw new QueryError('read-only', 'Queries read the store and nothing else: ATTACH is refused (and was undone).');
  if (failure) throw failure;
  return { columns, rows, truncated, elapsedMs };
}

/** True when `rest` holds a statement (not only blanks and comments). */
function hasAnotherStatement(db: Database, rest: string): boolean {
  if (rest.trim() === '') return false;
  const more = db.iterateStatements(rest);
  try {
    return !more.next().done;
  } catch {
    return true; // a second statement, even a broken one
  } finally {
    release(more);
  }
}
