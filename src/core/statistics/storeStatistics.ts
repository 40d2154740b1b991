import type { RecordedEvent } from '../eventStore/types';
import type { StoreReader } from '../formats/storeReader';
import { categoryOf } from '../search/streamPattern';
import { inSlices } from '../eventStore/slices';

export type BucketSize = 'minute' | 'hour' | 'day' | 'month';

export interface CountAt {
  /** The start of the bucket, ISO 8601 in UTC. */
  readonly start: string;
  readonly count: number;
}

export interface NamedCount {
  readonly name: string;
  readonly count: number;
}

export interface CategoryCount {
  readonly name: string;
  readonly events: number;
  readonly streams: number;
}

export interface LargeEvent {
  readonly position: number;
  readonly streamId: string;
  readonly type: string;
  /** UTF-8 bytes of the event's data and metadata as JSON. */
  readonly bytes: number;
}

export interface StoreStatistics {
  readonly events: number;
  readonly streams: number;
  readonly firstRecordedAt: string | null;
  readonly lastRecordedAt: string | null;
  /** Events per bucket from the first event to the last (empty buckets included). */
  readonly overTime: { readonly bucket: BucketSize; readonly points: readonly CountAt[] };
  /** Events whose time could not be read (they are counted everywhere else). */
  readonly undated: number;
  readonly byType: readonly NamedCount[];
  readonly byCategory: readonly CategoryCount[];
  readonly longestStreams: readonly NamedCount[];
  readonly largestEvents: readonly LargeEvent[];
  /** Appends per minute in the hour up to `until` (the time the statistics were computed). */
  readonly recent: { readonly until: string; readonly perMinute: readonly CountAt[] };
}

