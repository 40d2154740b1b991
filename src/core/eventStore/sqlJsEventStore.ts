import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Database, SqlJsStatic, SqlValue, Statement } from 'sql.js';
import { fsyncDirectoryAsync, tempNameFor, writeFileAtomic, writeFileDurable } from './atomicFile';
import {
  EVENT_COLUMNS,
  INSERT_EVENT_SQL,
  UPSERT_STREAM_SQL,
  UPSERT_STREAMS_JSON_SQL,
  INSERT_EVENTS_JSON_SQL,
  INSERT_EVENTS_JSON_IF_NEW_SQL,
  createEmptyDatabase,
  journalEventToRecorded,
  lastPositionOf,
  rowToEvent,
} from './database';
import {
  ConcurrencyError,
  InvalidEventError,
  ReadOnlyStoreError,
  StoreLockedError,
  StoreUnreadableError,
} from './errors';
import { newUuidV7 } from './ids';
import {
  JOURNAL_HEADER_BYTES,
  encodeHeader,
  encodePayload,
  encodeRecord,
  journaledFields,
  newGeneration,
  readExactly,
  writeFully,
  type JournalEvent,
  type JournalRecord,
} from './journal';
import {
  openJournal,
  peekJournalHeader,
  readJournalHeader,
  readJournalRecords,
  readingJournal,
  replaceJournal,
} from './journalFile';
import { DEFAULT_LOCK_TIMEOUT_MS, FileLock } from './lock';
import { openRegularFile } from './regularFile';
import {
  identityOf,
  loadSnapshot,
  loadSnapshotAsync,
  sameIdentity,
  type FileIdentity,
  type LoadedSnapshot,
} from './snapshotFile';
import { sealOf } from './snapshotSeal';
import { startBackgroundCheck, type BackgroundCheck } from './backgroundCheck';
import { nativeQueryViewsSql } from '../query/queryViews';
import { loadSqlJs } from './sqlJs';
import { removeAbandonedTempFiles, storeFiles, type StoreFiles } from './storeFiles';
import { foldOffThread, foldWorkerScript, type FoldAnswer, type FoldRequest } from './foldOffThread';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  ImportEvent,
  ImportedEvent,
  ListStreamsOptions,
  NewEvent,
  OpenProgress,
  PositionFilter,
  PositionRange,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StoreStats,
  StreamInfo,
} from './types';
import {
  MAX_APPEND_BYTES,
  MAX_EVENTS_PER_APPEND,
  validateNewEvent,
  validateSerializedEvent,
  validateStreamId,
} from './validation';

/** When the journal is folded into a new snapshot. */
export interface CompactionOptions {
  /** Fold once the journal holds at least this many bytes ... (default 2 MiB) */
  readonly minJournalBytes?: number;
  /** ... and at least this fraction of the snapshot's size (default 1/32), so replay on open stays short. */
  readonly journalFraction?: number;
  /** On close: fold whatever the journal holds ('always'), never, or when it is cheap or due ('auto', the default). */
  readonly onClose?: 'auto' | 'always' | 'never';
  /**
   * Build the new snapshot on a worker thread from the files on disk (the default), so that the
   * event loop never waits for it; false: export the database on the calling thread (less memory,
   * one copy of the database instead of two while it runs, for processes without a loop to keep free).
   */
  readonly offThread?: boolean;
}

export interface OpenStoreOptions {
  /** The store file (the SQLite snapshot); absent for a store that lives in memory only. */
  readonly path?: string;
  readonly readOnly?: boolean;
  /** Why the store is read-only, shown when a write is attempted. */
  readonly readOnlyReason?: string;
  readonly wasmPath?: string;
  /** Clock and id source, injectable so tests are deterministic. */
  readonly now?: () => Date;
  readonly newId?: () => string;
  /** How long a write waits for another process holding the store's lock (default 10 s). */
  readonly lockTimeoutMs?: number;
  readonly compaction?: CompactionOptions;
  /** Progress while opening: bytes read, the integrity check, the journal replayed. */
  readonly onProgress?: (progress: OpenProgress) => void;
  /** Problems that lose nothing but deserve a log line, e.g. a background compaction that failed. */
  readonly onWarning?: (message: string, error?: Error) => void;
  /**
   * A writable open of an unsealed snapshot checks its header and schema at once and the rest
   * (SQLite's quick check, every row's soundness) on a worker thread: the store can be read at
   * once, and writes wait for the check (refused if it finds the store unsound). The file is also
   * read off the event loop. For hosts whose event loop must stay free (the extension); the CLI
   * checks before it goes on.
   */
  readonly deferChecks?: boolean;
}

/** What the open checked, for the log, tests and benchmarks. */
export interface OpenReport {
  /**
   * How the snapshot was checked: its seal matched, so only header and schema ('seal'); every check,
   * rows included ('full'); header, schema and integrity scan, rows checked where they are read
   * ('structure': opens that only read); nothing to check ('none': a new or in-memory store);
   * header and schema, with the rest still running on a worker thread ('deferred').
   */
  readonly checked: 'seal' | 'full' | 'structure' | 'none' | 'deferred';
  /** True when this open sealed the snapshot it had checked in full, so that the next open skips the scans. */
  readonly sealedNow: boolean;
}

const DEFAULT_MIN_JOURNAL_BYTES = 2 * 1024 * 1024;
const DEFAULT_JOURNAL_FRACTION = 1 / 32;
/** Below this size a snapshot is cheap enough (tens of ms) to write on every close. */
const CHEAP_SNAPSHOT_BYTES = 32 * 1024 * 1024;
const LOCK_WAIT_ON_CLOSE_MS = 1000;
/** Up to this many events are inserted row by row; more go in as one JSON document. */
const SMALL_BATCH = 8;
/** Streams remembered in memory (about 100 bytes each) before their rows are flushed and forgotten. */
const STREAM_CACHE_LIMIT = 100_000;

/** The result of work done inside a write transaction: what to journal, and what to answer. */
interface WriteOutcome<T> {
  readonly journal: JournalEvent[];
  /** The journal events as JSON (UTF-8), when already encoded for the insert. */
  readonly payload?: Buffer;
  readonly result: T;
}

/**
 * The embedded event store: SQLite (sql.js) in memory over two files.
 *
 * - The snapshot (the store path) is a SQLite file, only ever replaced atomically (temp file, fsync,
 *   rename, fsync of the folder).
 * - The journal (`<path>.appendlog`) receives each append as one checksummed record, fsynced before
 *   the append is acknowledged, so the cost of an append does not depend on the size of the store.
 *   On open it is replayed over the snapshot; a torn last record was never acknowledged and is dropped.
 * - Compaction folds the journal into a new snapshot in the background once it has grown enough,
 *   and on close.
 * - Writers in several processes are serialized by a lock file (`<path>.lock`); under the lock each
 *   first catches up with what the others appended, so positions stay unique and gapless.
 */
