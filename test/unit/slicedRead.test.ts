import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { forEachInSlices, WalkCancelledError } from '../../src/core/eventStore/slicedRead';
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import { EmmettSqliteStore } from '../../src/core/formats/emmettSqlite/emmettSqliteStore';
import { writeClosedStore } from '../builders/emmettWriter';

async function storeWith(events: number): Promise<SqlJsEventStore> {
  const store = await SqlJsEventStore.open();
  const batch = [];
  for (let i = 0; i < events; i++) batch.push({ streamId: `s-${i % 13}`, type: 'Counted', data: { i } });
  for (let i = 0; i < batch.length; i += 1000) await store.importEvents(batch.slice(i, i + 1000));
  return store;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('Reading the store in slices', () => {
  it('visits every position once and in order, across many slices, within after..to', async () => {
    const store = await storeWith(3000);
    const seen: number[] = [];
    let slices = 0;
    const end = await forEachInSlices(store, (e) => void seen.push(e.globalPosition), {
      after: 100,
      to: 2900,
      firstSlice: 7,
      sliceMs: 0.5,
      onProgress: () => (slices += 1),
    });
    assert.equal(end, 2900);
    assert.deepEqual(seen, range(101, 2900));
    assert.ok(slices > 10, `walked in ${slices} slices`);
    await store.close();
  });

  it('takes in events appended during a pause when no end is given', async () => {
    const store = await storeWith(500);
    const seen: number[] = [];
    let appended = false;
    const end = await forEachInSlices(store, (e) => void seen.push(e.globalPosition), {
      firstSlice: 50,
      sliceMs: 0.01,
      pause: async () => {
        if (appended) return;
        appended = true;
        await store.append('late-1', [
          { type: 'Late', data: {} },
          { type: 'Late', data: {} },
        ]);
      },
    });
    assert.equal(end, 502);
    assert.deepEqual(seen, range(1, 502));
    await store.close();
  });

  it('stops when visit says so', async () => {
    const store = await storeWith(1000);
    const seen: number[] = [];
    await forEachInSlices(store, (e) => seen.push(e.globalPosition) >= 123, { firstSlice: 20, sliceMs: 0.01 });
    assert.deepEqual(seen, range(1, 123));
    await store.close();
  });

  it('stops with WalkCancelledError at the next read once aborted, and never starts when aborted before', async () => {
    const store = await storeWith(2000);
    const controller = new AbortController();
    let seen = 0;
    let walked = 0;
    await assert.rejects(
      forEachInSlices(
        store,
        () => {
          seen += 1;
          if (seen === 150) controller.abort();
        },
        { firstSlice: 100, sliceMs: 1000, signal: controller.signal, onProgress: (at) => (walked = at) },
      ),
      (e) => WalkCancelledError.is(e),
    );
    assert.ok(seen >= 150 && seen < 2000, `stopped early (${seen})`);
    assert.equal(seen, walked, 'the read under way ends, no other starts');
    seen = 0;
    await assert.rejects(
      forEachInSlices(store, () => void (seen += 1), { signal: AbortSignal.abort() }),
      WalkCancelledError,
    );
    assert.equal(seen, 0);
    await store.close();
  });

  it('yields to the event loop between slices: a timer set before the walk fires before it ends', async () => {
    const store = await storeWith(20_000);
    let fired = false;
    let seenWhenFired = 0;
    let seen = 0;
    const timer = setTimeout(() => {
      fired = true;
      seenWhenFired = seen;
    }, 0);
    try {
      await forEachInSlices(store, () => void (seen += 1), { sliceMs: 1 });
    } finally {
      clearTimeout(timer);
    }
    assert.ok(fired, 'the timer ran during the walk');
    assert.ok(seenWhenFired > 0 && seenWhenFired < 20_000, `it ran after ${seenWhenFired} of 20000 events`);
    assert.equal(seen, 20_000);
    await store.close();
  });

  it('walks a foreign store whose positions have gaps (Emmett keeps commands between events)', async function () {
    this.timeout(120_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esi-sliced-'));
    const file = path.join(dir, 'shop.db');
    try {
      await writeClosedStore(file, '0.42', async (w) => {
        for (let i = 0; i < 40; i++) {
          await w.append(`cart-${i % 3}`, [{ type: 'ItemAdded', data: { i } }]);
          if (i % 4 === 0) await w.append(`cart-${i % 3}`, [{ type: 'AddItem', data: { i }, kind: 'Command' }]);
        }
      });
      const store = await EmmettSqliteStore.open({ path: file });
      try {
        const whole: number[] = [];
        store.forEach((e) => void whole.push(e.globalPosition));
        assert.equal(whole.length, 40);
        assert.ok(whole[whole.length - 1]! > 40, 'positions have gaps');
        const sliced: number[] = [];
        await forEachInSlices(store, (e) => void sliced.push(e.globalPosition), { firstSlice: 3, sliceMs: 0.01 });
        assert.deepEqual(sliced, whole);
      } finally {
        await store.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
