import * as assert from 'node:assert/strict';
import {
  connectPostgres,
  readOnlyTransaction,
  redactConnectionString,
} from '../../src/core/formats/postgres/connection';
import { sharedPostgres } from '../builders/postgresServer';
import type { PostgresServer } from '../builders/postgresServer';

describe('PostgreSQL connections (a real server)', function () {
  this.timeout(60_000);
  let server: PostgresServer;
  before(async () => {
    server = await sharedPostgres();
  });

  it('connects and reads inside a read-only transaction that refuses writes', async () => {
    const url = await server.createDatabase('conn');
    const target = { connectionString: url };
    const client = await connectPostgres(target);
    try {
      await client.query('CREATE TABLE t (x int)');
      const n = await readOnlyTransaction(
        client,
        target,
        async (c) => (await c.query('SELECT count(*)::int AS n FROM t')).rows[0].n,
      );
      assert.equal(n, 0);
      await assert.rejects(
        readOnlyTransaction(client, target, (c) => c.query('INSERT INTO t VALUES (1)')),
        /opened read-only; that statement would have written/,
      );
      assert.equal((await client.query('SELECT count(*)::int AS n FROM t')).rows[0].n, 0);
    } finally {
      await client.end();
    }
  });

  it('cancels a statement that runs past the timeout, in a sentence', async () => {
    const target = { connectionString: server.url(), statementTimeoutMs: 200 };
    const client = await connectPostgres(target);
    try {
      await assert.rejects(
        readOnlyTransaction(client, target, (c) => c.query('SELECT pg_sleep(5)')),
        /ran longer than the statement timeout/,
      );
    } finally {
      await client.end();
    }
  });

  it('names a refused connection, a missing database and never shows the password', async () => {
    const closed = `postgres://postgres:s3cret@127.0.0.1:1/postgres`;
    await assert.rejects(connectPostgres({ connectionString: closed }), (error: Error) => {
      assert.match(error.message, /No PostgreSQL server answers at postgres:\/\/postgres@127\.0\.0\.1:1\/postgres/);
      assert.doesNotMatch(error.message, /s3cret/);
      return true;
    });
    await assert.rejects(
      connectPostgres({ connectionString: server.url('no_such_db'), password: 'hunter2' }),
      (error: Error) => /database of .* does not exist/.test(error.message) && !error.message.includes('hunter2'),
    );
    assert.equal(redactConnectionString('postgres://u:pw@h:5/d?sslmode=require'), 'postgres://u@h:5/d?sslmode=require');
  });
});