export class SqlJsEventStore implements EventStore {
  private readonly now: () => Date;
  private readonly newId: () => string;
  private readonly files: StoreFiles | undefined;
  private readonly lock: FileLock | undefined;
  private readonly compaction: Required<CompactionOptions>;
  private readonly onWarning: ((message: string, error?: Error) => void) | undefined;
  private readonly wasmPath: string | undefined;
  private closed = false;
  private writeChain: Promise<unknown> = Promise.resolve();
  private compacting: Promise<boolean> | undefined;
  /** Set when the journal may hold bytes this process could not take back: writing stops until reopened. */
  private broken: Error | undefined;
  /** Why the store is not sound (see soundness.ts), when a check found it: it is then only read, never written. */
  private unsoundFinding: string | undefined;

  private report: OpenReport = { checked: 'none', sealedNow: false };
  /** The full check running on a worker thread (deferChecks), and what writes wait for. */
  private pendingCheck: BackgroundCheck | undefined;
  private checkDone: Promise<void> = Promise.resolve();

  /** Journal state: which journal (generation) this process has applied, and up to which byte. */
  private journalGeneration: string | undefined;
  private journalOffset = 0;
  private snapshotBytes = 0;
  private lastPos: number;
  private typeCounts: Map<string, number> | undefined;
  private streamCount: number | undefined;
  /**
   * Streams written recently: their version and last position, authoritative over the streams table.
   * Rows of `dirtyStreams` are written to the table in bulk (before it is read or exported) rather
   * than once per append: a large import touches each stream's row once instead of once per batch.
   */
  private readonly streamCache = new Map<string, { version: number; lastPosition: number }>();
  private readonly dirtyStreams = new Set<string>();

  private constructor(
    private readonly SQL: SqlJsStatic,
    private db: Database,
    readonly path: string | undefined,
    readonly readOnly: boolean,
    private readonly readOnlyReason: string,
    options: OpenStoreOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.newId = options.newId ?? newUuidV7;
    this.files = path ? storeFiles(path) : undefined;
    this.lock = this.files
      ? new FileLock(this.files.lock, this.files.snapshot, {
          timeoutMs: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
        })
      : undefined;
    this.compaction = {
      minJournalBytes: options.compaction?.minJournalBytes ?? DEFAULT_MIN_JOURNAL_BYTES,
      journalFraction: options.compaction?.journalFraction ?? DEFAULT_JOURNAL_FRACTION,
      onClose: options.compaction?.onClose ?? 'auto',
      offThread: options.compaction?.offThread ?? true,
    };
    this.onWarning = options.onWarning;
    this.wasmPath = options.wasmPath;
    this.lastPos = lastPositionOf(db);
  }

  static async open(options: OpenStoreOptions = {}): Promise<SqlJsEventStore> {
    const SQL = await loadSqlJs(options.wasmPath);
    const readOnly = options.readOnly ?? false;
    const readOnlyReason = options.readOnlyReason ?? 'it was opened read-only';
    if (!options.path)
      return new SqlJsEventStore(SQL, createEmptyDatabase(SQL), undefined, readOnly, readOnlyReason, options);

    const file = path.resolve(options.path);
    const files = storeFiles(file);
    let db: Database;
    let snapshotBytes = 0;
    let created = false;
    let unsound: string | undefined;
    let loaded: LoadedSnapshot | undefined;
    if (fs.existsSync(files.snapshot)) {
      // A host that keeps its event loop free (deferChecks) also reads the file off it.
      loaded = await (options.deferChecks ? loadSnapshotAsync : loadSnapshot)(SQL, files.snapshot, files.journal, {
        check: readOnly ? 'structure' : options.deferChecks ? 'deferred' : 'rows',
        onProgress: options.onProgress,
      });
      if (options.deferChecks) await new Promise<void>((resolve) => setImmediate(resolve));
      db = loaded.db;
      snapshotBytes = loaded.bytes;
      unsound = loaded.unsound;
    } else {
      const journal = peekJournalHeader(files.journal);
      if (journal && journal.base > 0) {
        throw new StoreUnreadableError(
          files.snapshot,
          `the file is missing, but its journal ${path.basename(files.journal)} continues a snapshot that ended at position ${journal.base}${fs.existsSync(files.backup) ? `; the previous snapshot is in ${path.basename(files.backup)}` : ''}`,
        );
      }
      if (readOnly) throw new StoreUnreadableError(files.snapshot, 'the file does not exist');
      db = createEmptyDatabase(SQL);
      created = true;
    }

    const store = new SqlJsEventStore(
      SQL,
      db,
      file,
      readOnly || unsound !== undefined,
      unsound !== undefined && !readOnly
        ? `the store is not sound (${unsound}); run "event-store verify" for every finding`
        : readOnlyReason,
      options,
    );
    store.snapshotBytes = snapshotBytes;
    store.unsoundFinding = unsound;
    if (!store.readOnly) removeAbandonedTempFiles(files);
    try {
      store.catchUp('open', options.onProgress);
      if (created) await store.createFiles();
      if (loaded?.checked === 'deferred') store.checkInBackground(loaded, options.wasmPath);
      else if (loaded) {
        const { checked, seal, bytes, identity } = loaded;
        const sealedNow =
          checked === 'full' &&
          seal !== undefined &&
          !store.readOnly &&
          (await store.sealChecked(seal, bytes, identity));
        store.report = { checked, sealedNow };
      }
    } catch (e) {
      store.db.close();
      throw e;
    }
    return store;
  }

  /** What the open checked, and whether it sealed the snapshot. */
  get openReport(): OpenReport {
    return this.report;
  }

  /** Resolves once the checks of the open are complete (at once, unless they run in the background). */
  get checked(): Promise<OpenReport> {
    return this.checkDone.then(() => this.report);
  }

  /**
   * Runs the full check of an unsealed snapshot on a worker thread. Writes wait for it; a sound
   * snapshot is then sealed (as a writable open does after checking), an unsound one leaves the
   * store read-only with the finding, as if the open had found it.
   */
  private checkInBackground(loaded: LoadedSnapshot, wasmPath: string | undefined): void {
    const check = startBackgroundCheck(loaded.unchecked!, this.files!.snapshot, wasmPath);
    this.pendingCheck = check;
    this.report = { checked: 'deferred', sealedNow: false };
    this.checkDone = check.answer.then(async (answer) => {
      this.pendingCheck = undefined;
      if (answer === 'cancelled') {
        // Closing: an unchecked snapshot is neither compacted nor sealed on the way out.
        this.unsoundFinding = 'its check did not finish before the store was closed';
        return;
      }
      if (answer.sound) {
        const { seal, bytes, identity } = loaded;
        const sealedNow =
          seal !== undefined && !this.readOnly && !this.closed && (await this.sealChecked(seal, bytes, identity));
        this.report = { checked: 'full', sealedNow };
        return;
      }
      this.unsoundFinding = answer.damaged ? `the integrity check found damage (${answer.finding})` : answer.finding;
      this.report = { checked: 'full', sealedNow: false };
      this.onWarning?.(
        `The event store ${this.path ?? ''} is not sound (${this.unsoundFinding}): it is read, never written.`,
      );
    });
  }

