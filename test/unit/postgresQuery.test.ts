import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import { Client } from 'pg';
import { openPostgresStore } from '../../src/core/formats/postgres/openPostgres';
import type { PostgresStore } from '../../src/core/formats/postgres/postgresStore';
import { PostgresQuerySource, scanStatement } from '../../src/core/query/postgresQuery';
import { QueryError, READ_ONLY_MESSAGE, type QueryErrorCode } from '../../src/core/query/querySource';
import { EVENTS_VIEW_COLUMNS, STREAMS_VIEW_COLUMNS } from '../../src/core/query/queryViews';
import { emmettHoldingHeld } from '../builders/emmettHeld';
import { createMartenSchema } from '../builders/marten';
import { installMessageDb, writeMessage } from '../builders/messageDb';
import { sharedPostgres, type PostgresServer } from '../builders/postgresServer';

async function sql(url: string, text: string, values: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

async function rejectsWith(
  promise: Promise<unknown>,
  code: QueryErrorCode,
  message?: RegExp | string,
): Promise<QueryError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(QueryError.is(e), `a QueryError, got ${String(e)}`);
    assert.equal(e.code, code, `${e.code}: ${e.message}`);
    if (typeof message === 'string') assert.equal(e.message, message);
    else if (message) assert.match(e.message, message);
    return e;
  }
  assert.fail(`expected a QueryError ${code}`);
}

