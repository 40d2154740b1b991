import * as fs from 'node:fs';
import type { Database, SqlJsStatic, SqlValue } from 'sql.js';
import { ReadOnlyStoreError } from '../../eventStore/errors';
import { loadSqlJs } from '../../eventStore/sqlJs';
import type {
  EventMetadata,
  ListStreamsOptions,
  PositionFilter,
  PositionRange,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StoreStats,
  StreamInfo,
} from '../../eventStore/types';
import { emmettQueryViewsSql } from '../../query/queryViews';
import { readDatabaseImage, SqliteFileError, type DatabaseImage } from '../sqliteWal';
import {
  commandFromRow,
  type ForeignSql,
  type ForeignStore,
  type ProcessorCheckpoint,
  type RecordedCommand,
  type StoreFormat,
} from '../storeReader';
import { detectEmmettSchema, type EmmettSchema, tableNames } from './schema';
import { fileId, WalFollower } from './walFollower';

export interface OpenEmmettOptions {
  readonly path: string;
  /**
   * Runs SQLite's quick_check on the loaded image (default false: it costs most of an open). A WAL
   * of another database with the same page size shows here, as damage; SQLite itself would not notice.
   */
  readonly check?: boolean;
  readonly wasmPath?: string;
}

/** Emmett's `created` is SQLite's CURRENT_TIMESTAMP ("YYYY-MM-DD HH:MM:SS", UTC): shown as ISO 8601 like our own times. */
export function emmettTimeToIso(created: unknown): string {
  if (typeof created !== 'string') return '';
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?Z?$/.exec(created);
  return m ? `${m[1]}T${m[2]}${m[3] ?? '.000'}Z` : created;
}

/** JSON text from a foreign store: parsed when it parses, else kept as the text it is. */
export function parseForeignJson(text: unknown): { value: unknown; ok: boolean } {
  if (typeof text !== 'string') return { value: text ?? null, ok: false };
  try {
    return { value: JSON.parse(text) as unknown, ok: true };
  } catch {
    return { value: text, ok: false };
  }
}

function metadataOf(text: unknown): EventMetadata {
  const { value } = parseForeignJson(text);
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as EventMetadata) : {};
}

/** Not a format detected from the file: a database with none of Emmett's tables. */
export class NotEmmettError extends Error {
  constructor(readonly tables: readonly string[]) {
    super(
      tables.length === 0
        ? 'it is an empty SQLite database'
        : `it is a SQLite database of another application (tables: ${tables.slice(0, 8).join(', ')})`,
    );
    this.name = 'NotEmmettError';
  }
}

interface Loaded {
  readonly db: Database;
  readonly schema: EmmettSchema;
  image: Omit<DatabaseImage, 'bytes'>;
  fileState: string;
  readonly follower: WalFollower;
}

/** How the last refresh read the change: not at all, by following the new WAL frames, or by a reload (and why). */
export type RefreshInfo =
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'followed'; readonly frames: number; readonly inserted: number; readonly updated: number }
  | { readonly kind: 'reloaded'; readonly reason: string };

/** Size and change time of the main file and its WAL: when neither changed, a refresh has nothing to read. */
function fileState(file: string): string {
  const part = (f: string) => {
    try {
      const s = fs.statSync(f);
      return `${s.size}:${s.mtimeMs}:${s.ino}`;
    } catch {
      return '-';
    }
  };
  return `${part(file)}|${part(`${file}-wal`)}`;
}

/**
 * A store written by `@event-driven-io/emmett-sqlite`, read from a private in-memory copy of the
 * file and its committed WAL frames. The files are only read; SQL runs on the copy, with
 * `query_only` on. `refresh()` applies the rows of new WAL frames to the copy when the change is an
 * append, and reloads otherwise (see WalFollower).
 */
