import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import type { RecordedEvent } from '../../src/core/eventStore/types';
import { writeNativeStore } from '../../src/core/formats/copyToNative';
import { openAnyStore } from '../../src/core/formats/openStore';
import type { StoreReader } from '../../src/core/formats/storeReader';
import { queryWords } from '../../src/core/search/eventText';
import { findStreams, listCategories } from '../../src/core/search/findStreams';
import { searchByScan, searchWithIndex } from '../../src/core/search/searchEvents';
import { categoryOf, parseStreamPattern, StreamPatternError } from '../../src/core/search/streamPattern';
import { EventTextIndex } from '../../src/core/search/textIndex';
import { bucketFor, computeStatistics } from '../../src/core/statistics/storeStatistics';
import { writeClosedStore } from '../builders/emmettWriter';
import { tempDirPerTest } from '../builders/tempDir';

const ids = (found: { streams: { streamId: string }[] }) => found.streams.map((s) => s.streamId);

describe('stream filters: wildcards and categories', () => {
  it('takes the category as the id before the first dash', () => {
    assert.equal(categoryOf('cart-42'), 'cart');
    assert.equal(categoryOf('cart-42-b'), 'cart');
    assert.equal(categoryOf('cart'), 'cart');
    assert.equal(categoryOf('-x'), '');
  });

  it('matches * and ? over the whole id, in any case, and nothing else as a wildcard', () => {
    const p = parseStreamPattern('user-?1*');
    assert.equal(p.kind, 'wildcard');
    assert.ok(p.test('user-a1'));
    assert.ok(p.test('USER-b12'));
    assert.ok(!p.test('user-1'));
    assert.ok(!p.test('xuser-a1'));
    const dots = parseStreamPattern('a.b*');
    assert.ok(dots.test('a.bc'));
    assert.ok(!dots.test('axbc'), 'a dot is a dot, not any character');
    assert.ok(parseStreamPattern('(*)').test('(x)'));
    assert.ok(parseStreamPattern('?').test('😀'), '? is one character, even outside the BMP');
  });

  it('finds plain text anywhere in the id, and a category exactly', () => {
    assert.ok(parseStreamPattern('ADA').test('cart-ada-1'));
    const c = parseStreamPattern('category:cart');
    assert.ok(c.test('cart') && c.test('cart-1'));
    assert.ok(!c.test('carts-1') && !c.test('user-cart'));
    assert.equal(parseStreamPattern('  ').kind, 'all');
  });

  it('refuses a pattern that is too long or a category without a name, in one sentence', () => {
    assert.throws(() => parseStreamPattern('x'.repeat(201)), StreamPatternError);
    assert.throws(() => parseStreamPattern('category:'), /needs a category name/);
  });
});

/** A known history: times one minute apart from 10:00, three categories, one large event. */
function knownEvents(): RecordedEvent[] {
  const plan: [string, string, unknown][] = [
    ['cart-1', 'ItemAdded', { sku: 'pen', note: 'Blue ink' }],
    ['cart-1', 'ItemAdded', { sku: 'café crème', qty: 2 }],
    ['user-ada', 'UserCreated', { name: 'Ada Lovelace' }],
    ['cart-2', 'ItemAdded', { sku: 'pad' }],
    ['cart-1', 'CartConfirmed', { total: 42 }],
    ['user-ada', 'UserRenamed', { name: 'Ada King', note: 'x'.repeat(500) }],
    ['order', 'OrderPlaced', { sku: 'pen' }],
  ];
  const versions = new Map<string, number>();
  return plan.map(([streamId, type, data], i) => {
    const v = (versions.get(streamId) ?? 0) + 1;
    versions.set(streamId, v);
    return {
      globalPosition: i + 1,
      streamId,
      streamVersion: v,
      eventId: `e-${i + 1}`,
      type,
      data,
      metadata: { correlationId: `c-${i}` },
      recordedAt: new Date(Date.UTC(2026, 0, 5, 10, i)).toISOString(),
    };
  });
}

