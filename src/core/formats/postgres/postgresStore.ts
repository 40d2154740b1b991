import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import { ConcurrencyError, InvalidEventError, ReadOnlyStoreError } from '../../eventStore/errors';
import type {
  AppendOptions,
  AppendResult,
  ListStreamsOptions,
  NewEvent,
  PositionFilter,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StoreStats,
  StreamInfo,
} from '../../eventStore/types';
import { validateNewEvent, validateStreamId, MAX_EVENTS_PER_APPEND } from '../../eventStore/validation';
import {
  commandFromRow,
  type ForeignSql,
  type ForeignStore,
  type ProcessorCheckpoint,
  type RecordedCommand,
  type StoreFormat,
} from '../storeReader';
import { connectPostgres, describeTarget, explainPostgresError, readOnlyTransaction } from './connection';
import type { PostgresTarget } from './connection';
import { article, type Dialect, type RawCheckpoint } from './dialects';

/** Writes to an Emmett PostgreSQL schema (team store); see emmettTeamWriter.ts. */
export interface TeamWriter {
  append(
    streamId: string,
    events: readonly {
      readonly eventId: string;
      readonly type: string;
      readonly data: unknown;
      readonly metadata: object;
    }[],
    expected: 'any' | 'no-stream' | number,
  ): Promise<{ ok: true; positions: readonly number[]; nextVersion: number } | { ok: false; actual: number }>;
  /** Every committed event of one stream after a version, straight from the table (for deciding). */
  readStreamTail(streamId: string, afterVersion: number): Promise<RecordedEvent[]>;
  /** The events of one stream stored with these ids (for idempotent appends). */
  findInStream(streamId: string, eventIds: readonly string[]): Promise<RecordedEvent[]>;
  close(): Promise<void>;
}

export interface OpenProgressListener {
  (loaded: number, total: number): void;
}

/** What is not readable yet: positions taken by transactions that had not committed (or rolled back) when last read. */
export interface InFlight {
  /** Every position up to this one is final: read, or never to appear. */
  readonly readableUpTo: number;
  /** The highest position taken from the sequence when last read. */
  readonly takenUpTo: number;
  /** Ranges of positions below `readableUpTo` not readable yet either (in flight or rolled back: not known yet). */
  readonly pending: readonly (readonly [number, number])[];
}

/** Rows come as arrays, in the dialect's select order. */
type Row = [string, string, string, string, string, unknown, unknown, string, string?];

const PAGE = 10_000;

/**
 * One string per stream id and event type, however many events carry it: a million events then
 * keep ten thousand stream ids, not a million copies (less memory, and less for the collector).
 */
function interner(): (text: string) => string {
  const known = new Map<string, string>();
  return (text) => {
    const k = known.get(text);
    if (k !== undefined) return k;
    known.set(text, text);
    return text;
  };
}

function toEvent(r: Row, intern: (text: string) => string = (t) => t): RecordedEvent {
  const metadata = r[6];
  return {
    globalPosition: Number(r[0]),
    streamId: intern(r[1]),
    streamVersion: Number(r[2]),
    eventId: r[3],
    type: intern(r[4]),
    data: r[5] ?? null,
    metadata:
      metadata !== null && typeof metadata === 'object' && !Array.isArray(metadata)
        ? (metadata as RecordedEvent['metadata'])
        : {},
    recordedAt: r[7] ?? '',
  };
}

/** The first index in `events` (sorted by position) whose position is greater than `after`. */
function firstAfter(events: readonly RecordedEvent[], after: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid]!.globalPosition <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function firstAtLeast(ids: readonly string[], id: string, strict: boolean): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid]! < id || (strict && ids[mid] === id)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A PostgreSQL store (Emmett PostgreSQL, Message DB or Marten) read through one dialect. The events
 * are streamed into memory at open and kept up to date by `poll()`; the synchronous reads answer
 * from them. Reads run in READ ONLY transactions with a statement timeout.
 *
 * In-flight appends are never skipped: positions come from a sequence, and a transaction may take
 * a position and commit after one that took a later position. So the store shows events only up
 * to a position below which nothing can still appear: before each read it notes the sequence's
 * last value L, then takes a transaction id N of its own (pg_current_xact_id(); nothing is
 * written), newer than that of every transaction that took a position up to L. Once the oldest
 * running transaction is at or past N (pg_snapshot_xmin), those have all ended, and the positions
 * up to L are final: read, or rolled back. (A snapshot's xmax cannot serve: the newest running
 * transaction is not below it.) Emmett's writers take their transaction id before their
 * positions, which is what makes this exact; Emmett's own rule (only rows with
 * transaction_id < pg_snapshot_xmin(pg_current_snapshot())) holds for every row shown too.
 */