export class EmmettSqliteStore implements ForeignStore {
  readonly readOnly = true;
  readonly readOnlyReason =
    'it is an Emmett SQLite store, opened read-only: the inspector never writes to a store it did not create';
  private loaded: Loaded;
  private cachedStats: StoreStats | undefined;
  private cachedLast: number | undefined;
  private closed = false;
  private refreshed: RefreshInfo = { kind: 'unchanged' };

  private constructor(
    readonly path: string,
    private readonly SQL: SqlJsStatic,
    private readonly check: boolean,
    loaded: Loaded,
  ) {
    this.loaded = loaded;
  }

  static async open(options: OpenEmmettOptions): Promise<EmmettSqliteStore> {
    const SQL = await loadSqlJs(options.wasmPath);
    const check = options.check ?? false;
    return new EmmettSqliteStore(options.path, SQL, check, load(SQL, options.path, check));
  }

  get format(): StoreFormat {
    return this.loaded.schema.format;
  }

  get schema(): EmmettSchema {
    return this.loaded.schema;
  }

  /** What the WAL held when the store was last loaded or followed. */
  get walInfo(): Omit<DatabaseImage, 'bytes'> {
    return this.loaded.image;
  }

  /** How the last refresh read what changed. */
  get lastRefresh(): RefreshInfo {
    return this.refreshed;
  }

  notes(): readonly string[] {
    const wal = this.loaded.image.wal;
    const notes: string[] = [];
    if (wal.committedFrames > 0)
      notes.push(
        `${wal.committedFrames} committed page writes were read from the -wal file (not yet checkpointed into the database file).`,
      );
    if (wal.uncommittedFrames > 0)
      notes.push(
        `A writer has a transaction in progress (${wal.uncommittedFrames} uncommitted page writes in the -wal file); its changes are not shown until it commits.`,
      );
    return notes;
  }

  readonly sql: ForeignSql = {
    rows: (sql, params = []) => this.rows(sql, params),
  };

  private rows(sql: string, params: readonly SqlValue[] = []): SqlValue[][] {
    this.assertOpen();
    const stmt = this.loaded.db.prepare(sql);
    const out: SqlValue[][] = [];
    try {
      stmt.bind(params as SqlValue[]);
      while (stmt.step()) out.push(stmt.get());
    } finally {
      stmt.free();
    }
    return out;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('The store is closed.');
  }

  /** Columns of an event row, in the order `toEvent` reads them. */
  private get eventSelect(): string {
    const c = this.loaded.schema.columns;
    return `global_position, stream_id, stream_position, ${c.id}, ${c.type}, ${c.data}, ${c.metadata}, ${c.created ?? "''"}`;
  }

  /** Only events: commands ('C') live in the same table in 0.42 and later. */
  private get eventsOnly(): string {
    const kind = this.loaded.schema.columns.kind;
    return kind ? `${kind} = 'E'` : '1';
  }

  private toEvent(r: SqlValue[]): RecordedEvent {
    return {
      globalPosition: Number(r[0]),
      streamId: String(r[1]),
      streamVersion: Number(r[2]),
      eventId: String(r[3]),
      type: String(r[4]),
      data: parseForeignJson(r[5]).value,
      metadata: metadataOf(r[6]),
      recordedAt: emmettTimeToIso(r[7]),
    };
  }

  private events(where: string, params: SqlValue[], order: string, limit?: number): RecordedEvent[] {
    const t = this.loaded.schema.messagesTable;
    return this.rows(
      `SELECT ${this.eventSelect} FROM ${t} WHERE ${this.eventsOnly} AND ${where} ORDER BY ${order} LIMIT ?`,
      [...params, limit ?? -1],
    ).map((r) => this.toEvent(r));
  }

  async append(): Promise<never> {
    throw new ReadOnlyStoreError(this.readOnlyReason);
  }

  readStream(streamId: string, options: ReadStreamOptions = {}): RecordedEvent[] {
    return this.events(
      'stream_id = ? AND stream_position > ?',
      [streamId, options.afterVersion ?? 0],
      'stream_position, global_position',
      options.limit,
    );
  }

