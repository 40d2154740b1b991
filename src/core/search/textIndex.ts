import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RecordedEvent } from '../eventStore/types';
import type { StoreReader } from '../formats/storeReader';
import { ftsMatch, textOfData } from './eventText';
import type { FtsAnswer, FtsRequest } from './ftsWorker';
import type { StreamPattern } from './streamPattern';
import { inSlices } from '../eventStore/slices';

/** Reads handed to the index's thread and not yet taken in, at most (each of up to a few thousand events). */
const MAX_SLICES_IN_FLIGHT = 16;

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

export interface IndexProgress {
  readonly indexed: number;
  readonly total: number;
}

/**
 * A full-text index of the events' data: SQLite FTS4 (`unicode61`, contentless: it keeps the
 * words, not the text) in a database of its own, in memory, on a thread of its own. The store's file and schema are never
 * touched — the native store's file is sealed and checked at open, and a foreign store is never
 * written — so the index is built from the read interface the first time it is needed, a slice at
 * a time, and from then on follows the appends. It also keeps each indexed position's stream, so a
 * search restricted to streams needs no read of the store.
 */
export class EventTextIndex {
  /** Stream ordinal per global position (-1: no event there, e.g. an Emmett command). */
  private streamAt = new Int32Array(1024).fill(-1);
  private readonly streamIds: string[] = [];
  private readonly streamOrdinal = new Map<string, number>();
  private upTo = 0;
  private catchingUp: Promise<void> | undefined;
  private closed = false;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private failure: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (answer: FtsAnswer) => {
      const w = this.waiting.get(answer.id);
      if (!w) return;
      this.waiting.delete(answer.id);
      if (this.waiting.size === 0) worker.unref();
      if ('error' in answer) w.reject(new Error(`The search index failed: ${answer.error}`));
      else w.resolve(answer.ok);
    });
    const fail = (e: Error) => {
      this.failure = e;
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
    };
    worker.on('error', (e) => fail(new Error(`The search index stopped: ${e.message}`)));
    worker.on('exit', () => fail(new Error('The search index was closed.')));
    // The index keeps a process alive only while it is asked something (see call()).
    worker.unref();
  }

  /** Starts the index's thread (the FTS4 work runs there: see ftsWorker.ts). */
  static async create(options: { readonly wasmPath?: string } = {}): Promise<EventTextIndex> {
    const worker = new Worker(path.join(__dirname, 'ftsWorker.js'), {
      workerData: options.wasmPath ? { wasmPath: options.wasmPath } : {},
    });
    const index = new EventTextIndex(worker);
    // The worker says it is ready with answer 0.
    worker.ref();
    await new Promise((resolve, reject) => index.waiting.set(0, { resolve, reject }));
    return index;
  }

  private call<T>(request: DistributiveOmit<FtsRequest, 'id'>): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.ref();
      this.worker.postMessage({ ...request, id });
    });
  }

  /** The last global position indexed: events after it are not found yet. */
  get indexedUpTo(): number {
    return this.upTo;
  }

  /**
   * Indexes events after the last one indexed (appends arrive in global order; older ones are
   * skipped). The words are indexed on the index's thread; a search asked later waits for them.
   */
  add(events: readonly RecordedEvent[]): Promise<void> {
    if (this.closed) return Promise.resolve();
    const docs: [number, string][] = [];
    for (const e of events) {
      if (e.globalPosition <= this.upTo) continue;
      docs.push([e.globalPosition, textOfData(e.data).join(' ')]);
      this.noteStream(e.globalPosition, e.streamId);
      this.upTo = e.globalPosition;
    }
    return docs.length ? this.call<null>({ op: 'add', docs }).then(() => undefined) : Promise.resolve();
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
    const pending: Promise<void>[] = [];
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
          // Not awaited: the next slice is read while the index's thread takes in this one.
          pending.push(this.add(slice));
          // Positions without an event (an Emmett command) still count as read.
          this.upTo = Math.max(this.upTo, to);
          options.onProgress?.({ indexed: this.upTo, total: last });
        },
        {
          pause: async () => {
            // At most a few slices wait for the index's thread: reading far ahead of it only holds memory.
            while (pending.length > MAX_SLICES_IN_FLIGHT) await pending.shift();
            await pause();
          },
        },
      );
    }
    await Promise.all(pending);
  }

  /**
   * Global positions of the events whose data has every query word (as a word prefix), in order,
   * after `after`, at most `limit`; restricted to the streams `stream` matches when given. No words
   * and a stream pattern: every event of those streams.
   */
  async search(
    words: readonly string[],
    options: { readonly limit: number; readonly after?: number; readonly stream?: StreamPattern },
  ): Promise<number[]> {
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
    // With a stream filter, hits are read in batches until enough of them are in those streams.
    const batch = streamOk ? Math.max(options.limit * 4, 500) : options.limit;
    let from = after;
    for (;;) {
      const found = await this.call<number[]>({ op: 'search', match: ftsMatch(words), after: from, limit: batch });
      for (const p of found) {
        from = p;
        if (!streamOk || streamOk(this.streamAt[p]!)) out.push(p);
        if (out.length >= options.limit) return out;
      }
      if (found.length < batch) return out;
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

  /** Bytes the index holds in memory (its FTS tables, and the streams of the positions), for the benchmarks. */
  async bytes(): Promise<number> {
    return (await this.call<number>({ op: 'bytes' })) + this.streamAt.byteLength;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.worker.terminate();
  }
}
