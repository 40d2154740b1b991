import type { Database, SqlJsStatic, SqlValue } from 'sql.js';
import { StoreUnreadableError, UnsoundEventError } from './errors';
import type { JournalEvent } from './journal';
import { APPLICATION_ID, SCHEMA_SQL, SCHEMA_VERSION } from './schema';
import type { RecordedEvent } from './types';
import { MAX_JSON_DEPTH, jsonDeeperThan } from './validation';

export const EVENT_COLUMNS = 'global_position, stream_id, stream_version, event_id, type, data, metadata, recorded_at';
export const INSERT_EVENT_SQL = `INSERT INTO events (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;
export const UPSERT_STREAM_SQL =
  'INSERT INTO streams (stream_id, version, last_position) VALUES (?, ?, ?) ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, last_position = excluded.last_position';

/**
 * Many events at once, from a JSON array of journal events (bound as UTF-8 bytes, read as text):
 * SQLite unpacks the document itself, which costs far less than one statement per event.
 */
export const INSERT_EVENTS_JSON_SQL = `INSERT INTO events (${EVENT_COLUMNS}) SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7 FROM jsonb_each(jsonb(CAST(? AS TEXT)))`;

/** The same, skipping events whose id is already stored: the number of rows changed tells whether any was. */
export const INSERT_EVENTS_JSON_IF_NEW_SQL = `${INSERT_EVENTS_JSON_SQL} WHERE true ON CONFLICT (event_id) DO NOTHING`;

/** The same upsert for many streams at once, from a JSON array of [streamId, version, lastPosition]. */
export const UPSERT_STREAMS_JSON_SQL =
  'INSERT INTO streams (stream_id, version, last_position) SELECT value ->> 0, value ->> 1, value ->> 2 FROM jsonb_each(jsonb(CAST(? AS TEXT))) WHERE true ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, last_position = excluded.last_position';

const SQLITE_MAGIC = 'SQLite format 3\u0000';

/**
 * A row as an event. Rows of a store opened read-only were not checked on open (see soundness.ts):
 * a row that is not an event is named here, where it is read, rather than failing deeper down.
 */
export function rowToEvent(row: SqlValue[]): RecordedEvent {
  const [position, streamId, streamVersion, eventId, type, data, metadata, recordedAt] = row;
  if (typeof position !== 'number') throw new UnsoundEventError(Number(position), 'its position is not a whole number');
  if (
    typeof streamId !== 'string' ||
    typeof eventId !== 'string' ||
    typeof type !== 'string' ||
    !Number.isSafeInteger(streamVersion) ||
    typeof recordedAt !== 'string'
  ) {
    throw new UnsoundEventError(position, 'a column holds a value of the wrong type');
  }
  return {
    globalPosition: position,
    streamId,
    streamVersion: streamVersion as number,
    eventId,
    type,
    data: parseStored(data, position, 'data'),
    metadata: parseStored(metadata, position, 'metadata') as RecordedEvent['metadata'],
    recordedAt,
  };
}

/** Only text longer than this can nest deeper than MAX_JSON_DEPTH: shorter text needs no scan. */
const DEPTH_SCAN_CHARS = 2 * MAX_JSON_DEPTH;

function parseStored(text: SqlValue | undefined, position: number, what: 'data' | 'metadata'): unknown {
  if (typeof text !== 'string') throw new UnsoundEventError(position, `its ${what} is not text`);
  if (text.length > DEPTH_SCAN_CHARS && jsonDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new UnsoundEventError(position, `its ${what} is nested more than ${MAX_JSON_DEPTH} levels deep`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UnsoundEventError(position, `its ${what} is not valid JSON`);
  }
  if (what === 'metadata' && (value === null || typeof value !== 'object' || Array.isArray(value))) {
    throw new UnsoundEventError(position, 'its metadata is not a JSON object');
  }
  return value;
}

export function journalEventToRecorded(e: JournalEvent): RecordedEvent {
  return {
    globalPosition: e[0],
    streamId: e[1],
    streamVersion: e[2],
    eventId: e[3],
    type: e[4],
    data: JSON.parse(e[5]) as unknown,
    metadata: JSON.parse(e[6]) as RecordedEvent['metadata'],
    recordedAt: e[7],
  };
}

/**
 * Per-connection settings. The database lives in memory and only we write the file (by snapshot),
 * so SQLite's own rollback journal only has to support ROLLBACK (kept in memory), and no other
 * connection shares it (exclusive locking). Pages not in SQLite's cache are copied in from the
 * in-memory file, so a 16 MiB cache saves much of that copying when inserts touch many streams.
 * The schema of a file from a workspace is untrusted: no functions with side effects from it.
 */
export function configureConnection(db: Database): void {
  // The cache size goes first: set after the journal mode, it did not take effect for the integrity check (twice as slow).
  db.exec(
    'PRAGMA cache_size = -16384; PRAGMA trusted_schema = OFF; PRAGMA cell_size_check = ON; PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE;',
  );
}

export function createEmptyDatabase(SQL: SqlJsStatic): Database {
  const db = new SQL.Database();
  configureConnection(db);
  db.exec(`PRAGMA application_id = ${APPLICATION_ID}; PRAGMA user_version = ${SCHEMA_VERSION};`);
  db.exec(SCHEMA_SQL);
  return db;
}

const expectedSchemaCache = new WeakMap<SqlJsStatic, string[]>();

/** The schema objects of a store of ours, as SQLite records them (whitespace-normalised). */
export function expectedSchema(SQL: SqlJsStatic): string[] {
  let expected = expectedSchemaCache.get(SQL);
  if (!expected) {
    const db = createEmptyDatabase(SQL);
    try {
      expected = schemaObjects(db);
    } finally {
      db.close();
    }
    expectedSchemaCache.set(SQL, expected);
  }
  return expected;
}

function schemaObjects(db: Database): string[] {
  // Root pages too: a file with our schema text but two index roots swapped would answer lookups from the wrong tree.
  const rows =
    db.exec('SELECT type, name, tbl_name, rootpage, sql FROM sqlite_schema ORDER BY type, name LIMIT 100')[0]?.values ??
    [];
  return rows.map(
    (r) =>
      `${String(r[0])} ${String(r[1])} on ${String(r[2])} (root page ${String(r[3])}): ${r[4] === null ? '' : String(r[4]).replace(/\s+/g, ' ').trim()}`,
  );
}

function pragmaValue(db: Database, pragma: string): SqlValue | undefined {
  return db.exec(`PRAGMA ${pragma}`)[0]?.values[0]?.[0];
}

/** Checks the SQLite header before SQLite sees the bytes: not SQLite, truncated. */
function checkHeader(bytes: Uint8Array, file: string): void {
  if (bytes.length === 0) throw new StoreUnreadableError(file, 'it is empty (0 bytes)');
  if (bytes.length < 100 || Buffer.from(bytes.buffer, bytes.byteOffset, 16).toString('latin1') !== SQLITE_MAGIC) {
    throw new StoreUnreadableError(file, 'it is not a SQLite database');
  }
  const rawPageSize = (bytes[16]! << 8) | bytes[17]!;
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0)
    throw new StoreUnreadableError(file, 'its SQLite header is damaged (page size)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pageCount = view.getUint32(28);
  const headerSizeValid = pageCount > 0 && view.getUint32(92) === view.getUint32(24);
  if (bytes.length % pageSize !== 0 || (headerSizeValid && bytes.length < pageCount * pageSize)) {
    const expected = headerSizeValid ? ` of ${pageCount * pageSize}` : '';
    throw new StoreUnreadableError(file, `it is truncated (${bytes.length}${expected} bytes)`);
  }
}

/**
 * Opens snapshot bytes as a database and checks them before anything is trusted or written:
 * header, integrity (quick_check, or the full integrity_check), that it is a store of ours,
 * that its schema is exactly ours (no triggers, views or extra objects) and not newer.
 * `skipScan` leaves out the integrity scan, for bytes already shown to be exactly a snapshot
 * this store wrote (their checksum matches): every other check still runs.
 */
export function openSnapshot(
  SQL: SqlJsStatic,
  bytes: Uint8Array,
  file: string,
  options: { fullCheck?: boolean; skipScan?: boolean } = {},
): Database {
  checkHeader(bytes, file);
  // A file last written by SQLite in WAL mode: its WAL is not ours to read; open it as a rollback-journal file.
  if (bytes[18] === 2 || bytes[19] === 2) {
    bytes[18] = 1;
    bytes[19] = 1;
  }
  let db: Database;
  try {
    db = new SQL.Database(bytes);
  } catch (e) {
    throw new StoreUnreadableError(file, describeSqliteError(e));
  }
  try {
    configureConnection(db);
    checkDatabase(SQL, db, file, options.fullCheck ? 'full' : options.skipScan ? 'none' : 'quick');
    return db;
  } catch (e) {
    db.close();
    if (StoreUnreadableError.is(e)) throw e;
    throw new StoreUnreadableError(file, describeSqliteError(e));
  }
}

/** SQLite's own words, made to fit the sentence "cannot be opened: ...". */
function describeSqliteError(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  if (/malformed|not a database/i.test(message)) return `the file is damaged (SQLite says: ${message})`;
  return `SQLite says: ${message}`;
}

/**
 * The order matters: everything SQLite can tell without evaluating what the file defines comes
 * first (header fields, the list of schema objects with their root pages). Only a file whose schema
 * is exactly ours gets the integrity scan, which would otherwise evaluate the file's own CHECK
 * constraints and expression indexes (a file can make that cost minutes).
 */
function checkDatabase(SQL: SqlJsStatic, db: Database, file: string, scan: 'full' | 'quick' | 'none'): void {
  const appId = pragmaValue(db, 'application_id');
  if (appId !== APPLICATION_ID) {
    const tables = (
      db.exec("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name LIMIT 9")[0]?.values ?? []
    ).map((r) => String(r[0]));
    throw new StoreUnreadableError(
      file,
      tables.length === 0
        ? 'it is an empty SQLite database that was not created as an event store'
        : `it is a SQLite database of another application (tables: ${tables.slice(0, 8).join(', ')})`,
    );
  }
  const version = pragmaValue(db, 'user_version');
  if (typeof version !== 'number' || version > SCHEMA_VERSION) {
    throw new StoreUnreadableError(
      file,
      `its schema version ${String(version)} is newer than this version understands (${SCHEMA_VERSION})`,
    );
  }
  const objects = schemaObjects(db);
  const expected = expectedSchema(SQL);
  const unexpected = objects.filter((o) => !expected.includes(o));
  const missing = expected.filter((o) => !objects.includes(o));
  if (unexpected.length > 0 || missing.length > 0) {
    const detail = [
      unexpected.length > 0
        ? `unexpected: ${unexpected
            .map((o) => o.split(' (root page')[0])
            .slice(0, 5)
            .join(', ')}`
        : '',
      missing.length > 0
        ? `missing or different: ${missing
            .map((o) => o.split(' (root page')[0])
            .slice(0, 5)
            .join(', ')}`
        : '',
    ]
      .filter(Boolean)
      .join('; ');
    throw new StoreUnreadableError(file, `its schema is not the event store schema (${detail})`);
  }
  const checks =
    scan === 'none'
      ? ['ok']
      : (db.exec(scan === 'full' ? 'PRAGMA integrity_check(10)' : 'PRAGMA quick_check(10)')[0]?.values ?? []).flatMap(
          (r) => String(r[0]).split('\n'),
        );
  if (checks.length !== 1 || checks[0] !== 'ok') {
    const problems = checks.filter((line) => !line.startsWith('***'));
    const more =
      problems.length > 2 ? (problems.length >= 10 ? ', and more' : `, and ${problems.length - 2} more`) : '';
    throw new StoreUnreadableError(
      file,
      `the integrity check found damage (${problems.slice(0, 2).join('; ')}${more})`,
    );
  }
}

export function lastPositionOf(db: Database): number {
  return (db.exec('SELECT max(global_position) FROM events')[0]?.values[0]?.[0] as number | null) ?? 0;
}
