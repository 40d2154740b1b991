import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import { QueryError, type QueryResult } from '../../src/core/query/querySource';
import { EVENTS_VIEW_COLUMNS, STREAMS_VIEW_COLUMNS } from '../../src/core/query/queryViews';
import { WorkerQuerySource } from '../../src/core/query/workerQuerySource';
import { EmmettWriter, fingerprint, writeClosedStore } from '../builders/emmettWriter';
import { tempDirPerTest } from '../builders/tempDir';

/** Every file in the folder, with its hash: a query must leave all of them as they were, and add none. */
function folderHash(dir: string): string {
  return fs
    .readdirSync(dir)
    .sort()
    .map(
      (f) =>
        `${f}:${createHash('sha256')
          .update(fs.readFileSync(path.join(dir, f)))
          .digest('hex')}`,
    )
    .join('\n');
}

async function writeNativeShop(file: string): Promise<void> {
  let n = 0;
  const store = await SqlJsEventStore.open({
    path: file,
    now: () => new Date(Date.UTC(2026, 11, 1, 10, 0, n)),
    newId: () => `id-${++n}`,
  });
  await store.append('cart-1', [
    { type: 'ItemAdded', data: { sku: 'pen', qty: 1 }, metadata: { correlationId: 'corr-1' } },
    { type: 'ItemAdded', data: { sku: 'ink', qty: 2 }, metadata: { correlationId: 'corr-1', causationId: 'cmd-1' } },
  ]);
  await store.append('user-7', [{ type: 'UserCreated', data: { name: 'Ada' } }]);
  await store.append('cart-1', [{ type: 'CartConfirmed', data: {} }]);
  await store.append('cart-2', [{ type: 'ItemAdded', data: { sku: 'pad', qty: 3 } }]);
  await store.close();
}

async function writeEmmettShop(w: EmmettWriter): Promise<void> {
  await w.append('cart-1', [
    { type: 'ItemAdded', data: { sku: 'pen', qty: 1 }, metadata: { correlationId: 'corr-1' } },
    { type: 'ItemAdded', data: { sku: 'ink', qty: 2 }, metadata: { correlationId: 'corr-1', causationId: 'cmd-1' } },
  ]);
  await w.append('user-7', [{ type: 'UserCreated', data: { name: 'Ada' } }]);
  await w.append('cart-1', [{ type: 'ConfirmCart', data: { by: 'ada' }, kind: 'Command' }]);
  await w.append('cart-1', [{ type: 'CartConfirmed', data: {} }]);
  await w.append('cart-2', [{ type: 'ItemAdded', data: { sku: 'pad', qty: 3 } }]);
}

const RUNAWAY = 'WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT count(*) FROM r';