  /** Why the store is not sound, when the checks on open (or on a reload) found it so; it is then read-only. */
  get unsound(): string | undefined {
    return this.unsoundFinding;
  }

  // ---------------------------------------------------------------- writes

  async append(streamId: string, events: readonly NewEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    return this.serialize(() => this.appendNow(streamId, events, options));
  }

  /**
   * Appends many events, each at the end of its own stream, in one transaction and one fsync
   * (group commit). All or nothing: an invalid event fails the whole call and nothing is written.
   * An event whose id is already stored in the same stream is skipped (idempotent re-import).
   */
  async importEvents(events: readonly ImportEvent[]): Promise<ImportedEvent[]> {
    return this.serialize(() => this.importNow(events));
  }

  private serialize<T>(work: () => Promise<T>): Promise<T> {
    // Writes wait for a check still running in the background (deferChecks); it may refuse them.
    const run = this.writeChain.then(() => this.checkDone).then(work);
    this.writeChain = run.catch(() => undefined);
    return run;
  }

  private async appendNow(
    streamId: string,
    events: readonly NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    this.assertWritable();
    validateStreamId(streamId);
    if (!Array.isArray(events) || events.length === 0)
      throw new InvalidEventError('An append needs at least one event.');
    if (events.length > MAX_EVENTS_PER_APPEND)
      throw new InvalidEventError(`An append holds at most ${MAX_EVENTS_PER_APPEND} events; got ${events.length}.`);
    const expected = options.expectedVersion ?? 'any';
    if (
      expected !== 'any' &&
      expected !== 'no-stream' &&
      (typeof expected !== 'number' || !Number.isSafeInteger(expected) || expected < 0)
    ) {
      throw new InvalidEventError(
        `The expected version must be a whole number >= 0, "no-stream" or "any"; got ${String(expected)}.`,
      );
    }
    const serialized = events.map((e, i) => validateNewEvent(e, i));
    checkAppendSize(serialized);
    const ids = events.map((e) => e.eventId ?? this.newId());
    if (new Set(ids).size !== ids.length)
      throw new InvalidEventError('The events of one append must have distinct event ids.');

    return this.write<AppendResult>('append', () => {
      const existing = this.existingEvents(ids);
      if (existing.length === ids.length && existing.every((e) => e.streamId === streamId)) {
        // A retry of an append that already succeeded: answer as before, write nothing.
        return {
          journal: [],
          result: {
            events: existing,
            nextExpectedVersion: this.streamVersion(streamId),
            lastPosition: existing[existing.length - 1]!.globalPosition,
            appended: false,
          },
        };
      }
      if (existing.length > 0) {
        throw new InvalidEventError(
          `Event id ${existing[0]!.eventId} is already stored (in stream "${existing[0]!.streamId}" at position ${existing[0]!.globalPosition}).`,
        );
      }
      const current = this.streamVersion(streamId);
      if ((expected === 'no-stream' && current !== 0) || (typeof expected === 'number' && expected !== current)) {
        throw new ConcurrencyError(streamId, expected, current);
      }
      const recordedAt = this.now().toISOString();
      const journal: JournalEvent[] = events.map((event, i) => [
        this.lastPos + i + 1,
        streamId,
        current + i + 1,
        ids[i]!,
        event.type,
        serialized[i]!.data,
        serialized[i]!.metadata,
        recordedAt,
      ]);
      const payload = this.insertEvents(journal);
      return {
        journal,
        payload,
        result: {
          events: journal.map(journalEventToRecorded),
          nextExpectedVersion: current + events.length,
          lastPosition: journal[journal.length - 1]![0],
          appended: true,
        },
      };
    });
  }

  private async importNow(events: readonly ImportEvent[]): Promise<ImportedEvent[]> {
    this.assertWritable();
    if (!Array.isArray(events)) throw new InvalidEventError('An import needs a list of events.');
    if (events.length === 0) return [];
    if (events.length > MAX_EVENTS_PER_APPEND)
      throw new InvalidEventError(
        `An import batch holds at most ${MAX_EVENTS_PER_APPEND} events; got ${events.length}.`,
      );
    const prepared = events.map((e, i) => {
      if (e === null || typeof e !== 'object') throw new InvalidEventError(`Event #${i + 1} is not an object.`, i);
      try {
        validateStreamId(e.streamId);
      } catch (err) {
        throw new InvalidEventError((err as Error).message, i);
      }
      const { data, metadata } = validateNewEvent(e, i, 'the event');
      return { streamId: e.streamId, eventId: e.eventId ?? this.newId(), type: e.type, data, metadata };
    });
    checkAppendSize(prepared);

    return this.write('import', () => {
      const recordedAt = this.now().toISOString();
      // Fast path: assume every id is new, insert in one statement, and count what went in.
      const batchIds = new Set(prepared.map((e) => e.eventId));
      if (batchIds.size === prepared.length) {
        const journal = this.numberEvents(prepared, recordedAt);
        this.db.exec('SAVEPOINT import_batch');
        const payload = encodePayload(journal);
        this.db.run(INSERT_EVENTS_JSON_IF_NEW_SQL, [payload]);
        if (this.db.getRowsModified() === journal.length) {
          this.db.exec('RELEASE import_batch');
          return {
            journal,
            payload,
            result: journal.map((e) => ({
              eventId: e[3],
              streamId: e[1],
              globalPosition: e[0],
              streamVersion: e[2],
              appended: true,
            })),
          };
        }
        this.db.exec('ROLLBACK TO import_batch');
        this.db.exec('RELEASE import_batch');
      }
      // Some ids are already stored (a re-import) or repeat within the batch: skip those in the same stream.
      const stored = new Map<string, { streamId: string; globalPosition: number; streamVersion: number }>();
      for (const r of this.rows(
        'SELECT e.event_id, e.stream_id, e.global_position, e.stream_version FROM json_each(?) j JOIN events e ON e.event_id = j.value',
        [JSON.stringify([...batchIds])],
      )) {
        stored.set(r[0] as string, {
          streamId: r[1] as string,
          globalPosition: r[2] as number,
          streamVersion: r[3] as number,
        });
      }
      const fresh: typeof prepared = [];
      const results: ImportedEvent[] = [];
      const firstInBatch = new Map<string, string>();
      for (const e of prepared) {
        const known = stored.get(e.eventId);
        const earlierStream = firstInBatch.get(e.eventId);
        if (known || earlierStream !== undefined) {
          const where = known ? known.streamId : earlierStream!;
          if (where !== e.streamId) {
            throw new InvalidEventError(
              `Event id ${e.eventId} is already ${known ? `stored in another stream ("${known.streamId}" at position ${known.globalPosition})` : `used in this batch for stream "${where}"`}.`,
              prepared.indexOf(e),
            );
          }
          results.push({
            eventId: e.eventId,
            streamId: e.streamId,
            globalPosition: -1,
            streamVersion: -1,
            appended: false,
          });
          continue;
        }
        firstInBatch.set(e.eventId, e.streamId);
        fresh.push(e);
        results.push({ eventId: e.eventId, streamId: e.streamId, globalPosition: 0, streamVersion: 0, appended: true });
      }
      const journal = this.numberEvents(fresh, recordedAt);
      const payload = this.insertEvents(journal);
      const byId = new Map(journal.map((e) => [e[3], e]));
      const answered = results.map((r) => {
        const known = stored.get(r.eventId);
        const row = byId.get(r.eventId);
        if (r.appended) return { ...r, globalPosition: row![0], streamVersion: row![2] };
        return {
          ...r,
          globalPosition: known ? known.globalPosition : row![0],
          streamVersion: known ? known.streamVersion : row![2],
        };
      });
      return { journal, payload, result: answered };
    });
  }