export interface StatisticsOptions {
  /** "Now", for the recent appends (tests fix it). */
  readonly now?: Date;
  /** Entries in each top list (default 10). */
  readonly top?: number;
  /** Called between slices of events: a turn of the event loop keeps the window responsive. */
  readonly pause?: () => Promise<void>;
  readonly onProgress?: (done: number, total: number) => void;
  /** Events read in the first slice (then sized to take about SLICE_BUDGET_MS each). */
  readonly slice?: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** At most about this many points over time: enough to see a shape, few enough to read. */
const MAX_POINTS = 120;
const RECENT_MINUTES = 60;

const byCountThenName =
  <T extends { name: string }>(count: (t: T) => number) =>
  (a: T, b: T) =>
    count(b) - count(a) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Keeps the `size` first items by `compare` (negative: `a` ranks before `b`); ties keep the earlier one ahead. */
class TopList<T> {
  readonly items: T[] = [];
  constructor(
    private readonly size: number,
    private readonly compare: (a: T, b: T) => number,
  ) {}
  offer(item: T): void {
    if (this.items.length === this.size && this.compare(item, this.items[this.items.length - 1]!) >= 0) return;
    let i = this.items.length;
    while (i > 0 && this.compare(item, this.items[i - 1]!) < 0) i--;
    this.items.splice(i, 0, item);
    if (this.items.length > this.size) this.items.pop();
  }
}

function bucketStart(ms: number, bucket: BucketSize): number {
  if (bucket === 'minute') return Math.floor(ms / MINUTE) * MINUTE;
  if (bucket === 'hour') return Math.floor(ms / HOUR) * HOUR;
  if (bucket === 'day') return Math.floor(ms / DAY) * DAY;
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

function nextBucket(ms: number, bucket: BucketSize): number {
  if (bucket === 'minute') return ms + MINUTE;
  if (bucket === 'hour') return ms + HOUR;
  if (bucket === 'day') return ms + DAY;
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** The smallest bucket that shows the span in at most MAX_POINTS points. */
export function bucketFor(spanMs: number): BucketSize {
  if (spanMs < MAX_POINTS * MINUTE) return 'minute';
  if (spanMs < MAX_POINTS * HOUR) return 'hour';
  if (spanMs < MAX_POINTS * DAY) return 'day';
  return 'month';
}

/**
 * Statistics of a store, from one read of its events in global order through the read interface
 * (every format), a slice at a time with a pause between slices, so that computing them over a
 * million events never holds the event loop for long.
 */
export async function computeStatistics(
  store: Pick<StoreReader, 'forEach' | 'lastPosition'>,
  options: StatisticsOptions = {},
): Promise<StoreStatistics> {
  const top = options.top ?? 10;
  const now = (options.now ?? new Date()).getTime();
  const recentFrom = bucketStart(now, 'minute') - (RECENT_MINUTES - 1) * MINUTE;
  const perMinute = new Map<number, number>();
  const types = new Map<string, number>();
  const categories = new Map<string, { events: number; streams: number }>();
  const streams = new Map<string, number>();
  const recent = new Array<number>(RECENT_MINUTES).fill(0);
  const largest = new TopList<LargeEvent>(top, (a, b) => b.bytes - a.bytes);
  let events = 0;
  let undated = 0;
  let first = Infinity;
  let last = -Infinity;

  const take = (e: RecordedEvent) => {
    events += 1;
    types.set(e.type, (types.get(e.type) ?? 0) + 1);
    const inStream = streams.get(e.streamId);
    streams.set(e.streamId, (inStream ?? 0) + 1);
    const category = categoryOf(e.streamId);
    let c = categories.get(category);
    if (!c) categories.set(category, (c = { events: 0, streams: 0 }));
    c.events += 1;
    if (inStream === undefined) c.streams += 1;
    const ms = Date.parse(e.recordedAt);
    if (Number.isNaN(ms)) undated += 1;
    else {
      const minute = bucketStart(ms, 'minute');
      perMinute.set(minute, (perMinute.get(minute) ?? 0) + 1);
      if (ms < first) first = ms;
      if (ms > last) last = ms;
      const k = (minute - recentFrom) / MINUTE;
      if (k >= 0 && k < RECENT_MINUTES) recent[k]! += 1;
    }
    const bytes = Buffer.byteLength(JSON.stringify(e.data) ?? '') + Buffer.byteLength(JSON.stringify(e.metadata) ?? '');
    largest.offer({ position: e.globalPosition, streamId: e.streamId, type: e.type, bytes });
  };

  const end = store.lastPosition();
  await inSlices(
    0,
    end,
    (after, to) => {
      store.forEach(take, { after, to });
      options.onProgress?.(to, end);
    },
    { ...(options.pause ? { pause: options.pause } : {}), ...(options.slice ? { first: options.slice } : {}) },
  );

  const points: CountAt[] = [];
  let bucket: BucketSize = 'minute';
  if (events > undated) {
    bucket = bucketFor(last - first);
    const counts = new Map<number, number>();
    for (const [minute, count] of perMinute) {
      const b = bucketStart(minute, bucket);
      counts.set(b, (counts.get(b) ?? 0) + count);
    }
    for (let b = bucketStart(first, bucket); b <= last; b = nextBucket(b, bucket))
      points.push({ start: new Date(b).toISOString(), count: counts.get(b) ?? 0 });
  }

  const longest = new TopList<NamedCount>(
    top,
    byCountThenName((s) => s.count),
  );
  for (const [name, count] of streams) longest.offer({ name, count });

  return {
    events,
    streams: streams.size,
    firstRecordedAt: events > undated ? new Date(first).toISOString() : null,
    lastRecordedAt: events > undated ? new Date(last).toISOString() : null,
    overTime: { bucket, points },
    undated,
    byType: [...types].map(([name, count]) => ({ name, count })).sort(byCountThenName((t) => t.count)),
    byCategory: [...categories]
      .map(([name, c]) => ({ name, events: c.events, streams: c.streams }))
      .sort(byCountThenName((c) => c.events)),
    longestStreams: longest.items,
    largestEvents: largest.items,
    recent: {
      until: new Date(now).toISOString(),
      perMinute: recent.map((count, k) => ({ start: new Date(recentFrom + k * MINUTE).toISOString(), count })),
    },
  };
}
