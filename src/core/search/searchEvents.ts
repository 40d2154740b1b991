import type { RecordedEvent } from '../eventStore/types';
import type { StoreReader } from '../formats/storeReader';
import { dataMatches, queryWords, snippetOf } from './eventText';
import type { EventTextIndex } from './textIndex';
import { inSlices } from '../eventStore/slices';
import { parseStreamPattern, type StreamPattern } from './streamPattern';

/** One event found: where it is, and a few words of its data around the first match. */
export interface SearchHit {
  readonly position: number;
  readonly streamId: string;
  readonly streamVersion: number;
  readonly type: string;
  readonly recordedAt: string;
  readonly snippet: string;
}

export interface SearchQuery {
  /** Words that must each start a word of the event's data (any case, accents ignored). */
  readonly text: string;
  /** A stream filter (see parseStreamPattern): `user-*`, `category:cart`, or text in the id. */
  readonly stream?: string;
  readonly limit: number;
}

export interface SearchResult {
  readonly hits: SearchHit[];
  /** More events match than the limit. */
  readonly more: boolean;
}

export const MAX_SEARCH_LIMIT = 10_000;

function toHit(e: RecordedEvent, words: readonly string[]): SearchHit {
  return {
    position: e.globalPosition,
    streamId: e.streamId,
    streamVersion: e.streamVersion,
    type: e.type,
    recordedAt: e.recordedAt,
    snippet: snippetOf(e.data, words),
  };
}

function parseQuery(query: SearchQuery): { words: string[]; stream: StreamPattern | undefined } {
  const words = queryWords(query.text);
  const stream = query.stream === undefined ? undefined : parseStreamPattern(query.stream);
  return { words, stream: stream?.kind === 'all' ? undefined : stream };
}

/** Nothing to search for: no word in the text and no stream filter. */
export function isEmptyQuery(query: Pick<SearchQuery, 'text' | 'stream'>): boolean {
  const { words, stream } = parseQuery({ ...query, limit: 1 });
  return words.length === 0 && !stream;
}

/** Searches through the full-text index, after bringing it up to the store's last event. */
export async function searchWithIndex(
  store: Pick<StoreReader, 'forEach' | 'lastPosition' | 'readEvent'>,
  index: EventTextIndex,
  query: SearchQuery,
  options: { readonly pause?: () => Promise<void> } = {},
): Promise<SearchResult> {
  const { words, stream } = parseQuery(query);
  if (words.length === 0 && !stream) return { hits: [], more: false };
  await index.catchUp(store, options);
  const positions = await index.search(words, { limit: query.limit + 1, ...(stream ? { stream } : {}) });
  const hits: SearchHit[] = [];
  for (const p of positions.slice(0, query.limit)) {
    const e = store.readEvent(p);
    if (e) hits.push(toHit(e, words));
  }
  return { hits, more: positions.length > query.limit };
}

/**
 * Searches by reading the events in order, a slice at a time, until `limit` hits: what the CLI
 * does, where one question does not pay for building an index (see the benchmarks).
 */
export async function searchByScan(
  store: Pick<StoreReader, 'forEach' | 'lastPosition'>,
  query: SearchQuery,
  options: { readonly pause?: () => Promise<void> } = {},
): Promise<SearchResult> {
  const { words, stream } = parseQuery(query);
  if (words.length === 0 && !stream) return { hits: [], more: false };
  const last = store.lastPosition();
  const hits: SearchHit[] = [];
  let more = false;
  const take = (e: RecordedEvent) => {
    if (more) return;
    if (stream && !stream.test(e.streamId)) return;
    if (!dataMatches(e.data, words)) return;
    if (hits.length >= query.limit) more = true;
    else hits.push(toHit(e, words));
  };
  await inSlices(
    0,
    last,
    (after, to) => {
      store.forEach(take, { after, to });
      return more;
    },
    options.pause ? { pause: options.pause } : {},
  );
  return { hits, more };
}