  /** Gives each event the next global position and the next version of its stream. */
  private numberEvents(
    events: readonly { streamId: string; eventId: string; type: string; data: string; metadata: string }[],
    recordedAt: string,
  ): JournalEvent[] {
    const versions = this.currentVersions(events.map((e) => e.streamId));
    let position = this.lastPos;
    return events.map((e) => {
      const version = versions.get(e.streamId)! + 1;
      versions.set(e.streamId, version);
      position += 1;
      return [position, e.streamId, version, e.eventId, e.type, e.data, e.metadata, recordedAt];
    });
  }

  /** Current versions of many streams: from the cache, the rest in one query. */
  private currentVersions(streamIds: readonly string[]): Map<string, number> {
    const versions = new Map<string, number>();
    const missing: string[] = [];
    for (const id of streamIds) {
      if (versions.has(id)) continue;
      const cached = this.streamCache.get(id);
      if (cached) versions.set(id, cached.version);
      else {
        versions.set(id, 0);
        missing.push(id);
      }
    }
    if (missing.length === 1) versions.set(missing[0]!, this.storedStreamVersion(missing[0]!));
    else if (missing.length > 1) {
      const found = this.scalar(
        'SELECT json_group_array(json_array(s.stream_id, s.version)) FROM json_each(?) j JOIN streams s ON s.stream_id = j.value',
        [JSON.stringify(missing)],
      );
      for (const [id, version] of JSON.parse(String(found ?? '[]')) as [string, number][]) versions.set(id, version);
    }
    return versions;
  }

  private storedStreamVersion(streamId: string): number {
    return (this.scalar('SELECT version FROM streams WHERE stream_id = ?', [streamId]) as number | undefined) ?? 0;
  }

  /**
   * Runs `work` inside one SQLite transaction while holding the store's lock, after catching up with
   * other writers; journals what it wrote (fsync) and only then commits. Any failure rolls back.
   */
  private async write<T>(purpose: string, work: () => WriteOutcome<T>): Promise<T> {
    const critical = (): T => {
      if (this.files) {
        this.catchUp('locked');
        this.ensureJournal();
      }
      this.db.exec('BEGIN');
      let committed = false;
      try {
        const outcome = work();
        if (outcome.journal.length > 0 && this.files)
          this.appendToJournal(outcome.payload ?? encodePayload(outcome.journal));
        this.db.exec('COMMIT');
        committed = true;
        this.noteApplied(outcome.journal);
        return outcome.result;
      } finally {
        if (!committed) this.db.exec('ROLLBACK');
      }
    };
    const result = this.lock ? await this.lock.withLock(purpose, critical) : critical();
    this.compactIfDue();
    return result;
  }

  /**
   * Inserts events. A batch goes in as one JSON document that SQLite unpacks itself (one statement
   * instead of one per event); returns that document, which is also the journal record's payload.
   * Their streams' rows are written later, in bulk (see `streamCache`).
   */
  private insertEvents(events: readonly JournalEvent[], payload?: Buffer): Buffer | undefined {
    if (events.length === 0) return payload;
    if (events.length <= SMALL_BATCH && !payload) {
      const insert = this.db.prepare(INSERT_EVENT_SQL);
      try {
        for (const e of events) insert.run(e);
      } finally {
        insert.free();
      }
      return undefined;
    }
    payload ??= encodePayload(events);
    this.db.run(INSERT_EVENTS_JSON_SQL, [payload]);
    return payload;
  }

  /** Writes the rows of streams changed since the last flush; needed before the streams table is read or exported. */
  private flushStreams(): void {
    if (this.dirtyStreams.size === 0) return;
    const rows: [string, number, number][] = [];
    for (const id of this.dirtyStreams) {
      const s = this.streamCache.get(id)!;
      rows.push([id, s.version, s.lastPosition]);
    }
    this.db.exec('BEGIN');
    try {
      if (rows.length === 1) this.db.run(UPSERT_STREAM_SQL, rows[0]!);
      else {
        for (let i = 0; i < rows.length; i += 10_000)
          this.db.run(UPSERT_STREAMS_JSON_SQL, [Buffer.from(JSON.stringify(rows.slice(i, i + 10_000)))]);
      }
      this.db.exec('COMMIT');
    } catch (e) {
      this.db.exec('ROLLBACK');
      throw e;
    }
    this.dirtyStreams.clear();
  }

  /** Keeps the in-memory counters in step with committed events. */
  private noteApplied(events: readonly JournalEvent[]): void {
    if (events.length === 0) return;
    this.lastPos = events[events.length - 1]![0];
    for (const e of events) {
      if (this.typeCounts) this.typeCounts.set(e[4], (this.typeCounts.get(e[4]) ?? 0) + 1);
      if (this.streamCount !== undefined && e[2] === 1) this.streamCount += 1;
      this.streamCache.set(e[1], { version: e[2], lastPosition: e[0] });
      this.dirtyStreams.add(e[1]);
    }
    if (this.streamCache.size > STREAM_CACHE_LIMIT) {
      this.flushStreams();
      this.streamCache.clear();
    }
  }

  // ---------------------------------------------------------------- journal

