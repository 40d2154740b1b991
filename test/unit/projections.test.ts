import * as assert from 'node:assert/strict';
import type { Projection } from '../../src/core/projections/projection';
import { summary, type SummaryState } from '../../src/core/projections/summary';
import { usersDirectory, type UsersDirectoryState } from '../../src/core/projections/usersDirectory';
import type { RecordedEvent } from '../../src/core/eventStore/types';
import { recorded, resetPositions } from '../builders/events';

const run = <S>(p: Projection<S>, events: RecordedEvent[]): S =>
  events
    .filter((e) => p.eventTypes.length === 0 || p.eventTypes.includes(e.type))
    .reduce((s, e) => p.evolve(s, e), p.initialState());

describe('Read models', () => {
  let events: RecordedEvent[];
  beforeEach(() => {
    resetPositions();
    events = [
      recorded('user-a', 1, 'UserCreated', { userId: 'a', name: 'Ada' }),
      recorded('user-b', 1, 'UserCreated', { userId: 'b', name: 'Bob' }),
      recorded('user-a', 2, 'UserRenamed', { userId: 'a', oldName: 'Ada', name: 'Ada Lovelace' }),
      recorded('user-b', 2, 'UserDeactivated', { userId: 'b' }),
    ];
  });

  it('the users directory lists each user with its latest name and status', () => {
    const state = run<UsersDirectoryState>(usersDirectory, events);
    assert.deepEqual(
      Object.values(state.users).map((u) => [u.userId, u.name, u.status]),
      [
        ['a', 'Ada Lovelace', 'active'],
        ['b', 'Bob', 'deactivated'],
      ],
    );
  });

  it('the summary counts users by status and events by type, from the same events', () => {
    const state = run<SummaryState>(summary, events);
    assert.deepEqual(state.users, { active: 1, deactivated: 1 });
    assert.deepEqual(state.eventsByType, { UserCreated: 2, UserRenamed: 1, UserDeactivated: 1 });
    assert.equal(state.totalEvents, 4);
    assert.equal(state.lastPosition, 4);
  });

  it('shows rows sorted by name, with status, as plain text', () => {
    const rows = usersDirectory.view(run<UsersDirectoryState>(usersDirectory, events));
    assert.deepEqual(
      rows.map((r) => [r.label, r.description]),
      [
        ['Ada Lovelace', 'active · a'],
        ['Bob', 'deactivated · b'],
      ],
    );
  });

  it('ignores a rename of a user it never saw instead of inventing one', () => {
    const state = run<UsersDirectoryState>(usersDirectory, [
      recorded('user-z', 2, 'UserRenamed', { userId: 'z', oldName: 'Q', name: 'R' }),
    ]);
    assert.deepEqual(state.users, {});
  });

  it('states are plain JSON that survive a save and load', () => {
    const state = run<SummaryState>(summary, events);
    assert.deepEqual(JSON.parse(JSON.stringify(state)), state);
  });
});
