import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { seedDemoData } from '../../src/core/application/demoData';
import { StoreSession } from '../../src/core/application/session';
import { builtInAggregates } from '../../src/core/domain/aggregates';
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import type { ImportEvent } from '../../src/core/eventStore/types';
import { compareVersions } from '../../src/core/history/compareVersions';
import { checkReadModels } from '../../src/core/history/drift';
import { builtInProjections } from '../../src/core/projections/builtIn';
import type { Projection } from '../../src/core/projections/projection';
import { usersDirectory, type UsersDirectoryState } from '../../src/core/projections/usersDirectory';
import { ReplayEngine } from '../../src/core/replay/replayEngine';
import { cloneJson } from '../../src/shared/json';
import { withTempDir } from '../builders/tempDir';

/** `count` user events: creations, and renames of earlier users; `name(i)` names the event at position i. */
function userEvents(count: number, name: (position: number) => string = (p) => `User ${p}`): ImportEvent[] {
  const events: ImportEvent[] = [];
  for (let p = 1; p <= count; p++) {
    if (p % 3 === 0) {
      const target = p - 2;
      events.push({ streamId: `user-u${target}`, type: 'UserRenamed', data: { userId: `u${target}`, name: name(p) } });
    } else events.push({ streamId: `user-u${p}`, type: 'UserCreated', data: { userId: `u${p}`, name: name(p) } });
  }
  return events;
}

/** 100 users created, then renamed in turn up to `count` events; `name(i)` names the event at position i. */
function renames(count: number, name: (position: number) => string): ImportEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const p = i + 1;
    const id = `u${(i % 100) + 1}`;
    return {
      streamId: `user-${id}`,
      type: p <= 100 ? 'UserCreated' : 'UserRenamed',
      data: { userId: id, name: name(p) },
    };
  });
}

const liveOf = (checkpoint: number, states: Record<string, unknown>) => ({
  checkpoint,
  stateOf: (n: string) => states[n],
});

describe('Check Read Models: drift and nondeterminism', () => {
  let store: SqlJsEventStore;
  beforeEach(async () => {
    store = await SqlJsEventStore.open();
    await store.importEvents(userEvents(5000));
  });
  afterEach(() => store.close());

  it('deterministic read models equal to the live ones: clean', async () => {
    const s = StoreSession.over(store);
    const reports = await checkReadModels(store, s.projections, s.projector);
    assert.deepEqual(
      reports.map((r) => [r.readModel, r.status, r.checkpoint]),
      builtInProjections.map((p) => [p.name, 'clean', 5000]),
    );
  });

  for (const [when, checkpoint] of [
    ['while the events are read', 5000],
    ['while the live states are copied, before the walk', 5003],
  ] as const)
    it(`read in slices: commands handled ${when} are not drift; states and checkpoint belong together`, async () => {
      const s = StoreSession.over(store);
      let walking = false;
      let appended = 0;
      const reports = await checkReadModels(store, s.projections, s.projector, {
        firstSlice: 500,
        sliceMs: 0.01,
        onProgress: () => (walking = true),
        // Between two pieces the live read models move on, as they do while VS Code runs the check.
        pause: async () => {
          if (walking === (checkpoint === 5000) && appended < 3) {
            appended += 1;
            await s.execute({ type: 'CreateUser', data: { userId: `late-${appended}`, name: `Late ${appended}` } });
          }
        },
      });
      assert.equal(appended, 3);
      assert.equal(s.projector.checkpoint, 5003);
      assert.deepEqual(
        reports.map((r) => [r.readModel, r.status, r.checkpoint]),
        builtInProjections.map((p) => [p.name, 'clean', checkpoint]),
      );
    });

  it('a live state that missed a rename: drifted, first diverging at that rename, with both values', async () => {
    const s = StoreSession.over(store);
    const live = cloneJson(s.projector.stateOf(usersDirectory)) as { users: Record<string, { name: string }> };
    live.users.u4!.name = 'User 4'; // the rename at position 6 is missing from the live state
    const [report] = await checkReadModels(store, [usersDirectory], liveOf(5000, { usersDirectory: live }));
    assert.equal(report!.status, 'drifted');
    assert.equal(report!.drift?.firstPosition, 6);
    assert.deepEqual(report!.drift?.values, [
      { path: ['users', 'u4', 'name'], live: 'User 4', recomputed: 'User 6', divergedAt: 6 },
    ]);
  });

  it('a projection reading the clock or a random number: caught by folding twice, with the event that made them differ', async () => {
    const stamped: Projection<{ stamps: Record<string, number> }> = {
      name: 'stamped',
      title: 'Stamped',
      description: 'Remembers when each rename was seen.',
      eventTypes: ['UserRenamed'],
      initialState: () => ({ stamps: {} }),
      evolve(state, event) {
        const d = event.data as { userId: string };
        // The bug: only renames of one user read a random number.
        state.stamps[d.userId] = d.userId === 'u3217' ? Math.random() : event.globalPosition;
        return state;
      },
      view: () => [],
    };
    const [report] = await checkReadModels(store, [stamped], liveOf(5000, { stamped: undefined }));
    assert.equal(report!.status, 'nondeterministic');
    assert.equal(report!.nondeterminism?.position, 3219);
    assert.equal(report!.nondeterminism?.eventType, 'UserRenamed');
    assert.equal(report!.nondeterminism?.streamId, 'user-u3217');
    assert.deepEqual(
      report!.nondeterminism?.changes.map((c) => c.path),
      [['stamps', 'u3217']],
    );
  });

  it('state shared between folds (a counter outside the state) is caught the same way', async () => {
    let seen = 0;
    const counting: Projection<{ last: number }> = {
      name: 'counting',
      title: 'Counting',
      description: 'Counts renames outside its state.',
      eventTypes: ['UserRenamed'],
      initialState: () => ({ last: 0 }),
      evolve(state, event) {
        if (event.globalPosition >= 4200) seen += 1;
        state.last = event.globalPosition >= 4200 ? seen : 0;
        return state;
      },
      view: () => [],
    };
    const [report] = await checkReadModels(store, [counting], liveOf(5000, { counting: { last: 0 } }));
    assert.equal(report!.status, 'nondeterministic');
    assert.equal(report!.nondeterminism?.position, 4200);
  });

  it('a read model that throws is reported faulted, with its event', async () => {
    const failing: Projection = {
      ...usersDirectory,
      name: 'failing',
      evolve: (state, event) => {
        if (event.globalPosition === 77) throw new Error('no such user');
        return usersDirectory.evolve(state as UsersDirectoryState, event as never);
      },
    } as Projection;
    const [report] = await checkReadModels(store, [failing], liveOf(5000, { failing: undefined }));
    assert.equal(report!.status, 'faulted');
    assert.equal(report!.fault?.position, 77);
    assert.equal(report!.fault?.error, 'Error: no such user');
  });
});

