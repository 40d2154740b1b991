import type { Writable } from 'node:stream';
import { writeText } from '../core/eventStore/exportNdjson';
import { openAnyStore, type OpenAnyStoreOptions } from '../core/formats/openStore';
import type { StoreReader } from '../core/formats/storeReader';
import { searchByScan, type SearchHit } from '../core/search/searchEvents';
import { computeStatistics } from '../core/statistics/storeStatistics';

export type SearchFormat = 'ndjson' | 'table';

async function withReader<T>(options: OpenAnyStoreOptions, run: (store: StoreReader) => Promise<T>): Promise<T> {
  const store = await openAnyStore({ ...options, readOnly: true });
  try {
    return await run(store);
  } finally {
    await store.close();
  }
}

// Control characters in a stream id or payload would break the table's lines (or drive the terminal).
const oneLine = (s: string) => s.replace(/\p{Cc}+/gu, ' ');

/** A plain text table: one row per hit, columns padded to their widest cell. */
function table(hits: readonly SearchHit[]): string {
  const head = ['position', 'stream', 'version', 'type', 'recorded at', 'data'];
  const rows = hits.map((h) => [
    String(h.position),
    oneLine(h.streamId),
    String(h.streamVersion),
    oneLine(h.type),
    h.recordedAt,
    oneLine(h.snippet),
  ]);
  const widths = head.map((t, i) => Math.max(t.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows]
    .map(
      (r) =>
        `${r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');
}

/**
 * `event-store search TEXT [--stream PATTERN]`: the events whose data has every word of TEXT (as
 * the start of a word, any case), in global order. One question reads the events once, in order,
 * and stops at the limit: cheaper than building the extension's index for it.
 */
export async function searchCommand(
  options: OpenAnyStoreOptions,
  query: { readonly text: string; readonly stream?: string; readonly limit: number; readonly format: SearchFormat },
  out: Writable,
): Promise<number> {
  return withReader(options, async (store) => {
    const { hits, more } = await searchByScan(store, query);
    if (query.format === 'table') await writeText(out, hits.length ? table(hits) : 'No events match.\n');
    else await writeText(out, hits.map((h) => `${JSON.stringify({ globalPosition: h.position, ...h })}\n`).join(''));
    if (more && query.format === 'table') await writeText(out, `(the first ${hits.length}; more match: --limit N)\n`);
    return 0;
  });
}

/** `event-store stats --detail`: the statistics the extension charts, as one JSON object. */
export async function statsDetailCommand(options: OpenAnyStoreOptions, out: Writable): Promise<number> {
  return withReader(options, async (store) => {
    const stats = await computeStatistics(store);
    await writeText(out, `${JSON.stringify(stats)}\n`);
    return 0;
  });
}
