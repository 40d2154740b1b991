import * as assert from 'node:assert/strict';
import { inSlices, jsonBytesInSlices } from '../../src/core/eventStore/slices';

/** Holds the thread for `ms`, as a read of many events does. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('Reading in slices', () => {
  it('reads every position once, in order, and ends a slice once its budget is spent, not after a planned size', async () => {
    const reads: [number, number][] = [];
    const slices: number[] = [];
    let inSlice = 0;
    await inSlices(
      0,
      1000,
      (after, upTo) => {
        reads.push([after, upTo]);
        inSlice += 1;
        busy(3);
      },
      {
        budgetMs: 8,
        pause: async () => {
          slices.push(inSlice);
          inSlice = 0;
        },
      },
    );
    slices.push(inSlice);
    // Contiguous, no position twice, up to the end.
    assert.equal(reads[0]![0], 0);
    for (let i = 1; i < reads.length; i++) assert.equal(reads[i]![0], reads[i - 1]![1]);
    assert.equal(reads[reads.length - 1]![1], 1000);
    // Three reads of 3 ms spend the 8 ms: a slice never holds a fourth, however fast the reads were before.
    assert.ok(Math.max(...slices) <= 3, `reads per slice: ${slices.join(',')}`);
    assert.ok(slices.length > 1, 'the loop was given turns');
  });

  it('ends a slice where a read says it stopped, and goes on from there', async () => {
    const reads: [number, number][] = [];
    let pauses = 0;
    await inSlices(
      0,
      100,
      (after, upTo) => {
        reads.push([after, upTo]);
        // A costly position (50) is read alone: stop just before it, then take it by itself.
        if (after < 49 && upTo >= 50) return 49;
        if (after === 49) return 50;
        return undefined;
      },
      { first: 10, budgetMs: 1000, pause: async () => void pauses++ },
    );
    assert.deepEqual(reads[0], [0, 10], 'the first read is a slice alone');
    const at49 = reads.findIndex(([a]) => a === 49);
    assert.deepEqual(reads[at49], [49, reads[at49]![1]]);
    assert.equal(reads[at49 + 1]![0], 50, 'after the costly position, the rest');
    assert.equal(reads[reads.length - 1]![1], 100);
    assert.equal(pauses, 3, 'after the first read, before and after the costly position');
  });

  it('stops when a read returns true', async () => {
    let reads = 0;
    await inSlices(0, 1000, () => ++reads === 2, { first: 10 });
    assert.equal(reads, 2);
  });

  it('writes JSON a piece at a time, byte for byte what JSON.stringify writes', async () => {
    const big: Record<string, unknown> = {};
    for (let i = 0; i < 3000; i++)
      big[`u${i}`] = { userId: `u${i}`, name: `Näme "${i}" \u2028`, n: i, ok: i % 2 === 0 };
    const values: unknown[] = [
      {
        format: 1,
        states: { users: { users: big }, totals: [1, 2.5, -0, NaN, Infinity, null, 'x'], empty: {}, none: [] },
        bases: [{ position: 1000, states: { users: { users: big } } }],
        skipped: undefined,
        fn: () => 1,
        when: new Date(Date.UTC(2026, 0, 2)),
        map: new Map([['a', 1]]),
        holes: [1, undefined, () => 2, Symbol('s'), [[[]]]],
        '\u00e9 key "quoted"': { nested: { deeper: { deepest: [{}, { a: undefined }] } } },
        nullProto: Object.assign(Object.create(null) as object, { a: 1, b: [1, 2] }),
      },
      Array.from({ length: 100 }, (_, i) => (i % 3 ? { i } : [i])),
      'text',
      42,
      null,
    ];
    let pauses = 0;
    for (const value of values) {
      const bytes = await jsonBytesInSlices(value, { budgetMs: 0, pause: async () => void pauses++ });
      assert.equal(bytes!.toString('utf8'), JSON.stringify(value));
    }
    assert.ok(pauses > 10, `the large value was written in pieces (${pauses} pauses)`);
    assert.equal(await jsonBytesInSlices(undefined, { pause: async () => undefined }), undefined);
  });
});