describe('Compare with the previous version', () => {
  it('a projection fix that changes 3 positions of 10k: exactly those are found, with the diff at the first', async () => {
    const untrimmed = new Set([1234, 5678, 9001]);
    const store = await SqlJsEventStore.open();
    await store.importEvents(renames(10_000, (p) => (untrimmed.has(p) ? `  User ${p} ` : `User ${p}`)));
    // The old version keeps names as they come; the fix trims them.
    const fixed: Projection = {
      ...usersDirectory,
      evolve: (state, event) => {
        const e = event as { data: { name?: string } };
        const trimmed = e.data.name === undefined ? event : { ...event, data: { ...e.data, name: e.data.name.trim() } };
        return usersDirectory.evolve(state as UsersDirectoryState, trimmed as never);
      },
    } as Projection;
    const [users, ...others] = await compareVersions(store, builtInProjections, [
      fixed,
      ...builtInProjections.slice(1),
    ]);
    assert.equal(users!.status, 'different');
    assert.equal(users!.positions, 3);
    assert.deepEqual(users!.differingPositions, [1234, 5678, 9001]);
    assert.equal(users!.first?.position, 1234);
    assert.equal(users!.first?.eventType, 'UserRenamed');
    assert.deepEqual(users!.first?.stateDifference, [
      { path: ['users', 'u34', 'name'], kind: 'changed', before: '  User 1234 ', after: 'User 1234' },
    ]);
    for (const o of others) assert.equal(o.status, 'same', o.readModel);
    const renamed = await compareVersions(store, [usersDirectory], [{ ...usersDirectory, name: 'directory' }]);
    assert.deepEqual(
      renamed.map((r) => [r.readModel, r.status]),
      [
        ['directory', 'added'],
        ['usersDirectory', 'removed'],
      ],
    );
    store.close();
  });
});

describe('Compare with the previous version: counters', () => {
  it('a counter one off after a fix differs at the event the fix is about, not at every later one', async () => {
    const store = await SqlJsEventStore.open();
    await store.importEvents(
      ['Bo', 'Bo', 'Bob', 'Bobby', 'Bobby', 'Rob'].map((name, i) => ({
        streamId: 'user-b',
        type: i === 0 ? 'UserCreated' : 'UserRenamed',
        data: { userId: 'b', name },
      })),
    );
    const version = (countSameName: boolean): Projection<{ name: string; renames: number }> => ({
      name: 'renames',
      title: 'Renames',
      description: 'How often the user was renamed.',
      eventTypes: ['UserCreated', 'UserRenamed'],
      initialState: () => ({ name: '', renames: 0 }),
      evolve(state, event) {
        const name = (event.data as { name: string }).name;
        if (event.type === 'UserRenamed' && (countSameName || name !== state.name)) state.renames += 1;
        state.name = name;
        return state;
      },
      view: () => [],
    });
    const [renames] = await compareVersions(store, [version(true) as Projection], [version(false) as Projection]);
    assert.deepEqual(renames!.differingPositions, [2, 5]);
    assert.deepEqual(renames!.first?.oldChanges, [{ path: ['renames'], kind: 'changed', before: 0, after: 1 }]);
    assert.deepEqual(renames!.first?.newChanges, []);
    store.close();
  });
});