describe('SQL queries over the events view', function () {
  this.timeout(120_000);
  const sources: WorkerQuerySource[] = [];
  afterEach(async () => {
    for (const s of sources.splice(0)) await s.close();
  });
  const tmp = tempDirPerTest('esi-query-');
  const sourceOn = (file: string) => {
    const source = new WorkerQuerySource(file);
    sources.push(source);
    return source;
  };

  const formats = [
    {
      name: 'the native store',
      make: async (dir: string) => {
        const file = path.join(dir, 'events.db');
        await writeNativeShop(file);
        return { file, commandPositions: [] as number[], table: 'main.events' };
      },
    },
    {
      name: 'an Emmett SQLite store (written by @event-driven-io/emmett-sqlite 0.42)',
      make: async (dir: string) => {
        const file = path.join(dir, 'emmett.db');
        await writeClosedStore(file, '0.42', writeEmmettShop);
        return { file, commandPositions: [4], table: 'emt_messages' };
      },
    },
  ];

  for (const format of formats) {
    describe(format.name, () => {
      it('has the documented columns, events only, categories, ids from the metadata and ISO times', async () => {
        const { file, commandPositions } = await format.make(tmp.dir);
        const source = sourceOn(file);
        const events = await source.run('SELECT * FROM events ORDER BY position');
        assert.deepEqual(events.columns, [...EVENTS_VIEW_COLUMNS]);
        const byName = (r: readonly unknown[]) => Object.fromEntries(events.columns.map((c, i) => [c, r[i]]));
        const rows = events.rows.map(byName);
        assert.equal(rows.length, 5);
        assert.ok(rows.every((r) => !commandPositions.includes(r.position as number)));
        assert.deepEqual(
          rows.map((r) => [r.stream_id, r.category, r.stream_version, r.type, r.correlation_id, r.causation_id]),
          [
            ['cart-1', 'cart', 1, 'ItemAdded', 'corr-1', null],
            ['cart-1', 'cart', 2, 'ItemAdded', 'corr-1', 'cmd-1'],
            ['user-7', 'user', 1, 'UserCreated', null, null],
            ['cart-1', 'cart', commandPositions.length ? 4 : 3, 'CartConfirmed', null, null],
            ['cart-2', 'cart', 1, 'ItemAdded', null, null],
          ],
        );
        assert.deepEqual(JSON.parse(rows[0]!.data as string), { sku: 'pen', qty: 1 });
        for (const r of rows) assert.match(String(r.recorded_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        const streams = await source.run('SELECT * FROM streams ORDER BY stream_id');
        assert.deepEqual(streams.columns, [...STREAMS_VIEW_COLUMNS]);
        assert.deepEqual(
          streams.rows.map((r) => [r[0], r[1], r[2]]),
          [
            ['cart-1', 'cart', commandPositions.length ? 4 : 3],
            ['cart-2', 'cart', 1],
            ['user-7', 'user', 1],
          ],
        );
        assert.deepEqual(
          streams.rows.map((r) => r[3]),
          rows.length && [rows[3]!.position, rows[4]!.position, rows[2]!.position],
        );
      });

      it('answers JSON questions with parameters, and limits the rows', async () => {
        const { file } = await format.make(tmp.dir);
        const source = sourceOn(file);
        const sku = await source.run("SELECT count(*) FROM events WHERE data->>'sku' = ?", { params: ['ink'] });
        assert.deepEqual(sku.rows, [[1]]);
        const grouped = await source.run(
          "SELECT data->>'sku' AS sku, count(*) AS n FROM events WHERE type = 'ItemAdded' GROUP BY 1 ORDER BY 1",
        );
        assert.deepEqual(grouped.columns, ['sku', 'n']);
        assert.deepEqual(grouped.rows, [
          ['ink', 1],
          ['pad', 1],
          ['pen', 1],
        ]);
        const limited = await source.run('SELECT position FROM events ORDER BY position', { limit: 2 });
        assert.equal(limited.rows.length, 2);
        assert.equal(limited.truncated, true);
        const all = await source.run('SELECT position FROM events', { limit: 5 });
        assert.equal(all.truncated, false);
      });

      it('cannot change the store or its files, whatever the SQL tries', async () => {
        const { file, table } = await format.make(tmp.dir);
        const before = folderHash(tmp.dir);
        const emmettBefore = fingerprint(file);
        const source = sourceOn(file);
        const outside = path.join(tmp.dir, 'copy.db');
        const attempts = [
          "INSERT INTO events (position, stream_id, type) VALUES (99, 'x', 'Y')",
          `DELETE FROM ${table}`,
          `UPDATE ${table} SET data = '{}'`,
          `DROP TABLE ${table}`,
          'DROP VIEW events',
          'CREATE TABLE t (x)',
          'CREATE TEMP TABLE t (x)',
          `CREATE TRIGGER t AFTER INSERT ON ${table} BEGIN DELETE FROM ${table}; END`,
          `ATTACH DATABASE '${outside}' AS other`,
          "ATTACH DATABASE ':memory:' AS other",
          'PRAGMA writable_schema = ON',
          "UPDATE sqlite_master SET sql = 'x'",
          'PRAGMA query_only = OFF',
          `VACUUM INTO '${outside}'`,
          'VACUUM',
          `WITH doomed AS (SELECT position FROM events) DELETE FROM ${table} WHERE rowid IN (SELECT position FROM doomed)`,
          `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n LIMIT 3) INSERT INTO ${table} SELECT * FROM ${table}`,
          `SELECT 1; DELETE FROM ${table}`,
          'BEGIN',
          'PRAGMA journal_mode = DELETE',
          'REINDEX',
          'ANALYZE',
        ];
        for (const sql of attempts) {
          await source.run(sql).then(
            () => undefined,
            (e: unknown) => assert.ok(QueryError.is(e), `${sql}: ${String(e)}`),
          );
          // Whatever the statement left behind, the next one still cannot write.
          await assert.rejects(
            source.run(`DELETE FROM ${table}`),
            (e: unknown) => QueryError.is(e) && e.code === 'read-only',
            `after ${sql}`,
          );
          assert.deepEqual((await source.run('SELECT count(*) FROM events')).rows, [[5]], `after ${sql}`);
          assert.deepEqual(
            (await source.run('PRAGMA database_list')).rows.map((r) => r[1]),
            ['main', 'temp'],
            `after ${sql}`,
          );
        }
        await assert.rejects(
          source.run(`ATTACH DATABASE ':memory:' AS other`),
          (e: unknown) => QueryError.is(e) && e.code === 'read-only',
        );
        await assert.rejects(
          source.run('SELECT 1; SELECT 2'),
          (e: unknown) => QueryError.is(e) && e.code === 'one-statement',
        );
        await source.close();
        assert.equal(folderHash(tmp.dir), before);
        assert.equal(fingerprint(file), emmettBefore);
        assert.ok(!fs.existsSync(outside));
      });

      it('cancels a runaway query, and the next query runs on a fresh worker', async () => {
        const { file } = await format.make(tmp.dir);
        const source = sourceOn(file);
        const controller = new AbortController();
        let started = false;
        await assert.rejects(
          source.run(RUNAWAY, {
            signal: controller.signal,
            onStart: () => {
              started = true;
              controller.abort();
            },
          }),
          (e: unknown) => QueryError.is(e) && e.code === 'cancelled',
        );
        assert.equal(started, true);
        assert.equal(source.warm, false);
        await assert.rejects(
          source.run(RUNAWAY, { timeoutMs: 300 }),
          (e: unknown) => QueryError.is(e) && e.code === 'timeout',
        );
        assert.deepEqual((await source.run('SELECT count(*) FROM events')).rows, [[5]]);
      });

      it('says where the SQL is wrong, by line and column', async () => {
        const { file } = await format.make(tmp.dir);
        const source = sourceOn(file);
        const fails = async (sql: string): Promise<QueryError> => {
          try {
            await source.run(sql);
          } catch (e) {
            if (QueryError.is(e)) return e;
            throw e;
          }
          assert.fail(`${sql} ran`);
        };
        const table = await fails('SELECT *\n  FROM evnts');
        assert.equal(table.code, 'sql');
        assert.match(table.message, /no such table: evnts/);
        assert.deepEqual([table.line, table.column], [2, 8]);
        const column = await fails('SELECT position,\n  nope FROM events');
        assert.match(column.message, /no such column: nope/);
        assert.deepEqual([column.line, column.column], [2, 3]);
        const syntax = await fails('SELEC position FROM events');
        assert.match(syntax.message, /near "SELEC": syntax error/);
        assert.deepEqual([syntax.line, syntax.column], [1, 1]);
        const incomplete = await fails('SELECT * FROM events\nWHERE');
        assert.match(incomplete.message, /incomplete input/);
        assert.deepEqual([incomplete.line, incomplete.column], [2, 6]);
        await assert.rejects(source.run('  -- nothing\n'), /empty/);
      });
    });
  }

  it('lets its worker go after a while without a query, and starts another for the next one', async () => {
    const file = path.join(tmp.dir, 'events.db');
    await writeNativeShop(file);
    const source = new WorkerQuerySource(file, { idleMs: 50 });
    sources.push(source);
    assert.deepEqual((await source.run('SELECT count(*) FROM events')).rows, [[5]]);
    for (let i = 0; source.warm; i++) {
      assert.ok(i < 200, 'the idle worker was let go');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.deepEqual((await source.run('SELECT count(*) FROM streams')).rows, [[3]]);
  });

  it('reads a live Emmett store, its new events still in the -wal, and leaves its files as they are', async () => {
    const file = path.join(tmp.dir, 'live.db');
    const writer = await EmmettWriter.start(file, '0.42');
    try {
      await writer.append('cart-1', [{ type: 'ItemAdded', data: { sku: 'pen' } }]);
      const before = fingerprint(file);
      const source = sourceOn(file);
      assert.deepEqual((await source.run('SELECT count(*) FROM events')).rows, [[1]]);
      assert.equal(fingerprint(file), before);
      await writer.append('cart-2', [
        { type: 'ItemAdded', data: { sku: 'ink' } },
        { type: 'ItemAdded', data: { sku: 'pad' } },
      ]);
      const after = fingerprint(file);
      const rows = await source.run("SELECT stream_id, data->>'sku' FROM events ORDER BY position");
      assert.deepEqual(rows.rows, [
        ['cart-1', 'pen'],
        ['cart-2', 'ink'],
        ['cart-2', 'pad'],
      ]);
      assert.equal(fingerprint(file), after, 'the query changed no file of the live store');
      assert.ok(fs.statSync(`${file}-wal`).size > 0, 'the events were read from the -wal');
    } finally {
      await writer.close();
    }
  });

  it('sees what a writer appended since the last query (native store, writer open)', async () => {
    const file = path.join(tmp.dir, 'events.db');
    const writer = await SqlJsEventStore.open({ path: file });
    try {
      await writer.append('a-1', [{ type: 'A', data: {} }]);
      const source = sourceOn(file);
      assert.deepEqual((await source.run('SELECT count(*) FROM events')).rows, [[1]]);
      await writer.append('b-1', [
        { type: 'B', data: {} },
        { type: 'B', data: {} },
      ]);
      const result: QueryResult = await source.run('SELECT stream_id, version FROM streams ORDER BY 1');
      assert.deepEqual(result.rows, [
        ['a-1', 1],
        ['b-1', 2],
      ]);
    } finally {
      await writer.close();
    }
  });
});
