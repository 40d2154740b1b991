import * as assert from 'node:assert/strict';
import { retryAfterConflict, simulateConcurrentUpdate } from '../../src/core/application/concurrency';
import { StoreSession } from '../../src/core/application/session';
import type { CartDetailsState } from '../../src/core/projections/cartDetails';
import type { UsersDirectoryState } from '../../src/core/projections/usersDirectory';

describe('Concurrent update simulation', () => {
  let s: StoreSession;
  const simulate = (first: { type: string; data: object }, second: { type: string; data: object }) =>
    simulateConcurrentUpdate(s.handler, s.store, s.aggregates, first, second);

  beforeEach(async () => {
    s = await StoreSession.open();
    await s.execute({ type: 'CreateUser', data: { userId: 'ada', name: 'Ada' } });
    await s.execute({ type: 'AddItem', data: { cartId: 'c1', productId: 'book', quantity: 1, unitPrice: 10 } });
  });
  afterEach(() => s.close());

  it('two writers on the same expected version: the first wins, the second gets a ConcurrencyError and appends nothing', async () => {
    const before = s.store.lastPosition();
    const outcome = await simulate(
      { type: 'RenameUser', data: { userId: 'ada', name: 'Ada A' } },
      { type: 'RenameUser', data: { userId: 'ada', name: 'Ada B' } },
    );
    assert.equal(outcome.kind, 'conflict');
    if (outcome.kind !== 'conflict') return;
    assert.equal(outcome.expectedVersion, 1);
    assert.equal(outcome.winner.result.events[0]!.streamVersion, 2);
    assert.equal(outcome.loser.error.name, 'ConcurrencyError');
    assert.equal(outcome.loser.error.actual, 2);
    assert.equal(s.store.lastPosition(), before + 1, 'only the winner appended');
    assert.match(
      outcome.explanation,
      /Both commands read user-ada at version 1\. RenameUser appended first: UserRenamed at position 3 \(version 2\)/,
    );
    assert.match(outcome.explanation, /the stream was at version 2: the store refused it \(ConcurrencyError\)/);
    assert.deepEqual(
      s.commandLog
        .entries()
        .slice(-2)
        .map((e) => [e.outcome, e.positionBefore, e.errorName]),
      [
        ['accepted', before, undefined],
        ['conflict', before + 1, 'ConcurrencyError'],
      ],
    );
  });

  it("retry re-reads and decides again: the rename now starts from the winner's name", async () => {
    const outcome = await simulate(
      { type: 'RenameUser', data: { userId: 'ada', name: 'Ada A' } },
      { type: 'RenameUser', data: { userId: 'ada', name: 'Ada B' } },
    );
    assert.equal(outcome.kind, 'conflict');
    const retried = await retryAfterConflict(s.handler, { type: 'RenameUser', data: { userId: 'ada', name: 'Ada B' } });
    assert.deepEqual(retried.events[0]!.data, { userId: 'ada', oldName: 'Ada A', name: 'Ada B' });
    assert.equal((s.projector.stateOf('usersDirectory') as UsersDirectoryState).users.ada?.name, 'Ada B');
  });

  it('retry can be rejected by a rule that now applies: no item is added to a cart confirmed meanwhile', async () => {
    const add = { type: 'AddItem', data: { cartId: 'c1', productId: 'pen', quantity: 1, unitPrice: 1 } };
    const outcome = await simulate({ type: 'ConfirmCart', data: { cartId: 'c1' } }, add);
    assert.equal(outcome.kind, 'conflict');
    await assert.rejects(retryAfterConflict(s.handler, add), /already confirmed/);
    assert.equal((s.projector.stateOf('cartDetails') as CartDetailsState).carts.c1?.items, 1);
    assert.deepEqual(
      s.commandLog
        .entries()
        .slice(-3)
        .map((e) => e.outcome),
      ['accepted', 'conflict', 'rejected'],
    );
  });

  it('the command handler retries on its own when not told otherwise', async () => {
    const result = await s.execute(
      { type: 'AddItem', data: { cartId: 'c1', productId: 'pen', quantity: 1, unitPrice: 1 } },
      { atVersion: 0 },
    );
    assert.equal(result.retries, 1);
    assert.equal(s.commandLog.last()?.retries, 1);
  });

  it('no conflict when the first command is rejected', async () => {
    const outcome = await simulate(
      { type: 'RemoveItem', data: { cartId: 'c1', productId: 'nope' } },
      { type: 'ConfirmCart', data: { cartId: 'c1' } },
    );
    assert.equal(outcome.kind, 'no-conflict');
    assert.match(outcome.explanation, /was rejected/);
  });

  it('refuses two commands for different streams', async () => {
    await assert.rejects(
      simulate(
        { type: 'RenameUser', data: { userId: 'ada', name: 'X' } },
        { type: 'ConfirmCart', data: { cartId: 'c1' } },
      ),
      /same stream/,
    );
  });
});