  /**
   * Applies what the journal holds beyond what this process has seen. Under the lock ('locked') a torn
   * tail is cut off so the next record follows the last good one; without it ('open', 'refresh') a
   * partial last record may be a write in progress and is only skipped.
   */
  private catchUp(mode: 'open' | 'locked' | 'refresh', onProgress?: (p: OpenProgress) => void): number {
    const files = this.files;
    if (!files) return 0;
    for (let attempt = 0; ; attempt++) {
      const fd = openJournal(files.journal, mode === 'locked' ? 'r+' : 'r');
      if (fd === undefined) {
        if (this.journalGeneration !== undefined)
          throw new StoreUnreadableError(files.journal, 'the journal was removed while the store was open');
        return 0; // no journal yet: a new store, or a snapshot written without one
      }
      try {
        const size = fs.fstatSync(fd).size;
        const header = readJournalHeader(fd, files.journal);
        let from = this.journalOffset;
        if (header.generation !== this.journalGeneration) {
          // A new journal: the first one we see, or another process compacted since we last looked
          // (when opening, possibly between our reading the snapshot and the journal).
          if (header.base > this.lastPos) {
            this.reloadSnapshot();
            if (header.base > this.lastPos) {
              // Without the lock, another compaction may have run meanwhile: look again. Under it, the files disagree.
              if (mode !== 'locked' && attempt < 5) continue;
              throw new StoreUnreadableError(
                files.journal,
                `the journal continues position ${header.base}, but the snapshot ends at position ${this.lastPos}`,
              );
            }
          }
          from = JOURNAL_HEADER_BYTES;
        }
        if (from > size)
          throw new StoreUnreadableError(
            files.journal,
            `the journal shrank below what was already read from it (${size} < ${from} bytes)`,
          );
        const scan = readJournalRecords(fd, files.journal, from, size);
        const applied = this.applyRecords(scan.records, onProgress, size);
        this.journalGeneration = header.generation;
        this.journalOffset = scan.validEnd;
        if (scan.tornBytes > 0 && mode === 'locked') {
          // The last write of a process that died before its fsync returned: never acknowledged.
          fs.ftruncateSync(fd, scan.validEnd);
          fs.fsyncSync(fd);
          this.onWarning?.(
            `Dropped ${scan.tornBytes} bytes of an incomplete journal record (a write that was never acknowledged).`,
          );
        }
        return applied;
      } finally {
        fs.closeSync(fd);
      }
    }
  }

  /** Inserts journaled events that are new here; events the snapshot already holds must match it exactly. */
  private applyRecords(
    records: readonly JournalRecord[],
    onProgress: ((p: OpenProgress) => void) | undefined,
    total: number,
  ): number {
    if (records.length === 0) return 0;
    const batches: { events: JournalEvent[]; payload?: Buffer; end: number }[] = [];
    const idAt = this.db.prepare('SELECT event_id FROM events WHERE global_position = ?');
    try {
      let expectedNext = this.lastPos + 1;
      for (const record of records) {
        const fresh: JournalEvent[] = [];
        for (const e of record.events) {
          const position = e[0];
          if (position < expectedNext) {
            if (fresh.length > 0 || batches.length > 0) throw this.journalMismatch(`it repeats position ${position}`);
            idAt.bind([position]);
            const stored = idAt.step() ? idAt.get()[0] : undefined;
            idAt.reset();
            if (stored !== e[3])
              throw this.journalMismatch(
                `at position ${position} it holds event ${e[3]}, but the snapshot holds ${String(stored ?? 'nothing')}`,
              );
            continue;
          }
          if (position !== expectedNext)
            throw this.journalMismatch(`it jumps from position ${expectedNext - 1} to ${position}`);
          fresh.push(e);
          expectedNext += 1;
        }
        if (fresh.length > 0)
          batches.push({
            events: fresh,
            payload: fresh.length === record.events.length ? record.payload : undefined,
            end: record.end,
          });
      }
    } finally {
      idAt.free();
    }
    if (batches.length === 0) return 0;
    this.checkJournaled(batches.flatMap((b) => b.events));
    const applied: JournalEvent[] = [];
    this.db.exec('BEGIN');
    try {
      let reported = 0;
      for (const batch of batches) {
        this.insertEvents(
          batch.events,
          batch.payload ?? (batch.events.length > SMALL_BATCH ? encodePayload(batch.events) : undefined),
        );
        for (const e of batch.events) applied.push(e);
        if (onProgress && batch.end - reported >= 1024 * 1024) {
          reported = batch.end;
          onProgress({ phase: 'replaying', done: batch.end, total });
        }
      }
      this.db.exec('COMMIT');
    } catch (e) {
      this.db.exec('ROLLBACK');
      throw this.journalMismatch(`its events do not fit the snapshot (${(e as Error).message})`);
    }
    onProgress?.({ phase: 'replaying', done: total, total });
    this.noteApplied(applied);
    return applied.length;
  }

  /**
   * Journaled events pass the same checks as appended ones (the journal is a file anyone could have
   * written): ids, type, JSON, limits, and each stream's versions continuing its current version.
   */
  private checkJournaled(events: readonly JournalEvent[]): void {
    const versions = this.currentVersions(events.map((e) => e[1]));
    for (const e of events) {
      try {
        validateSerializedEvent(journaledFields(e));
      } catch (err) {
        if (!InvalidEventError.is(err)) throw err;
        throw this.journalMismatch(`its event at position ${e[0]} is not valid (${err.message.replace(/\.$/, '')})`);
      }
      const expected = (versions.get(e[1]) ?? 0) + 1;
      if (e[2] !== expected)
        throw this.journalMismatch(
          `at position ${e[0]} it gives stream ${JSON.stringify(e[1])} version ${e[2]}, where version ${expected} comes next`,
        );
      versions.set(e[1], expected);
    }
  }

  private journalMismatch(detail: string): StoreUnreadableError {
    return new StoreUnreadableError(this.files!.journal, `the journal does not continue the snapshot: ${detail}`);
  }

  /** Appends one record and fsyncs it; on failure the journal is cut back so nothing half-written remains. */
  private appendToJournal(payload: Buffer): void {
    const files = this.files!;
    const record = encodeRecord(payload);
    this.lock!.assertHeld();
    const fd = readingJournal(files.journal, () => openRegularFile(files.journal, 'r+'));
    try {
      const size = fs.fstatSync(fd).size;
      if (size !== this.journalOffset) {
        throw new Error(
          `The journal ${files.journal} changed while this process held the lock (${size} bytes, expected ${this.journalOffset}); nothing was written.`,
        );
      }
      try {
        writeFully(fd, record, this.journalOffset);
        fs.fsyncSync(fd);
      } catch (e) {
        try {
          fs.ftruncateSync(fd, this.journalOffset);
          fs.fsyncSync(fd);
        } catch (e2) {
          // The record may or may not be on disk: this process can no longer tell what it acknowledged.
          this.broken = new Error(
            `Writing the journal failed (${(e as Error).message}) and could not be undone (${(e2 as Error).message}); reopen the store.`,
          );
        }
        throw e;
      }
    } finally {
      fs.closeSync(fd);
    }
    this.journalOffset += record.length;
  }

  /** Creates the journal (header only) when a store has none yet; its base is the snapshot's last position. */
  private ensureJournal(snapshot?: { bytes: number; seal: string }): void {
    if (this.journalGeneration !== undefined) return;
    const files = this.files!;
    const generation = newGeneration();
    replaceJournal(files.journal, { generation, base: this.lastPos, ...(snapshot ? { snapshot } : {}) });
    this.journalGeneration = generation;
    this.journalOffset = JOURNAL_HEADER_BYTES;
  }

