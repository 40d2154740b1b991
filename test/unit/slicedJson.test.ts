import * as assert from 'node:assert/strict';
import { SliceClock } from '../../src/core/eventStore/slicedRead';
import { cloneJsonInSlices, jsonEqualInSlices, noDiffInSlices } from '../../src/core/history/slicedJson';
import { jsonEqual } from '../../src/core/history/valuePath';
import { diffJson } from '../../src/core/replay/diff';

/** A read model of `n` users, some keys holding lists, one nested level deeper. */
function state(n: number): Record<string, unknown> {
  const users: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) users[`u${i}`] = { userId: `u${i}`, name: `Name ${i}`, tags: [i % 3, i % 5] };
  return { users, lists: Array.from({ length: n }, (_, i) => ({ i })), total: n };
}

/** A clock that pauses after every piece, counting its pauses. */
function eager(): { clock: SliceClock; pauses: () => number } {
  let pauses = 0;
  const clock = new SliceClock({ sliceMs: 0, pause: async () => void (pauses += 1) });
  return { clock, pauses: () => pauses };
}

describe('Comparing and copying large states a piece at a time', () => {
  const cases: [string, (s: Record<string, unknown>) => void][] = [
    ['equal', () => undefined],
    ['one name changed deep inside', (s) => ((s.users as Record<string, { name: string }>).u150!.name = 'Other')],
    ['a user removed', (s) => delete (s.users as Record<string, unknown>).u7],
    ['a user added', (s) => ((s.users as Record<string, unknown>).extra = { userId: 'extra' })],
    ['a list one shorter', (s) => (s.lists as unknown[]).pop()],
    ['a key set to undefined on one side', (s) => ((s.users as Record<string, unknown>).ghost = undefined)],
    ['an object where a list was', (s) => (s.lists = {})],
  ];
  for (const [name, change] of cases)
    it(`gives jsonEqual's and diffJson's answers: ${name}`, async () => {
      const a = state(300);
      const b = state(300);
      change(b);
      const { clock, pauses } = eager();
      assert.equal(await jsonEqualInSlices(a, b, clock), jsonEqual(a, b));
      assert.equal(await jsonEqualInSlices(b, a, clock), jsonEqual(b, a));
      assert.equal(await noDiffInSlices(a, b, clock), diffJson(a, b).length === 0);
      assert.equal(await noDiffInSlices(b, a, clock), diffJson(b, a).length === 0);
      assert.ok(pauses() > 0, 'it paused between pieces');
    });

  it('copies a large state equal to the original, sharing nothing with it', async () => {
    const a = state(500);
    const { clock, pauses } = eager();
    const copy = await cloneJsonInSlices(a, clock);
    assert.deepEqual(copy, a);
    assert.notEqual(copy.users, a.users);
    assert.notEqual((copy.users as Record<string, unknown>).u1, (a.users as Record<string, unknown>).u1);
    assert.ok(pauses() >= 500, `it paused ${pauses()} times`);
  });

  it('small values are handled in one piece, without a pause', async () => {
    const { clock, pauses } = eager();
    assert.equal(await jsonEqualInSlices({ a: [1, 2] }, { a: [1, 2] }, clock), true);
    assert.deepEqual(await cloneJsonInSlices({ a: [1, 2] }, clock), { a: [1, 2] });
    assert.equal(pauses(), 0);
  });
});