describe('Loud faults', () => {
  const throwsAt = (position: number): Projection =>
    ({
      ...usersDirectory,
      name: 'fragile',
      title: 'Fragile',
      evolve: (state, event) => {
        if (event.globalPosition === position) throw new RangeError(`bad event ${position}`);
        return usersDirectory.evolve(state as UsersDirectoryState, event as never);
      },
    }) as Projection;

  it('the live read model stops at the failing event and says so; the others go on; the replay shows it from there', async () => {
    const s = await StoreSession.open({ projections: [...builtInProjections, throwsAt(4)] });
    await seedDemoData(s.handler);
    const fault = s.projector.faultOf('fragile');
    assert.equal(fault?.position, 4);
    assert.equal(fault?.error, 'RangeError: bad event 4');
    assert.match(fault?.stack ?? '', /readModelChecks\.test/);
    const before = s.replay.statesAt(3).get('fragile');
    assert.deepEqual(s.projector.stateOf('fragile'), before);
    assert.deepEqual(
      s.projector.stateOf('usersDirectory'),
      s.replay.statesAt(s.store.lastPosition()).get('usersDirectory'),
    );
    const engine = new ReplayEngine(s.store, s.projections, builtInAggregates, 1_000_000);
    assert.equal(engine.step(3).readModels.find((r) => r.name === 'fragile')?.fault, undefined);
    const at = engine.step(4).readModels.find((r) => r.name === 'fragile');
    assert.equal(at?.fault?.position, 4);
    assert.deepEqual(at?.changes, []);
    assert.equal(
      engine.step(s.store.lastPosition()).readModels.find((r) => r.name === 'fragile')?.fault?.eventType,
      fault?.eventType,
    );
    await s.close();
  });

  it('a fault is saved with the read models: after a restart the read model is still faulted there, not caught up past it', async () => {
    await withTempDir('esi-fault-', async (dir) => {
      const file = path.join(dir, 'events.db');
      const first = await StoreSession.open({ path: file, projections: [...builtInProjections, throwsAt(4)] });
      await seedDemoData(first.handler);
      const state = cloneJson(first.projector.stateOf('fragile'));
      await first.close();
      const again = await StoreSession.open({ path: file, projections: [...builtInProjections, throwsAt(4)] });
      assert.equal(again.startup.loaded, true);
      assert.equal(again.projector.faultOf('fragile')?.position, 4);
      await again.execute({ type: 'CreateUser', data: { userId: 'after', name: 'After' } });
      assert.deepEqual(again.projector.stateOf('fragile'), state);
      await again.close();
    });
  });

  it('rebuild between chosen positions: stops at one, starts after another, and a full rebuild clears both', async () => {
    const s = await StoreSession.open({ projections: [...builtInProjections, throwsAt(4)] });
    await seedDemoData(s.handler);
    const last = s.store.lastPosition();
    assert.equal(s.projector.rebuildBetween(1, 3), 3);
    assert.equal(s.projector.faultOf('fragile'), undefined);
    assert.deepEqual(s.projector.stateOf('fragile'), s.replay.statesAt(3).get('fragile'));
    await s.execute({ type: 'CreateUser', data: { userId: 'late', name: 'Late' } });
    assert.equal(s.projector.checkpoint, 3, 'held at the chosen position');
    assert.equal(s.projector.rebuildBetween(5), last + 1);
    assert.equal(s.projector.faultOf('fragile'), undefined, 'the failing event is before the start');
    assert.equal((s.projector.stateOf('summary') as { totalEvents: number }).totalEvents, last + 1 - 4);
    s.projector.rebuild();
    assert.equal(s.projector.rebuiltRange, undefined);
    assert.equal(s.projector.faultOf('fragile')?.position, 4);
    await s.close();
  });

  it('rebuild between chosen positions in slices (as the palette runs it): the same read models as in one go', async () => {
    const s = await StoreSession.open({ projections: [...builtInProjections, throwsAt(4)] });
    await seedDemoData(s.handler);
    const last = s.store.lastPosition();
    const states = () => new Map(s.projections.map((p) => [p.name, s.projector.stateOf(p.name)]));
    for (const [from, to] of [
      [1, 3],
      [5, undefined],
      [2, last - 1],
    ] as const) {
      const inOneGo = s.projector.rebuildBetween(from, to);
      const expected = states();
      // A slice of a millisecond: the walk takes turns of the event loop between its reads.
      assert.equal(await s.projector.rebuildBetweenInSlices(from, to, 0.001), inOneGo, `${from}..${to}`);
      assert.deepEqual(states(), expected, `${from}..${to}`);
      assert.deepEqual(s.projector.rebuiltRange, { from, to });
      assert.equal(s.projector.faultOf('fragile')?.position, from <= 4 && (to ?? last) >= 4 ? 4 : undefined);
    }
    await s.close();
  });
});