describe('search and statistics on a native store', function () {
  this.timeout(60_000);
  let store: SqlJsEventStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });
  const tmp = tempDirPerTest('esi-search-');

  async function openKnown(): Promise<SqlJsEventStore> {
    const file = path.join(tmp.dir, 'events.db');
    await writeNativeStore(file, knownEvents(), 'test');
    store = await SqlJsEventStore.open({ path: file });
    return store;
  }

  it('lists the streams a pattern matches and every category with its counts', async () => {
    const s = await openKnown();
    assert.deepEqual(ids(findStreams(s, parseStreamPattern('cart-*'), { limit: 10 })), ['cart-1', 'cart-2']);
    assert.deepEqual(ids(findStreams(s, parseStreamPattern('category:order'), { limit: 10 })), ['order']);
    assert.deepEqual(ids(findStreams(s, parseStreamPattern('a'), { limit: 10 })), ['cart-1', 'cart-2', 'user-ada']);
    const limited = findStreams(s, parseStreamPattern('*'), { limit: 2 });
    assert.deepEqual([ids(limited), limited.more], [['cart-1', 'cart-2'], true]);
    assert.deepEqual(listCategories(s), [
      { category: 'cart', streams: 2 },
      { category: 'order', streams: 1 },
      { category: 'user', streams: 1 },
    ]);
  });

  it('finds words in event data through the FTS4 index, also in events appended after it was built', async () => {
    const s = await openKnown();
    const index = await EventTextIndex.create();
    try {
      const find = async (text: string, stream?: string) =>
        (await searchWithIndex(s, index, { text, limit: 10, ...(stream ? { stream } : {}) })).hits.map(
          (h) => h.position,
        );
      assert.deepEqual(await find('pen'), [1, 7]);
      assert.deepEqual(await find('ada'), [3, 6], 'a prefix of a word matches');
      assert.deepEqual(await find('CAFE'), [2], 'any case, accents ignored');
      assert.deepEqual(await find('ada king'), [6], 'every word must match');
      assert.deepEqual(await find('name'), [], 'keys are not searched, only values');
      assert.deepEqual(await find('pen', 'category:cart'), [1]);
      assert.deepEqual(await find('', 'user-*'), [3, 6], 'a stream filter alone lists the events of its streams');
      assert.equal(index.indexedUpTo, 7);

      const appended = await s.append('cart-3', [{ type: 'ItemAdded', data: { sku: 'penguin plush' } }]);
      await index.add(appended.events);
      assert.equal(index.indexedUpTo, 8);
      assert.deepEqual(await find('pen'), [1, 7, 8]);
      // An append the index was not told of is found too: a search first brings the index up to the store.
      await s.append('cart-3', [{ type: 'ItemAdded', data: { sku: 'pencil' } }]);
      assert.deepEqual(await find('pen', 'cart-3'), [8, 9]);
      const hit = (await searchWithIndex(s, index, { text: 'crème', limit: 1 })).hits[0]!;
      assert.deepEqual(
        { position: hit.position, streamId: hit.streamId, type: hit.type, snippet: hit.snippet },
        { position: 2, streamId: 'cart-1', type: 'ItemAdded', snippet: 'café crème · 2' },
      );
    } finally {
      index.close();
    }
  });

  it('finds the same events by scanning as through the index, and stops at the limit', async () => {
    const s = await openKnown();
    const index = await EventTextIndex.create();
    try {
      for (const [text, stream] of [
        ['pen', undefined],
        ['ada', 'user-*'],
        ['cafe', undefined],
        ['', 'cart-1'],
      ] as const) {
        const q = { text, limit: 100, ...(stream ? { stream } : {}) };
        const scanned = (await searchByScan(s, q)).hits.map((h) => h.position);
        const indexed = (await searchWithIndex(s, index, q)).hits.map((h) => h.position);
        assert.deepEqual(scanned, indexed, `${text} ${stream ?? ''}`);
        assert.ok(scanned.length > 0);
      }
      const first = await searchByScan(s, { text: 'pen', limit: 1 });
      assert.deepEqual([first.hits.map((h) => h.position), first.more], [[1], true]);
    } finally {
      index.close();
    }
  });

  it('computes exact statistics of a known store', async () => {
    const s = await openKnown();
    const stats = await computeStatistics(s, { now: new Date(Date.UTC(2026, 0, 5, 10, 30)), top: 3, slice: 2 });
    assert.equal(stats.events, 7);
    assert.equal(stats.streams, 4);
    assert.equal(stats.firstRecordedAt, '2026-01-05T10:00:00.000Z');
    assert.equal(stats.lastRecordedAt, '2026-01-05T10:06:00.000Z');
    assert.equal(stats.overTime.bucket, 'minute');
    assert.deepEqual(
      stats.overTime.points.map((p) => p.count),
      [1, 1, 1, 1, 1, 1, 1],
    );
    assert.deepEqual(stats.byType, [
      { name: 'ItemAdded', count: 3 },
      { name: 'CartConfirmed', count: 1 },
      { name: 'OrderPlaced', count: 1 },
      { name: 'UserCreated', count: 1 },
      { name: 'UserRenamed', count: 1 },
    ]);
    assert.deepEqual(stats.byCategory, [
      { name: 'cart', events: 4, streams: 2 },
      { name: 'user', events: 2, streams: 1 },
      { name: 'order', events: 1, streams: 1 },
    ]);
    assert.deepEqual(stats.longestStreams, [
      { name: 'cart-1', count: 3 },
      { name: 'user-ada', count: 2 },
      { name: 'cart-2', count: 1 },
    ]);
    assert.equal(stats.largestEvents[0]!.position, 6);
    assert.equal(stats.largestEvents.length, 3);
    assert.ok(stats.largestEvents[0]!.bytes > 500 && stats.largestEvents[1]!.bytes < 200);
    // The hour up to 10:30: minutes 9:31 … 10:30, the seven events in 10:00 … 10:06.
    assert.equal(stats.recent.perMinute.length, 60);
    assert.equal(stats.recent.perMinute[0]!.start, '2026-01-05T09:31:00.000Z');
    assert.deepEqual(
      stats.recent.perMinute.filter((m) => m.count > 0).map((m) => m.start.slice(11, 16)),
      ['10:00', '10:01', '10:02', '10:03', '10:04', '10:05', '10:06'],
    );
  });

  it('chooses buckets that show the span in at most about 120 points, and fills empty ones', async () => {
    assert.equal(bucketFor(60 * 60_000), 'minute');
    assert.equal(bucketFor(3 * 3600_000), 'hour');
    assert.equal(bucketFor(30 * 86400_000), 'day');
    assert.equal(bucketFor(400 * 86400_000), 'month');
    const file = path.join(tmp.dir, 'spread.db');
    const days = [0, 0, 3, 40];
    await writeNativeStore(
      file,
      days.map((d, i) => ({
        globalPosition: i + 1,
        streamId: 's-1',
        streamVersion: i + 1,
        eventId: `e${i}`,
        type: 'T',
        data: {},
        metadata: {},
        recordedAt: new Date(Date.UTC(2026, 0, 1 + d, 12)).toISOString(),
      })),
      'test',
    );
    store = await SqlJsEventStore.open({ path: file });
    const stats = await computeStatistics(store);
    assert.equal(stats.overTime.bucket, 'day');
    assert.equal(stats.overTime.points.length, 41);
    assert.deepEqual(
      stats.overTime.points.filter((p) => p.count > 0).map((p) => [p.start.slice(0, 10), p.count]),
      [
        ['2026-01-01', 2],
        ['2026-01-04', 1],
        ['2026-02-10', 1],
      ],
    );
  });

  it('yields between slices: statistics and the index never hold the event loop for the whole store', async () => {
    const s = await openKnown();
    let pauses = 0;
    const stats = await computeStatistics(s, { slice: 2, pause: async () => void pauses++ });
    assert.ok(pauses >= 1, 'at least one pause between the slices');
    assert.equal(stats.events, 7, 'and every event counted once');
    const index = await EventTextIndex.create();
    try {
      const progress: number[] = [];
      await index.catchUp(s, { onProgress: (p) => progress.push(p.indexed) });
      assert.equal(progress[progress.length - 1], 7);
      assert.equal(index.indexedUpTo, 7);
      assert.deepEqual(queryWords('  Ada, ADA king! '), ['ada', 'king']);
    } finally {
      index.close();
    }
  });
});

