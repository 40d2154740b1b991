import { forEachInSlices, type WalkOptions } from '../eventStore/slicedRead';
import type { RecordedEvent } from '../eventStore/types';
import { isForeignStore, type ProcessorCheckpoint, type StoreReader } from './storeReader';

/** The stream id before its first `-` (the whole id when it has none): the same rule as the `category` column of the query views. */
export function categoryOf(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash === -1 ? streamId : streamId.slice(0, dash);
}

export interface CategorySummary {
  readonly category: string;
  readonly streams: number;
  readonly events: number;
  readonly lastPosition: number;
}

export interface EventTypeSummary {
  readonly type: string;
  readonly count: number;
  readonly firstPosition: number;
  readonly lastPosition: number;
  /** The data of the first event of this type, as a sample of its shape. */
  readonly sample: unknown;
}

export interface LatestEvent {
  readonly streamId: string;
  readonly event: RecordedEvent;
}

/** Read models that need no domain: they describe any store, ours or another application's. */
export interface GenericReadModels {
  readonly categories: readonly CategorySummary[];
  readonly eventTypes: readonly EventTypeSummary[];
  /** The newest event of each stream, streams in id order. */
  readonly latestPerStream: readonly LatestEvent[];
  readonly checkpoints: readonly ProcessorCheckpoint[];
}

/** One pass over every event, in slices: O(events) time, O(streams + types) memory. */
export async function buildGenericReadModels(
  store: StoreReader,
  options: WalkOptions = {},
): Promise<GenericReadModels> {
  const categories = new Map<string, { streams: Set<string>; events: number; lastPosition: number }>();
  const types = new Map<string, { count: number; firstPosition: number; lastPosition: number; sample: unknown }>();
  const latest = new Map<string, RecordedEvent>();
  await forEachInSlices(
    store,
    (e) => {
      const category = categoryOf(e.streamId);
      let c = categories.get(category);
      if (!c) categories.set(category, (c = { streams: new Set(), events: 0, lastPosition: 0 }));
      c.streams.add(e.streamId);
      c.events += 1;
      c.lastPosition = e.globalPosition;
      const t = types.get(e.type);
      if (!t)
        types.set(e.type, {
          count: 1,
          firstPosition: e.globalPosition,
          lastPosition: e.globalPosition,
          sample: e.data,
        });
      else {
        t.count += 1;
        t.lastPosition = e.globalPosition;
      }
      latest.set(e.streamId, e);
    },
    options,
  );
  return {
    categories: [...categories]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([category, c]) => ({ category, streams: c.streams.size, events: c.events, lastPosition: c.lastPosition })),
    eventTypes: [...types].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([type, t]) => ({ type, ...t })),
    latestPerStream: [...latest]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([streamId, event]) => ({ streamId, event })),
    checkpoints: isForeignStore(store) ? store.checkpoints() : [],
  };
}
