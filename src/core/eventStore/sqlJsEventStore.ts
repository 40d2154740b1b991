import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Database, SqlValue, Statement } from 'sql.js';
import { ConcurrencyError, InvalidEventError, ReadOnlyStoreError, StoreUnreadableError } from './errors';
import { writeFileAtomic } from './atomicFile';
import { APPLICATION_ID, EXPECTED_TABLES, SCHEMA_SQL, SCHEMA_VERSION } from './schema';
import { loadSqlJs } from './sqlJs';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  ListStreamsOptions,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StoreStats,
  StreamInfo,
} from './types';
import { MAX_EVENTS_PER_APPEND, validateNewEvent, validateStreamId } from './validation';

export interface OpenStoreOptions {
  /** The store file; absent for a store that lives in memory only. */
  readonly path?: string;
  readonly readOnly?: boolean;
  /** Why the store is read-only, shown when a write is attempted. */
  readonly readOnlyReason?: string;
  readonly wasmPath?: string;
  /** Clock and id source, injectable so tests are deterministic. */
  readonly now?: () => Date;
  readonly newId?: () => string;
}

const EVENT_COLUMNS = 'global_position, stream_id, stream_version, event_id, type, data, metadata, recorded_at';

function rowToEvent(row: SqlValue[]): RecordedEvent {
  return {
    globalPosition: row[0] as number,
    streamId: row[1] as string,
    streamVersion: row[2] as number,
    eventId: row[3] as string,
    type: row[4] as string,
    data: JSON.parse(row[5] as string) as unknown,
    metadata: JSON.parse(row[6] as string) as RecordedEvent['metadata'],
    recordedAt: row[7] as string,
  };
}

/** Checks a database before anything is trusted or written: integrity, then that it is a store of ours. */
function checkDatabase(db: Database, file: string): void {
  db.exec('PRAGMA trusted_schema = OFF; PRAGMA cell_size_check = ON;');
  const check = db.exec('PRAGMA quick_check')[0]?.values[0]?.[0];
  if (check !== 'ok') throw new StoreUnreadableError(file, `the integrity check failed (${String(check)})`);
  const appId = db.exec('PRAGMA application_id')[0]?.values[0]?.[0];
  const tables = (db.exec("SELECT name FROM sqlite_schema WHERE type = 'table'")[0]?.values ?? []).map((r) => String(r[0]));
  if (appId !== APPLICATION_ID) {
    throw new StoreUnreadableError(
      file,
      tables.length === 0
        ? 'it is an empty SQLite database that was not created as an event store'
        : `it is a SQLite database of another application (tables: ${tables.slice(0, 8).join(', ')})`,
    );
  }
  const missing = EXPECTED_TABLES.filter((t) => !tables.includes(t));
  if (missing.length > 0) throw new StoreUnreadableError(file, `its schema is incomplete (missing: ${missing.join(', ')})`);
  const version = db.exec('PRAGMA user_version')[0]?.values[0]?.[0];
  if (typeof version !== 'number' || version > SCHEMA_VERSION) {
    throw new StoreUnreadableError(file, `its schema version ${String(version)} is newer than this version understands (${SCHEMA_VERSION})`);
  }
}

/**
 * The embedded event store: SQLite (sql.js) in memory, saved to its file atomically
 * (temp file, fsync, rename) before an append is acknowledged.
 */
