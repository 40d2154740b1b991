import * as assert from 'node:assert/strict';
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import * as path from 'node:path';
import { EXIT } from '../../src/cli';
import { countCategories } from '../builders/categories';
import { runCli } from '../builders/cliInProcess';
import { writeClosedStore } from '../builders/emmettWriter';
import { tempDirPerTest } from '../builders/tempDir';

describe('CLI search and stats --detail', function () {
  this.timeout(60_000);
  const tmp = tempDirPerTest('esi-cli-search-');
  const store = () => path.join(tmp.dir, 'events.db');

  async function seed(): Promise<void> {
    const r = await runCli(['seed', '--store', store()]);
    assert.equal(r.code, EXIT.ok, r.stderr);
  }

  it('prints the events whose data has the words, as NDJSON with their global position', async () => {
    await seed();
    const r = await runCli(['search', 'ada lovelace', '--store', store()]);
    assert.equal(r.code, EXIT.ok, r.stderr);
    assert.deepEqual(
      r.lines.map((l) => [l.globalPosition, l.streamId, l.type]),
      [[1, 'user-ada', 'UserCreated']],
    );
    assert.match(String(r.lines[0]!.snippet), /Ada Lovelace/);
  });

  it('restricts to streams by wildcard or category, and stops at --limit', async () => {
    await seed();
    const carts = await runCli(['search', '--stream', 'category:cart', '--store', store(), '--limit', '2']);
    assert.equal(carts.code, EXIT.ok, carts.stderr);
    assert.equal(carts.lines.length, 2);
    assert.ok(carts.lines.every((l) => String(l.streamId).startsWith('cart-')));
    const pens = await runCli(['search', 'pen', '--stream', 'cart-?da-*', '--store', store()]);
    assert.deepEqual(
      pens.lines.map((l) => l.streamId),
      ['cart-ada-1', 'cart-ada-1'],
    );
  });

  it('prints a table with a header and one row per event', async () => {
    await seed();
    const r = await runCli(['search', 'ada', '--stream', 'user-*', '--format', 'table', '--store', store()]);
    assert.equal(r.code, EXIT.ok, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^position\s+stream\s+version\s+type\s+recorded at\s+data$/);
    assert.equal(lines.length, 2);
    assert.match(lines[1]!, /^1\s+user-ada\s+1\s+UserCreated\s/);
    const none = await runCli(['search', 'zzzz', '--format', 'table', '--store', store()]);
    assert.equal(none.stdout, 'No events match.\n');
  });

  it('refuses bad input in one sentence, with the usage exit code', async () => {
    await seed();
    for (const args of [
      ['search', '--store', store()],
      ['search', 'x', '--format', 'csv', '--store', store()],
      ['search', 'x', '--limit', '0', '--store', store()],
      ['search', 'x', '--stream', 'category:', '--store', store()],
      ['stats', '--detail=yes', '--store', store()],
    ]) {
      const r = await runCli(args);
      assert.equal(r.code, EXIT.usage, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    const missing = await runCli(['search', 'x', '--store', path.join(tmp.dir, 'nope.db')]);
    assert.equal(missing.code, EXIT.unreadable, missing.stderr);
  });

  it('prints detailed statistics of a native and of an Emmett store', async () => {
    await seed();
    const r = await runCli(['stats', '--detail', '--store', store()]);
    assert.equal(r.code, EXIT.ok, r.stderr);
    const s = r.lines[0]!;
    // The expected figures counted here from the events themselves, independently of the statistics code.
    const reader = await SqlJsEventStore.open({ path: store(), readOnly: true });
    const events = reader.readAll();
    await reader.close();
    const categories = countCategories(events);
    assert.ok(events.length > 10, 'the demo data has events');
    assert.equal(s.events, events.length);
    assert.deepEqual(
      [...(s.byCategory as { name: string }[])].sort((a, b) => a.name.localeCompare(b.name)),
      [...categories]
        .map(([name, c]) => ({ name, events: c.events, streams: c.streams.size }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    );
    const emmett = path.join(tmp.dir, 'emmett.db');
    await writeClosedStore(emmett, '0.42', async (w) => {
      await w.append('order-1', [{ type: 'OrderPlaced', data: { sku: 'pen' } }]);
      await w.append('order-1', [{ type: 'OrderShipped', data: { sku: 'pen' } }]);
    });
    const e = await runCli(['stats', '--detail', '--store', emmett]);
    assert.equal(e.code, EXIT.ok, e.stderr);
    assert.equal(e.lines[0]!.events, 2);
    assert.deepEqual(e.lines[0]!.longestStreams, [{ name: 'order-1', count: 2 }]);
    const found = await runCli(['search', 'pen', '--store', emmett]);
    assert.deepEqual(
      found.lines.map((l) => l.type),
      ['OrderPlaced', 'OrderShipped'],
    );
  });
});
