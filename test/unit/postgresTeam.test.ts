import * as assert from 'node:assert/strict';
import { isExpectedVersionConflictError } from '@event-driven-io/emmett';
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import { StoreSession } from '../../src/core/application/session';
import { ConcurrencyError } from '../../src/core/eventStore/errors';
import { openPostgresStore, type PostgresStore } from '../../src/core/formats/postgres/openPostgres';
import { installMessageDb } from '../builders/messageDb';
import { sharedPostgres, type PostgresServer } from '../builders/postgresServer';

describe('A team store on an Emmett PostgreSQL schema (a real server, Emmett on both sides)', function () {
  this.timeout(120_000);
  let server: PostgresServer;
  before(async () => {
    server = await sharedPostgres();
  });

  const open = (url: string): Promise<PostgresStore> =>
    openPostgresStore({ connectionString: url, schema: 'public', format: 'emmett-postgresql', write: true });

  it('the write model appends through Emmett, and the real Emmett client reads it with the metadata it expects', async () => {
    const url = await server.createDatabase('team_write');
    const store = await open(url); // an empty database gets Emmett's schema from Emmett's migrations
    const emmett = getPostgreSQLEventStore(url);
    try {
      assert.equal(store.team, true);
      assert.equal(store.readOnly, false);
      const session = StoreSession.over(store, { readModels: false });
      const created = await session.execute({ type: 'CreateUser', data: { userId: 'u1', name: 'Ada' } });
      assert.equal(created.events.length, 1);
      const event = created.events[0]!;
      assert.equal(event.streamVersion, 1);
      assert.equal(store.streamVersion('user-u1'), 1, 'the stream sees its own append at once');

      const read = await emmett.readStream('user-u1');
      assert.equal(read.currentStreamVersion, 1n);
      const [e] = read.events;
      assert.equal(e!.type, 'UserCreated');
      assert.deepEqual(e!.data, { userId: 'u1', name: 'Ada' });
      assert.equal(e!.metadata.messageId, event.eventId, 'our event id is Emmett’s messageId');
      assert.equal(e!.metadata.globalPosition, BigInt(event.globalPosition));
      assert.equal((e!.metadata as Record<string, unknown>).correlationId, event.metadata.correlationId);
      assert.equal((e!.metadata as Record<string, unknown>).causationId, event.metadata.causationId);

      // Emmett's own expected version is checked against what the inspector appended.
      await assert.rejects(
        emmett.appendToStream('user-u1', [{ type: 'UserRenamed', data: {} }], { expectedStreamVersion: 0n }),
        (err: unknown) => isExpectedVersionConflictError(err),
      );
      await emmett.appendToStream(
        'user-u1',
        [{ type: 'UserRenamed', data: { userId: 'u1', oldName: 'Ada', name: 'Ada L.' } }],
        { expectedStreamVersion: 1n },
      );

      // The global view shows the inspector's event once a poll finds it final; poll returns only what others appended.
      const fresh = await store.poll();
      assert.deepEqual(
        fresh.map((x) => [x.streamId, x.streamVersion, x.type]),
        [['user-u1', 2, 'UserRenamed']],
      );
      assert.deepEqual(
        store.readAll().map((x) => x.type),
        ['UserCreated', 'UserRenamed'],
      );
      assert.equal(store.readEvent(event.globalPosition)!.eventId, event.eventId);
    } finally {
      await Promise.allSettled([emmett.close(), store.close()]);
    }
  });

  it('decides on streams an Emmett client wrote, and a stale expected version is a ConcurrencyError with the actual version', async () => {
    const url = await server.createDatabase('team_decide');
    const emmett = getPostgreSQLEventStore(url);
    await emmett.appendToStream('user-e1', [{ type: 'UserCreated', data: { userId: 'e1', name: 'Grace' } }]);
    const store = await open(url);
    try {
      const session = StoreSession.over(store, { readModels: false });
      const renamed = await session.execute({ type: 'RenameUser', data: { userId: 'e1', name: 'Grace H.' } });
      assert.deepEqual(renamed.events[0]!.data, { userId: 'e1', oldName: 'Grace', name: 'Grace H.' });
      assert.equal(renamed.events[0]!.streamVersion, 2);

      await assert.rejects(
        store.append('user-e1', [{ type: 'UserRenamed', data: {} }], { expectedVersion: 1 }),
        (err: unknown) => ConcurrencyError.is(err) && err.actual === 2 && err.expected === 1,
      );
      await assert.rejects(
        store.append('user-e1', [{ type: 'UserCreated', data: {} }], { expectedVersion: 'no-stream' }),
        (err: unknown) => ConcurrencyError.is(err) && err.actual === 2,
      );

      // An Emmett client writes behind the inspector's back: the first decision conflicts, the retry decides on the new state.
      await emmett.appendToStream('user-e1', [{ type: 'UserDeactivated', data: { userId: 'e1' } }], {
        expectedStreamVersion: 2n,
      });
      await assert.rejects(
        session.execute({ type: 'RenameUser', data: { userId: 'e1', name: 'G' } }, { maxRetries: 0 }),
        (err: unknown) => ConcurrencyError.is(err) && err.actual === 3,
      );
      await assert.rejects(
        session.execute({ type: 'RenameUser', data: { userId: 'e1', name: 'G' } }),
        /deactivated/i,
        'the retry saw the deactivation the conflict revealed',
      );

      const multi = await store.append(
        'batch-1',
        [
          { type: 'A', data: { i: 1 }, eventId: 'id-a' },
          { type: 'B', data: { i: 2 }, eventId: 'id-b' },
        ],
        { expectedVersion: 'no-stream' },
      );
      assert.deepEqual(
        multi.events.map((x) => x.streamVersion),
        [1, 2],
      );
      assert.ok(multi.events[0]!.globalPosition < multi.events[1]!.globalPosition);
      const again = await store.append('batch-1', [
        { type: 'A', data: { i: 1 }, eventId: 'id-a' },
        { type: 'B', data: { i: 2 }, eventId: 'id-b' },
      ]);
      assert.equal(again.appended, false, 'a retry with the same event ids writes nothing');
      assert.deepEqual(
        again.events.map((x) => x.globalPosition),
        multi.events.map((x) => x.globalPosition),
      );
      await assert.rejects(
        store.append('batch-1', [
          { type: 'A', data: {}, eventId: 'id-a' },
          { type: 'C', data: {}, eventId: 'id-c' },
        ]),
        /Event id id-a is already stored \(in stream "batch-1" at position \d+\)\./,
      );
      const back = await emmett.readStream('batch-1');
      assert.deepEqual(
        back.events.map((x) => [x.metadata.messageId, x.metadata.globalPosition]),
        multi.events.map((x) => [x.eventId, BigInt(x.globalPosition)]),
      );
    } finally {
      await Promise.allSettled([emmett.close(), store.close()]);
    }
  });

  it('refuses to write to a Message DB store, and a read-only open refuses appends, in a sentence each', async () => {
    const url = await server.createDatabase('team_refuse');
    await installMessageDb(url);
    await assert.rejects(
      openPostgresStore({ connectionString: url, schema: 'message_store', format: 'message-db', write: true }),
      /Only an Emmett PostgreSQL store \(0\.38 or later\) can be written to as a team store; the schema "message_store" of .* holds Message DB/,
    );
    const emmettUrl = await server.createDatabase('team_ro');
    await (await open(emmettUrl)).close();
    const ro = await openPostgresStore({ connectionString: emmettUrl, schema: 'public', format: 'emmett-postgresql' });
    try {
      await assert.rejects(
        ro.append('a-1', [{ type: 'A', data: {} }]),
        /The event store is read-only: it is an Emmett PostgreSQL store on PostgreSQL, opened read-only/,
      );
    } finally {
      await ro.close();
    }
  });
});
