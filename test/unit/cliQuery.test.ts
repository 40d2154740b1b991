import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { EXIT } from '../../src/cli';
import { writeClosedStore } from '../builders/emmettWriter';
import { runCli } from '../builders/cliInProcess';
import { tempDirPerTest } from '../builders/tempDir';

const CLI = path.resolve(__dirname, '..', '..', '..', 'dist', 'cli.js');

/** Errors are one sentence on one line. */
function oneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.length > 0);
  assert.equal(lines.length, 1, `one line on stderr, got: ${stderr}`);
  return lines[0]!;
}

describe('CLI query', function () {
  this.timeout(60_000);
  const tmp = tempDirPerTest('esi-cli-query-');

  async function nativeStore(): Promise<string> {
    const store = path.join(tmp.dir, 'events.db');
    for (const [stream, sku] of [
      ['cart-1', 'pen'],
      ['cart-1', 'ink, "blue"'],
      ['cart-2', 'pen'],
    ] as const) {
      const r = await runCli([
        'append',
        '--store',
        store,
        '--stream',
        stream,
        '--type',
        'ItemAdded',
        '--data',
        JSON.stringify({ sku }),
      ]);
      assert.equal(r.code, EXIT.ok, r.stderr);
    }
    return store;
  }

  it('prints rows as NDJSON objects, CSV and a table', async () => {
    const store = await nativeStore();
    const sql = "SELECT position, stream_id, data->>'sku' AS sku FROM events ORDER BY position";
    const ndjson = await runCli(['query', sql, '--store', store, '--format', 'ndjson']);
    assert.equal(ndjson.code, EXIT.ok, ndjson.stderr);
    assert.deepEqual(ndjson.lines, [
      { position: 1, stream_id: 'cart-1', sku: 'pen' },
      { position: 2, stream_id: 'cart-1', sku: 'ink, "blue"' },
      { position: 3, stream_id: 'cart-2', sku: 'pen' },
    ]);
    const csv = await runCli(['query', sql, '--store', store, '--format', 'csv']);
    assert.equal(csv.stdout, 'position,stream_id,sku\r\n1,cart-1,pen\r\n2,cart-1,"ink, ""blue"""\r\n3,cart-2,pen\r\n');
    const table = await runCli(['query', 'SELECT category, count(*) AS n FROM events GROUP BY 1', '--store', store]);
    assert.equal(table.stdout, 'category  n\n--------  -\ncart      3\n');
  });

  it('stops at --limit and says so on stderr', async () => {
    const store = await nativeStore();
    const r = await runCli([
      'query',
      'SELECT position FROM events',
      '--store',
      store,
      '--format',
      'ndjson',
      '--limit',
      '2',
    ]);
    assert.equal(r.code, EXIT.ok);
    assert.equal(r.lines.length, 2);
    assert.match(oneLine(r.stderr), /first 2 rows/);
  });

  it('reads an Emmett SQLite store the same way', async () => {
    const store = path.join(tmp.dir, 'emmett.db');
    await writeClosedStore(store, '0.42', async (w) => {
      await w.append('cart-1', [{ type: 'ItemAdded', data: { sku: 'pen' } }]);
      await w.append('cart-1', [{ type: 'Confirm', data: {}, kind: 'Command' }]);
    });
    const r = await runCli([
      'query',
      'SELECT stream_id, category, type FROM events',
      '--store',
      store,
      '--format',
      'ndjson',
    ]);
    assert.equal(r.code, EXIT.ok, r.stderr);
    assert.deepEqual(r.lines, [{ stream_id: 'cart-1', category: 'cart', type: 'ItemAdded' }]);
  });

  it('refuses writes, bad SQL, bad options and missing stores with one sentence and its exit code', async () => {
    const store = await nativeStore();
    const write = await runCli(['query', 'DELETE FROM main.events', '--store', store]);
    assert.equal(write.code, EXIT.usage);
    assert.match(oneLine(write.stderr), /only read/);
    const bad = await runCli(['query', 'SELECT *\nFROM nope', '--store', store]);
    assert.equal(bad.code, EXIT.usage);
    assert.match(oneLine(bad.stderr), /no such table: nope \(line 2, column 6\)/);
    const format = await runCli(['query', 'SELECT 1', '--store', store, '--format', 'xml']);
    assert.equal(format.code, EXIT.usage);
    assert.match(oneLine(format.stderr), /--format must be one of table, ndjson, csv/);
    const none = await runCli(['query', '--store', store]);
    assert.equal(none.code, EXIT.usage);
    assert.match(oneLine(none.stderr), /needs the SQL/);
    const missing = await runCli(['query', 'SELECT 1', '--store', path.join(tmp.dir, 'missing.db')]);
    assert.equal(missing.code, EXIT.unreadable);
    assert.match(oneLine(missing.stderr), /does not exist/);
    const runaway = await runCli([
      'query',
      'WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT count(*) FROM r',
      '--store',
      store,
      '--timeout',
      '300',
    ]);
    assert.equal(runaway.code, EXIT.usage);
    assert.match(oneLine(runaway.stderr), /stopped after 300 ms/);
  });

  it('works from the bundle, with its worker beside it', async () => {
    const store = await nativeStore();
    const r = spawnSync(
      process.execPath,
      [CLI, 'query', 'SELECT count(*) AS n FROM events', '--store', store, '--format', 'ndjson'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, EXIT.ok, r.stderr);
    assert.equal(r.stdout, '{"n":3}\n');
  });
});