  /** First open of a new store: write its (empty) snapshot and journal, unless another process just did. */
  private async createFiles(): Promise<void> {
    const files = this.files!;
    fs.mkdirSync(path.dirname(files.snapshot), { recursive: true });
    await this.lock!.withLock('creating the store', () => {
      if (fs.existsSync(files.snapshot)) {
        this.reloadSnapshot();
        this.catchUp('locked');
        return;
      }
      this.flushStreams();
      const bytes = this.db.export();
      writeFileAtomic(files.snapshot, bytes);
      this.snapshotBytes = bytes.length;
      const seal = sealOf(bytes);
      this.ensureJournal(seal ? { bytes: bytes.length, seal } : undefined);
    });
  }

  /**
   * Seals a snapshot this open checked in full (sound), so that the next open skips the scans: the
   * journal's header gets its seal, its records are copied verbatim (same generation, same offsets,
   * so other processes reading it see no change). Under the lock, and only while the snapshot is
   * still the file that was read and the journal the one replayed. When the lock is busy or the
   * folder cannot be written, nothing is sealed and the next compaction seals the snapshot it writes.
   */
  private async sealChecked(seal: string, bytes: number, identity: FileIdentity): Promise<boolean> {
    const files = this.files!;
    // One try: the open does not wait for another writer for this.
    const lock = new FileLock(files.lock, files.snapshot, { timeoutMs: 0 });
    try {
      return await lock.withLock('sealing the checked snapshot', () => {
        if (!sameIdentity(identityOf(fs.statSync(files.snapshot)), identity)) return false;
        const fd = openJournal(files.journal, 'r');
        if (fd === undefined) {
          if (this.journalGeneration !== undefined) return false;
          this.ensureJournal({ bytes, seal });
          return true;
        }
        let records: Buffer;
        let header: ReturnType<typeof readJournalHeader>;
        try {
          header = readJournalHeader(fd, files.journal);
          if (header.generation !== this.journalGeneration) return false;
          const size = fs.fstatSync(fd).size;
          records = readExactly(fd, size - JOURNAL_HEADER_BYTES, JOURNAL_HEADER_BYTES);
        } finally {
          fs.closeSync(fd);
        }
        lock.assertHeld();
        replaceJournal(
          files.journal,
          { generation: header.generation, base: header.base, snapshot: { bytes, seal } },
          records,
        );
        return true;
      });
    } catch (e) {
      if (!StoreLockedError.is(e))
        this.onWarning?.(
          `The store was checked but could not be sealed (it is checked again on the next open): ${(e as Error).message}`,
          e as Error,
        );
      return false;
    }
  }

  /** Replaces the in-memory database with the snapshot on disk (another process compacted past us). */
  private reloadSnapshot(): void {
    const files = this.files!;
    const { db, bytes, unsound } = loadSnapshot(this.SQL, files.snapshot, files.journal, {
      check: this.readOnly ? 'structure' : 'rows',
    });
    const last = lastPositionOf(db);
    if (last < this.lastPos) {
      db.close();
      throw new StoreUnreadableError(
        files.snapshot,
        `the snapshot on disk ends at position ${last}, before the ${this.lastPos} events this process has already read`,
      );
    }
    this.db.close();
    this.db = db;
    this.snapshotBytes = bytes;
    if (unsound) this.unsoundFinding = unsound;
    this.lastPos = last;
    this.journalGeneration = undefined;
    this.journalOffset = 0;
    this.typeCounts = undefined;
    this.streamCount = undefined;
    // The new snapshot holds every event this process had, with its streams' rows.
    this.streamCache.clear();
    this.dirtyStreams.clear();
  }

  // ---------------------------------------------------------------- compaction

  private compactIfDue(): void {
    if (this.compacting || this.closed || !this.files) return;
    const journalBytes = this.journalOffset - JOURNAL_HEADER_BYTES;
    if (journalBytes < Math.max(this.compaction.minJournalBytes, this.snapshotBytes * this.compaction.journalFraction))
      return;
    this.compact().catch((e: Error) => {
      if (StoreLockedError.is(e)) return; // busy writers elsewhere; the next write tries again
      this.onWarning?.(
        `Folding the journal into the snapshot failed (nothing is lost; the journal keeps every event): ${e.message}`,
        e,
      );
    });
  }

  /**
   * Folds the journal into a new snapshot. Under the lock: catch up and note how far the journal goes
   * (generation, offset, position). Without it: build the snapshot of exactly that much on a worker
   * thread from the files on disk (or, with `offThread: false`, export the database, which holds the
   * event loop), write the temp file and fsync; under the lock again: keep the old snapshot as the
   * backup, rename the new one in, and start a new journal holding only what was appended meanwhile.
   * Returns false when there was nothing to fold or another process compacted first.
   */
  compact(): Promise<boolean> {
    if (this.readOnly || !this.files || this.unsoundFinding || this.pendingCheck) return Promise.resolve(false);
    if (this.broken) return Promise.reject(this.broken);
    // One at a time; a call made while one runs folds what was appended since, once that one is done.
    const run: Promise<boolean> = (this.compacting ?? Promise.resolve(false))
      .catch(() => false)
      .then(() => this.compactNow())
      .finally(() => {
        if (this.compacting === run) this.compacting = undefined;
      });
    this.compacting = run;
    return run;
  }

