import * as assert from 'node:assert/strict';
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import { findStreams, listCategories } from '../../src/core/search/findStreams';
import { StreamIndex } from '../../src/core/search/streamIndex';
import { parseStreamPattern } from '../../src/core/search/streamPattern';

const PATTERNS = ['user-*', 'USER-1*', 'cart-?2', 'category:cart', 'category:user', 'ser-1', 'CART', 'zz-*', '*-?'];

async function storeOf(ids: readonly string[]): Promise<SqlJsEventStore> {
  const store = await SqlJsEventStore.open();
  for (const id of ids) await store.append(id, [{ type: 'Touched', data: { id } }]);
  return store;
}

/** The index's answer beside the paging through the store's stream list, for every pattern and two limits. */
async function assertSameAsStore(store: SqlJsEventStore, index: StreamIndex): Promise<void> {
  for (const source of PATTERNS) {
    const pattern = parseStreamPattern(source);
    for (const limit of [3, 1000]) {
      assert.deepEqual(
        await index.find(pattern, { limit }),
        findStreams(store, pattern, { limit }),
        `${source}, ${limit}`,
      );
    }
  }
  assert.deepEqual(index.categories(), listCategories(store));
}

describe('The stream index behind the Streams filter', () => {
  const ids = [
    'user-1',
    'user-12',
    'user-2',
    'cart-12',
    'cart-22',
    'cart-123',
    'cart',
    'carton-2',
    'order-7',
    'Ünïcode-1',
    'emoji-😀',
    'user',
  ];

  it('matches user-*, cart-?2, category:cart and text exactly as the store does', async () => {
    const store = await storeOf(ids);
    const index = new StreamIndex();
    await index.update(store);
    assert.equal(index.size, ids.length);
    const at = async (source: string) =>
      (await index.find(parseStreamPattern(source), { limit: 100 })).streams.map((s) => s.streamId);
    assert.deepEqual(await at('user-*'), ['user-1', 'user-12', 'user-2']);
    assert.deepEqual(await at('cart-?2'), ['cart-12', 'cart-22']);
    assert.deepEqual(await at('category:cart'), ['cart', 'cart-12', 'cart-123', 'cart-22']);
    assert.deepEqual(await at('ser-1'), ['user-1', 'user-12']);
    await assertSameAsStore(store, index);
    await store.close();
  });

  it('follows appends: new streams in the store order, new versions and positions of known ones', async () => {
    const store = await storeOf(ids);
    const index = new StreamIndex();
    await index.update(store);
    await store.append('cart-12', [{ type: 'Touched', data: {} }]);
    await store.append('user-10', [{ type: 'Touched', data: {} }]);
    await store.append('aaa', [{ type: 'Touched', data: {} }]);
    await store.append('emoji-\u{FF21}', [{ type: 'Touched', data: {} }]);
    await store.append('user-10', [{ type: 'Touched', data: {} }]);
    await index.update(store);
    const cart = (await index.find(parseStreamPattern('cart-12'), { limit: 10 })).streams[0]!;
    assert.deepEqual(cart, { streamId: 'cart-12', version: 2, lastPosition: ids.length + 1 });
    await assertSameAsStore(store, index);
    await store.close();
  });

  it('lists every stream again after many appends, and matches while the event loop turns', async () => {
    const store = await storeOf(ids);
    const index = new StreamIndex();
    await index.update(store);
    const many = Array.from({ length: 25_000 }, (_, i) => ({ streamId: `bulk-${i}`, type: 'Touched', data: {} }));
    for (let i = 0; i < many.length; i += 5000) await store.importEvents(many.slice(i, i + 5000));
    let turns = 0;
    const timer = setInterval(() => turns++, 0);
    try {
      await index.update(store);
      assert.equal(index.size, ids.length + many.length);
      const found = await index.find(parseStreamPattern('nothing-*'), { limit: 10 });
      assert.deepEqual(found, { streams: [], more: false });
    } finally {
      clearInterval(timer);
    }
    assert.ok(turns > 0, 'timers ran while the streams were listed and matched');
    await assertSameAsStore(store, index);
    await store.close();
  });
});
