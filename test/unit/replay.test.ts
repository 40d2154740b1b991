import * as assert from 'node:assert/strict';
import { seedDemoData } from '../../src/core/application/demoData';
import { StoreSession } from '../../src/core/application/session';
import { diffJson, previewJson } from '../../src/core/replay/diff';
import { ReplayEngine } from '../../src/core/replay/replayEngine';
import { builtInAggregates } from '../../src/core/domain/aggregates';
import { builtInProjections } from '../../src/core/projections/builtIn';
import { withTempDir } from '../builders/tempDir';

describe('Replay engine', () => {
  let s: StoreSession;
  beforeEach(async () => {
    s = await StoreSession.open();
    await seedDemoData(s.handler);
  });
  afterEach(() => s.close());

  it('position 0 is before the first event: empty read models', () => {
    const step = s.replay.step(0);
    assert.equal(step.position, 0);
    assert.equal(step.event, undefined);
    assert.deepEqual(step.readModels.find((r) => r.name === 'usersDirectory')?.state, { users: {} });
  });

  it('the last position equals the live read models', () => {
    const step = s.replay.step(s.replay.total);
    for (const rm of step.readModels) assert.deepEqual(rm.state, s.projector.stateOf(rm.name), rm.name);
  });

  it('every position equals a fold from position 0, whatever the snapshot interval and seek order', () => {
    const engine = new ReplayEngine(s.store, builtInProjections, builtInAggregates, 3);
    const total = s.store.lastPosition();
    const order = [total, 2, 7, 1, 5, 0, 4, 6, 3, total - 1];
    for (const position of order) {
      const fresh = new ReplayEngine(s.store, builtInProjections, builtInAggregates, 1_000_000).statesAt(position);
      assert.deepEqual(engine.statesAt(position), fresh, `position ${position}`);
    }
  });

  it('stepping back one event at a time, with and without skipped events, equals a fold from position 0', () => {
    // One snapshot (position 0) and a copy every 2 events on the way back: each step back starts from one.
    const engine = new ReplayEngine(s.store, builtInProjections, builtInAggregates, 1_000_000, 2);
    const fresh = () => new ReplayEngine(s.store, builtInProjections, builtInAggregates, 1_000_000);
    const total = s.store.lastPosition();
    for (const skipped of [new Set<number>(), new Set([3, total - 4])]) {
      engine.step(total, skipped);
      for (let position = total - 1; position >= 0; position--) {
        const step = engine.step(position, skipped);
        const expected = fresh().step(position, skipped);
        assert.deepEqual(
          step.readModels,
          expected.readModels,
          `position ${position}, skipping ${[...skipped].join(',')}`,
        );
        assert.deepEqual(step.stream, expected.stream, `stream at ${position}`);
      }
    }
  });

  it('warming a slice at a time leaves a snapshot every interval, and seeks from them equal a fold from 0', () => {
    const engine = new ReplayEngine(s.store, builtInProjections, builtInAggregates, 3);
    const total = s.store.lastPosition();
    let slices = 0;
    while (!engine.warm(2)) slices++;
    assert.ok(slices >= Math.floor(total / 2) - 1, `${slices} slices of 2 events`);
    assert.equal(engine.snapshotCount, Math.floor(total / 3) + 1);
    for (const position of [total, 1, total - 2, 4]) {
      const fresh = new ReplayEngine(s.store, builtInProjections, builtInAggregates, 1_000_000).statesAt(position);
      assert.deepEqual(engine.statesAt(position), fresh, `position ${position}`);
    }
  });

  it('a step shows the event, its stream state before and after, and what changed in each read model', () => {
    const renamed = s.store.readAll().find((e) => e.type === 'UserRenamed')!;
    const step = s.replay.step(renamed.globalPosition);
    assert.equal(step.event?.eventId, renamed.eventId);
    assert.equal(step.stream?.aggregate, 'User');
    assert.deepEqual(
      step.stream?.changes.map((c) => [c.path.join('.'), c.kind]),
      [['name', 'changed']],
    );
    const directory = step.readModels.find((r) => r.name === 'usersDirectory')!;
    assert.equal(directory.handled, true);
    assert.deepEqual(
      directory.changes.map((c) => [c.path.join('.'), c.kind, c.after]),
      [['users.grace.name', 'changed', 'Rear Admiral Grace Hopper']],
    );
    assert.match(
      step.explanation,
      /UserRenamed appended to user-grace \(version 2\) at position \d+; delivered to 2 read models/,
    );
  });

  it('clamps positions outside the stream', () => {
    assert.equal(s.replay.step(-5).position, 0);
    assert.equal(s.replay.step(10_000).position, s.replay.total);
  });

  it('stepping does not change the live read models', () => {
    const live = structuredClone(s.projector.stateOf('usersDirectory'));
    s.replay.step(1);
    s.replay.step(3);
    assert.deepEqual(s.projector.stateOf('usersDirectory'), live);
  });
});

describe('diffJson / previewJson', () => {
  it('reports added, removed and changed keys with their paths', () => {
    const changes = diffJson({ a: 1, b: { c: 2, d: 3 } }, { a: 1, b: { c: 5 }, e: [1] });
    assert.deepEqual(changes, [
      { path: ['b', 'c'], kind: 'changed', before: 2, after: 5 },
      { path: ['b', 'd'], kind: 'removed', before: 3 },
      { path: ['e'], kind: 'added', after: [1] },
    ]);
  });
  it('finds nothing between equal values', () =>
    assert.deepEqual(diffJson({ x: [1, { y: 2 }] }, { x: [1, { y: 2 }] }), []));
  it('bounds large values and says what it cut', () => {
    const big = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, 'x'.repeat(3000)]));
    const p = previewJson(big) as Record<string, string>;
    assert.equal(Object.keys(p).length, 201);
    assert.equal(p['…'], '100 more entries');
    assert.match(p.k0!, /1000 more characters\)$/);
  });
});

describe('Replay opens near the end without folding the whole stream', () => {
  it("starts from the live read models' saved copy at the last snapshot interval", async () => {
    const path = await import('node:path');
    await withTempDir('esi-replay-', async (dir) => {
      const file = path.join(dir, 'events.db');
      let s = await StoreSession.open({ path: file });
      for (let batch = 0; batch < 5; batch++) {
        const events = Array.from({ length: 500 }, (_, i) => ({
          type: 'UserCreated',
          data: { userId: `b${batch}-${i}`, name: `User ${batch}-${i}` },
        }));
        const result = await s.store.append(`bulk-${batch}`, events);
        await s.bus.publish(result.events);
      }
      await s.close();

      s = await StoreSession.open({ path: file });
      const store = s.store as { forEach: typeof s.store.forEach };
      const original = store.forEach.bind(s.store);
      let folded = 0;
      store.forEach = (onEvent, options) => original((e) => (folded++, onEvent(e)), options);
      const step = s.replay.step(s.replay.total);
      assert.equal(step.position, 2500);
      assert.ok(folded <= 500, `folded ${folded} events, expected at most 500 (from the snapshot at 2000)`);
      const fresh = new ReplayEngine(s.store, builtInProjections, builtInAggregates, 1_000_000);
      assert.deepEqual(s.replay.statesAt(2499), fresh.statesAt(2499));
      await s.close();
    });
  });
});
