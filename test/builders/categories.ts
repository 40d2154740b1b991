import type { RecordedEvent } from '../../src/core/eventStore/types';

/**
 * Events and streams per category (the stream id before its first `-`), counted here from the
 * events themselves, so tests check the statistics against a count of their own.
 */
export function countCategories(
  events: readonly RecordedEvent[],
): Map<string, { events: number; streams: Set<string> }> {
  const categories = new Map<string, { events: number; streams: Set<string> }>();
  for (const e of events) {
    const name = e.streamId.split('-')[0]!;
    const c = categories.get(name) ?? { events: 0, streams: new Set<string>() };
    c.events++;
    c.streams.add(e.streamId);
    categories.set(name, c);
  }
  return categories;
}