  private async compactNow(lockTimeoutMs?: number): Promise<boolean> {
    const files = this.files!;
    const lock =
      lockTimeoutMs === undefined ? this.lock! : new FileLock(files.lock, files.snapshot, { timeoutMs: lockTimeoutMs });
    const script = this.compaction.offThread ? foldWorkerScript() : undefined;
    const snapshot = await lock.withLock('compaction', () => {
      this.catchUp('locked');
      if (this.journalGeneration === undefined || this.journalOffset <= JOURNAL_HEADER_BYTES) return undefined;
      const at = { position: this.lastPos, offset: this.journalOffset, generation: this.journalGeneration };
      if (script) return { ...at, bytes: undefined };
      this.flushStreams();
      return { ...at, bytes: this.db.export() as Uint8Array | undefined };
    });
    if (!snapshot) return false;

    const tmp = tempNameFor(files.snapshot);
    let renamed = false;
    let previousBackup: string | undefined;
    let journalTmp: string | undefined;
    try {
      let size: number;
      let seal: string | undefined;
      if (snapshot.bytes) {
        await writeFileDurable(tmp, snapshot.bytes);
        size = snapshot.bytes.length;
        seal = sealOf(snapshot.bytes);
        snapshot.bytes = undefined;
      } else {
        const { position, offset, generation } = snapshot;
        const request = { file: files.snapshot, tmp, generation, offset, position, wasmPath: this.wasmPath };
        const answer = await foldOffThread(script!, request);
        if ('error' in answer) throw new Error(answer.error);
        if (!answer.folded) return false; // another process compacted first
        size = answer.size;
        seal = answer.seal;
      }
      // Its fsyncs run on the thread pool while the lock is held: other writers, in this process too, wait for it.
      renamed = await lock.withLock('compaction', async () => {
        if (peekJournalHeader(files.journal)?.generation !== snapshot.generation) return false; // another process compacted first
        this.catchUp('locked');
        if (this.journalGeneration !== snapshot.generation) return false;
        // Records after the snapshot's position (appended meanwhile, by us or others) move to the new journal.
        const jfd = openJournal(files.journal, 'r');
        if (jfd === undefined)
          throw new StoreUnreadableError(files.journal, 'the journal was removed while the store was open');
        let tail: Buffer;
        try {
          tail = readExactly(jfd, this.journalOffset - snapshot.offset, snapshot.offset);
        } finally {
          fs.closeSync(jfd);
        }
        const generation = newGeneration();
        const header = { generation, base: snapshot.position, ...(seal ? { snapshot: { bytes: size, seal } } : {}) };
        journalTmp = tempNameFor(files.journal);
        await writeFileDurable(journalTmp, Buffer.concat([encodeHeader(header), tail]));
        previousBackup = this.keepBackup();
        lock.assertHeld();
        fs.renameSync(tmp, files.snapshot);
        // Durable before the journal that continues it replaces the old one.
        await fsyncDirectoryAsync(path.dirname(files.snapshot));
        lock.assertHeld();
        fs.renameSync(journalTmp, files.journal);
        this.journalGeneration = generation;
        this.journalOffset = JOURNAL_HEADER_BYTES + tail.length;
        this.snapshotBytes = size;
        await fsyncDirectoryAsync(path.dirname(files.journal));
        removeAbandonedTempFiles(files);
        return true;
      });
      return renamed;
    } finally {
      if (!renamed) fs.rmSync(tmp, { force: true });
      if (journalTmp && !renamed) fs.rmSync(journalTmp, { force: true });
      await this.dropPreviousBackup(previousBackup);
    }
  }

  /**
   * On the folding thread (foldWorker.ts): the snapshot on disk, checked as a writable open checks it
   * (by its seal, else every check: what is written here gets sealed, so it must not trust more than
   * an open would), plus the journal of the compaction's generation up to its offset, written to the
   * temp file and fsynced. Another compaction having replaced the journal meanwhile: nothing to fold.
   */
  static async foldFromFiles(request: FoldRequest): Promise<FoldAnswer> {
    const SQL = await loadSqlJs(request.wasmPath);
    const files = storeFiles(request.file);
    const { db, unsound } = loadSnapshot(SQL, files.snapshot, files.journal, { check: 'rows' });
    const store = new SqlJsEventStore(SQL, db, request.file, true, 'it only folds the journal', {});
    try {
      if (unsound) throw new StoreUnreadableError(files.snapshot, `the snapshot on disk is not sound (${unsound})`);
      if (!store.catchUpTo(request.generation, request.offset)) return { folded: false };
      if (store.lastPos !== request.position)
        throw new StoreUnreadableError(
          files.journal,
          `the files hold ${store.lastPos} events up to byte ${request.offset} of the journal, where the store holds ${request.position}`,
        );
      store.flushStreams();
      let bytes: Uint8Array | undefined = store.db.export();
      const size = bytes.length;
      const seal = sealOf(bytes);
      await writeFileDurable(request.tmp, bytes);
      bytes = undefined;
      return { folded: true, size, ...(seal ? { seal } : {}) };
    } finally {
      store.db.close();
    }
  }

