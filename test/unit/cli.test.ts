import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { EXIT, main } from '../../src/cli';
import { CommandLog, commandLogFileFor } from '../../src/core/application/commandLog';
import { readModelsFileFor, StoreSession } from '../../src/core/application/session';
import { storeFiles } from '../../src/core/eventStore/storeFiles';
import { MAX_EVENT_BYTES } from '../../src/core/eventStore/validation';
import { usersDirectory } from '../../src/core/projections/usersDirectory';
import { copyCli } from '../builders/cliCopy';
import { runCli } from '../builders/cliInProcess';
import { tempDirPerTest } from '../builders/tempDir';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require('better-sqlite3') as new (file: string) => { exec(sql: string): void; close(): void };

const CLI = path.resolve(__dirname, '..', '..', '..', 'dist', 'cli.js');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly lines: unknown[];
}

const cli = (args: string[], stdin = ''): Promise<Run> => runCli(args, stdin);

/** Errors are one sentence on one line. */
function oneSentence(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.length > 0);
  assert.equal(lines.length, 1, `one line on stderr, got: ${stderr}`);
  return lines[0]!;
}

describe('CLI (event-store)', () => {
  const tmp = tempDirPerTest('esi-cli-');
  let store: string;

  beforeEach(() => {
    store = path.join(tmp.dir, 'events.db');
  });

  it('append prints the position and version once durable; a stale expected version exits 3', async () => {
    const a = await cli([
      'append',
      '--store',
      store,
      '--stream',
      'order-1',
      '--type',
      'OrderPlaced',
      '--data',
      '{"total":5}',
      '--metadata',
      '{"correlationId":"c1"}',
    ]);
    assert.equal(a.code, EXIT.ok, a.stderr);
    assert.deepEqual(a.lines, [{ globalPosition: 1, streamVersion: 1 }]);
    const b = await cli([
      'append',
      '--store',
      store,
      '--stream',
      'order-1',
      '--type',
      'OrderPaid',
      '--data',
      '{}',
      '--expected-version',
      '1',
      '--event-id',
      'pay-1',
    ]);
    assert.deepEqual(b.lines, [{ globalPosition: 2, streamVersion: 2 }]);
    const retry = await cli([
      'append',
      '--store',
      store,
      '--stream',
      'order-1',
      '--type',
      'OrderPaid',
      '--data',
      '{}',
      '--expected-version',
      '1',
      '--event-id',
      'pay-1',
    ]);
    assert.equal(retry.code, EXIT.ok, 'a retry with the same event id is answered as before');
    assert.deepEqual(retry.lines, [{ globalPosition: 2, streamVersion: 2 }]);
    const stale = await cli([
      'append',
      '--store',
      store,
      '--stream',
      'order-1',
      '--type',
      'OrderPaid',
      '--data',
      '{}',
      '--expected-version',
      '1',
    ]);
    assert.equal(stale.code, EXIT.conflict);
    assert.match(oneSentence(stale.stderr), /Stream "order-1" is at version 2, but version 1 was expected/);
    const fresh = await cli([
      'append',
      '--store',
      store,
      '--stream',
      'order-1',
      '--type',
      'X',
      '--data',
      '{}',
      '--expected-version',
      'no-stream',
    ]);
    assert.equal(fresh.code, EXIT.conflict);
  });

  it('bad usage and bad input exit 1 with one sentence, and store nothing', async () => {
    await cli(['append', '--store', store, '--stream', 's', '--type', 'T', '--data', '{}']);
    const payload = path.join(tmp.dir, 'big.json');
    fs.writeFileSync(payload, JSON.stringify({ blob: 'x'.repeat(MAX_EVENT_BYTES) }));
    const bad: [string[], RegExp][] = [
      [
        ['append', '--store', store, '--stream', 's', '--type', 'T', '--data', '{oops}'],
        /The event data \(--data\) is not valid JSON/,
      ],
      [
        ['append', '--store', store, '--stream', 's', '--type', 'T', '--data', '{}', '--metadata', '[1]'],
        /metadata of event #1 \(T\) must be a JSON object/,
      ],
      [
        ['append', '--store', store, '--stream', ' s', '--type', 'T', '--data', '{}'],
        /starts or ends with white space/,
      ],
      [
        ['append', '--store', store, '--stream', '', '--type', 'T', '--data', '{}'],
        /A stream id must be a non-empty string/,
      ],
      [
        ['append', '--store', store, '--stream', 's', '--type', 'no spaces', '--data', '{}'],
        /The event type "no spaces" is not valid/,
      ],
      [
        ['append', '--store', store, '--stream', 's', '--type', 'T', '--data', `@${payload}`],
        /the limit is 1048576 bytes \(1 MiB\) per event/,
      ],
      [
        ['append', '--store', store, '--stream', 's', '--type', 'T', '--data', '{}', '--expected-version', 'soon'],
        /--expected-version must be a whole number/,
      ],
      [['append', '--store', store, '--stream', 's', '--type', 'T'], /append needs --data/],
      [
        ['append', '--store', store, '--stream', 's', '--type', 'T', '--data', '{}', '--colour', 'red'],
        /append does not take --colour/,
      ],
      [['frobnicate', '--store', store], /Unknown command "frobnicate"/],
      [['stats'], /stats needs --store/],
    ];
    for (const [args, message] of bad) {
      const r = await cli(args);
      assert.equal(r.code, EXIT.usage, `${args.join(' ')}: ${r.stderr}`);
      assert.match(oneSentence(r.stderr), message);
      assert.equal(r.stdout, '');
    }
    const stats = await cli(['stats', '--store', store]);
    assert.equal((stats.lines[0] as { events: number }).events, 1);
  });

  it('a store that is not a store exits 4 and is left untouched', async () => {
    const junk = randomBytes(4096);
    fs.writeFileSync(store, junk);
    for (const args of [
      ['stats', '--store', store],
      ['append', '--store', store, '--stream', 's', '--type', 'T', '--data', '{}'],
      ['export', '--store', store],
    ]) {
      const r = await cli(args);
      assert.equal(r.code, EXIT.unreadable);
      assert.match(oneSentence(r.stderr), /cannot be opened: it is not a SQLite database; it was left untouched\./);
    }
    assert.deepEqual(fs.readFileSync(store), junk);
    const missing = await cli(['export', '--store', path.join(tmp.dir, 'nope.db')]);
    assert.equal(missing.code, EXIT.unreadable);
  });

  it('a writer blocked by another process holding the lock exits 5 naming it; reading still works', async () => {
    await cli(['append', '--store', store, '--stream', 's', '--type', 'T', '--data', '{}']);
    fs.writeFileSync(
      storeFiles(store).lock,
      JSON.stringify({ pid: process.ppid, host: os.hostname(), since: '2026-02-03T04:05:06.000Z', token: 't' }),
    );
    const r = await cli([
      'append',
      '--store',
      store,
      '--stream',
      's',
      '--type',
      'T',
      '--data',
      '{}',
      '--lock-timeout',
      '100',
    ]);
    assert.equal(r.code, EXIT.locked);
    assert.match(
      oneSentence(r.stderr),
      new RegExp(
        `is locked by process ${process.ppid} on host .+ \\(since 2026-02-03T04:05:06.000Z\\); try again when it is done\\.`,
      ),
    );
    const read = await cli(['export', '--store', store]);
    assert.equal(read.code, EXIT.ok);
    assert.equal(read.lines.length, 1);
  });

  it('exec runs a command through the write model; a rejection exits 2 with the reason', async () => {
    const ok = await cli([
      'exec',
      '--store',
      store,
      '--command',
      '{"type":"CreateUser","data":{"userId":"u1","name":"Ada"}}',
    ]);
    assert.equal(ok.code, EXIT.ok, ok.stderr);
    assert.equal(ok.lines.length, 1);
    const event = ok.lines[0] as {
      type: string;
      streamId: string;
      globalPosition: number;
      data: unknown;
      metadata: { source?: string };
    };
    assert.deepEqual(
      [event.type, event.streamId, event.globalPosition, event.data, event.metadata.source],
      ['UserCreated', 'user-u1', 1, { userId: 'u1', name: 'Ada' }, 'cli'],
    );
    const again = await cli([
      'exec',
      '--store',
      store,
      '--command',
      '{"type":"CreateUser","data":{"userId":"u1","name":"Ada"}}',
    ]);
    assert.equal(again.code, EXIT.rejected);
    assert.match(oneSentence(again.stderr), /The command was rejected: User u1 already exists/);
    const unknown = await cli(['exec', '--store', store, '--command', '{"type":"LaunchRocket","data":{}}']);
    assert.equal(unknown.code, EXIT.rejected);
    assert.match(unknown.stderr, /Unknown command "LaunchRocket"/);
    const notJson = await cli(['exec', '--store', store, '--command', 'CreateUser']);
    assert.equal(notJson.code, EXIT.usage);
  });

  it('commands run by the built CLI reach the command log with source "cli", as palette commands do', async () => {
    const bin = copyCli(tmp.dir);
    const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 20_000 });
    const create = '{"type":"CreateUser","data":{"userId":"u1","name":"Ada"}}';
    assert.equal(run(['exec', '--store', store, '--command', create]).status, EXIT.ok);
    assert.equal(run(['exec', '--store', store, '--command', create]).status, EXIT.rejected);
    assert.equal(run(['seed', '--store', store]).status, EXIT.ok);

    const entries = CommandLog.open(commandLogFileFor(store), { readOnly: true }).entries();
    assert.deepEqual(
      entries.slice(0, 2).map((e) => [e.command.type, e.outcome, e.source]),
      [
        ['CreateUser', 'accepted', 'cli'],
        ['CreateUser', 'rejected', 'cli'],
      ],
    );
    assert.match(entries[1]!.reason ?? '', /User u1 already exists/);
    const seeding = entries.slice(2);
    assert.ok(
      seeding.length > 0 && seeding.filter((e) => e.source !== 'reaction').every((e) => e.source === 'cli'),
      'the seeding commands are logged too',
    );
    // Reactions run in the core: the CLI's confirmations trigger the stock reservation as the palette's do.
    assert.deepEqual(
      seeding.filter((e) => e.source === 'reaction').map((e) => [e.command.type, e.outcome]),
      [
        ['ReserveStock', 'accepted'],
        ['ReserveStock', 'rejected'],
        ['ReleaseStock', 'accepted'],
        ['NotifyCustomer', 'accepted'],
        ['ReserveStock', 'accepted'],
      ],
    );
    // The CLI keeps no read models; they catch up from the store at the next full open.
    assert.equal(fs.existsSync(readModelsFileFor(store)), false);
    const session = await StoreSession.open({ path: store, readOnly: true });
    try {
      assert.equal(session.projector.stateOf(usersDirectory).users.u1?.name, 'Ada');
    } finally {
      await session.close();
    }
  });

  it('seed runs the demo commands and prints their events; seeding again adds no user twice', async () => {
    const first = await cli(['seed', '--store', path.join(tmp.dir, 'sub', 'folder', 'events.db')]);
    assert.equal(first.code, EXIT.ok, first.stderr);
    assert.ok(first.lines.length >= 8);
    assert.deepEqual(
      (first.lines as { globalPosition: number }[]).map((e) => e.globalPosition),
      first.lines.map((_, i) => i + 1),
    );
    const second = await cli(['seed', '--store', path.join(tmp.dir, 'sub', 'folder', 'events.db')]);
    assert.equal(second.code, EXIT.ok);
    assert.ok(!(second.lines as { type: string }[]).some((e) => e.type === 'UserCreated'));
  });

  it('import acknowledges each event once durable and reports the total; export reproduces the events in another store', async () => {
    const lines = Array.from({ length: 50 }, (_, i) =>
      JSON.stringify({
        streamId: `acct-${i % 4}`,
        type: 'Deposited',
        data: { amount: i },
        metadata: { batch: 'b1' },
        eventId: `dep-${i}`,
      }),
    );
    const imported = await cli(['import', '--store', store, '--ack', '--batch', '7'], lines.join('\n') + '\n');
    assert.equal(imported.code, EXIT.ok, imported.stderr);
    const acks = imported.lines.slice(0, -1) as { ack: number; eventId: string }[];
    assert.deepEqual(
      acks.map((a) => a.eventId),
      lines.map((_, i) => `dep-${i}`),
    );
    assert.deepEqual(
      acks.map((a) => a.ack),
      lines.map((_, i) => i + 1),
    );
    const done = imported.lines[imported.lines.length - 1] as { imported: number; skipped: number; seconds: number };
    assert.equal(done.imported, 50);
    assert.equal(done.skipped, 0);
    assert.equal(typeof done.seconds, 'number');

    const again = await cli(['import', '--store', store], lines.slice(40).join('\n'));
    assert.deepEqual(again.lines, [
      { imported: 0, skipped: 10, seconds: (again.lines[0] as { seconds: number }).seconds },
    ]);

    const exported = await cli(['export', '--store', store]);
    assert.equal(exported.lines.length, 50);
    const first = exported.lines[0] as Record<string, unknown>;
    assert.deepEqual(Object.keys(first), [
      'globalPosition',
      'streamId',
      'streamVersion',
      'eventId',
      'type',
      'data',
      'metadata',
      'recordedAt',
    ]);
    assert.deepEqual(
      [first.globalPosition, first.streamId, first.streamVersion, first.eventId, first.data, first.metadata],
      [1, 'acct-0', 1, 'dep-0', { amount: 0 }, { batch: 'b1' }],
    );
    const tail = await cli(['export', '--store', store, '--from', '49']);
    assert.deepEqual(
      (tail.lines as { globalPosition: number }[]).map((e) => e.globalPosition),
      [49, 50],
    );

    const copy = path.join(tmp.dir, 'copy.db');
    const feed = path.join(tmp.dir, 'export.ndjson');
    fs.writeFileSync(
      feed,
      (exported.lines as Record<string, unknown>[])
        .map((e) =>
          JSON.stringify({
            streamId: e.streamId,
            type: e.type,
            data: e.data,
            metadata: e.metadata,
            eventId: e.eventId,
          }),
        )
        .join('\n'),
    );
    assert.equal((await cli(['import', '--store', copy, feed])).code, EXIT.ok);
    const strip = (r: Run) => (r.lines as Record<string, unknown>[]).map(({ recordedAt: _at, ...rest }) => rest);
    assert.deepEqual(strip(await cli(['export', '--store', copy])), strip(exported));
  });

  it('import keeps characters whose bytes arrive in two chunks', async () => {
    const line = Buffer.from(`${JSON.stringify({ streamId: 's', type: 'T', data: { text: 'ü€ 🙂 ok' } })}\n`);
    const cut = line.indexOf(Buffer.from('€')) + 1; // inside the three bytes of the euro sign
    const stdout = new PassThrough();
    const code = await main(['import', '--store', store], {
      stdout,
      stderr: new PassThrough(),
      stdin: Readable.from([line.subarray(0, cut), line.subarray(cut)]),
    });
    assert.equal(code, EXIT.ok);
    const exported = await cli(['export', '--store', store]);
    assert.deepEqual((exported.lines[0] as { data: unknown }).data, { text: 'ü€ 🙂 ok' });
  });

  it('import stops at the first bad line: the lines before it are imported and acknowledged', async () => {
    const input = [
      '{"streamId":"s","type":"T","data":{"n":1}}',
      '',
      '{"streamId":"s","type":"T","data":{"n":2}}',
      '{"streamId":"s","type":"T","data":{"n":3},"oops":1}',
      '{"streamId":"s","type":"T","data":{"n":4}}',
    ].join('\n');
    const r = await cli(['import', '--store', store, '--ack'], input);
    assert.equal(r.code, EXIT.usage);
    assert.match(oneSentence(r.stderr), /Line 4 has an unknown field "oops"/);
    assert.equal(r.lines.length, 2);
    const badValue = await cli(
      ['import', '--store', store],
      '{"streamId":"s","type":"T","data":{"n":5}}\n{"streamId":"s","type":"bad type","data":{}}\n',
    );
    assert.equal(badValue.code, EXIT.usage);
    assert.match(oneSentence(badValue.stderr), /^Line 2: The event type "bad type" is not valid/);
    const notJson = await cli(['import', '--store', store], '{"streamId":"s",\n');
    assert.match(oneSentence(notJson.stderr), /^Line 1 is not valid JSON/);
    const stats = await cli(['stats', '--store', store]);
    assert.equal((stats.lines[0] as { events: number }).events, 3);
  });

  it('stats and verify describe a sound store; verify lists findings and exits 6 when the store is not sound, 4 when it cannot be read', async () => {
    await cli(
      ['import', '--store', store],
      Array.from({ length: 12 }, (_, i) =>
        JSON.stringify({ streamId: `s-${i % 3}`, type: i % 2 ? 'Odd' : 'Even', data: { i } }),
      ).join('\n'),
    );
    const stats = await cli(['stats', '--store', store]);
    assert.deepEqual(
      (({ events, streams, lastPosition, eventTypes }) => ({ events, streams, lastPosition, eventTypes }))(
        stats.lines[0] as Record<string, unknown>,
      ),
      { events: 12, streams: 3, lastPosition: 12, eventTypes: { Even: 6, Odd: 6 } },
    );
    const sound = await cli(['verify', '--store', store]);
    assert.equal(sound.code, EXIT.ok, sound.stdout);
    assert.equal((sound.lines[0] as { ok: boolean }).ok, true);

    const db = new Database(store);
    db.exec("UPDATE streams SET version = 99 WHERE stream_id = 's-1'; DELETE FROM events WHERE global_position = 5;");
    db.close();
    const broken = await cli(['verify', '--store', store]);
    assert.equal(broken.code, EXIT.findings);
    assert.equal(EXIT.findings, 6);
    const findings = (broken.lines as { finding: string }[]).map((l) => l.finding);
    assert.ok(
      findings.some((f) =>
        /Global positions are not gapless from 1: 11 events hold positions 1 to 12 \(missing, e.g.: 5\)/.test(f),
      ),
      findings.join('\n'),
    );
    assert.ok(findings.some((f) => /The streams table says "s-1" is at version 99/.test(f)));
    assert.ok(findings.some((f) => /Stream "s-1" has version 3 at position 8 after version 1/.test(f)));
    assert.match(oneSentence(broken.stderr), /is not sound: \d+ findings \(listed on stdout\)/);

    // A store that cannot be read at all is not a finding: exit 4, as for every other command.
    const missing = await cli(['verify', '--store', path.join(path.dirname(store), 'nope.db')]);
    assert.equal(missing.code, EXIT.unreadable);
    fs.writeFileSync(path.join(path.dirname(store), 'junk.db'), randomBytes(4096));
    const junk = await cli(['verify', '--store', path.join(path.dirname(store), 'junk.db')]);
    assert.equal(junk.code, EXIT.unreadable, junk.stdout + junk.stderr);
  });

  it('prints help; with no command it is a usage error', async () => {
    const help = await cli(['--help']);
    assert.equal(help.code, EXIT.ok);
    assert.match(
      help.stdout,
      /Exit codes: 0 ok, 1 bad usage or input, 2 command rejected by the domain, 3 concurrency conflict,\n4 store unreadable or corrupt, 5 store locked/,
    );
    const none = await cli([]);
    assert.equal(none.code, EXIT.usage);
    assert.match(none.stderr, /^Usage: event-store/);
  });

  it('the bundled binary (dist/cli.js) gives the same answers and exit codes', () => {
    assert.ok(fs.existsSync(CLI), 'dist/cli.js is built (npm run build)');
    // A private copy, so a rebuild of dist/ meanwhile cannot pull it away.
    const bin = path.join(tmp.dir, 'bin');
    fs.mkdirSync(bin);
    for (const name of ['cli.js', 'sql-wasm.wasm'])
      fs.copyFileSync(path.join(path.dirname(CLI), name), path.join(bin, name));
    const run = (args: string[], input?: string) =>
      spawnSync(process.execPath, [path.join(bin, 'cli.js'), ...args], { encoding: 'utf8', input, timeout: 20_000 });
    const a = run(['append', '--store', store, '--stream', 's', '--type', 'T', '--data', '{"x":1}']);
    assert.equal(a.status, 0, a.stderr);
    assert.deepEqual(JSON.parse(a.stdout), { globalPosition: 1, streamVersion: 1 });
    const c = run([
      'append',
      '--store',
      store,
      '--stream',
      's',
      '--type',
      'T',
      '--data',
      '{}',
      '--expected-version',
      '0',
    ]);
    assert.equal(c.status, 3);
    const i = run(['import', '--store', store, '--ack', '-'], '{"streamId":"t","type":"T","data":{},"eventId":"i1"}\n');
    assert.equal(i.status, 0, i.stderr);
    assert.deepEqual(JSON.parse(i.stdout.split('\n')[0]!), { ack: 2, eventId: 'i1' });
    const v = run(['verify', '--store', store]);
    assert.equal(v.status, 0, v.stdout);
    fs.writeFileSync(path.join(tmp.dir, 'junk.db'), 'junk');
    assert.equal(run(['stats', '--store', path.join(tmp.dir, 'junk.db')]).status, 4);
    assert.equal(run(['append', '--store', store, '--stream', 's', '--type', 'T', '--data', 'nope']).status, 1);
  });
});
