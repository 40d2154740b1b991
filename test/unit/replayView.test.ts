import * as assert from 'node:assert/strict';
import { seedDemoData } from '../../src/core/application/demoData';
import { StoreSession } from '../../src/core/application/session';
import { builtInAggregates } from '../../src/core/domain/aggregates';
import { builtInProjections } from '../../src/core/projections/builtIn';
import { canHandle } from '../../src/core/projections/projection';
import type { UsersDirectoryState } from '../../src/core/projections/usersDirectory';
import { givenWhenThenTest } from '../../src/core/replay/exportTest';
import { ReplayEngine } from '../../src/core/replay/replayEngine';
import { ReplayView } from '../../src/core/replay/replayView';
import type { RecordedEvent } from '../../src/core/eventStore/types';
import { prng } from '../builders/prng';

/** Issues random user commands through the write model; rejected ones are part of life. */
async function randomHistory(s: StoreSession, seed: number, commands: number): Promise<void> {
  const rnd = prng(seed);
  const ids = Array.from({ length: 8 }, (_, i) => `p${i}`);
  for (let i = 0; i < commands; i++) {
    const userId = ids[Math.floor(rnd() * ids.length)]!;
    const kind = rnd();
    const command =
      kind < 0.4
        ? { type: 'CreateUser', data: { userId, name: `N${i}` } }
        : kind < 0.85
          ? { type: 'RenameUser', data: { userId, name: `R${i}` } }
          : { type: 'DeactivateUser', data: { userId } };
    await s.execute(command).catch(() => undefined);
  }
}

function foldFromZero(
  events: RecordedEvent[],
  upTo: number,
  skipped: ReadonlySet<number> = new Set(),
): Map<string, unknown> {
  const states = new Map(builtInProjections.map((p) => [p.name, p.initialState()]));
  for (const e of events) {
    if (e.globalPosition > upTo) break;
    if (skipped.has(e.globalPosition)) continue;
    for (const p of builtInProjections) if (canHandle(p, e)) states.set(p.name, p.evolve(states.get(p.name), e));
  }
  return states;
}

describe('Replay: seek equals a fold from position 0 (property)', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`holds for random positions of a generated stream (seed ${seed})`, async () => {
      const s = await StoreSession.open();
      await randomHistory(s, seed, 150);
      const all = s.store.readAll();
      const rnd = prng(seed * 7919);
      const engine = new ReplayEngine(s.store, builtInProjections, builtInAggregates, 1 + Math.floor(rnd() * 20));
      for (let i = 0; i < 40; i++) {
        const position = Math.floor(rnd() * (all.length + 1));
        assert.deepEqual(engine.statesAt(position), foldFromZero(all, position), `seed ${seed}, position ${position}`);
      }
      // What-if: skipping events equals folding without them.
      const skipped = new Set(Array.from({ length: 3 }, () => 1 + Math.floor(rnd() * all.length)));
      for (let i = 0; i < 15; i++) {
        const position = Math.floor(rnd() * (all.length + 1));
        assert.deepEqual(
          engine.statesAt(position, skipped),
          foldFromZero(all, position, skipped),
          `what-if, seed ${seed}, position ${position}`,
        );
        assert.deepEqual(
          engine.statesAt(position),
          foldFromZero(all, position),
          `back to real history, seed ${seed}, position ${position}`,
        );
      }
      await s.close();
    });
  }
});