export class SqlJsEventStore implements EventStore {
  private readonly now: () => Date;
  private readonly newId: () => string;
  private closed = false;
  private writeChain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly db: Database,
    readonly path: string | undefined,
    readonly readOnly: boolean,
    private readonly readOnlyReason: string,
    options: OpenStoreOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.newId = options.newId ?? randomUUID;
  }

  static async open(options: OpenStoreOptions = {}): Promise<SqlJsEventStore> {
    const SQL = await loadSqlJs(options.wasmPath);
    const file = options.path;
    let db: Database;
    if (file && fs.existsSync(file)) {
      const bytes = fs.readFileSync(file);
      if (bytes.length > 0 && bytes.subarray(0, 16).toString('latin1') !== 'SQLite format 3\u0000') {
        throw new StoreUnreadableError(file, 'it is not a SQLite database');
      }
      try {
        db = new SQL.Database(bytes);
        checkDatabase(db, file);
      } catch (e) {
        if (StoreUnreadableError.is(e)) throw e;
        throw new StoreUnreadableError(file, (e as Error).message);
      }
    } else {
      if (file && options.readOnly) throw new StoreUnreadableError(file, 'the file does not exist');
      db = new SQL.Database();
      db.exec(`PRAGMA application_id = ${APPLICATION_ID}; PRAGMA user_version = ${SCHEMA_VERSION}; PRAGMA trusted_schema = OFF;`);
      db.exec(SCHEMA_SQL);
    }
    const store = new SqlJsEventStore(db, file, options.readOnly ?? false, options.readOnlyReason ?? 'it was opened read-only', options);
    if (file && !options.readOnly && !fs.existsSync(file)) store.save();
    return store;
  }

  async append(streamId: string, events: readonly NewEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    const run = this.writeChain.then(() => this.appendNow(streamId, events, options));
    this.writeChain = run.catch(() => undefined);
    return run;
  }

  private appendNow(streamId: string, events: readonly NewEvent[], options: AppendOptions): AppendResult {
    this.assertWritable();
    validateStreamId(streamId);
    if (!Array.isArray(events) || events.length === 0) throw new InvalidEventError('An append needs at least one event.');
    if (events.length > MAX_EVENTS_PER_APPEND) throw new InvalidEventError(`An append holds at most ${MAX_EVENTS_PER_APPEND} events; got ${events.length}.`);
    const serialized = events.map((e, i) => validateNewEvent(e, i));
    const ids = events.map((e) => e.eventId ?? this.newId());
    if (new Set(ids).size !== ids.length) throw new InvalidEventError('The events of one append must have distinct event ids.');

    const existing = this.existingEvents(ids);
    if (existing.length === ids.length && existing.every((e) => e.streamId === streamId)) {
      // A retry of an append that already succeeded: answer as before, write nothing.
      return { events: existing, nextExpectedVersion: this.streamVersion(streamId), lastPosition: existing[existing.length - 1]!.globalPosition, appended: false };
    }
    if (existing.length > 0) {
      throw new InvalidEventError(`Event id ${existing[0]!.eventId} is already stored (in stream "${existing[0]!.streamId}" at position ${existing[0]!.globalPosition}).`);
    }

    const current = this.streamVersion(streamId);
    const expected = options.expectedVersion ?? 'any';
    if ((expected === 'no-stream' && current !== 0) || (typeof expected === 'number' && expected !== current)) {
      throw new ConcurrencyError(streamId, expected, current);
    }
    if (typeof expected === 'number' && (!Number.isInteger(expected) || expected < 0)) {
      throw new InvalidEventError(`The expected version must be a whole number >= 0, "no-stream" or "any"; got ${expected}.`);
    }

    const recordedAt = this.now().toISOString();
    let position = this.lastPosition();
    const recorded: RecordedEvent[] = [];
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const insert = this.db.prepare(`INSERT INTO events (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
      try {
        events.forEach((event, i) => {
          position += 1;
          const version = current + i + 1;
          const { data, metadata } = serialized[i]!;
          insert.run([position, streamId, version, ids[i]!, event.type, data, metadata, recordedAt]);
          recorded.push({
            globalPosition: position,
            streamId,
            streamVersion: version,
            eventId: ids[i]!,
            type: event.type,
            data: JSON.parse(data) as unknown,
            metadata: JSON.parse(metadata) as RecordedEvent['metadata'],
            recordedAt,
          });
        });
      } finally {
        insert.free();
      }
      this.db.run('INSERT INTO streams (stream_id, version, last_position) VALUES (?, ?, ?) ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, last_position = excluded.last_position', [
        streamId,
        current + events.length,
        position,
      ]);
      this.db.exec('COMMIT');
    } catch (e) {
      this.db.exec('ROLLBACK');
      throw e;
    }
    try {
      this.save();
    } catch (e) {
      // Not durable, so not acknowledged: take the events back out of memory too.
      this.db.exec('BEGIN');
      this.db.run('DELETE FROM events WHERE global_position > ?', [position - events.length]);
      if (current === 0) this.db.run('DELETE FROM streams WHERE stream_id = ?', [streamId]);
      else this.db.run('UPDATE streams SET version = ?, last_position = (SELECT max(global_position) FROM events WHERE stream_id = ?) WHERE stream_id = ?', [current, streamId, streamId]);
      this.db.exec('COMMIT');
      throw e;
    }
    return { events: recorded, nextExpectedVersion: current + events.length, lastPosition: position, appended: true };
  }

  private existingEvents(ids: readonly string[]): RecordedEvent[] {
    const found: RecordedEvent[] = [];
    const stmt = this.db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE event_id = ?`);
    try {
      for (const id of ids) {
        stmt.bind([id]);
        if (stmt.step()) found.push(rowToEvent(stmt.get()));
        stmt.reset();
      }
    } finally {
      stmt.free();
    }
    return found;
  }

  readStream(streamId: string, options: ReadStreamOptions = {}): RecordedEvent[] {
    return this.query(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? AND stream_version > ? ORDER BY stream_version LIMIT ?`,
      [streamId, options.afterVersion ?? 0, options.limit ?? -1],
    );
  }

  readAll(options: ReadAllOptions = {}): RecordedEvent[] {
    return this.query(`SELECT ${EVENT_COLUMNS} FROM events WHERE global_position > ? ORDER BY global_position LIMIT ?`, [options.after ?? 0, options.limit ?? -1]);
  }

  forEach(onEvent: (event: RecordedEvent) => void, options: { readonly after?: number; readonly to?: number } = {}): void {
    const stmt = this.db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE global_position > ? AND global_position <= ? ORDER BY global_position`);
    try {
      stmt.bind([options.after ?? 0, options.to ?? Number.MAX_SAFE_INTEGER]);
      while (stmt.step()) onEvent(rowToEvent(stmt.get()));
    } finally {
      stmt.free();
    }
  }

  readEvent(globalPosition: number): RecordedEvent | undefined {
    return this.query(`SELECT ${EVENT_COLUMNS} FROM events WHERE global_position = ?`, [globalPosition])[0];
  }

  streamVersion(streamId: string): number {
    return (this.scalar('SELECT version FROM streams WHERE stream_id = ?', [streamId]) as number | undefined) ?? 0;
  }

  listStreams(options: ListStreamsOptions = {}): StreamInfo[] {
    const rows = this.rows(
      "SELECT stream_id, version, last_position FROM streams WHERE stream_id LIKE ? ESCAPE '\\' ORDER BY stream_id LIMIT ? OFFSET ?",
      [`${(options.prefix ?? '').replace(/[\\%_]/g, (c) => `\\${c}`)}%`, options.limit ?? -1, options.offset ?? 0],
    );
    return rows.map((r) => ({ streamId: r[0] as string, version: r[1] as number, lastPosition: r[2] as number }));
  }

  lastPosition(): number {
    return (this.scalar('SELECT max(global_position) FROM events') as number | null) ?? 0;
  }

  stats(): StoreStats {
    const eventTypes: Record<string, number> = {};
    for (const [type, count] of this.rows('SELECT type, count(*) FROM events GROUP BY type ORDER BY type')) eventTypes[type as string] = count as number;
    return {
      events: (this.scalar('SELECT count(*) FROM events') as number) ?? 0,
      streams: (this.scalar('SELECT count(*) FROM streams') as number) ?? 0,
      lastPosition: this.lastPosition(),
      eventTypes,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.writeChain;
    this.closed = true;
    this.db.close();
  }

  /** Writes the whole database to its file atomically; a crash leaves the old or the new file, never half of one. */
  private save(): void {
    if (!this.path) return;
    fs.mkdirSync(path.dirname(this.path), { recursive: true });
    writeFileAtomic(this.path, this.db.export());
  }

  private assertWritable(): void {
    if (this.closed) throw new ReadOnlyStoreError('it is closed');
    if (this.readOnly) throw new ReadOnlyStoreError(this.readOnlyReason);
  }

  private query(sql: string, params: SqlValue[]): RecordedEvent[] {
    return this.rows(sql, params).map(rowToEvent);
  }

  private rows(sql: string, params: SqlValue[] = []): SqlValue[][] {
    const stmt: Statement = this.db.prepare(sql);
    const out: SqlValue[][] = [];
    try {
      stmt.bind(params);
      while (stmt.step()) out.push(stmt.get());
    } finally {
      stmt.free();
    }
    return out;
  }

  private scalar(sql: string, params: SqlValue[] = []): SqlValue | undefined {
    return this.rows(sql, params)[0]?.[0];
  }
}