  readAll(options: ReadAllOptions = {}): RecordedEvent[] {
    return this.events('global_position > ?', [options.after ?? 0], 'global_position', options.limit);
  }

  forEach(
    onEvent: (event: RecordedEvent) => void,
    options: { readonly after?: number; readonly to?: number } = {},
  ): void {
    this.assertOpen();
    const t = this.loaded.schema.messagesTable;
    const stmt = this.loaded.db.prepare(
      `SELECT ${this.eventSelect} FROM ${t} WHERE ${this.eventsOnly} AND global_position > ? AND global_position <= ? ORDER BY global_position`,
    );
    try {
      stmt.bind([options.after ?? 0, options.to ?? Number.MAX_SAFE_INTEGER]);
      while (stmt.step()) onEvent(this.toEvent(stmt.get()));
    } finally {
      stmt.free();
    }
  }

  readEvent(globalPosition: number): RecordedEvent | undefined {
    return this.events('global_position = ?', [globalPosition], 'global_position')[0];
  }

  findPositions(filter: PositionFilter, range: PositionRange = {}): number[] {
    const c = this.loaded.schema.columns;
    const criteria: [string, string | number | undefined][] = [
      ['global_position > ?', range.after],
      ['global_position <= ?', range.to],
      ['stream_id = ?', filter.streamId],
      [`${c.type} = ?`, filter.eventType],
      [
        `json_extract(CASE WHEN json_valid(${c.metadata}) THEN ${c.metadata} END, '$.correlationId') = ?`,
        filter.correlationId,
      ],
      [
        `json_extract(CASE WHEN json_valid(${c.metadata}) THEN ${c.metadata} END, '$.causationId') = ?`,
        filter.causationId,
      ],
      [`instr(lower(${c.data}), ?) > 0`, filter.text?.toLowerCase()],
    ];
    const given = criteria.filter(([, value]) => value !== undefined && value !== '');
    const where = [this.eventsOnly, ...given.map(([sql]) => sql)].join(' AND ');
    return this.rows(
      `SELECT global_position FROM ${this.loaded.schema.messagesTable} WHERE ${where} ORDER BY global_position`,
      given.map(([, v]) => v!),
    ).map((r) => Number(r[0]));
  }

  /** The highest stream position of its events (what a reader of the stream sees), 0 without any. */
  streamVersion(streamId: string): number {
    const r = this.rows(
      `SELECT max(stream_position) FROM ${this.loaded.schema.messagesTable} WHERE stream_id = ? AND ${this.eventsOnly}`,
      [streamId],
    );
    return Number(r[0]?.[0] ?? 0);
  }

  /**
   * Streams in id order, from the messages themselves (Emmett's own stream table may disagree; the
   * integrity check says so). The ids come from a walk of the (stream_id, stream_position, ...)
   * unique index, one seek per stream, and each stream's version and last position from the last
   * entry of its range: a page costs O(page x log n), however many messages its streams hold.
   */
  listStreams(options: ListStreamsOptions = {}): StreamInfo[] {
    const bounds: string[] = [];
    const params: SqlValue[] = [];
    if (options.prefix) {
      bounds.push('stream_id >= ? AND stream_id < ?');
      params.push(options.prefix, `${options.prefix}\u{10FFFF}`);
    }
    const t = this.loaded.schema.messagesTable;
    const within = bounds.length ? ` AND ${bounds.join(' AND ')}` : '';
    const first = options.after !== undefined ? 'stream_id > ?' : 'stream_id >= ?';
    const rows = this.rows(
      `WITH RECURSIVE ids(id) AS (
         SELECT (SELECT min(stream_id) FROM ${t} WHERE ${first}${within})
         UNION ALL
         SELECT (SELECT min(stream_id) FROM ${t} WHERE stream_id > ids.id${within}) FROM ids WHERE ids.id IS NOT NULL
       )
       SELECT id,
         (SELECT stream_position FROM ${t} WHERE stream_id = id ORDER BY stream_position DESC LIMIT 1),
         (SELECT global_position FROM ${t} WHERE stream_id = id ORDER BY stream_position DESC LIMIT 1)
       FROM ids WHERE id IS NOT NULL LIMIT ? OFFSET ?`,
      [options.after ?? '', ...params, ...params, options.limit ?? -1, options.offset ?? 0],
    );
    return rows.map((r) => ({ streamId: String(r[0]), version: Number(r[1]), lastPosition: Number(r[2]) }));
  }

