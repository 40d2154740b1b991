import type { StreamInfo } from '../eventStore/types';
import type { StoreReader } from '../formats/storeReader';
import { inSlices } from '../eventStore/slices';
import type { FoundStreams } from './findStreams';
import { categoryOf, type StreamPattern } from './streamPattern';

const PAGE = 2000;
/** Beyond this many new events, listing the streams again costs less than reading every new event. */
const MAX_CATCH_UP = 20_000;
/** Stream ids tested between two looks at the clock while matching. */
const MATCH_STEP = 5000;

type Store = Pick<StoreReader, 'listStreams' | 'forEach' | 'lastPosition'>;

/**
 * The stream ids of a store in memory, in the store's order, with each stream's version and last
 * position: filtering the Streams view as a person types matches over this list instead of paging
 * through every stream of the store at each keystroke. It is listed once, a page at a time with the
 * event loop free between pages, and then follows the store by reading only the events appended since.
 */
export class StreamIndex {
  private entries: StreamInfo[] = [];
  private slotOf = new Map<string, number>();
  private upTo = 0;
  private updating: Promise<void> | undefined;

  constructor(private readonly pause: () => Promise<void> = () => new Promise((r) => setImmediate(r))) {}

  get size(): number {
    return this.entries.length;
  }

  /** Brings the list up to the store's last position (concurrent calls share one update). */
  update(store: Store): Promise<void> {
    this.updating ??= this.run(store).finally(() => (this.updating = undefined));
    return this.updating;
  }

  private async run(store: Store): Promise<void> {
    for (let last = store.lastPosition(); this.upTo !== last; last = store.lastPosition()) {
      // The first time, the store's own list (and its order); after, only what was appended.
      if (this.upTo === 0 || last < this.upTo || last - this.upTo > MAX_CATCH_UP) await this.list(store, last);
      else await this.catchUp(store, last);
    }
  }

  /** Lists every stream again; events appended meanwhile are read after (a stream's version only grows). */
  private async list(store: Store, last: number): Promise<void> {
    const entries: StreamInfo[] = [];
    let after: string | undefined;
    for (;;) {
      const page = store.listStreams({ limit: PAGE, ...(after === undefined ? {} : { after }) });
      entries.push(...page);
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.streamId;
      await this.pause();
    }
    this.entries = entries;
    this.slotOf = new Map(entries.map((s, i) => [s.streamId, i]));
    this.upTo = last;
  }

  private async catchUp(store: Store, last: number): Promise<void> {
    const fresh = new Map<string, StreamInfo>();
    const note = (streamId: string, version: number, lastPosition: number) => {
      const slot = this.slotOf.get(streamId);
      if (slot === undefined) fresh.set(streamId, { streamId, version, lastPosition });
      else if (lastPosition > this.entries[slot]!.lastPosition)
        this.entries[slot] = { streamId, version, lastPosition };
    };
    await inSlices(
      this.upTo,
      last,
      (after, to) => store.forEach((e) => note(e.streamId, e.streamVersion, e.globalPosition), { after, to }),
      { pause: this.pause },
    );
    if (fresh.size > 0) {
      // New streams go where the store's list puts them: ids in code point order, as SQLite's BINARY.
      const added = [...fresh.values()].sort((a, b) => compareCodePoints(a.streamId, b.streamId));
      const merged: StreamInfo[] = [];
      let i = 0;
      for (const s of added) {
        while (i < this.entries.length && compareCodePoints(this.entries[i]!.streamId, s.streamId) < 0)
          merged.push(this.entries[i++]!);
        merged.push(s);
      }
      while (i < this.entries.length) merged.push(this.entries[i++]!);
      this.entries = merged;
      this.slotOf = new Map(merged.map((s, k) => [s.streamId, k]));
    }
    this.upTo = last;
  }

  /**
   * The streams the pattern matches, in the store's order, at most `limit` (the same answer as
   * findStreams over the store), testing the ids in runs with a turn of the event loop between runs.
   */
  async find(pattern: StreamPattern, options: { readonly limit: number }): Promise<FoundStreams> {
    const found: StreamInfo[] = [];
    const entries = this.entries;
    for (let i = 0; i < entries.length && found.length <= options.limit; i++) {
      if (pattern.test(entries[i]!.streamId)) found.push(entries[i]!);
      if (i % MATCH_STEP === MATCH_STEP - 1) await this.pause();
    }
    return { streams: found.slice(0, options.limit), more: found.length > options.limit };
  }

  /** Every category with its number of streams, largest first (ties by name), as listCategories. */
  categories(): { category: string; streams: number }[] {
    const byName = new Map<string, number>();
    for (const s of this.entries) {
      const c = categoryOf(s.streamId);
      byName.set(c, (byName.get(c) ?? 0) + 1);
    }
    return [...byName]
      .map(([category, streams]) => ({ category, streams }))
      .sort((a, b) => b.streams - a.streams || (a.category < b.category ? -1 : a.category > b.category ? 1 : 0));
  }
}

/** Orders strings by code point (UTF-16 code units order surrogate pairs before U+E000–U+FFFF; SQLite does not). */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const hx = x >= 0xd800 && x <= 0xdfff;
    const hy = y >= 0xd800 && y <= 0xdfff;
    if (hx !== hy) return hx ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