export class PostgresStore implements ForeignStore {
  readonly readOnly: boolean;
  readonly readOnlyReason: string;
  readonly path: string;
  private events: RecordedEvent[] = [];
  private streams = new Map<string, RecordedEvent[]>();
  private sortedIds: string[] | undefined;
  private types = new Map<string, number>();
  private commands: RecordedCommand[] = [];
  private rawCheckpoints: RawCheckpoint[] = [];
  /** Committed events of a stream newer than what is shown: our own appends, and what a conflict revealed. */
  private ahead = new Map<string, RecordedEvent[]>();
  /** Event ids this store appended, so that poll() returns only what others appended. */
  private own = new Set<string>();
  private watermark = 0;
  /** Positions below the watermark that were missing when shown and are not known final yet. */
  private pending: [number, number][] = [];
  private lateCount = 0;
  private taken = 0;
  private frontiers: { last: number; xmax: bigint }[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private listeners = new Set<(events: readonly RecordedEvent[]) => void>();
  private closed = false;
  private readonly intern = interner();

  private constructor(
    private readonly client: Client,
    readonly target: PostgresTarget,
    private readonly dialect: Dialect,
    private readonly writer: TeamWriter | undefined,
  ) {
    this.readOnly = writer === undefined;
    this.readOnlyReason = writer
      ? ''
      : `it is ${article(dialect.format.name)} store on PostgreSQL, opened read-only: the inspector writes only to an Emmett PostgreSQL team store opened for writing`;
    this.path = `${describeTarget(target)}#${dialect.schema}`;
  }

  static async open(
    target: PostgresTarget,
    dialect: Dialect,
    options: { onProgress?: OpenProgressListener; signal?: AbortSignal; writer?: TeamWriter } = {},
  ): Promise<PostgresStore> {
    const client = await connectPostgres(target);
    const store = new PostgresStore(client, target, dialect, options.writer);
    try {
      await store.advance(options.onProgress, options.signal);
      // Writers still in flight when the store was opened usually end within milliseconds.
      for (let i = 0; i < 20 && store.watermark < store.taken; i++) {
        if (i > 0) await new Promise((resolve) => setTimeout(resolve, 25));
        await store.advance(options.onProgress, options.signal);
      }
      // A transaction still open (a long one, or held): show what Emmett's rule lets be read, the rest as pending.
      if (store.watermark < store.taken) await store.advance(undefined, options.signal, true);
      return store;
    } catch (e) {
      await store.close();
      throw e;
    }
  }

  get format(): StoreFormat {
    return this.dialect.format;
  }

  get team(): boolean {
    return this.writer !== undefined;
  }

  get schema(): string {
    return this.dialect.schema;
  }

  /** Positions taken but not readable yet (in flight, or rolled back: known once they are final). */
  inFlight(): InFlight {
    return {
      readableUpTo: this.watermark,
      takenUpTo: Math.max(this.taken, this.watermark),
      pending: this.pending.map(([lo, hi]) => [lo, hi] as const),
    };
  }

  notes(): readonly string[] {
    const notes: string[] = [];
    if (this.taken > this.watermark)
      notes.push(
        `Positions ${this.watermark + 1} to ${this.taken} were taken by transactions that had not committed when last read (in flight, not gaps); their events are shown once those transactions end.`,
      );
    if (this.pending.length > 0)
      notes.push(
        `Positions ${this.pending.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo} to ${hi}`)).join(', ')} below the last one shown were not readable when read (in flight or rolled back, not known yet): an event that commits there is added in its place.`,
      );
    if (this.lateCount > 0)
      notes.push(
        `${this.lateCount} event${this.lateCount === 1 ? '' : 's'} committed after later positions were shown, and were added in their place.`,
      );
    if (this.dialect.format.id === 'emmett-postgresql')
      notes.push("Events of the partition 'emt:default' that are not archived are shown, as Emmett's readers do.");
    return notes;
  }

  readonly sql: ForeignSql = {
    rows: () => {
      throw new Error(
        `SQL over a ${this.dialect.format.name} store runs on its PostgreSQL server, not on a local copy; use findPositionsOnServer or the server itself.`,
      );
    },
  };

  /** Runs `body` alone on the connection: a poll's transaction never interleaves with another query. */
  private exclusive<T>(body: () => Promise<T>): Promise<T> {
    const run = this.queue.then(body, body);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('The store is closed.');
  }

  /** The sequence's last value, read before the snapshot (see the class comment). */
  private async lastTaken(): Promise<number> {
    const d = this.dialect;
    if (d.sequence) {
      try {
        const r = await this.client.query<{ v: string; c: boolean }>(
          `SELECT last_value::text AS v, is_called AS c FROM ${d.sequence}`,
        );
        const row = r.rows[0];
        return row && row.c ? Number(row.v) : 0;
      } catch {
        // Not readable (permission, or another sequence): the highest committed position serves the same way.
      }
    }
    const r = await this.client.query<{ v: string | null }>(`SELECT max(${d.position})::text AS v FROM ${d.table}`);
    return Number(r.rows[0]?.v ?? 0);
  }

  /** Events (and Emmett's commands) in (from, to] that are readable now, in position order; `only` narrows to ranges. */
  private async readRange(
    c: Client,
    from: number,
    to: number,
    onProgress?: OpenProgressListener,
    signal?: AbortSignal,
    only?: readonly (readonly [number, number])[],
  ): Promise<RecordedEvent[]> {
    const d = this.dialect;
    const fresh: RecordedEvent[] = [];
    const total = to - from;
    const within = only
      ? `${d.position} > $1 AND ${d.position} <= $2 AND EXISTS (SELECT 1 FROM unnest($3::bigint[], $4::bigint[]) AS esi_r(lo, hi) WHERE ${d.position} BETWEEN esi_r.lo AND esi_r.hi)`
      : `${d.position} > $1 AND ${d.position} <= $2`;
    const extra = only ? [only.map((r) => r[0]), only.map((r) => r[1])] : [];
    // Emmett keeps its commands in the same table: one pass reads both, told apart by their kind.
    const rows = d.commandsOnly ? `((${d.eventsOnly}) OR (${d.commandsOnly}))` : d.eventsOnly;
    const select = `${d.select}${d.commandsOnly ? ', message_kind AS esi_k' : ''}`;
    let commands = false;
    const take = (batch: Row[]) => {
      for (const row of batch) {
        const e = toEvent(row, this.intern);
        if (row[8] !== 'C') {
          fresh.push(e);
          continue;
        }
        commands = true;
        this.commands.push(commandFromRow(e));
      }
    };
    if (d.positionIndexed || only) {
      for (let after = from; ;) {
        signal?.throwIfAborted();
        const r = await c.query<Row>({
          text: `SELECT ${select} FROM ${d.table} WHERE ${rows} AND ${d.readable} AND ${within} ORDER BY ${d.position} LIMIT ${PAGE}`,
          values: [after, to, ...extra],
          rowMode: 'array',
        });
        take(r.rows);
        onProgress?.(fresh.length, total);
        if (r.rows.length < PAGE) break;
        after = Number(r.rows[r.rows.length - 1]![0]);
      }
    } else {
      // No index on the position (Emmett's table has none): one ordered pass through a cursor, not a scan per page.
      await c.query({
        text: `DECLARE esi_load NO SCROLL CURSOR FOR SELECT ${select} FROM ${d.table} WHERE ${rows} AND ${d.readable} AND ${within} ORDER BY ${d.position}`,
        values: [from, to],
      });
      // The next page is asked for before this one is mapped: the server reads while we map.
      const fetch = () => c.query<Row>({ text: `FETCH ${PAGE} FROM esi_load`, rowMode: 'array' });
      for (let next: Promise<{ rows: Row[] }> | undefined = fetch(); next;) {
        const r: { rows: Row[] } = await next;
        next = r.rows.length < PAGE ? undefined : fetch();
        signal?.throwIfAborted();
        take(r.rows);
        onProgress?.(fresh.length, Math.max(total, fresh.length));
      }
      await c.query('CLOSE esi_load');
    }
    if (commands && only) this.commands.sort((a, b) => a.globalPosition - b.globalPosition);
    return fresh;
  }

  /**
   * Reads what became final since the last read; returns the new events. With `settle` (at open,
   * when transactions in flight never ended while it waited), it shows what is readable by Emmett's
   * rule now, and keeps the positions below it that are missing as not final (`pending`): an event
   * that commits there later is added in its place, never skipped.
   */
  private advance(onProgress?: OpenProgressListener, signal?: AbortSignal, settle = false): Promise<RecordedEvent[]> {
    return this.exclusive(async () => {
      this.assertOpen();
      let last: number;
      try {
        last = await this.lastTaken();
      } catch (e) {
        throw explainPostgresError(e, this.target);
      }
      return readOnlyTransaction(this.client, this.target, async (c) => {
        const grew = last > (this.frontiers[this.frontiers.length - 1]?.last ?? this.taken) || this.taken === 0;
        const snap = (
          await c.query<{ xmin: string; next: string | null }>(
            `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin${grew ? ', pg_current_xact_id()::text AS next' : ''}`,
          )
        ).rows[0]!;
        const xmin = BigInt(snap.xmin);
        // Our own transaction id is newer than that of every transaction that took a position up to `last`.
        if (grew && snap.next) this.frontiers.push({ last, xmax: BigInt(snap.next) });
        this.taken = Math.max(this.taken, last);
        let final = this.watermark;
        while (this.frontiers.length > 0 && this.frontiers[0]!.xmax <= xmin)
          final = Math.max(final, this.frontiers.shift()!.last);
        this.rawCheckpoints = await this.dialect.checkpoints(c);
        if (final > this.watermark) {
          const fresh = await this.readRange(c, this.watermark, final, onProgress, signal);
          const late = await this.settlePending(c, final);
          this.watermark = final;
          this.add(fresh);
          onProgress?.(fresh.length, fresh.length);
          return [...late, ...fresh];
        }
        if (!settle) return [];
        const fresh = await this.readRange(c, this.watermark, last, onProgress, signal);
        const top = Math.max(
          this.watermark,
          fresh.length > 0 ? fresh[fresh.length - 1]!.globalPosition : 0,
          ...this.commands.slice(-1).map((x) => x.globalPosition),
        );
        const present = new Set([...fresh.map((e) => e.globalPosition), ...this.commands.map((x) => x.globalPosition)]);
        let start: number | undefined;
        for (let p = this.watermark + 1; p <= top + 1; p++) {
          if (p <= top && !present.has(p)) start ??= p;
          else if (start !== undefined) {
            this.pending.push([start, p - 1]);
            start = undefined;
          }
        }
        this.watermark = top;
        this.add(fresh);
        onProgress?.(fresh.length, fresh.length);
        return fresh;
      });
    });
  }

  /** Reads the pending positions that are final now; what committed there is added in its place. */
  private async settlePending(c: Client, final: number): Promise<RecordedEvent[]> {
    const due = this.pending.filter(([lo]) => lo <= final).map(([lo, hi]) => [lo, Math.min(hi, final)] as const);
    if (due.length === 0) return [];
    const late = await this.readRange(c, 0, final, undefined, undefined, due);
    this.pending = this.pending.filter(([, hi]) => hi > final).map(([lo, hi]) => [Math.max(lo, final + 1), hi]);
    for (const e of late) this.insertLate(e);
    if (late.length > 0) this.lateCount += late.length;
    return late;
  }

  private insertLate(e: RecordedEvent): void {
    this.events.splice(firstAfter(this.events, e.globalPosition), 0, e);
    let s = this.streams.get(e.streamId);
    if (!s) {
      this.streams.set(e.streamId, (s = []));
      if (this.sortedIds) this.sortedIds.splice(firstAtLeast(this.sortedIds, e.streamId, false), 0, e.streamId);
    }
    s.splice(firstAfter(s, e.globalPosition), 0, e);
    this.types.set(e.type, (this.types.get(e.type) ?? 0) + 1);
  }

  private add(fresh: readonly RecordedEvent[]): void {
    for (const e of fresh) {
      this.events.push(e);
      let s = this.streams.get(e.streamId);
      if (!s) {
        this.streams.set(e.streamId, (s = []));
        if (this.sortedIds) this.sortedIds.splice(firstAtLeast(this.sortedIds, e.streamId, false), 0, e.streamId);
      }
      s.push(e);
      this.types.set(e.type, (this.types.get(e.type) ?? 0) + 1);
      const ahead = this.ahead.get(e.streamId);
      if (ahead) {
        const rest = ahead.filter((a) => a.streamVersion > e.streamVersion);
        if (rest.length > 0) this.ahead.set(e.streamId, rest);
        else this.ahead.delete(e.streamId);
      }
    }
  }

  /**
   * Reads newly committed, safely readable events, adds them, and returns those other writers
   * appended (this store's own appends were returned by `append`). Never skips an in-flight append.
   */
  async poll(): Promise<RecordedEvent[]> {
    if (this.closed) return [];
    let fresh = await this.advance();
    // What this read noted becomes final at the next one, usually at once: read again rather than a second later.
    if (this.watermark < this.taken) fresh = [...fresh, ...(await this.advance())];
    const others = fresh.filter((e) => !this.own.delete(e.eventId));
    if (others.length > 0) for (const listener of this.listeners) listener(others);
    return others;
  }

  /** Called with what each poll found that others appended. */
  onChange(listener: (events: readonly RecordedEvent[]) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  // ---------------------------------------------------------------- reads from memory

  readStream(streamId: string, options: ReadStreamOptions = {}): RecordedEvent[] {
    const shown = this.streams.get(streamId) ?? [];
    const lastShown = shown.length > 0 ? shown[shown.length - 1]!.streamVersion : 0;
    const ahead = (this.ahead.get(streamId) ?? []).filter((e) => e.streamVersion > lastShown);
    const after = options.afterVersion ?? 0;
    const all = [...shown.filter((e) => e.streamVersion > after), ...ahead.filter((e) => e.streamVersion > after)];
    return options.limit === undefined ? all : all.slice(0, options.limit);
  }

  readAll(options: ReadAllOptions = {}): RecordedEvent[] {
    const start = firstAfter(this.events, options.after ?? 0);
    return this.events.slice(start, options.limit === undefined ? undefined : start + options.limit);
  }

  forEach(
    onEvent: (event: RecordedEvent) => void,
    options: { readonly after?: number; readonly to?: number } = {},
  ): void {
    const to = options.to ?? Number.MAX_SAFE_INTEGER;
    for (let i = firstAfter(this.events, options.after ?? 0); i < this.events.length; i++) {
      const e = this.events[i]!;
      if (e.globalPosition > to) break;
      onEvent(e);
    }
  }

  readEvent(globalPosition: number): RecordedEvent | undefined {
    const e = this.events[firstAfter(this.events, globalPosition - 1)];
    return e?.globalPosition === globalPosition ? e : undefined;
  }

  streamVersion(streamId: string): number {
    const s = this.readStream(streamId);
    return s.length > 0 ? s[s.length - 1]!.streamVersion : 0;
  }

  listStreams(options: ListStreamsOptions = {}): StreamInfo[] {
    this.sortedIds ??= [...this.streams.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const ids = this.sortedIds;
    let i = options.after !== undefined ? firstAtLeast(ids, options.after, true) : 0;
    if (options.prefix) i = Math.max(i, firstAtLeast(ids, options.prefix, false));
    i += options.offset ?? 0;
    const out: StreamInfo[] = [];
    const limit = options.limit ?? Number.MAX_SAFE_INTEGER;
    for (; i < ids.length && out.length < limit; i++) {
      const id = ids[i]!;
      if (options.prefix && !id.startsWith(options.prefix)) break;
      const s = this.streams.get(id)!;
      const last = s[s.length - 1]!;
      out.push({ streamId: id, version: last.streamVersion, lastPosition: last.globalPosition });
    }
    return out;
  }

  lastPosition(): number {
    return this.events.length > 0 ? this.events[this.events.length - 1]!.globalPosition : 0;
  }

  stats(): StoreStats {
    const eventTypes: Record<string, number> = {};
    for (const type of [...this.types.keys()].sort()) eventTypes[type] = this.types.get(type)!;
    return { events: this.events.length, streams: this.streams.size, lastPosition: this.lastPosition(), eventTypes };
  }

  findPositions(filter: PositionFilter): number[] {
    const text = filter.text?.toLowerCase();
    const source = filter.streamId ? (this.streams.get(filter.streamId) ?? []) : this.events;
    return source
      .filter(
        (e) =>
          (!filter.eventType || e.type === filter.eventType) &&
          (!filter.correlationId || e.metadata.correlationId === filter.correlationId) &&
          (!filter.causationId || e.metadata.causationId === filter.causationId) &&
          (!text || JSON.stringify(e.data).toLowerCase().includes(text)),
      )
      .map((e) => e.globalPosition);
  }

  /** The same filter run as SQL on the server, over the events shown (up to the readable position). */
  findPositionsOnServer(filter: PositionFilter): Promise<number[]> {
    const d = this.dialect;
    const where = [d.eventsOnly, `${d.position} <= $1`];
    const values: (string | number)[] = [this.watermark];
    const add = (sql: string, value: string | undefined) => {
      if (!value) return;
      values.push(value);
      where.push(sql.replace('?', `$${values.length}`));
    };
    add(`${d.stream} = ?`, filter.streamId);
    add(`${d.type} = ?`, filter.eventType);
    add(`${d.correlation} = ?`, filter.correlationId);
    add(`${d.causation} = ?`, filter.causationId);
    add(`strpos(lower(${d.dataText}), ?) > 0`, filter.text?.toLowerCase());
    return this.exclusive(() =>
      readOnlyTransaction(this.client, this.target, async (c) => {
        const r = await c.query<[string]>({
          text: `SELECT ${d.position}::text AS esi_p FROM ${d.table} WHERE ${where.join(' AND ')} ORDER BY ${d.position}`,
          values,
          rowMode: 'array',
        });
        return r.rows.map((row) => Number(row[0]));
      }),
    );
  }

  /** Positions within the ranges that hold rows the reader does not show as events (commands, other partitions, archived). */
  otherRowsIn(ranges: readonly (readonly [number, number])[]): Promise<number[]> {
    if (ranges.length === 0) return Promise.resolve([]);
    const d = this.dialect;
    return this.exclusive(() =>
      readOnlyTransaction(this.client, this.target, async (c) => {
        const r = await c.query<[string]>({
          text: `SELECT ${d.position}::text FROM ${d.table} JOIN unnest($1::bigint[], $2::bigint[]) AS esi_range(lo, hi)
                   ON ${d.position} BETWEEN esi_range.lo AND esi_range.hi WHERE NOT (${d.eventsOnly})`,
          values: [ranges.map((r) => r[0]), ranges.map((r) => r[1])],
          rowMode: 'array',
        });
        return r.rows.map((row) => Number(row[0]));
      }),
    );
  }

  /** Emmett's own record of each stream's version, when the format keeps one. */
  registeredStreams(): Promise<Map<string, number> | undefined> {
    const table = this.dialect.streamsTable;
    if (!table) return Promise.resolve(undefined);
    return this.exclusive(() =>
      readOnlyTransaction(this.client, this.target, async (c) => {
        const r = await c.query<[string, string]>({
          text: `SELECT stream_id, stream_position::text FROM ${table} WHERE partition = 'emt:default' AND is_archived = FALSE`,
          rowMode: 'array',
        });
        return new Map(r.rows.map((row) => [row[0], Number(row[1])]));
      }),
    );
  }

  readCommands(options: { readonly after?: number; readonly limit?: number } = {}): RecordedCommand[] {
    const after = options.after ?? 0;
    const from = this.commands.filter((c) => c.globalPosition > after);
    return options.limit === undefined ? from : from.slice(0, options.limit);
  }

  checkpoints(): ProcessorCheckpoint[] {
    const last = this.lastPosition();
    return this.rawCheckpoints.map((cp) => {
      const raw = cp.raw.trim();
      const position = /^\d+$/.test(raw) && Number.isSafeInteger(Number(raw)) ? Number(raw) : undefined;
      let lag: number | undefined;
      let state: ProcessorCheckpoint['state'] = 'unknown';
      if (position !== undefined) {
        if (position > Math.max(last, this.taken)) state = 'beyond the last position';
        else {
          lag = this.events.length - firstAfter(this.events, position);
          state = lag === 0 ? 'caught up' : 'behind';
        }
      }
      return { ...cp, position, raw: cp.raw, lag, state };
    });
  }

  // ---------------------------------------------------------------- the team store

  /**
   * Appends through Emmett's own library, with the native store's semantics: the expected version
   * is checked by the server (a conflict throws ConcurrencyError with the stream's actual version),
   * and event ids become Emmett's message ids. The events are shown in global order once a poll
   * finds them final; the stream itself sees them at once (readStream, streamVersion).
   */
  async append(streamId: string, events: readonly NewEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    if (!this.writer) throw new ReadOnlyStoreError(this.readOnlyReason);
    this.assertOpen();
    validateStreamId(streamId);
    if (events.length === 0) throw new InvalidEventError('An append needs at least one event.');
    if (events.length > MAX_EVENTS_PER_APPEND)
      throw new InvalidEventError(`An append takes at most ${MAX_EVENTS_PER_APPEND} events.`);
    events.forEach((e, i) => validateNewEvent(e, i));
    const expected = options.expectedVersion ?? 'any';
    if (expected !== 'any' && expected !== 'no-stream' && !(Number.isSafeInteger(expected) && expected >= 0))
      throw new InvalidEventError(
        `The expected version must be a whole number >= 0, "no-stream" or "any"; got ${String(expected)}.`,
      );
    const given = events.map((e) => e.eventId).filter((id): id is string => id !== undefined);
    if (new Set(given).size !== given.length)
      throw new InvalidEventError('The events of one append must have distinct event ids.');
    if (given.length > 0) {
      // A retry of an append that already succeeded is answered as before; nothing is written.
      const stored = await this.writer.findInStream(streamId, given);
      if (stored.length === events.length)
        return {
          events: stored,
          nextExpectedVersion: Math.max(this.streamVersion(streamId), stored[stored.length - 1]!.streamVersion),
          lastPosition: stored[stored.length - 1]!.globalPosition,
          appended: false,
        };
      if (stored.length > 0)
        throw new InvalidEventError(
          `Event id ${stored[0]!.eventId} is already stored (in stream "${streamId}" at position ${stored[0]!.globalPosition}).`,
        );
    }
    const prepared = events.map((e) => ({
      eventId: e.eventId ?? randomUUID(),
      type: e.type,
      data: e.data === undefined ? {} : e.data,
      metadata: { ...(e.metadata ?? {}) },
    }));
    const before = this.streamVersion(streamId);
    let result;
    try {
      result = await this.writer.append(streamId, prepared, expected);
    } catch (e) {
      throw explainPostgresError(e, this.target);
    }
    if (!result.ok) {
      // What the winner wrote, so that the next decision on this stream is taken on it.
      await this.learnStream(streamId).catch(() => undefined);
      throw new ConcurrencyError(streamId, expected, result.actual);
    }
    const recordedAt = new Date().toISOString();
    const first = result.nextVersion - prepared.length;
    const recorded: RecordedEvent[] = prepared.map((e, i) => ({
      globalPosition: result.positions[i]!,
      streamId,
      streamVersion: first + i + 1,
      eventId: e.eventId,
      type: e.type,
      data: e.data,
      metadata: e.metadata,
      recordedAt,
    }));
    for (const e of recorded) this.own.add(e.eventId);
    if (first > before) await this.learnStream(streamId).catch(() => undefined);
    const ahead = [...(this.ahead.get(streamId) ?? []).filter((e) => e.streamVersion <= first), ...recorded];
    this.ahead.set(streamId, ahead);
    return {
      events: recorded,
      nextExpectedVersion: result.nextVersion,
      lastPosition: recorded[recorded.length - 1]!.globalPosition,
      appended: true,
    };
  }

  /** Reads a stream's committed events past what is shown, for the write model's next decision. */
  private async learnStream(streamId: string): Promise<void> {
    if (!this.writer) return;
    const shown = this.streams.get(streamId) ?? [];
    const tail = await this.writer.readStreamTail(
      streamId,
      shown.length > 0 ? shown[shown.length - 1]!.streamVersion : 0,
    );
    if (tail.length > 0) this.ahead.set(streamId, tail);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    await this.queue.catch(() => undefined);
    await this.client.end().catch(() => undefined);
    await this.writer?.close().catch(() => undefined);
  }
}