  /** The highest global position of any message (events and commands share the sequence). */
  lastPosition(): number {
    if (this.cachedLast === undefined)
      this.cachedLast = Number(
        this.rows(`SELECT max(global_position) FROM ${this.loaded.schema.messagesTable}`)[0]?.[0] ?? 0,
      );
    return this.cachedLast;
  }

  stats(): StoreStats {
    if (!this.cachedStats) {
      const c = this.loaded.schema.columns;
      const t = this.loaded.schema.messagesTable;
      const eventTypes: Record<string, number> = {};
      let events = 0;
      for (const [type, count] of this.rows(
        `SELECT ${c.type}, count(*) FROM ${t} WHERE ${this.eventsOnly} GROUP BY ${c.type} ORDER BY ${c.type}`,
      )) {
        eventTypes[String(type)] = Number(count);
        events += Number(count);
      }
      const streams = Number(this.rows(`SELECT count(DISTINCT stream_id) FROM ${t}`)[0]?.[0] ?? 0);
      this.cachedStats = { events, streams, lastPosition: this.lastPosition(), eventTypes };
    }
    return this.cachedStats;
  }

  readCommands(options: { readonly after?: number; readonly limit?: number } = {}): RecordedCommand[] {
    const c = this.loaded.schema.columns;
    if (!c.kind) return [];
    return this.rows(
      `SELECT ${this.eventSelect} FROM ${this.loaded.schema.messagesTable} WHERE ${c.kind} = 'C' AND global_position > ? ORDER BY global_position LIMIT ?`,
      [options.after ?? 0, options.limit ?? -1],
    ).map((r) => commandFromRow(this.toEvent(r)));
  }

  checkpoints(): ProcessorCheckpoint[] {
    const cp = this.loaded.schema.checkpoints;
    if (!cp) return [];
    const last = this.lastPosition();
    const t = this.loaded.schema.messagesTable;
    const positions = this.rows(
      `SELECT global_position FROM ${t} WHERE ${this.eventsOnly} ORDER BY global_position DESC LIMIT 1`,
    );
    const lastEvent = Number(positions[0]?.[0] ?? 0);
    return this.rows(
      `SELECT ${cp.id}, partition, version, ${cp.status ?? 'NULL'}, CAST(${cp.position} AS TEXT) FROM ${cp.table} ORDER BY ${cp.id}, partition, version`,
    ).map((r) => {
      const raw = String(r[4] ?? '');
      const position = /^\d+$/.test(raw.trim()) && Number.isSafeInteger(Number(raw)) ? Number(raw) : undefined;
      let lag: number | undefined;
      let state: ProcessorCheckpoint['state'] = 'unknown';
      if (position !== undefined) {
        if (position > last) state = 'beyond the last position';
        else {
          lag = Number(
            this.rows(`SELECT count(*) FROM ${t} WHERE ${this.eventsOnly} AND global_position > ?`, [
              position,
            ])[0]?.[0] ?? 0,
          );
          state = lag === 0 || position >= lastEvent ? 'caught up' : 'behind';
        }
      }
      return {
        processorId: String(r[0]),
        partition: String(r[1]),
        version: Number(r[2]),
        status: r[3] === null ? undefined : String(r[3]),
        position,
        raw,
        lag,
        state,
      };
    });
  }

  /** The private in-memory copy, with the query views (queryViews.ts) and `query_only` on, for a query connection. */
  queryConnection(): Database {
    this.assertOpen();
    return this.loaded.db;
  }