/** The view's answers beside the reader's, on one store: counts per type, a data filter, streams, times. */
async function assertSameAsReader(source: PostgresQuerySource, store: PostgresStore, sku: string): Promise<void> {
  const all = store.readAll();
  const columns = await source.run('SELECT * FROM events LIMIT 0');
  assert.deepEqual(columns.columns, [...EVENTS_VIEW_COLUMNS]);
  assert.deepEqual((await source.run('SELECT * FROM streams LIMIT 0')).columns, [...STREAMS_VIEW_COLUMNS]);

  const perType = await source.run('SELECT type, count(*) AS n FROM events GROUP BY type ORDER BY type');
  assert.deepEqual(Object.fromEntries(perType.rows.map(([t, n]) => [t, n])), store.stats().eventTypes);

  const filtered = await source.run("SELECT position FROM events WHERE data->>'sku' = $1 ORDER BY position", {
    params: [sku],
  });
  const expected = all.filter((e) => (e.data as { sku?: string }).sku === sku).map((e) => [e.globalPosition]);
  assert.ok(expected.length > 0);
  assert.deepEqual(filtered.rows, expected);

  const rows = await source.run(
    'SELECT position, stream_id, category, stream_version, type, data, recorded_at FROM events ORDER BY position',
  );
  assert.deepEqual(
    rows.rows,
    all.map((e) => [
      e.globalPosition,
      e.streamId,
      e.streamId.split('-')[0],
      e.streamVersion,
      e.type,
      JSON.stringify(e.data).replace(/":/g, '": ').replace(/,"/g, ', "'),
      e.recordedAt,
    ]),
  );
  for (const row of rows.rows) assert.match(String(row[6]), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

  const streams = await source.run(
    'SELECT stream_id, category, version, last_position FROM streams ORDER BY stream_id',
  );
  assert.deepEqual(
    streams.rows,
    store.listStreams().map((s) => [s.streamId, s.streamId.split('-')[0], s.version, s.lastPosition]),
  );
}

describe('SQL queries on PostgreSQL stores (a real server)', function () {
  this.timeout(120_000);
  let server: PostgresServer;
  before(async () => {
    server = await sharedPostgres();
  });

  describe('the statement scanner', () => {
    it('strips trailing semicolons and comments, and finds a second statement outside strings and comments', () => {
      assert.deepEqual(scanStatement('SELECT 1; -- done'), {
        body: 'SELECT 1',
        several: false,
        firstWord: { word: 'SELECT', offset: 0 },
      });
      assert.equal(scanStatement('  select 1 ;;\n/* a */ ').body, '  select 1');
      assert.equal(
        scanStatement("SELECT ';' -- ;\n, $$ ; $$, $t$ ;$ $t$, E'\\'; ', \"a;\" /* /* ; */ ; */").several,
        false,
      );
      assert.equal(scanStatement('SELECT 1; DELETE FROM events').several, true);
      assert.equal(scanStatement('COMMIT; DELETE FROM x').firstWord?.word, 'COMMIT');
      assert.equal(scanStatement('-- only a comment\n').body, '');
    });
  });

  it('the views on an Emmett PostgreSQL store answer as the reader: counts, a data->> filter, streams, times', async () => {
    const url = await server.createDatabase('q_emmett');
    const emmett = getPostgreSQLEventStore(url);
    try {
      await emmett.appendToStream('cart-1', [
        { type: 'ItemAdded', data: { sku: 'pen' }, metadata: { correlationId: 'c-1', causationId: 'k-1' } },
        { type: 'ItemAdded', data: { sku: 'ink' } },
      ]);
      await emmett.appendToStream('cart-2', [{ type: 'ItemAdded', data: { sku: 'pen' } }]);
      await emmett.appendToStream('cart-3', [{ type: 'ConfirmCart', data: {}, kind: 'Command' } as never]);
      await emmett.appendToStream('cart-1', [{ type: 'CartConfirmed', data: {} }]);
    } finally {
      await emmett.close();
    }
    const store = await openPostgresStore({ connectionString: url, schema: 'public', format: 'emmett-postgresql' });
    const source = new PostgresQuerySource({ connectionString: url, schema: 'public' });
    try {
      await assertSameAsReader(source, store, 'pen');
      const ids = await source.run('SELECT correlation_id, causation_id FROM events WHERE position = 1');
      assert.deepEqual(ids.rows, [['c-1', 'k-1']]);
      // The command Emmett keeps in the same table is not an event: its position is a gap.
      assert.deepEqual((await source.run('SELECT position FROM events ORDER BY 1')).rows, [[1], [2], [3], [5]]);
    } finally {
      await Promise.allSettled([source.close(), store.close()]);
    }
  });

  it('never shows an Emmett position committed after one still in flight, then shows both once it commits', async () => {
    const url = await server.createDatabase('q_emmett_held');
    const { held, reached, slow } = emmettHoldingHeld(url);
    const fast = getPostgreSQLEventStore(url);
    const source = new PostgresQuerySource({ connectionString: url, schema: 'public' });
    try {
      await fast.appendToStream('doc-1', [{ type: 'Quick', data: {} }]); // 1
      const slowAppend = slow.appendToStream('doc-2', [{ type: 'Held', data: {} }]); // 2, held open
      await reached.promise;
      await fast.appendToStream('doc-3', [{ type: 'Quick', data: {} }]); // 3, committed
      assert.deepEqual((await source.run('SELECT position FROM events ORDER BY 1')).rows, [[1]]);
      assert.deepEqual((await source.run('SELECT stream_id, last_position FROM streams')).rows, [['doc-1', 1]]);
      held.open();
      await slowAppend;
      assert.deepEqual((await source.run('SELECT position, type FROM events ORDER BY 1')).rows, [
        [1, 'Quick'],
        [2, 'Held'],
        [3, 'Quick'],
      ]);
    } finally {
      held.open();
      await Promise.allSettled([slow.close(), fast.close(), source.close()]);
    }
  });

  it('the views on a Message DB store answer as the reader: versions from 1, its correlation stream name', async () => {
    const url = await server.createDatabase('q_messagedb');
    await installMessageDb(url);
    await writeMessage(url, 'account-1', 'Deposited', { sku: 'x', amount: 10 }, { correlationStreamName: 'corr' }, -1);
    await writeMessage(url, 'account-1', 'Withdrawn', { amount: 3 }, null, 0);
    await writeMessage(url, 'account-2', 'Deposited', { sku: 'x', amount: 5 });
    const store = await openPostgresStore({ connectionString: url, schema: 'message_store', format: 'message-db' });
    const source = new PostgresQuerySource({ connectionString: url, schema: 'message_store' });
    try {
      await assertSameAsReader(source, store, 'x');
      assert.deepEqual((await source.run('SELECT correlation_id FROM events WHERE position = 1')).rows, [['corr']]);
      assert.deepEqual((await source.run("SELECT sum((data->>'amount')::int) FROM events")).rows, [[18]]);
    } finally {
      await Promise.allSettled([source.close(), store.close()]);
    }
  });

  it('the views on a Marten store answer as the reader: seq_id, headers and ids as metadata', async () => {
    const url = await server.createDatabase('q_marten');
    await createMartenSchema(url, 'orders');
    await sql(url, `UPDATE orders.mt_events SET data = data || '{"sku":"s"}' WHERE seq_id IN (1, 3)`);
    const store = await openPostgresStore({ connectionString: url, schema: 'orders', format: 'marten' });
    const source = new PostgresQuerySource({ connectionString: url, schema: 'orders' });
    try {
      await assertSameAsReader(source, store, 's');
      const first = await source.run(
        "SELECT correlation_id, causation_id, metadata->>'tenantId' FROM events WHERE position = 1",
      );
      assert.deepEqual(first.rows, [['corr-1', 'cause-1', '*DEFAULT*']]);
    } finally {
      await Promise.allSettled([source.close(), store.close()]);
    }
  });

  it('gives values as the grid shows them: numbers, big integers as text, 1/0, JSON, ISO times, bytes', async () => {
    const url = await server.createDatabase('q_values');
    const emmett = getPostgreSQLEventStore(url);
    await emmett.appendToStream('a-1', [{ type: 'A', data: {} }]);
    await emmett.close();
    const source = new PostgresQuerySource({ connectionString: url, schema: 'public' });
    try {
      const r = await source.run(
        `SELECT 1::int2 AS s, 2::int4 AS i, 9007199254740993::int8 AS big, 1.5::float8 AS f, 2.25::numeric AS n,
          12345678901234567890::numeric AS bign, true AS t, false AS "false", '{"a": [1]}'::jsonb AS j,
          '2026-12-01 10:00:00.5+02'::timestamptz AS tz, '2026-12-01 10:00:00'::timestamp AS ts,
          '\\xdead01'::bytea AS b, NULL AS nothing, 'text' AS txt, 'NaN'::float8 AS nan`,
      );
      assert.deepEqual(r.rows, [
        [
          1,
          2,
          '9007199254740993',
          1.5,
          2.25,
          '12345678901234567890',
          1,
          0,
          '{"a": [1]}',
          '2026-12-01T08:00:00.500Z',
          '2026-12-01T10:00:00.000',
          "X'DEAD01'",
          null,
          'text',
          'NaN',
        ],
      ]);
      const limited = await source.run('SELECT g FROM generate_series(1, 10) g', { limit: 3 });
      assert.deepEqual(limited.rows, [[1], [2], [3]]);
      assert.equal(limited.truncated, true);
      assert.equal((await source.run('SELECT g FROM generate_series(1, 3) g', { limit: 3 })).truncated, false);
      // A statement of the user's own WITH, a trailing semicolon and a trailing comment.
      const own = await source.run('WITH x AS (SELECT count(*) AS n FROM events)\nSELECT n FROM x; -- the count');
      assert.deepEqual(own.rows, [[1]]);
    } finally {
      await source.close();
    }
  });

  it("names the line and column of PostgreSQL's error in the user's SQL, not in the views around it", async () => {
    const url = await server.createDatabase('q_errors');
    const emmett = getPostgreSQLEventStore(url);
    await emmett.appendToStream('a-1', [{ type: 'A', data: {} }]);
    await emmett.close();
    const source = new PostgresQuerySource({ connectionString: url, schema: 'public' });
    try {
      const e = await rejectsWith(
        source.run('SELECT position,\n  nope\nFROM events'),
        'sql',
        /column "nope" does not exist \(line 2, column 3\)$/,
      );
      assert.deepEqual([e.line, e.column], [2, 3]);
      const syntax = await rejectsWith(
        source.run('SELECT position\nFROM events WHERE'),
        'sql',
        'syntax error at end of input (line 2, column 18)',
      );
      assert.deepEqual([syntax.line, syntax.column], [2, 18]);
      await rejectsWith(
        source.run('SELECT position,\n  FROM events'),
        'sql',
        'syntax error at or near "FROM" (line 2, column 3)',
      );
      await rejectsWith(source.run('  -- nothing\n'), 'sql', 'The query is empty: write one SELECT statement.');
      await rejectsWith(source.run('SHOW server_version'), 'sql', /Only a query runs here/);
      await rejectsWith(
        new PostgresQuerySource({ connectionString: url, schema: 'nowhere' }).run('SELECT 1'),
        'unavailable',
        /The schema "nowhere" of postgres:\/\/.* holds no Emmett PostgreSQL, Message DB or Marten store\./,
      );
    } finally {
      await source.close();
    }
  });

  it("cannot change a Message DB or a Marten store's tables or sequence either", async () => {
    const url = await server.createDatabase('q_readonly_others');
    await installMessageDb(url);
    await writeMessage(url, 'account-1', 'Deposited', { amount: 10 });
    await createMartenSchema(url, 'orders');
    const state = async () => ({
      messages: await sql(url, 'SELECT count(*)::int AS n FROM message_store.messages'),
      messageSeq: await sql(url, 'SELECT last_value::int AS v FROM message_store.messages_global_position_seq'),
      events: await sql(url, 'SELECT count(*)::int AS n, sum(version)::int AS v FROM orders.mt_events'),
      streams: await sql(url, 'SELECT count(*)::int AS n FROM orders.mt_streams'),
      martenSeq: await sql(url, 'SELECT last_value::int AS v FROM orders.mt_events_sequence'),
    });
    const before = await state();
    const stores = [
      ['message_store', 'message_store.messages', 'message_store.messages_global_position_seq'],
      ['orders', 'orders.mt_events', 'orders.mt_events_sequence'],
    ] as const;
    for (const [schema, table, sequence] of stores) {
      const source = new PostgresQuerySource({ connectionString: url, schema });
      try {
        for (const statement of [
          `DELETE FROM ${table}`,
          `UPDATE ${table} SET type = 'x'`,
          `INSERT INTO ${table} SELECT * FROM ${table}`,
          `TRUNCATE ${table} CASCADE`,
          `DROP TABLE ${table} CASCADE`,
          `WITH gone AS (DELETE FROM ${table} RETURNING 1) SELECT count(*) FROM gone`,
          `SELECT nextval('${sequence}')`,
          `SELECT setval('${sequence}', 1)`,
        ])
          assert.equal((await rejectsWith(source.run(statement), 'read-only')).message, READ_ONLY_MESSAGE, statement);
        assert.ok(((await source.run('SELECT count(*) FROM events')).rows[0]![0] as number) > 0);
      } finally {
        await source.close();
      }
    }
    assert.deepEqual(await state(), before);
  });

  it('cannot change the store by any statement, and cancel and timeout stop the statement on the server', async () => {
    const url = await server.createDatabase('q_readonly');
    const emmett = getPostgreSQLEventStore(url);
    await emmett.appendToStream('cart-1', [
      { type: 'ItemAdded', data: { sku: 'pen' } },
      { type: 'ItemAdded', data: {} },
    ]);
    await emmett.close();
    const state = async () => ({
      messages: await sql(url, 'SELECT count(*)::int AS n, max(global_position)::int AS p FROM emt_messages'),
      streams: await sql(url, 'SELECT stream_id, stream_position::int AS v FROM emt_streams ORDER BY 1'),
      sequence: await sql(url, 'SELECT last_value::int AS v, is_called FROM emt_global_message_position'),
      tables: await sql(
        url,
        "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
      ),
      settings: await sql(url, "SELECT current_setting('default_transaction_read_only') AS ro"),
    });
    const before = await state();
    const source = new PostgresQuerySource({ connectionString: url, schema: 'public' });
    const attempts: [string, QueryErrorCode][] = [
      [
        "INSERT INTO emt_messages (stream_id, stream_position, message_data, message_metadata, message_schema_version, message_type, message_id) VALUES ('x', 1, '{}', '{}', '1', 'X', gen_random_uuid()::text)",
        'read-only',
      ],
      ["UPDATE emt_messages SET message_type = 'Changed'", 'read-only'],
      ['DELETE FROM emt_messages', 'read-only'],
      ['DELETE FROM emt_streams', 'read-only'],
      ['DROP TABLE emt_messages', 'read-only'],
      ['CREATE TABLE stolen (x int)', 'read-only'],
      ['CREATE TEMP TABLE stolen AS SELECT * FROM events', 'read-only'],
      ['TRUNCATE emt_messages', 'read-only'],
      ['SET TRANSACTION READ WRITE', 'read-only'],
      ['COMMIT; DELETE FROM emt_messages', 'one-statement'],
      ['SELECT 1; DELETE FROM emt_messages', 'one-statement'],
      ['SELECT 1) AS q; COMMIT; DELETE FROM emt_messages; SELECT * FROM (SELECT 1', 'one-statement'],
      ['WITH x AS (DELETE FROM emt_messages RETURNING 1) SELECT count(*) FROM x', 'read-only'],
      ['SELECT * FROM (WITH x AS (DELETE FROM emt_messages RETURNING 1) SELECT * FROM x) y', 'read-only'],
      ["SELECT nextval('emt_global_message_position')", 'read-only'],
      ["SELECT set_config('transaction_read_only', 'off', true)", 'read-only'],
      ['DO $$ BEGIN DELETE FROM emt_messages; END $$', 'read-only'],
      ["COPY (SELECT 1) TO PROGRAM 'touch /tmp/esi-pwned'", 'read-only'],
      ["COPY emt_messages TO '/tmp/esi-copied'", 'read-only'],
      ['LOCK TABLE emt_messages', 'read-only'],
      ['SELECT * FROM emt_messages FOR UPDATE', 'read-only'],
    ];
    try {
      for (const [statement, code] of attempts) {
        const e = await rejectsWith(source.run(statement), code);
        if (code === 'read-only') assert.equal(e.message, READ_ONLY_MESSAGE, statement);
      }

      // Cancel: the statement stops on the server, and no backend of ours is left running it.
      const running = async () =>
        (
          await sql(
            url,
            "SELECT pid FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()",
          )
        ).length;
      const controller = new AbortController();
      const sleeping = source.run('SELECT pg_sleep(60)', { signal: controller.signal, onStart: () => undefined });
      for (let i = 0; (await running()) === 0; i++) assert.ok(i < 200, 'the statement started on the server');
      const t0 = Date.now();
      controller.abort();
      await rejectsWith(sleeping, 'cancelled', 'The query was cancelled.');
      assert.ok(Date.now() - t0 < 2_500, 'the server stopped it on the cancel request, not on the fallback');
      assert.equal(await running(), 0);

      await rejectsWith(
        source.run('SELECT pg_sleep(60)', { timeoutMs: 300 }),
        'timeout',
        'The query was stopped after 300 ms.',
      );
      assert.equal(await running(), 0);
      await rejectsWith(
        source.run('WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r', {
          timeoutMs: 500,
        }),
        'timeout',
      );

      assert.deepEqual(await state(), before);
      assert.equal(fs.existsSync('/tmp/esi-pwned'), false);
      assert.equal(fs.existsSync('/tmp/esi-copied'), false);
      assert.deepEqual((await source.run('SELECT count(*) FROM events')).rows, [[2]]);
      const store = await openPostgresStore({ connectionString: url, schema: 'public', format: 'emmett-postgresql' });
      assert.equal(store.readAll().length, 2);
      await store.close();
    } finally {
      await source.close();
    }
  });
});