  /** Applies the journal of `generation` up to `offset` (a record boundary); false when that journal is gone. */
  private catchUpTo(generation: string, offset: number): boolean {
    const files = this.files!;
    const fd = openJournal(files.journal, 'r');
    if (fd === undefined)
      throw new StoreUnreadableError(files.journal, 'the journal was removed while the store was open');
    try {
      const header = readJournalHeader(fd, files.journal);
      if (header.generation !== generation) return false;
      if (header.base > this.lastPos)
        throw new StoreUnreadableError(
          files.journal,
          `the journal continues position ${header.base}, but the snapshot ends at position ${this.lastPos}`,
        );
      const scan = readJournalRecords(fd, files.journal, JOURNAL_HEADER_BYTES, offset);
      if (scan.validEnd !== offset)
        throw new StoreUnreadableError(files.journal, `the journal holds no whole records up to byte ${offset}`);
      this.applyRecords(scan.records, undefined, offset);
      this.journalGeneration = generation;
      this.journalOffset = offset;
      return true;
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * The snapshot about to be replaced becomes the backup (a hard link: no copy). The backup it
   * replaces keeps a temp name, returned for the caller to remove after the lock, off the event loop:
   * freeing a file of hundreds of MB takes the file system a while (115 ms at a million events here).
   */
  private keepBackup(): string | undefined {
    const files = this.files!;
    if (!fs.existsSync(files.snapshot)) return undefined;
    let previous: string | undefined = tempNameFor(files.backup);
    try {
      fs.linkSync(files.backup, previous);
    } catch {
      previous = undefined; // no backup yet (or no hard links here): the rename frees nothing, or frees it at once
    }
    const tmp = tempNameFor(files.backup);
    try {
      fs.linkSync(files.snapshot, tmp);
      fs.renameSync(tmp, files.backup);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      this.onWarning?.(`Could not keep the previous snapshot as ${files.backup}: ${(e as Error).message}`, e as Error);
    }
    return previous;
  }

  /** Removes the previous backup's last name and makes that durable, on the thread pool. */
  private async dropPreviousBackup(previous: string | undefined): Promise<void> {
    if (!previous) return;
    try {
      await fs.promises.rm(previous, { force: true });
      const dir = await fs.promises.open(path.dirname(previous), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    } catch {
      // Left behind, it is removed as an abandoned temp file by a later open; some platforms cannot fsync a folder.
    }
  }

  // ---------------------------------------------------------------- reads

  /** Picks up what other processes appended; returns those events in global order. */
  refresh(): RecordedEvent[] {
    if (this.closed || !this.files) return [];
    const before = this.lastPos;
    this.catchUp('refresh');
    return this.lastPos > before ? this.readAll({ after: before }) : [];
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
    return this.query(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE global_position > ? ORDER BY global_position LIMIT ?`,
      [options.after ?? 0, options.limit ?? -1],
    );
  }

  forEach(
    onEvent: (event: RecordedEvent) => void,
    options: { readonly after?: number; readonly to?: number } = {},
  ): void {
    const stmt = this.db.prepare(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE global_position > ? AND global_position <= ? ORDER BY global_position`,
    );
    try {
      stmt.bind([options.after ?? 0, options.to ?? Number.MAX_SAFE_INTEGER]);
      while (stmt.step()) onEvent(rowToEvent(stmt.get()));
    } finally {
      stmt.free();
    }
  }

  /**
   * Global positions of the events that match every given criterion, in order, found by SQLite
   * without parsing each event (the replay's filters on a large store). `text` is searched in the
   * data's JSON, ignoring case (of ASCII letters).
   */
  findPositions(filter: PositionFilter, range: PositionRange = {}): number[] {
    const criteria: [string, string | number | undefined][] = [
      ['global_position > ?', range.after],
      ['global_position <= ?', range.to],
      ['stream_id = ?', filter.streamId],
      ['type = ?', filter.eventType],
      ["json_extract(metadata, '$.correlationId') = ?", filter.correlationId],
      ["json_extract(metadata, '$.causationId') = ?", filter.causationId],
      ['instr(lower(data), ?) > 0', filter.text?.toLowerCase()],
    ];
    const given = criteria.filter(([, value]) => value !== undefined && value !== '');
    const where = given.map(([sql]) => sql);
    const params: SqlValue[] = given.map(([, value]) => value!);
    const stmt = this.db.prepare(
      `SELECT global_position FROM events${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY global_position`,
    );
    const positions: number[] = [];
    try {
      stmt.bind(params);
      while (stmt.step()) positions.push(stmt.get()[0] as number);
    } finally {
      stmt.free();
    }
    return positions;
  }

  readEvent(globalPosition: number): RecordedEvent | undefined {
    return this.query(`SELECT ${EVENT_COLUMNS} FROM events WHERE global_position = ?`, [globalPosition])[0];
  }

  streamVersion(streamId: string): number {
    return this.streamCache.get(streamId)?.version ?? this.storedStreamVersion(streamId);
  }

  listStreams(options: ListStreamsOptions = {}): StreamInfo[] {
    this.flushStreams();
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (options.prefix) {
      // A range on the primary key instead of LIKE, so the index is used: ids starting with the prefix.
      where.push('stream_id >= ? AND stream_id < ?');
      params.push(options.prefix, `${options.prefix}\u{10FFFF}`);
    }
    if (options.after !== undefined) {
      where.push('stream_id > ?');
      params.push(options.after);
    }
    const rows = this.rows(
      `SELECT stream_id, version, last_position FROM streams ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY stream_id LIMIT ? OFFSET ?`,
      [...params, options.limit ?? -1, options.offset ?? 0],
    );
    return rows.map((r) => ({ streamId: r[0] as string, version: r[1] as number, lastPosition: r[2] as number }));
  }

  lastPosition(): number {
    return this.lastPos;
  }

  /**
   * Counts are kept up to date as events arrive. The streams count comes from the streams table the
   * first time; the counts by type need a scan of every event (most of a second at 1M events), so
   * they are only computed when `eventTypes` is first read.
   */
  stats(): StoreStats {
    if (this.streamCount === undefined) {
      this.flushStreams();
      this.streamCount = (this.scalar('SELECT count(*) FROM streams') as number) ?? 0;
    }
    const eventTypes = (): Readonly<Record<string, number>> => {
      if (!this.typeCounts) {
        const counts = new Map<string, number>();
        for (const [type, count] of this.rows('SELECT type, count(*) FROM events GROUP BY type'))
          counts.set(type as string, count as number);
        this.typeCounts = counts;
      }
      const out: Record<string, number> = {};
      for (const type of [...this.typeCounts.keys()].sort()) out[type] = this.typeCounts.get(type)!;
      return out;
    };
    return {
      events: this.lastPos,
      streams: this.streamCount,
      lastPosition: this.lastPos,
      get eventTypes() {
        return eventTypes();
      },
    };
  }

  /**
   * The in-memory database with the query views (queryViews.ts) and the streams table up to date,
   * for the read-only query connection of a worker that opened its own copy of the store. Never
   * for a store that writes: the caller turns `query_only` on and off around `refresh()`.
   */
  queryConnection(): Database {
    if (!this.readOnly) throw new ReadOnlyStoreError('queries run on a read-only copy of the store, not on the writer');
    this.flushStreams();
    this.db.exec(nativeQueryViewsSql());
    return this.db;
  }

  /** Sizes on disk, for the CLI's stats and for tests. */
  fileStats(): { snapshotBytes: number; journalBytes: number; journalBase: number | undefined } {
    if (!this.files) return { snapshotBytes: 0, journalBytes: 0, journalBase: undefined };
    const size = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);
    return {
      snapshotBytes: size(this.files.snapshot),
      journalBytes: Math.max(0, size(this.files.journal) - JOURNAL_HEADER_BYTES),
      journalBase: peekJournalHeader(this.files.journal)?.base,
    };
  }

  /**
   * Waits for writes in progress, folds the journal into the snapshot when that is due or cheap,
   * and releases the database. Every acknowledged event is already durable before this.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.writeChain;
    // Nothing waits for a check still running: it stops, and the snapshot stays as it is (unsealed).
    await this.pendingCheck?.cancel();
    await this.checkDone;
    if (this.compacting) await this.compacting.catch(() => false);
    if (!this.readOnly && this.files && !this.broken && this.foldOnClose()) {
      try {
        await this.compactNow(LOCK_WAIT_ON_CLOSE_MS);
      } catch (e) {
        if (!StoreLockedError.is(e)) {
          if (!this.onWarning) throw e;
          this.onWarning(
            `Folding the journal into the snapshot on close failed (nothing is lost; the journal keeps every event): ${(e as Error).message}`,
            e as Error,
          );
        }
      }
    }
    this.closed = true;
    this.db.close();
  }

  private foldOnClose(): boolean {
    const journalBytes = this.journalOffset - JOURNAL_HEADER_BYTES;
    if (journalBytes <= 0 || this.compaction.onClose === 'never' || this.unsoundFinding) return false;
    if (this.compaction.onClose === 'always') return true;
    return (
      this.snapshotBytes <= CHEAP_SNAPSHOT_BYTES ||
      journalBytes >= (this.snapshotBytes * this.compaction.journalFraction) / 4
    );
  }

  private assertWritable(): void {
    if (this.closed) throw new ReadOnlyStoreError('it is closed');
    if (this.readOnly) throw new ReadOnlyStoreError(this.readOnlyReason);
    if (this.unsoundFinding)
      throw new ReadOnlyStoreError(
        `the store is not sound (${this.unsoundFinding}); run "event-store verify" for every finding`,
      );
    if (this.broken) throw this.broken;
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

function checkAppendSize(events: readonly { data: string; metadata: string }[]): void {
  let total = 0;
  for (const e of events) total += e.data.length + e.metadata.length;
  // Length in UTF-16 units is a lower bound of the UTF-8 size; measure exactly only near the limit.
  if (total * 3 > MAX_APPEND_BYTES) {
    total = events.reduce((sum, e) => sum + Buffer.byteLength(e.data) + Buffer.byteLength(e.metadata), 0);
  }
  if (total > MAX_APPEND_BYTES) {
    throw new InvalidEventError(
      `One append holds at most ${MAX_APPEND_BYTES / (1024 * 1024)} MiB of data and metadata; this one holds ${(total / (1024 * 1024)).toFixed(1)} MiB.`,
    );
  }
}
