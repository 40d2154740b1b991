import * as assert from 'node:assert/strict';
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import { EXIT } from '../../src/cli';
import { runCli } from '../builders/cliInProcess';
import { createMartenSchema } from '../builders/marten';
import { installMessageDb, writeMessage } from '../builders/messageDb';
import { sharedPostgres, type PostgresServer } from '../builders/postgresServer';

describe('CLI query on a PostgreSQL store (a real server)', function () {
  this.timeout(120_000);
  let server: PostgresServer;
  before(async () => {
    server = await sharedPostgres();
  });

  it("runs PostgreSQL's SQL over the views on the server: data->> filters, NDJSON and the table", async () => {
    const url = await server.createDatabase('cli_query');
    const emmett = getPostgreSQLEventStore(url);
    try {
      await emmett.appendToStream('cart-1', [
        { type: 'ItemAdded', data: { sku: 'pen' } },
        { type: 'ItemAdded', data: { sku: 'ink' } },
      ]);
      await emmett.appendToStream('cart-2', [{ type: 'ItemAdded', data: { sku: 'pen' } }]);
    } finally {
      await emmett.close();
    }
    const ndjson = await runCli([
      'query',
      "SELECT position, stream_id, data->>'sku' AS sku FROM events WHERE data->>'sku' = 'pen' ORDER BY position",
      '--store',
      url,
      '--format',
      'ndjson',
    ]);
    assert.equal(ndjson.code, EXIT.ok, ndjson.stderr);
    assert.deepEqual(ndjson.lines, [
      { position: 1, stream_id: 'cart-1', sku: 'pen' },
      { position: 3, stream_id: 'cart-2', sku: 'pen' },
    ]);
    const table = await runCli(['query', 'SELECT category, count(*) AS n FROM events GROUP BY 1', '--store', url]);
    assert.equal(table.stdout, 'category  n\n--------  -\ncart      3\n');
    const limited = await runCli(['query', 'SELECT position FROM events', '--store', url, '--limit', '2']);
    assert.equal(limited.code, EXIT.ok);
    assert.match(limited.stderr, /Only the first 2 rows are printed/);

    const write = await runCli(['query', 'DELETE FROM emt_messages', '--store', url]);
    assert.equal(write.code, EXIT.usage);
    assert.equal(write.stderr.trim(), 'Queries only read: this statement would change the store.');
    const slow = await runCli(['query', 'SELECT pg_sleep(30)', '--store', url, '--timeout', '200']);
    assert.equal(slow.code, EXIT.usage);
    assert.equal(slow.stderr.trim(), 'The query was stopped after 200 ms.');
    const wrong = await runCli(['query', 'SELECT nope FROM events', '--store', url]);
    assert.equal(wrong.code, EXIT.usage);
    assert.match(wrong.stderr, /^column "nope" does not exist \(line 1, column 8\)\n$/);
  });

  it('chooses the store with --schema when the database holds several, and says so in one sentence without it', async () => {
    const url = await server.createDatabase('cli_query_two');
    await installMessageDb(url);
    await writeMessage(url, 'account-1', 'Deposited', { amount: 10 });
    await createMartenSchema(url, 'orders');
    const both = await runCli(['query', 'SELECT count(*) FROM events', '--store', url]);
    assert.equal(both.code, EXIT.unreadable);
    assert.match(
      both.stderr,
      /holds stores in several schemas \(message_store: Message DB, orders: Marten\); choose one with --schema\./,
    );
    const orders = await runCli([
      'query',
      'SELECT count(*) AS n FROM events',
      '--store',
      url,
      '--schema',
      'orders',
      '--format',
      'ndjson',
    ]);
    assert.equal(orders.code, EXIT.ok, orders.stderr);
    assert.deepEqual(orders.lines, [{ n: 3 }]);
    const accounts = await runCli([
      'query',
      'SELECT stream_id, version FROM streams',
      '--store',
      url,
      '--schema',
      'message_store',
      '--format',
      'ndjson',
    ]);
    assert.deepEqual(accounts.lines, [{ stream_id: 'account-1', version: 1 }]);
    const none = await runCli(['query', 'SELECT 1', '--store', url, '--schema', 'nowhere']);
    assert.equal(none.code, EXIT.unreadable);
    assert.match(none.stderr, /The schema "nowhere" of .* holds no Emmett PostgreSQL, Message DB or Marten store\./);
  });
});
