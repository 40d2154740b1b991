import type { StoreSession } from '../core/application/session';
import { searchWithIndex } from '../core/search/searchEvents';
import { StreamIndex } from '../core/search/streamIndex';
import { parseStreamPattern, StreamPatternError } from '../core/search/streamPattern';
import { EventTextIndex } from '../core/search/textIndex';
import type { SearchResultsView } from '../shared/protocol';
import type { StoreController } from './storeController';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const STREAM_RESULTS = 5;
const EVENT_RESULTS = 100;

/**
 * Search over the open store for the replay: stream ids by pattern, and words in event data
 * through a full-text index kept in memory beside the store (built at the first search, a slice at
 * a time, then brought up to date as events are appended). One per controller, shared by panels.
 */
export class EventSearch {
  private static readonly byController = new WeakMap<StoreController, EventSearch>();
  private index: { session: StoreSession; index: Promise<EventTextIndex> } | undefined;
  /** The session's stream ids, matched at each keystroke instead of paging through the store's streams. */
  private streams: { session: StoreSession; index: StreamIndex } | undefined;

  static for(controller: StoreController): EventSearch {
    let search = EventSearch.byController.get(controller);
    if (!search) EventSearch.byController.set(controller, (search = new EventSearch(controller)));
    return search;
  }

  private constructor(private readonly controller: StoreController) {
    controller.onDidAppend(() => {
      // Follows the appends: the new events are indexed a slice at a time, off the command's path.
      const current = this.index;
      if (current && current.session === controller.session)
        void current.index.then((i) => i.catchUp(current.session.store, { pause: turn })).catch(() => undefined);
    });
    controller.onDidOpen(() => this.reset());
  }

  private reset(): void {
    const old = this.index;
    this.index = undefined;
    this.streams = undefined;
    void old?.index.then((i) => i.close()).catch(() => undefined);
  }

  private indexFor(session: StoreSession): Promise<EventTextIndex> {
    if (this.index?.session !== session) {
      this.reset();
      this.index = { session, index: EventTextIndex.create() };
    }
    return this.index.index;
  }

  /**
   * Streams whose id matches the query (text in the id, `user-*`, `category:cart`), and events whose
   * data has every word of it; a wildcard or category query finds the events of those streams.
   */
  async search(
    query: string,
    onProgress: (indexed: number, total: number) => void,
  ): Promise<Omit<SearchResultsView, 'seq'>> {
    const session = await this.controller.get();
    const store = session.store;
    let pattern;
    try {
      pattern = parseStreamPattern(query);
    } catch (e) {
      if (StreamPatternError.is(e)) return { streams: [], hits: [], more: false, problem: e.message };
      throw e;
    }
    if (pattern.kind === 'all') return { streams: [], hits: [], more: false };
    if (this.streams?.session !== session) this.streams = { session, index: new StreamIndex(turn) };
    const streamIndex = this.streams.index;
    await streamIndex.update(store);
    const streams = (await streamIndex.find(pattern, { limit: STREAM_RESULTS })).streams.map((s) => ({
      streamId: s.streamId,
      version: s.version,
      firstPosition: store.readStream(s.streamId, { limit: 1 })[0]?.globalPosition ?? s.lastPosition,
    }));
    const index = await this.indexFor(session);
    const byStream = pattern.kind === 'wildcard' || pattern.kind === 'category';
    const result = await searchWithIndex(
      store,
      index,
      byStream ? { text: '', stream: query, limit: EVENT_RESULTS } : { text: query, limit: EVENT_RESULTS },
      {
        pause: async () => {
          onProgress(index.indexedUpTo, store.lastPosition());
          await turn();
        },
      },
    );
    return { streams, hits: result.hits, more: result.more };
  }
}
