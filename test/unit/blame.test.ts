import * as assert from 'node:assert/strict';
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import type { ImportEvent } from '../../src/core/eventStore/types';
import { builtInAggregates } from '../../src/core/domain/aggregates';
import { blameReadModel, blameStream, UnknownStreamError } from '../../src/core/history/blame';
import { formatValuePath, MISSING, parseValuePath, ValuePathError } from '../../src/core/history/valuePath';
import type { Projection } from '../../src/core/projections/projection';
import { summary } from '../../src/core/projections/summary';
import { usersDirectory } from '../../src/core/projections/usersDirectory';

const ev = (streamId: string, type: string, data: unknown): ImportEvent => ({ streamId, type, data });

/** A read model with nested objects, arrays and keys that come and go: a team and its members. */
const teams: Projection<{ teams: Record<string, { name: string; members: string[]; lead?: string }> }> = {
  name: 'teams',
  title: 'Teams',
  description: 'Teams and their members.',
  eventTypes: [],
  initialState: () => ({ teams: {} }),
  evolve(state, event) {
    const d = event.data as { team: string; name?: string; member?: string };
    const team = state.teams[d.team];
    switch (event.type) {
      case 'TeamFormed':
        state.teams[d.team] = { name: d.name!, members: [] };
        break;
      case 'MemberJoined':
        team!.members.push(d.member!);
        break;
      case 'MemberLeft':
        team!.members = team!.members.filter((m) => m !== d.member);
        break;
      case 'LeadChosen':
        team!.lead = d.member!;
        break;
      case 'LeadStepped':
        delete team!.lead;
        break;
      case 'TeamRenamed':
        team!.name = d.name!;
        break;
      case 'TeamDisbanded':
        delete state.teams[d.team];
        break;
    }
    return state;
  },
  view: () => [],
};

