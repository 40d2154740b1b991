import * as assert from 'node:assert/strict';
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import { Client } from 'pg';
import { openPostgresStore, probePostgres } from '../../src/core/formats/postgres/openPostgres';
import { buildGenericReadModels } from '../../src/core/formats/genericReadModels';
import { sharedPostgres, type PostgresServer } from '../builders/postgresServer';
import { installMessageDb, writeMessage } from '../builders/messageDb';
import { createMartenSchema } from '../builders/marten';
import { emmettHoldingHeld } from '../builders/emmettHeld';

async function sql(url: string, text: string, values: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

describe('PostgreSQL stores of other applications (a real server)', function () {
  this.timeout(120_000);
  let server: PostgresServer;
  before(async () => {
    server = await sharedPostgres();
  });

  it('reads an Emmett PostgreSQL store written by Emmett: events in global order, versions, metadata, checkpoints', async () => {
    const url = await server.createDatabase('emmett_read');
    const emmett = getPostgreSQLEventStore(url);
    try {
      await emmett.appendToStream('cart-1', [
        { type: 'ItemAdded', data: { sku: 'a' }, metadata: { correlationId: 'c-1' } },
        { type: 'ItemAdded', data: { sku: 'b' } },
      ]);
      await emmett.appendToStream('cart-2', [{ type: 'ItemAdded', data: { sku: 'c' } }], {
        expectedStreamVersion: 0n,
      });
      await emmett.appendToStream('cart-1', [{ type: 'CartConfirmed', data: {} }], { expectedStreamVersion: 2n });
    } finally {
      await emmett.close();
    }
    await sql(
      url,
      `INSERT INTO emt_processors (processor_id, version, partition, status, last_processed_checkpoint, last_processed_transaction_id, processor_instance_id)
       VALUES ('carts', 1, 'emt:default', 'running', lpad('2', 19, '0'), '0', 'x')`,
    );

    const found = await probePostgres({ connectionString: url });
    assert.deepEqual(
      found.map((f) => ({ schema: f.schema, format: f.format.id, events: f.events, writable: f.writable })),
      [{ schema: 'public', format: 'emmett-postgresql', events: 4, writable: true }],
    );

    const progress: number[] = [];
    const store = await openPostgresStore(
      { connectionString: url, schema: 'public', format: 'emmett-postgresql' },
      { onProgress: (loaded) => progress.push(loaded) },
    );
    try {
      assert.equal(store.readOnly, true);
      assert.equal(store.team, false);
      const all = store.readAll();
      assert.deepEqual(
        all.map((e) => [e.globalPosition, e.streamId, e.streamVersion, e.type]),
        [
          [1, 'cart-1', 1, 'ItemAdded'],
          [2, 'cart-1', 2, 'ItemAdded'],
          [3, 'cart-2', 1, 'ItemAdded'],
          [4, 'cart-1', 3, 'CartConfirmed'],
        ],
      );
      assert.deepEqual(all[0]!.data, { sku: 'a' });
      assert.equal(all[0]!.metadata.correlationId, 'c-1');
      assert.match(all[0]!.recordedAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      assert.equal(store.streamVersion('cart-1'), 3);
      assert.deepEqual(
        store.listStreams({ limit: 1 }).map((s) => s.streamId),
        ['cart-1'],
      );
      assert.deepEqual(store.listStreams({ after: 'cart-1' }), [{ streamId: 'cart-2', version: 1, lastPosition: 3 }]);
      assert.deepEqual(store.stats(), {
        events: 4,
        streams: 2,
        lastPosition: 4,
        eventTypes: { CartConfirmed: 1, ItemAdded: 3 },
      });
      assert.ok(progress.includes(4));
      assert.deepEqual(
        store.checkpoints().map((c) => [c.processorId, c.position, c.lag, c.state]),
        [['carts', 2, 2, 'behind']],
      );
      assert.deepEqual(await store.findPositionsOnServer({ text: 'SKU": "B' }), [2]);
      assert.deepEqual(await store.findPositionsOnServer({ streamId: 'cart-1', eventType: 'ItemAdded' }), [1, 2]);
      assert.deepEqual(store.findPositions({ correlationId: 'c-1' }), [1]);
      const models = await buildGenericReadModels(store);
      assert.deepEqual(
        models.categories.map((c) => [c.category, c.streams, c.events]),
        [['cart', 2, 4]],
      );

      // Emmett keeps commands in the same table and sequence: beside the events, not among them.
      const writer = getPostgreSQLEventStore(url);
      try {
        await writer.appendToStream('cart-3', [
          { type: 'ConfirmCart', data: { cartId: '3' }, kind: 'Command' } as never,
        ]);
        await writer.appendToStream('cart-3', [{ type: 'CartConfirmed', data: {} }]);
      } finally {
        await writer.close();
      }
      assert.deepEqual(
        (await store.poll()).map((e) => [e.globalPosition, e.streamId, e.streamVersion, e.type]),
        [[6, 'cart-3', 2, 'CartConfirmed']],
      );
      assert.deepEqual(
        store.readCommands().map((c) => [c.globalPosition, c.streamId, c.streamPosition, c.type]),
        [[5, 'cart-3', 1, 'ConfirmCart']],
      );
    } finally {
      await store.close();
    }
  });

  it('never skips an in-flight Emmett append: a later commit waits, shown in flight, then both are read in order', async () => {
    const url = await server.createDatabase('emmett_inflight');
    const setup = getPostgreSQLEventStore(url);
    await setup.appendToStream('doc-1', [{ type: 'Written', data: { n: 1 } }]);
    await setup.close();

    const store = await openPostgresStore({ connectionString: url, schema: 'public', format: 'emmett-postgresql' });
    const { held, reached, slow } = emmettHoldingHeld(url);
    const fast = getPostgreSQLEventStore(url);
    try {
      const slowAppend = slow.appendToStream('doc-2', [{ type: 'Held', data: { n: 2 } }]);
      await reached.promise; // position 2 is taken, its transaction still open
      const quick = await fast.appendToStream('doc-3', [{ type: 'Quick', data: { n: 3 } }]);
      assert.equal(quick.lastEventGlobalPosition, 3n);

      assert.deepEqual(await store.poll(), [], 'position 3 is committed but 2 is in flight: nothing is shown yet');
      assert.deepEqual(store.inFlight(), { readableUpTo: 1, takenUpTo: 3, pending: [] });
      assert.match(store.notes()[0]!, /Positions 2 to 3 were taken by transactions that had not committed/);
      assert.equal(store.lastPosition(), 1);

      held.open();
      await slowAppend;
      const fresh = await store.poll();
      assert.deepEqual(
        fresh.map((e) => [e.globalPosition, e.type]),
        [
          [2, 'Held'],
          [3, 'Quick'],
        ],
      );
      assert.deepEqual(store.inFlight(), { readableUpTo: 3, takenUpTo: 3, pending: [] });
      assert.deepEqual(await store.poll(), []);
    } finally {
      held.open();
      await Promise.allSettled([slow.close(), fast.close(), store.close()]);
    }
  });

  it('opened while a transaction holds a lower position: shows what Emmett lets be read, then adds the late event in its place', async () => {
    const url = await server.createDatabase('emmett_late');
    const { held, reached, slow } = emmettHoldingHeld(url);
    const fast = getPostgreSQLEventStore(url);
    let store: Awaited<ReturnType<typeof openPostgresStore>> | undefined;
    try {
      await fast.appendToStream('doc-1', [{ type: 'Quick', data: {} }]); // 1
      const slowAppend = slow.appendToStream('doc-2', [{ type: 'Held', data: {} }]); // 2, held open
      await reached.promise;
      store = await openPostgresStore({ connectionString: url, schema: 'public', format: 'emmett-postgresql' });
      assert.deepEqual(
        store.readAll().map((e) => e.globalPosition),
        [1],
      );
      assert.deepEqual(store.inFlight(), { readableUpTo: 1, takenUpTo: 2, pending: [] });
      held.open();
      await slowAppend;
      await fast.appendToStream('doc-3', [{ type: 'Quick', data: {} }]); // 3
      assert.deepEqual(
        (await store.poll()).map((e) => e.globalPosition),
        [2, 3],
      );
      assert.deepEqual(
        store.readStream('doc-2').map((e) => e.type),
        ['Held'],
      );
    } finally {
      held.open();
      await Promise.allSettled([slow.close(), fast.close(), store?.close()]);
    }
  });

  it("reads an older Emmett store (emt_events with event_* columns, as the published 0.20 wrote it; built from the columns Emmett 0.42's own migration renames)", async () => {
    const url = await server.createDatabase('emmett_old');
    await sql(
      url,
      `CREATE SEQUENCE emt_global_event_position;
       CREATE TABLE emt_streams (stream_id TEXT NOT NULL, stream_position BIGINT NOT NULL, partition TEXT NOT NULL DEFAULT 'global',
         stream_type TEXT NOT NULL, stream_metadata JSONB NOT NULL, is_archived BOOLEAN NOT NULL DEFAULT FALSE,
         PRIMARY KEY (stream_id, partition, is_archived));
       CREATE TABLE emt_events (stream_id TEXT NOT NULL, stream_position BIGINT NOT NULL, partition TEXT NOT NULL DEFAULT 'global',
         event_data JSONB NOT NULL, event_metadata JSONB NOT NULL, event_schema_version TEXT NOT NULL, event_type TEXT NOT NULL,
         event_id TEXT NOT NULL, is_archived BOOLEAN NOT NULL DEFAULT FALSE,
         global_position BIGINT DEFAULT nextval('emt_global_event_position'), transaction_id XID8 NOT NULL,
         created TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (stream_id, stream_position, partition, is_archived));
       INSERT INTO emt_events (stream_id, stream_position, partition, event_data, event_metadata, event_schema_version, event_type, event_id, transaction_id)
       SELECT 'order-' || (i % 3), i / 3 + 1, 'emt:default', jsonb_build_object('i', i), '{}', '1', 'Placed', 'e' || i, pg_current_xact_id()
       FROM generate_series(0, 11) AS i ORDER BY i;`,
    );
    const found = await probePostgres({ connectionString: url });
    assert.deepEqual(
      found.map((f) => [f.format.id, f.format.generation, f.events, f.writable]),
      [['emmett-postgresql', 'emt_events with event_* columns (before 0.38)', 12, false]],
    );
    const store = await openPostgresStore({ connectionString: url, schema: 'public', format: 'emmett-postgresql' });
    try {
      assert.deepEqual(
        store.readAll().map((e) => e.globalPosition),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
        'in numeric order past 9',
      );
      assert.deepEqual(
        store.readStream('order-1').map((e) => [e.streamVersion, e.eventId]),
        [
          [1, 'e1'],
          [2, 'e4'],
          [3, 'e7'],
          [4, 'e10'],
        ],
      );
    } finally {
      await store.close();
    }
    await assert.rejects(
      openPostgresStore({ connectionString: url, schema: 'public', format: 'emmett-postgresql', write: true }),
      /Only an Emmett PostgreSQL store \(0\.38 or later\) can be written to as a team store/,
    );
  });

  it('reads a Message DB store written by its write_message function: 0-based positions as versions from 1, position streams as checkpoints', async () => {
    const url = await server.createDatabase('messagedb');
    await installMessageDb(url);
    await writeMessage(url, 'account-1', 'Deposited', { amount: 10 }, { correlationStreamName: 'x' }, -1);
    await writeMessage(url, 'account-1', 'Withdrawn', { amount: 3 }, null, 0);
    await writeMessage(url, 'account-2', 'Deposited', { amount: 5 });
    await writeMessage(url, 'account:position-reporter', 'Recorded', { position: 2 });
    await assert.rejects(writeMessage(url, 'account-1', 'Withdrawn', { amount: 1 }, null, 0), /Wrong expected version/);

    const found = await probePostgres({ connectionString: url });
    assert.deepEqual(
      found.map((f) => [f.schema, f.format.id, f.events, f.writable]),
      [['message_store', 'message-db', 4, false]],
    );
    const store = await openPostgresStore({ connectionString: url, schema: 'message_store', format: 'message-db' });
    try {
      assert.deepEqual(
        store.readAll().map((e) => [e.globalPosition, e.streamId, e.streamVersion, e.type]),
        [
          [1, 'account-1', 1, 'Deposited'],
          [2, 'account-1', 2, 'Withdrawn'],
          [3, 'account-2', 1, 'Deposited'],
          [4, 'account:position-reporter', 1, 'Recorded'],
        ],
      );
      assert.deepEqual(store.readEvent(2)!.data, { amount: 3 });
      assert.equal(store.readEvent(1)!.metadata.correlationStreamName, 'x');
      assert.deepEqual(
        store.checkpoints().map((c) => [c.processorId, c.position, c.lag]),
        [['account:position-reporter', 2, 2]],
      );
      await assert.rejects(store.append('account-1', [{ type: 'X', data: {} }]), /read-only/);
      await writeMessage(url, 'account-2', 'Withdrawn', { amount: 1 }, null, 0);
      assert.deepEqual(
        (await store.poll()).map((e) => [e.globalPosition, e.streamVersion]),
        [[5, 2]],
      );
    } finally {
      await store.close();
    }
  });

  it("reads a Marten store built from Marten's documented DDL (no .NET here): seq_id order, headers and ids as metadata, the HighWaterMark", async () => {
    const url = await server.createDatabase('marten');
    await createMartenSchema(url, 'orders');
    const found = await probePostgres({ connectionString: url });
    assert.deepEqual(
      found.map((f) => [f.schema, f.format.id, f.events, f.writable]),
      [['orders', 'marten', 3, false]],
    );
    const store = await openPostgresStore({ connectionString: url, schema: 'orders', format: 'marten' });
    try {
      const all = store.readAll();
      assert.deepEqual(
        all.map((e) => [e.globalPosition, e.streamVersion, e.type]),
        [
          [1, 1, 'order_placed'],
          [2, 2, 'order_shipped'],
          [3, 1, 'order_placed'],
        ],
      );
      assert.equal(all[0]!.metadata.correlationId, 'corr-1');
      assert.equal(all[0]!.metadata.tenantId, '*DEFAULT*');
      assert.equal(all[1]!.metadata.user, 'ada');
      assert.deepEqual(
        store.checkpoints().map((c) => [c.processorId, c.position, c.state]),
        [
          ['HighWaterMark', 3, 'caught up'],
          ['Orders:All', 2, 'behind'],
        ],
      );
    } finally {
      await store.close();
    }
  });

  it('names a schema that is not a store, a format that does not match, and a missing permission in one sentence each', async () => {
    const url = await server.createDatabase('notastore');
    await sql(url, 'CREATE TABLE people (id int)');
    await assert.rejects(
      openPostgresStore({ connectionString: url, schema: 'public', format: 'emmett-postgresql' }),
      /The schema "public" of postgres:\/\/postgres@127\.0\.0\.1:\d+\/notastore_\w+ is not an Emmett PostgreSQL, Message DB or Marten store \(its tables: people\)\./,
    );
    assert.deepEqual(await probePostgres({ connectionString: url }), []);
    await assert.rejects(
      openPostgresStore({ connectionString: url, schema: 'nothing', format: 'marten' }),
      /The schema "nothing" .* holds no tables/,
    );

    const emmettUrl = await server.createDatabase('noperm');
    const emmett = getPostgreSQLEventStore(emmettUrl);
    await emmett.appendToStream('a-1', [{ type: 'A', data: {} }]);
    await emmett.close();
    await assert.rejects(
      openPostgresStore({ connectionString: emmettUrl, schema: 'public', format: 'marten' }),
      /The schema "public" of .* is an Emmett PostgreSQL store, not a Marten store\./,
    );
    await sql(emmettUrl, "CREATE ROLE reader_np LOGIN PASSWORD 'pw-np'").catch(() => undefined);
    const readerUrl = emmettUrl.replace('postgres@', 'reader_np:pw-np@');
    assert.deepEqual(
      (await probePostgres({ connectionString: readerUrl })).map((f) => [f.schema, f.events]),
      [['public', -1]],
      'a store the user may not read is listed, without a count',
    );
    await assert.rejects(
      openPostgresStore({ connectionString: readerUrl, schema: 'public', format: 'emmett-postgresql' }),
      (e: Error) => /lacks a permission this needs/.test(e.message) && !e.message.includes('pw-np'),
    );
  });
});
