import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import { Client } from 'pg';
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import { runCli } from '../builders/cliInProcess';
import { sharedPostgres, type PostgresServer } from '../builders/postgresServer';
import { tempDirPerTest } from '../builders/tempDir';

function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

async function sql(url: string, text: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

describe('CLI on PostgreSQL stores (--store postgres://…, a real server)', function () {
  this.timeout(120_000);
  const tmp = tempDirPerTest('esi-clipg-');
  let server: PostgresServer;
  before(async () => {
    server = await sharedPostgres();
  });

  it('stats, export, verify and copy an Emmett PostgreSQL store that Emmett wrote', async () => {
    const url = await server.createDatabase('cli_read');
    const emmett = getPostgreSQLEventStore(url);
    await emmett.appendToStream('user-1', [
      { type: 'UserCreated', data: { userId: '1', name: 'Ada' } },
      { type: 'UserRenamed', data: { userId: '1', oldName: 'Ada', name: 'Ada L.' } },
    ]);
    await emmett.appendToStream('user-2', [{ type: 'UserCreated', data: { userId: '2', name: 'Bob' } }]);
    await emmett.close();

    const stats = await runCli(['stats', '--store', url]);
    assert.equal(stats.code, 0, stats.stderr);
    assert.equal(stats.lines[0]!.format, 'emmett-postgresql');
    assert.equal(stats.lines[0]!.events, 3);
    assert.equal(stats.lines[0]!.streams, 2);
    assert.deepEqual(stats.lines[0]!.inFlight, { readableUpTo: 3, takenUpTo: 3, pending: [] });

    const exported = await runCli(['export', '--store', url, '--schema', 'public', '--from', '2']);
    assert.equal(exported.code, 0, exported.stderr);
    assert.deepEqual(
      exported.lines.map((l) => [l.globalPosition, l.streamId, l.streamVersion, l.type]),
      [
        [2, 'user-1', 2, 'UserRenamed'],
        [3, 'user-2', 1, 'UserCreated'],
      ],
    );

    const verified = await runCli(['verify', '--store', url]);
    assert.equal(verified.code, 0, verified.stderr);
    assert.equal(verified.lines[0]!.ok, true);

    const dest = path.join(tmp.dir, 'copy.db');
    const copied = await runCli(['copy', '--store', url, '--to', dest]);
    assert.equal(copied.code, 0, copied.stderr);
    assert.equal(copied.lines[0]!.copied, 3);
    const native = await SqlJsEventStore.open({ path: dest, readOnly: true });
    try {
      assert.deepEqual(
        native.readAll().map((e) => [e.globalPosition, e.streamId, e.type]),
        [
          [1, 'user-1', 'UserCreated'],
          [2, 'user-1', 'UserRenamed'],
          [3, 'user-2', 'UserCreated'],
        ],
      );
    } finally {
      await native.close();
    }
    const bad = await runCli(['stats', '--store', path.join(tmp.dir, 'x.db'), '--schema', 'public']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--schema applies to a postgres:\/\/ store only/);
  });

  it('verify tells an in-flight append from a gap: while a transaction is open nothing is called a gap; once it ended, a rolled-back position is', async () => {
    const url = await server.createDatabase('cli_verify');
    const held = gate();
    const reached = gate();
    const emmett = getPostgreSQLEventStore(url, {
      projections: [
        {
          type: 'inline',
          projection: {
            canHandle: ['Held', 'Doomed'],
            handle: async (events: { type: string }[]) => {
              if (events.some((e) => e.type === 'Doomed')) throw new Error('the projection refuses it');
              reached.open();
              await held.promise;
            },
          },
        },
      ] as never,
    });
    const plain = getPostgreSQLEventStore(url);
    try {
      await plain.appendToStream('a-1', [{ type: 'A', data: {} }]);
      await assert.rejects(emmett.appendToStream('a-2', [{ type: 'Doomed', data: {} }]), /refuses/); // took 2, rolled back
      await plain.appendToStream('a-3', [{ type: 'A', data: {} }]); // 3
      const holding = emmett.appendToStream('a-4', [{ type: 'Held', data: {} }]); // 4, open
      await reached.promise;
      await plain.appendToStream('a-5', [{ type: 'A', data: {} }]); // 5, committed after 4 was taken

      const during = await runCli(['verify', '--store', url]);
      assert.equal(during.code, 0, during.stdout + during.stderr);
      const report = during.lines[0]!;
      assert.equal(report.ok, true, 'nothing is a gap while it may still be in flight');
      assert.deepEqual(report.inFlight, { readableUpTo: 3, takenUpTo: 5, pending: [[2, 2]] });
      const notes = (report.notes as string[]).join(' ');
      assert.match(notes, /Positions 4 to 5 were taken by transactions that had not committed .*in flight, not gaps/);
      assert.match(notes, /Positions 2 below the last one shown were not readable/);
      assert.deepEqual(
        (await runCli(['export', '--store', url])).lines.map((l) => l.globalPosition),
        [1, 3],
        "only what Emmett's rule lets be read while the transaction is open",
      );

      held.open();
      await holding;
      const after = await runCli(['export', '--store', url]);
      assert.deepEqual(
        after.lines.map((l) => l.globalPosition),
        [1, 3, 4, 5],
      );
      const verified = await runCli(['verify', '--store', url]);
      assert.equal(verified.code, 6, verified.stdout + verified.stderr);
      const findings = verified.lines.filter((l) => l.finding).map((l) => l.finding as Record<string, unknown>);
      assert.deepEqual(
        findings.map((f) => [f.check, f.position]),
        [['position-gap', 2]],
      );
      assert.match(String(findings[0]!.message), /Global position 2 is missing .* rolled back/);
      assert.equal(
        verified.lines.find((l) => l.inFlight),
        undefined,
        'nothing is in flight any more',
      );
    } finally {
      held.open();
      await Promise.allSettled([emmett.close(), plain.close()]);
    }
  });

  it('exec, seed and append write to a team store that the Emmett client reads; a stale expected version exits 3', async () => {
    const url = await server.createDatabase('cli_team');
    const exec = await runCli([
      'exec',
      '--store',
      url,
      '--command',
      JSON.stringify({ type: 'CreateUser', data: { userId: 'u9', name: 'Lin' } }),
    ]);
    assert.equal(exec.code, 0, exec.stderr);
    assert.equal(exec.lines[0]!.type, 'UserCreated');
    const seed = await runCli(['seed', '--store', url]);
    assert.equal(seed.code, 0, seed.stderr);
    assert.ok(seed.lines.length > 3);
    // Blame reads the team store as any other: the event that gave u9 its name.
    const blamed = await runCli(['blame', '--store', url, '--read-model', 'usersDirectory', '--path', 'users.u9.name']);
    assert.equal(blamed.code, 0, blamed.stderr);
    assert.deepEqual(
      blamed.lines.map((l) => [l.type, l.after]),
      [['UserCreated', 'Lin']],
    );
    const commands = path.join(tmp.dir, 'commands.ndjson');
    fs.writeFileSync(
      commands,
      [
        { type: 'RenameUser', data: { userId: 'u9', name: 'Lin B.' } },
        { type: 'RenameUser', data: { userId: 'nobody', name: 'X' } },
      ]
        .map((c) => JSON.stringify(c))
        .join('\n'),
    );
    const many = await runCli(['exec', '--store', url, '--commands', commands]);
    assert.equal(many.code, 2, many.stderr);
    assert.equal((many.lines[0]!.events as { streamVersion: number }[])[0]!.streamVersion, 2);
    assert.equal(many.lines[1]!.code, 2);

    const emmett = getPostgreSQLEventStore(url);
    try {
      const read = await emmett.readStream('user-u9');
      assert.deepEqual(
        read.events.map((e) => e.type),
        ['UserCreated', 'UserRenamed'],
      );
    } finally {
      await emmett.close();
    }
    const ok = await runCli(['append', '--store', url, '--stream', 'note-1', '--type', 'Noted', '--data', '{}']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.lines[0]!.streamVersion, 1);
    const stale = await runCli([
      'append',
      '--store',
      url,
      '--stream',
      'note-1',
      '--type',
      'Noted',
      '--data',
      '{}',
      '--expected-version',
      '0',
    ]);
    assert.equal(stale.code, 3);
    assert.match(stale.stderr, /Stream "note-1" is at version 1, but version 0 was expected/);
  });

  it('an unreachable server and a wrong password are one sentence each, exit 4, the password never shown', async () => {
    const closed = await runCli(['stats', '--store', 'postgres://ada:s3cret-pw@127.0.0.1:1/db']);
    assert.equal(closed.code, 4);
    assert.match(closed.stderr, /^No PostgreSQL server answers at postgres:\/\/ada@127\.0\.0\.1:1\/db/);
    assert.doesNotMatch(closed.stderr, /s3cret-pw/);

    // Password authentication for one role: a line before the cluster's trust lines, then a reload.
    const hba = path.join(server.dataDir, 'pg_hba.conf');
    const original = fs.readFileSync(hba, 'utf8');
    if (!original.includes('esi_pw_user'))
      fs.writeFileSync(hba, `host all esi_pw_user 127.0.0.1/32 scram-sha-256\n${original}`);
    await sql(
      server.url(),
      "DO $$ BEGIN CREATE ROLE esi_pw_user LOGIN PASSWORD 'right-pw'; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
    );
    await sql(server.url(), 'SELECT pg_reload_conf()');
    const url = (await server.createDatabase('cli_pw')).replace('postgres@', 'esi_pw_user@');
    const before = process.env.PGPASSWORD;
    try {
      process.env.PGPASSWORD = 'wrong-pw';
      const wrong = await runCli(['stats', '--store', url]);
      assert.equal(wrong.code, 4);
      assert.match(
        wrong.stderr,
        /^PostgreSQL at postgres:\/\/esi_pw_user@127\.0\.0\.1:\d+\/cli_pw_\w+ refused the user name or password\.\n$/,
      );
      assert.doesNotMatch(wrong.stderr + wrong.stdout, /wrong-pw/);
      const inUrl = await runCli(['stats', '--store', url.replace('esi_pw_user@', 'esi_pw_user:also-wrong@')]);
      assert.equal(inUrl.code, 4);
      assert.doesNotMatch(inUrl.stderr, /also-wrong/);
      process.env.PGPASSWORD = 'right-pw';
      const right = await runCli(['stats', '--store', url]);
      assert.equal(right.code, 4, 'the password is accepted: what is left is that the database holds no store');
      assert.match(right.stderr, /holds no Emmett PostgreSQL, Message DB or Marten store\./);
    } finally {
      if (before === undefined) delete process.env.PGPASSWORD;
      else process.env.PGPASSWORD = before;
    }
  });
});
