import type { StreamInfo } from '../eventStore/types';
import type { StoreReader } from '../formats/storeReader';
import { categoryOf, type StreamPattern } from './streamPattern';

const PAGE = 2000;

export interface FoundStreams {
  readonly streams: StreamInfo[];
  /** More streams match after the last one returned. */
  readonly more: boolean;
}

/**
 * The streams matching a pattern, in id order, read through the store's stream list a page at a
 * time (every format has one). A category reads only its own range of ids.
 */
export function findStreams(
  store: Pick<StoreReader, 'listStreams'>,
  pattern: StreamPattern,
  options: { readonly limit: number },
): FoundStreams {
  const found: StreamInfo[] = [];
  const take = (page: readonly StreamInfo[]) => {
    for (const s of page) if (pattern.test(s.streamId)) found.push(s);
  };
  if (pattern.kind === 'category') {
    // The category itself as an id (`cart`), then its range (`cart-…`): ids sort by code unit, as the prefix reads.
    const name = pattern.category!;
    take(store.listStreams({ prefix: name, limit: 1 }).filter((s) => s.streamId === name));
    let after: string | undefined;
    while (found.length <= options.limit) {
      const page = store.listStreams({ prefix: `${name}-`, limit: PAGE, ...(after === undefined ? {} : { after }) });
      take(page);
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.streamId;
    }
  } else {
    let after: string | undefined;
    while (found.length <= options.limit) {
      const page = store.listStreams({ limit: PAGE, ...(after === undefined ? {} : { after }) });
      take(page);
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.streamId;
    }
  }
  return { streams: found.slice(0, options.limit), more: found.length > options.limit };
}

export interface CategoryInfo {
  readonly category: string;
  readonly streams: number;
}

/** Every category with its number of streams, largest first (ties by name). */
export function listCategories(store: Pick<StoreReader, 'listStreams'>): CategoryInfo[] {
  const byName = new Map<string, number>();
  let after: string | undefined;
  for (;;) {
    const page = store.listStreams({ limit: PAGE, ...(after === undefined ? {} : { after }) });
    for (const s of page) {
      const c = categoryOf(s.streamId);
      byName.set(c, (byName.get(c) ?? 0) + 1);
    }
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.streamId;
  }
  return [...byName]
    .map(([category, streams]) => ({ category, streams }))
    .sort((a, b) => b.streams - a.streams || (a.category < b.category ? -1 : a.category > b.category ? 1 : 0));
}