  /**
   * Reads what changed in the main file or its WAL: the new WAL frames' rows applied to the copy when
   * the change is an append (O(new frames)), else a reload. Returns the events that appeared, in global order.
   */
  refresh(): RecordedEvent[] {
    if (this.closed) return [];
    const state = fileState(this.path);
    this.refreshed = { kind: 'unchanged' };
    if (state === this.loaded.fileState) return [];
    const before = this.lastPosition();
    const result = this.loaded.follower.follow(this.loaded.db);
    if (result.kind === 'reload') {
      const next = load(this.SQL, this.path, this.check);
      this.loaded.db.close();
      this.loaded = next;
      this.refreshed = { kind: 'reloaded', reason: result.reason };
    } else {
      this.loaded.fileState = state;
      const wal = this.loaded.follower.contents;
      this.loaded.image = { ...this.loaded.image, wal, walBytes: fileId(`${this.path}-wal`)?.size ?? 0 };
      if (result.kind === 'applied') this.refreshed = { ...result, kind: 'followed' };
      if (result.kind === 'unchanged') return [];
    }
    this.cachedStats = undefined;
    this.cachedLast = undefined;
    return this.readAll({ after: before });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.loaded.db.close();
  }
}

function describeSqlite(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return /malformed|not a database/i.test(message)
    ? `the file is damaged (SQLite says: ${message})`
    : `SQLite says: ${message}`;
}

function load(SQL: SqlJsStatic, file: string, check: boolean): Loaded {
  const state = fileState(file);
  const mainId = fileId(file);
  // Room after the database in sql.js's in-memory file, so the rows a refresh applies fit without
  // its file system copying the whole file to grow it (it grows by 1/8): 1/16 of the size, at most 64 MiB.
  const size = fs.existsSync(file) ? fs.statSync(file).size : 0;
  const image = readDatabaseImage(file, { spareBytes: Math.min(64 * 2 ** 20, Math.ceil(size / 16 / 65536) * 65536) });
  const page1 = image.bytes.slice(0, 100);
  let db: Database;
  try {
    db = new SQL.Database(image.bytes);
  } catch (e) {
    throw new SqliteFileError(file, describeSqlite(e));
  }
  const { bytes: _bytes, ...info } = image;
  try {
    // The schema of a foreign file is untrusted: no functions with side effects from it; and no writes at all.
    db.exec('PRAGMA trusted_schema = OFF;');
    // Rows a refresh applies to the copy need no journal file beside it in sql.js's file system.
    db.exec('PRAGMA journal_mode = MEMORY;');
    if (check) {
      const result = (db.exec('PRAGMA quick_check(3)')[0]?.values ?? []).map((r) => String(r[0]));
      if (result.length !== 1 || result[0] !== 'ok') {
        const walNote =
          info.wal.committedFrames > 0
            ? ' (with the pages of its -wal file applied: the WAL may belong to another database)'
            : '';
        throw new SqliteFileError(
          file,
          `SQLite's integrity check found damage${walNote}: ${result.slice(0, 2).join('; ')}`,
        );
      }
    }
    const schema = detectEmmettSchema(db);
    if (!schema) throw new SqliteFileError(file, new NotEmmettError(tableNames(db)).message);
    db.exec(emmettQueryViewsSql(schema));
    db.exec('PRAGMA query_only = ON;');
    const followed = [
      { name: schema.messagesTable, mode: 'append' as const },
      ...(schema.hasStreamsTable ? [{ name: 'emt_streams', mode: 'upsert' as const }] : []),
      ...(schema.checkpoints ? [{ name: schema.checkpoints.table, mode: 'upsert' as const }] : []),
    ];
    const follower = WalFollower.fromLoad(file, db, page1, info.wal, mainId, followed);
    return { db, schema, image: info, fileState: state, follower };
  } catch (e) {
    db.close();
    if (SqliteFileError.is(e)) throw e;
    throw new SqliteFileError(
      file,
      e instanceof Error && e.name === 'EmmettSchemaError' ? e.message : describeSqlite(e),
    );
  }
}