describe('search and statistics on an Emmett SQLite store (written by Emmett)', function () {
  this.timeout(120_000);
  const tmp = tempDirPerTest('esi-search-emmett-');
  let reader: StoreReader | undefined;
  afterEach(async () => {
    await reader?.close();
    reader = undefined;
  });

  it('filters streams, finds words and computes statistics through the read interface', async () => {
    const file = path.join(tmp.dir, 'shop.db');
    await writeClosedStore(file, '0.42', async (w) => {
      await w.append('cart-1', [
        { type: 'ItemAdded', data: { sku: 'pen', qty: 1 } },
        { type: 'ItemAdded', data: { sku: 'ink bottle', qty: 2 } },
      ]);
      await w.append('user-7', [{ type: 'UserCreated', data: { name: 'Ada', bio: 'y'.repeat(300) } }]);
      await w.append('cart-1', [{ type: 'ConfirmCart', data: { by: 'ada' }, kind: 'Command' }]);
      await w.append('cart-1', [{ type: 'CartConfirmed', data: {} }]);
      await w.append('cart-2', [{ type: 'ItemAdded', data: { sku: 'pen' } }]);
    });
    reader = await openAnyStore({ path: file });
    const store = reader;
    assert.deepEqual(ids(findStreams(store, parseStreamPattern('cart-?'), { limit: 10 })), ['cart-1', 'cart-2']);
    assert.deepEqual(listCategories(store), [
      { category: 'cart', streams: 2 },
      { category: 'user', streams: 1 },
    ]);

    const index = await EventTextIndex.create();
    try {
      const pen = (await searchWithIndex(store, index, { text: 'pen', limit: 10 })).hits;
      assert.deepEqual(
        pen.map((h) => [h.streamId, h.type]),
        [
          ['cart-1', 'ItemAdded'],
          ['cart-2', 'ItemAdded'],
        ],
      );
      assert.deepEqual(
        (await searchWithIndex(store, index, { text: 'ada', limit: 10 })).hits.map((h) => h.type),
        ['UserCreated'],
        'commands are not events: the ConfirmCart command is not found',
      );
      const scanned = (await searchByScan(store, { text: 'pen', limit: 10 })).hits.map((h) => h.position);
      assert.deepEqual(
        scanned,
        pen.map((h) => h.position),
      );
    } finally {
      index.close();
    }

    const stats = await computeStatistics(store, { top: 2 });
    assert.equal(stats.events, 5);
    assert.equal(stats.streams, 3);
    assert.deepEqual(stats.byType[0], { name: 'ItemAdded', count: 3 });
    assert.deepEqual(stats.byCategory, [
      { name: 'cart', events: 4, streams: 2 },
      { name: 'user', events: 1, streams: 1 },
    ]);
    assert.deepEqual(stats.longestStreams, [
      { name: 'cart-1', count: 3 },
      { name: 'cart-2', count: 1 },
    ]);
    assert.equal(stats.largestEvents[0]!.streamId, 'user-7');
    // Written just now: every event is in the last hour, and over time counts them all.
    assert.equal(
      stats.recent.perMinute.reduce((n, m) => n + m.count, 0),
      5,
    );
    assert.equal(
      stats.overTime.points.reduce((n, m) => n + m.count, 0),
      5,
    );
  });
});
