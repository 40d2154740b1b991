import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT } from '../../src/cli';
import { runCli } from '../builders/cliInProcess';
import { EmmettWriter, fingerprint, writeClosedStore } from '../builders/emmettWriter';

interface BetterDb {
  exec(sql: string): void;
  close(): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require('better-sqlite3') as new (file: string) => BetterDb;

const cli = (args: string[], stdin = '') => runCli(args, stdin);

describe('CLI on an Emmett SQLite store (--store FILE, read-only)', function () {
  this.timeout(60_000);
  let dir: string;
  let copies: string;
  let file: string;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esi-cli-emmett-'));
    copies = fs.mkdtempSync(path.join(os.tmpdir(), 'esi-cli-emmett-copies-'));
    file = path.join(dir, 'app.sqlite');
    await writeClosedStore(file, '0.42', async (w) => {
      await w.append('order-1', [
        { type: 'Placed', data: { total: 12 }, metadata: { correlationId: 'c-1' } },
        { type: 'Paid', data: { total: 12 } },
      ]);
      await w.append('order-2', [{ type: 'Placed', data: { total: 3 } }]);
      await w.checkpoint('billing', 2);
    });
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(copies, { recursive: true, force: true });
  });

  it('stats says the format, generation and read-only, with categories and checkpoints', async () => {
    const before = fingerprint(file);
    const r = await cli(['stats', '--store', file]);
    assert.equal(r.code, EXIT.ok, r.stderr);
    const s = r.lines[0]!;
    assert.equal(s.format, 'emmett-sqlite');
    assert.equal(s.generation, 'emt_messages + emt_processors (0.42 and later)');
    assert.equal(s.readOnly, true);
    assert.equal(s.events, 3);
    assert.deepEqual(s.eventTypes, { Paid: 1, Placed: 2 });
    assert.deepEqual(s.categories, [{ category: 'order', streams: 2, events: 3, lastPosition: 3 }]);
    assert.deepEqual(
      (s.checkpoints as { processorId: string; lag: number }[]).map((c) => [c.processorId, c.lag]),
      [['billing', 1]],
    );
    assert.equal(fingerprint(file), before);
  });

  it('export prints the one NDJSON mapping; import --keep-positions reads it back into a store of ours unchanged', async () => {
    const before = fingerprint(file);
    const exported = await cli(['export', '--store', file]);
    assert.equal(exported.code, EXIT.ok, exported.stderr);
    assert.deepEqual(
      exported.lines.map((l) => [l.globalPosition, l.streamId, l.streamVersion, l.type]),
      [
        [1, 'order-1', 1, 'Placed'],
        [2, 'order-1', 2, 'Paid'],
        [3, 'order-2', 1, 'Placed'],
      ],
    );
    const target = path.join(copies, 'imported.db');
    const imported = await cli(['import', '--keep-positions', '--store', target], exported.stdout);
    assert.equal(imported.code, EXIT.ok, imported.stderr);
    assert.equal(imported.lines[0]!.positionsKept, true);
    const again = await cli(['export', '--store', target]);
    assert.equal(again.stdout, exported.stdout, 'the same lines, byte for byte');
    assert.equal((await cli(['export', '--store', file, '--from', '2', '--to', '2'])).lines.length, 1);
    assert.equal(fingerprint(file), before);
  });

  it('verify exits 6 with each finding naming its stream and position, and 0 once sound', async () => {
    const db = new Database(file);
    db.exec(
      "UPDATE emt_streams SET partition = 'global'; UPDATE emt_messages SET message_data = '{' WHERE global_position = 2",
    );
    db.close();
    const before = fingerprint(file);
    const bad = await cli(['verify', '--store', file]);
    assert.equal(bad.code, 6);
    assert.equal(EXIT.findings, 6);
    assert.deepEqual(
      bad.lines.map((l) => l.finding),
      [
        {
          check: 'unparsable-json',
          streamId: 'order-1',
          position: 2,
          streamPosition: 2,
          message: 'The data of stream "order-1" position 2 (global position 2) is not valid JSON.',
        },
      ],
    );
    assert.match(bad.stderr, /has integrity findings: 1 \(listed on stdout\)/);
    const fix = new Database(file);
    fix.exec("UPDATE emt_messages SET message_data = '{}' WHERE global_position = 2");
    fix.close();
    const good = await cli(['verify', '--store', file]);
    assert.equal(good.code, EXIT.ok, good.stdout);
    assert.equal(good.lines[0]!.ok, true);
    assert.notEqual(fingerprint(file), before, 'sanity: the fix above did change the file');
  });

