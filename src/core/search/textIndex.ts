import type { Database, Statement } from 'sql.js';
import { loadSqlJs } from '../eventStore/sqlJs';
import type { RecordedEvent } from '../eventStore/types';
import type { StoreReader } from '../formats/storeReader';
import { ftsMatch, textOfData } from './eventText';
import type { StreamPattern } from './streamPattern';
import { inSlices } from '../statistics/slices';

export interface IndexProgress {
  readonly indexed: number;
  readonly total: number;
}

/**
 * A full-text index of the events' data: SQLite FTS4 (`unicode61`, contentless: it keeps the
 * words, not the text) in a database of its own, in memory. The store's file and schema are never
 * touched — the native store's file is sealed and checked at open, and a foreign store is never
 * written — so the index is built from the read interface the first time it is needed, a slice at
 * a time, and from then on follows the appends. It also keeps each indexed position's stream, so a
 * search restricted to streams needs no read of the store.
 */
export class EventTextIndex {
  private readonly insert: Statement;
  /** Stream ordinal per global position (-1: no event there, e.g. an Emmett command). */
  private streamAt = new Int32Array(1024).fill(-1);
  private readonly streamIds: string[] = [];
  private readonly streamOrdinal = new Map<string, number>();
  private upTo = 0;
  private catchingUp: Promise<void> | undefined;
  private closed = false;

  private constructor(private readonly db: Database) {
    db.run("CREATE VIRTUAL TABLE words USING fts4(content='', body, tokenize=unicode61)");
    // Segments merged a little after each write, never all at once: one large merge held the loop for 200 ms.
    db.run("INSERT INTO words(words) VALUES ('automerge=2')");
    this.insert = db.prepare('INSERT INTO words(docid, body) VALUES (?, ?)');
  }

  static async create(options: { readonly wasmPath?: string } = {}): Promise<EventTextIndex> {
    const SQL = await loadSqlJs(options.wasmPath);
    return new EventTextIndex(new SQL.Database());
  }

  /** The last global position indexed: events after it are not found yet. */
  get indexedUpTo(): number {
    return this.upTo;
  }

  /** Indexes events after the last one indexed (appends arrive in global order; older ones are skipped). */
  add(events: readonly RecordedEvent[]): void {
    if (this.closed) return;
    const fresh = events.filter((e) => e.globalPosition > this.upTo);
    if (fresh.length === 0) return;
    this.db.run('BEGIN');
    try {
      for (const e of fresh) {
        this.insert.run([e.globalPosition, textOfData(e.data).join(' ')]);
        this.noteStream(e.globalPosition, e.streamId);
        this.upTo = e.globalPosition;
      }
      this.db.run('COMMIT');
    } catch (err) {
      this.db.run('ROLLBACK');
      throw err;
    }
  }

  private noteStream(position: number, streamId: string): void {
    let ordinal = this.streamOrdinal.get(streamId);
    if (ordinal === undefined) {
      ordinal = this.streamIds.length;
      this.streamIds.push(streamId);
      this.streamOrdinal.set(streamId, ordinal);
    }
    if (position >= this.streamAt.length) {
      const grown = new Int32Array(Math.max(position + 1, this.streamAt.length * 2)).fill(-1);
      grown.set(this.streamAt);
      this.streamAt = grown;
    }
    this.streamAt[position] = ordinal;
  }

  /**
   * Indexes what the store holds beyond the index, a slice at a time, pausing between slices
   * (`pause`, e.g. a turn of the event loop). Concurrent calls share one catch-up.
   */
  catchUp(
    store: Pick<StoreReader, 'forEach' | 'lastPosition'>,
    options: { readonly pause?: () => Promise<void>; readonly onProgress?: (p: IndexProgress) => void } = {},
  ): Promise<void> {
    if (!this.catchingUp) {
      this.catchingUp = this.run(store, options).finally(() => (this.catchingUp = undefined));
    }
    return this.catchingUp;
  }

  private async run(
    store: Pick<StoreReader, 'forEach' | 'lastPosition'>,
    options: { readonly pause?: () => Promise<void>; readonly onProgress?: (p: IndexProgress) => void },
  ): Promise<void> {
    const pause = options.pause ?? (() => new Promise<void>((resolve) => setImmediate(resolve)));
    // Appends may arrive meanwhile: go on until the index has reached the store's end.
    while (this.upTo < store.lastPosition() && !this.closed) {
      const last = store.lastPosition();
      await inSlices(
        this.upTo,
        last,
        (after, to) => {
          if (this.closed || this.upTo > after) return true;
          const slice: RecordedEvent[] = [];
          store.forEach((e) => slice.push(e), { after, to });
          this.add(slice);
          // Positions without an event (an Emmett command) still count as read.
          this.upTo = Math.max(this.upTo, to);
          options.onProgress?.({ indexed: this.upTo, total: last });
        },
        { pause },
      );
    }
  }

  /**
   * Global positions of the events whose data has every query word (as a word prefix), in order,
   * after `after`, at most `limit`; restricted to the streams `stream` matches when given. No words
   * and a stream pattern: every event of those streams.
   */
  search(
    words: readonly string[],
    options: { readonly limit: number; readonly after?: number; readonly stream?: StreamPattern },
  ): number[] {
    const after = options.after ?? 0;
    const streamOk = this.streamFilter(options.stream);
    const out: number[] = [];
    if (words.length === 0) {
      if (!streamOk) return [];
      for (let p = after + 1; p <= this.upTo && out.length < options.limit; p++) {
        const o = this.streamAt[p]!;
        if (o >= 0 && streamOk(o)) out.push(p);
      }
      return out;
    }
    const stmt = this.db.prepare('SELECT docid FROM words WHERE words MATCH ? AND docid > ? ORDER BY docid LIMIT ?');
    try {
      // With a stream filter, hits are read in batches until enough of them are in those streams.
      const batch = streamOk ? Math.max(options.limit * 4, 500) : options.limit;
      let from = after;
      for (;;) {
        stmt.bind([ftsMatch(words), from, batch]);
        let read = 0;
        while (stmt.step()) {
          const p = stmt.get()[0] as number;
          read += 1;
          from = p;
          if (!streamOk || streamOk(this.streamAt[p]!)) out.push(p);
          if (out.length >= options.limit) return out;
        }
        stmt.reset();
        if (read < batch) return out;
      }
    } finally {
      stmt.free();
    }
  }

  private streamFilter(pattern: StreamPattern | undefined): ((ordinal: number) => boolean) | undefined {
    if (!pattern || pattern.kind === 'all') return undefined;
    const known = new Map<number, boolean>();
    return (o) => {
      if (o < 0) return false;
      let ok = known.get(o);
      if (ok === undefined) known.set(o, (ok = pattern.test(this.streamIds[o]!)));
      return ok;
    };
  }

  /** Bytes the index holds in memory (the FTS tables), for the benchmarks. */
  bytes(): number {
    // Not export(): it would free the prepared statements.
    const pages = Number(this.db.exec('PRAGMA page_count')[0]?.values[0]?.[0] ?? 0);
    const size = Number(this.db.exec('PRAGMA page_size')[0]?.values[0]?.[0] ?? 0);
    return pages * size + this.streamAt.byteLength;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.insert.free();
    this.db.close();
  }
}