describe('Blame: which events made a value what it is', () => {
  let store: SqlJsEventStore;
  beforeEach(async () => {
    store = await SqlJsEventStore.open();
    await store.importEvents([
      ev('team-a', 'TeamFormed', { team: 'a', name: 'Alpha' }), // 1
      ev('team-a', 'MemberJoined', { team: 'a', member: 'ada' }), // 2
      ev('team-b', 'TeamFormed', { team: 'b', name: 'Beta' }), // 3
      ev('team-a', 'MemberJoined', { team: 'a', member: 'bob' }), // 4
      ev('team-a', 'LeadChosen', { team: 'a', member: 'ada' }), // 5
      ev('team-a', 'TeamRenamed', { team: 'a', name: 'Alpha 2' }), // 6
      ev('team-a', 'MemberLeft', { team: 'a', member: 'ada' }), // 7
      ev('team-a', 'LeadStepped', { team: 'a' }), // 8
      ev('team-a', 'TeamRenamed', { team: 'a', name: 'Alpha' }), // 9: back to the first name
      ev('team-b', 'TeamRenamed', { team: 'b', name: 'Beta' }), // 10: the same name again: no change
      ev('team-b', 'TeamDisbanded', { team: 'b' }), // 11
    ]);
  });
  afterEach(() => store.close());

  it('a nested value changed back and forth: every change newest first, with the event and before → after', async () => {
    const result = await blameReadModel(store, teams, parseValuePath('teams.a.name'));
    assert.deepEqual(
      result.changes.map((c) => [c.globalPosition, c.type, c.streamId, c.kind, c.before, c.after]),
      [
        [9, 'TeamRenamed', 'team-a', 'changed', 'Alpha 2', 'Alpha'],
        [6, 'TeamRenamed', 'team-a', 'changed', 'Alpha', 'Alpha 2'],
        [1, 'TeamFormed', 'team-a', 'added', undefined, 'Alpha'],
      ],
    );
    assert.equal(result.value, 'Alpha');
    assert.equal(result.upTo, 11);
  });

  it('an event that sets the value it already had is not a change', async () => {
    const result = await blameReadModel(store, teams, ['teams', 'b', 'name']);
    assert.deepEqual(
      result.changes.map((c) => [c.globalPosition, c.kind]),
      [
        [11, 'removed'],
        [3, 'added'],
      ],
    );
    assert.equal(result.value, MISSING);
  });

  it('arrays: the whole list as a value (changed in place), and one index of it', async () => {
    const list = await blameReadModel(store, teams, parseValuePath('teams.a.members'));
    assert.deepEqual(
      list.changes.map((c) => [c.globalPosition, c.before, c.after]),
      [
        [7, ['ada', 'bob'], ['bob']],
        [4, ['ada'], ['ada', 'bob']],
        [2, [], ['ada']],
        [1, undefined, []],
      ],
    );
    const first = await blameReadModel(store, teams, parseValuePath('teams.a.members[0]'));
    assert.deepEqual(
      first.changes.map((c) => [c.globalPosition, c.kind, c.before, c.after]),
      [
        [7, 'changed', 'ada', 'bob'],
        [2, 'added', undefined, 'ada'],
      ],
    );
  });

  it('a deleted key: added, then removed', async () => {
    const result = await blameReadModel(store, teams, parseValuePath('teams.a.lead'));
    assert.deepEqual(
      result.changes.map((c) => [c.globalPosition, c.type, c.kind, c.before, c.after]),
      [
        [8, 'LeadStepped', 'removed', 'ada', undefined],
        [5, 'LeadChosen', 'added', undefined, 'ada'],
      ],
    );
  });

  it('an object value: changes below it count, and only up to --to', async () => {
    const result = await blameReadModel(store, teams, ['teams', 'a'], { to: 5 });
    assert.deepEqual(
      result.changes.map((c) => c.globalPosition),
      [5, 4, 2, 1],
    );
    assert.deepEqual(result.value, { name: 'Alpha', members: ['ada', 'bob'], lead: 'ada' });
  });

  it('a path that never held a value has no history', async () => {
    const result = await blameReadModel(store, teams, ['teams', 'zzz', 'name']);
    assert.deepEqual(result.changes, []);
    assert.equal(result.value, MISSING);
  });

  it('a read model that throws: the history stops before the failing event, which is named', async () => {
    const broken: Projection = {
      ...teams,
      name: 'broken',
      evolve: (state, event) => {
        if (event.globalPosition === 7) throw new TypeError('members is not iterable');
        return teams.evolve(state as never, event);
      },
    };
    const result = await blameReadModel(store, broken, ['teams', 'a', 'members']);
    assert.equal(result.fault?.position, 7);
    assert.equal(result.fault?.eventType, 'MemberLeft');
    assert.equal(result.fault?.error, 'TypeError: members is not iterable');
    assert.match(result.fault?.stack ?? '', /blame\.test/);
    assert.equal(result.upTo, 6);
    assert.deepEqual(
      result.changes.map((c) => c.globalPosition),
      [4, 2, 1],
    );
  });

  it('built-in read models: a user renamed, and a counter of the summary', async () => {
    const users = await SqlJsEventStore.open();
    await users.importEvents([
      ev('user-ada', 'UserCreated', { userId: 'ada', name: 'Ada' }),
      ev('user-bob', 'UserCreated', { userId: 'bob', name: 'Bob' }),
      ev('user-ada', 'UserRenamed', { userId: 'ada', name: 'Ada Lovelace' }),
      ev('user-bob', 'UserDeactivated', { userId: 'bob' }),
    ]);
    const name = await blameReadModel(users, usersDirectory, parseValuePath('users.ada.name'));
    assert.deepEqual(
      name.changes.map((c) => [c.globalPosition, c.after]),
      [
        [3, 'Ada Lovelace'],
        [1, 'Ada'],
      ],
    );
    const active = await blameReadModel(users, summary, parseValuePath('users.active'));
    assert.deepEqual(
      active.changes.map((c) => [c.globalPosition, c.before, c.after]),
      [
        [4, 2, 1],
        [2, 1, 2],
        [1, 0, 1],
      ],
    );
    const status = blameStream(users, builtInAggregates, 'user-bob', ['status']);
    assert.equal(status.subject.kind, 'stream');
    assert.deepEqual(
      status.changes.map((c) => [c.globalPosition, c.type, c.before, c.after]),
      [
        [4, 'UserDeactivated', 'active', 'deactivated'],
        [2, 'UserCreated', 'none', 'active'],
      ],
    );
    assert.throws(() => blameStream(users, builtInAggregates, 'order-1', ['x']), UnknownStreamError);
    assert.throws(() => blameStream(users, builtInAggregates, 'user-zed', ['x']), /has no events/);
    users.close();
  });

  it('paths: dots, indexes and quoted keys, written back the same way; bad paths in one sentence', () => {
    assert.deepEqual(parseValuePath('users.ada.name'), ['users', 'ada', 'name']);
    assert.deepEqual(parseValuePath('carts["cart-1.x"].items[0].qty'), ['carts', 'cart-1.x', 'items', '0', 'qty']);
    assert.equal(formatValuePath(['carts', 'cart-1.x', 'items', '0', 'qty']), 'carts["cart-1.x"].items[0].qty');
    assert.equal(formatValuePath(['users', 'ada', 'name']), 'users.ada.name');
    for (const bad of ['', 'a..b', 'a.', 'a[x]', 'a["b"'])
      assert.throws(
        () => parseValuePath(bad),
        (e: unknown) => ValuePathError.is(e) && !e.message.includes('\n'),
        bad,
      );
  });
});
