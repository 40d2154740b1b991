import type { Writable } from 'node:stream';
import { UnsoundEventError } from './errors';
import type { EventStore, RecordedEvent } from './types';

/** One exported event: its keys in the documented order, as one line of JSON. */
export function eventLine(e: RecordedEvent): string {
  return JSON.stringify({
    globalPosition: e.globalPosition,
    streamId: e.streamId,
    streamVersion: e.streamVersion,
    eventId: e.eventId,
    type: e.type,
    data: e.data,
    metadata: e.metadata,
    recordedAt: e.recordedAt,
  });
}

/**
 * The events from position `from` to `to` (both included) as NDJSON, one chunk of lines per page
 * read: a large export never holds the whole store in memory.
 */
export function* exportNdjson(
  store: Pick<EventStore, 'readAll'>,
  range: { from?: number; to?: number } = {},
  page = 5000,
): Generator<string> {
  const to = range.to ?? Number.MAX_SAFE_INTEGER;
  for (let after = (range.from ?? 1) - 1; after < to;) {
    let events: RecordedEvent[];
    try {
      events = store.readAll({ after, limit: Math.min(page, to - after) });
    } catch (e) {
      if (!UnsoundEventError.is(e) || e.globalPosition - 1 <= after) throw e;
      // Everything before the row that cannot be read is exported, then the row is named.
      const before = store.readAll({ after, limit: e.globalPosition - 1 - after });
      yield before.map((r) => `${eventLine(r)}\n`).join('');
      throw e;
    }
    if (events.length === 0) break;
    yield events.map((e) => `${eventLine(e)}\n`).join('');
    after = events[events.length - 1]!.globalPosition;
  }
}

/** Writes respecting backpressure, so a large export does not pile up in memory; rejects on a write error. */
export function writeText(out: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ok = out.write(text, (e) => (e ? reject(e) : undefined));
    if (ok) resolve();
    else out.once('drain', resolve);
  });
}

/** Writes the chunks in order with backpressure; does not end the stream. */
export async function writeChunks(out: Writable, chunks: Iterable<string>): Promise<void> {
  for (const chunk of chunks) await writeText(out, chunk);
}
