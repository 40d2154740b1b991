import * as assert from 'node:assert/strict';
import { ShardedMap, ShardedSet } from '../../src/core/system/sharded';

describe('Sharded maps and sets (millions of keys without one long rehash)', () => {
  it('keep every key once, as a Map and a Set do, whatever the keys look like', () => {
    const map = new ShardedMap<number>();
    const set = new ShardedSet();
    const reference = new Map<string, number>();
    const keys = ['', 'a', 'é', '0192f3a4-0000-7abc-8def-000000000001', 'c-1', 'c-10', 'x'.repeat(1000)];
    for (let i = 0; i < 20_000; i++) keys.push(i % 3 ? `c-${i}` : `0192f3a4-${i.toString(16).padStart(8, '0')}`);
    for (const [i, k] of [...keys, ...keys.slice(0, 500)].entries()) {
      map.set(k, i);
      set.add(k);
      reference.set(k, i);
    }
    assert.equal(map.size, reference.size);
    assert.equal(set.size, reference.size);
    for (const [k, v] of reference) {
      assert.equal(map.get(k), v, k);
      assert.ok(map.has(k) && set.has(k), k);
    }
    for (const missing of ['c-', 'c-20000', 'b', 'é '])
      assert.ok(!map.has(missing) && !set.has(missing) && map.get(missing) === undefined, missing);
  });
});