  it('copy --to makes a writable sandbox; writing commands are refused on the foreign file', async () => {
    const before = fingerprint(file);
    const target = path.join(copies, 'sandbox.db');
    const r = await cli(['copy', '--store', file, '--to', target]);
    assert.equal(r.code, EXIT.ok, r.stderr);
    assert.equal(r.lines[0]!.copied, 3);
    const appended = await cli([
      'append',
      '--store',
      target,
      '--stream',
      'order-2',
      '--type',
      'Paid',
      '--data',
      '{}',
      '--expected-version',
      '1',
    ]);
    assert.equal(appended.code, EXIT.ok, appended.stderr);
    const refused = await cli(['append', '--store', file, '--stream', 'order-2', '--type', 'Paid', '--data', '{}']);
    assert.equal(refused.code, EXIT.usage);
    assert.match(
      refused.stderr,
      /was written by another application and is only ever read; copy it into a store of ours/,
    );
    assert.equal((await cli(['seed', '--store', file])).code, EXIT.usage);
    assert.equal(fingerprint(file), before);
  });

  it('reads a live store whose events are only in the WAL, and changes none of its files', async () => {
    const live = path.join(dir, 'live.db');
    const writer = await EmmettWriter.start(live);
    try {
      await writer.bulk(250, { streams: 5 });
      const before = fingerprint(live);
      const r = await cli(['stats', '--store', live]);
      assert.equal(r.lines[0]!.events, 250);
      assert.ok((r.lines[0]!.wal as { committedFrames: number }).committedFrames > 0);
      assert.equal((await cli(['export', '--store', live])).lines.length, 250);
      assert.equal((await cli(['verify', '--store', live])).code, 6, 'the [object Object] partitions');
      assert.equal(fingerprint(live), before);
    } finally {
      await writer.close();
    }
  });

  it('bad input: one sentence, exit 4, nothing created', async () => {
    const live = path.join(dir, 'w.db');
    const writer = await EmmettWriter.start(live);
    await writer.append('a-1', [{ type: 'T', data: {} }]);
    fs.copyFileSync(`${live}-wal`, path.join(dir, 'orphan.db-wal'));
    await writer.close();
    const orphan = await cli(['stats', '--store', path.join(dir, 'orphan.db')]);
    assert.equal(orphan.code, EXIT.unreadable);
    assert.match(
      orphan.stderr,
      /^The event store file .*orphan\.db cannot be opened: the database file does not exist, only its -wal file is there .*; it was left untouched\.\n$/,
    );
    assert.equal(fs.existsSync(path.join(dir, 'orphan.db')), false);

    const truncated = path.join(dir, 'truncated.db');
    fs.writeFileSync(truncated, fs.readFileSync(file).subarray(0, 4096 + 100));
    const t = await cli(['verify', '--store', truncated]);
    assert.equal(t.code, EXIT.unreadable);
    assert.match(t.stderr, /cannot be opened: it is truncated/);
  });
});

describe('CLI on an Emmett store with a WAL of another database beside it', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esi-cli-emmett-mixed-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('verify finds the damage (SQLite itself would not notice), and nothing is modified', async () => {
    const file = path.join(dir, 'b.db');
    await writeClosedStore(file, '0.42', (w) => w.bulk(2000, { streams: 50 }));
    const other = path.join(dir, 'a.db');
    const writer = await EmmettWriter.start(other);
    try {
      await writer.bulk(3000, { streams: 7, prefix: 'other' });
      await writer.walCheckpoint();
      await writer.bulk(300, { streams: 7, prefix: 'more' });
      fs.copyFileSync(`${other}-wal`, `${file}-wal`);
    } finally {
      await writer.close();
    }
    const before = fingerprint(file);
    const r = await cli(['verify', '--store', file]);
    assert.equal(r.code, EXIT.unreadable, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /cannot be opened: SQLite's integrity check found damage \(with the pages of its -wal file applied: the WAL may belong to another database\)/,
    );
    assert.equal(fingerprint(file), before);
  });
});