describe('Replay view: filters, moves, what-if, export', () => {
  let s: StoreSession;
  let view: ReplayView;
  beforeEach(async () => {
    s = await StoreSession.open();
    await seedDemoData(s.handler);
    view = new ReplayView(s.store, s.replay);
  });
  afterEach(() => s.close());

  it('starts at the present, with every event in view', () => {
    assert.equal(view.position, s.store.lastPosition());
    assert.equal(view.count, view.total);
    assert.equal(view.index, view.total);
  });

  it('a stream filter narrows where you step, and the state still includes every event', () => {
    view.setFilter({ streamId: 'user-grace' });
    assert.equal(view.count, 2);
    view.move('first');
    assert.equal(view.position, 0);
    view.move('next');
    const first = view.step();
    assert.equal(first.event?.streamId, 'user-grace');
    assert.equal(first.event?.type, 'UserCreated');
    // Ada was created before Grace: she is in the state though her stream is filtered out.
    const users = (first.readModels.find((r) => r.name === 'usersDirectory')!.state as UsersDirectoryState).users;
    assert.ok(users.ada, 'events outside the filter are still applied');
    view.move('next');
    assert.equal(view.step().event?.type, 'UserRenamed');
    assert.equal(view.index, 2);
    view.move('next');
    assert.equal(view.index, 2, 'stays on the last event in view');
    view.move('prev');
    assert.equal(view.step().event?.type, 'UserCreated');
  });

  it('filters by event type, by text in the data, and by correlation id', () => {
    view.setFilter({ eventType: 'UserCreated' });
    assert.equal(view.count, 5);
    view.setFilter({ text: 'hopper' });
    assert.deepEqual(
      view.rows(0, 10).map((r) => r.streamId),
      ['user-grace', 'user-grace'],
    );
    const anyEvent = s.store.readEvent(1)!;
    view.setFilter({ correlationId: anyEvent.metadata.correlationId as string });
    assert.equal(view.count, 8, 'the users of the demo share one correlation id: 5 created, 2 renamed, 1 deactivated');
    view.setFilter({ correlationId: 'demo-seed-cart-ada-1' });
    assert.deepEqual(
      view.rows(0, 10).map((r) => r.streamId),
      ['cart-ada-1', 'cart-ada-1', 'cart-ada-1', 'cart-ada-1', 'stock-book', 'stock-book', 'notice-ada-1'],
      "a cart's correlation follows its confirmation into the stock reservation it caused",
    );
    const renamed = s.store.readAll().find((e) => e.type === 'UserRenamed')!;
    view.setFilter({ causationId: renamed.metadata.causationId as string });
    assert.deepEqual(
      view.rows(0, 10).map((r) => r.position),
      [renamed.globalPosition],
      'one command caused one event',
    );
    view.setFilter({ text: '  ' });
    assert.equal(view.count, view.total, 'a blank filter shows everything');
  });

  it('a filter found a slice at a time, yielding between slices, equals the one found at once, appends included', async () => {
    // More history than the first slice holds, so the stepwise filter takes several slices.
    for (let i = 0; i < 40; i++)
      await s.handler.execute({ type: 'CreateUser', data: { userId: `u${i}`, name: `Name ${i}` } });
    const filters = [{ eventType: 'UserCreated' }, { text: 'name 1' }, { streamId: 'user-u7' }, {}];
    for (const [k, filter] of filters.entries()) {
      view.setFilter(filter);
      const atOnce = view.rows(0, 10_000).map((r) => r.position);
      const stepwise = new ReplayView(s.store, s.replay);
      let pauses = 0;
      let appended = false;
      await stepwise.setFilterInSteps(filter, {
        sliceMs: 0, // the smallest slices: many pauses
        slices: { first: 10, min: 7 },
        pause: async () => {
          pauses++;
          if (!appended) {
            appended = true;
            await s.handler.execute({ type: 'CreateUser', data: { userId: `late${k}`, name: 'Name 1 late' } });
          }
        },
      });
      view.setFilter(filter);
      const afterAppend = view.rows(0, 10_000).map((r) => r.position);
      assert.deepEqual(
        stepwise.rows(0, 10_000).map((r) => r.position),
        afterAppend,
        `same positions for ${JSON.stringify(filter)}`,
      );
      assert.ok(afterAppend.length >= atOnce.length);
      if (Object.keys(filter).length > 0) assert.ok(pauses >= 1, `paused between slices (${pauses})`);
    }
  });

  it('the store finds filtered positions with SQL, the same as checking each event', () => {
    const all = s.store.readAll();
    const someCorrelation = all[3]!.metadata.correlationId as string;
    const someCausation = all[5]!.metadata.causationId as string;
    const filters = [
      { streamId: 'user-grace' },
      { eventType: 'ItemAdded' },
      { text: 'HOPPER' },
      { text: '"name"' },
      { correlationId: someCorrelation },
      { causationId: someCausation },
      { eventType: 'UserCreated', text: 'ada' },
      { text: 'no such text' },
    ];
    for (const f of filters) {
      const expected = all
        .filter(
          (e) => (!('streamId' in f) || e.streamId === f.streamId) && (!('eventType' in f) || e.type === f.eventType),
        )
        .filter((e) => !('text' in f) || JSON.stringify(e.data).toLowerCase().includes(f.text!.toLowerCase()))
        .filter(
          (e) =>
            (!('correlationId' in f) || e.metadata.correlationId === f.correlationId) &&
            (!('causationId' in f) || e.metadata.causationId === f.causationId),
        )
        .map((e) => e.globalPosition);
      assert.deepEqual(s.store.findPositions!(f), expected, JSON.stringify(f));
    }
  });

  it('a filtered view takes in new events, also when only the first of many were announced', async () => {
    view.setFilter({ eventType: 'UserCreated' });
    const before = view.count;
    const one = await s.execute({ type: 'CreateUser', data: { userId: 'kay', name: 'Alan Kay' } });
    view.appended(one.events);
    assert.equal(view.count, before + 1);
    const many = await s.store.append(
      'bulk',
      Array.from({ length: 5 }, (_, i) => ({ type: 'UserCreated', data: { userId: `b${i}`, name: `B ${i}` } })),
    );
    view.appended(many.events.slice(0, 2));
    assert.equal(view.count, before + 6, 'all five bulk events are in view');
  });

  it('rows come a window at a time, in global order', () => {
    const rows = view.rows(2, 3);
    assert.deepEqual(
      rows.map((r) => r.position),
      [3, 4, 5],
    );
    assert.equal(view.rows(0, 10_000).length, Math.min(500, view.total));
  });

  it('stepping back from between filtered events goes to the previous event in view', () => {
    view.setFilter({ streamId: 'user-grace' });
    const renamedAt = view.positionAtIndex(2);
    view.seek(renamedAt - 1);
    assert.equal(view.index, 1);
    view.move('prev');
    assert.equal(view.position, view.positionAtIndex(1));
  });

  it('what-if: skipping an event recomputes the read models without it and leaves the store alone', () => {
    const before = s.store.lastPosition();
    const deactivated = s.store.readAll().find((e) => e.type === 'UserDeactivated')!;
    view.setSkipped(deactivated.globalPosition, true);
    view.move('last');
    const step = view.step();
    const users = (step.readModels.find((r) => r.name === 'usersDirectory')!.state as UsersDirectoryState).users;
    assert.equal(users.edsger?.status, 'active', 'without UserDeactivated, Edsger stays active');
    assert.equal(view.rows(deactivated.globalPosition - 1, 1)[0]?.skipped, true);
    view.seek(deactivated.globalPosition);
    const atSkipped = view.step();
    assert.equal(atSkipped.skipped, true);
    assert.ok(atSkipped.readModels.every((r) => r.changes.length === 0 && !r.handled));
    assert.match(atSkipped.explanation, /What-if/);
    assert.equal(s.store.lastPosition(), before);
    view.clearSkipped();
    view.move('last');
    assert.equal((view.step().readModels[0]!.state as UsersDirectoryState).users.edsger?.status, 'deactivated');
    assert.throws(() => view.setSkipped(0, true), /no event at position 0/);
  });

  it('shows where a refused command happened: after the last event, changing nothing', async () => {
    view = new ReplayView(s.store, s.replay, s.commandLog);
    const before = s.store.lastPosition();
    await assert.rejects(
      s.execute({ type: 'RenameUser', data: { userId: 'edsger', name: 'E. W. Dijkstra' } }),
      /deactivated/,
    );
    assert.equal(s.store.lastPosition(), before, 'nothing appended');
    view.seek(before);
    assert.deepEqual(
      view.rejectionsHere().map((c) => [c.command.type, c.outcome]),
      [['RenameUser', 'rejected']],
    );
    assert.match(view.rejectionsHere()[0]!.reason ?? '', /deactivated/);
    assert.equal(view.rows(before - 1, 1)[0]?.rejected, 1);
    assert.equal(view.rows(before - 2, 1)[0]?.rejected, 0);
    view.seek(before - 1);
    assert.deepEqual(view.rejectionsHere(), []);
    assert.equal(view.refusedTotal(), 2, "this refusal and the demo's refused stock reservation");
  });

  it('finds the command behind an event in the command log, for the test export', async () => {
    view = new ReplayView(s.store, s.replay, s.commandLog);
    const result = await s.execute({ type: 'CreateUser', data: { userId: 'kay', name: 'Alan Kay' } });
    const note = view.commandFor(result.events[0]!.globalPosition);
    assert.deepEqual(note?.command, { type: 'CreateUser', data: { userId: 'kay', name: 'Alan Kay' } });
  });

  it('exports the events up to the position as NDJSON', () => {
    view.seek(3);
    const lines = [...view.ndjson()]
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((e) => e.globalPosition),
      [1, 2, 3],
    );
    assert.deepEqual(Object.keys(lines[0]).sort(), [
      'data',
      'eventId',
      'globalPosition',
      'metadata',
      'recordedAt',
      'streamId',
      'streamVersion',
      'type',
    ]);
  });

  it('exports a given/when/then test from the current event', () => {
    const renamed = s.store.readAll().find((e) => e.type === 'UserRenamed' && e.streamId === 'user-grace')!;
    const text = givenWhenThenTest(s.store, s.aggregates, renamed.globalPosition, () => ({
      type: 'RenameUser',
      data: { userId: 'grace', name: 'Rear Admiral Grace Hopper' },
    }));
    assert.match(text, /import \{ userDecider as decider \}/);
    assert.match(text, /"type": "UserCreated"/);
    assert.match(text, /const when = \{\n\s+"type": "RenameUser"/);
    assert.match(text, /const then = \[\n[\s\S]*"UserRenamed"/);
    const unknown = givenWhenThenTest(s.store, s.aggregates, renamed.globalPosition);
    assert.match(unknown, /type: "RenameUser", data: \{\} \/\* the command's data was not recorded/);
    assert.throws(() => givenWhenThenTest(s.store, s.aggregates, 999), /no event at position 999/);
  });
});
