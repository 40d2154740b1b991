import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { openPostgresStore } from '../../src/core/formats/postgres/openPostgres';
import { BUILT_CLI, copyCli } from '../builders/cliCopy';
import { sharedPostgres } from '../builders/postgresServer';
import { tempDirPerTest } from '../builders/tempDir';

const SESSION_WRITER = path.join(__dirname, '..', 'builders', 'teamSessionWriter.js');

interface Line {
  command?: number;
  events?: { globalPosition: number; streamId: string; streamVersion: number; eventId: string; type: string }[];
  code?: number;
  error?: string;
  retries?: number;
}

function run(args: string[]): Promise<{ code: number | null; lines: Line[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) =>
      resolve({
        code,
        stderr,
        lines: stdout
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Line),
      }),
    );
  });
}

describe('Four writer processes on one team store (two CLIs, two sessions as the extension host runs)', function () {
  this.timeout(600_000);
  const tmp = tempDirPerTest('esi-pgconc-');

  it('10k commands: positions unique, versions gapless per stream, every acknowledged event present, conflicts told to the loser', async () => {
    assert.ok(fs.existsSync(BUILT_CLI), 'dist/cli.js is built');
    const cli = copyCli(tmp.dir);
    const server = await sharedPostgres();
    const url = await server.createDatabase('team_conc');
    const shared = 20;
    const setup = path.join(tmp.dir, 'setup.ndjson');
    fs.writeFileSync(
      setup,
      Array.from({ length: shared }, (_, i) =>
        JSON.stringify({ type: 'CreateUser', data: { userId: `shared-${i}`, name: `Shared ${i}` } }),
      ).join('\n'),
    );
    const created = await run([cli, 'exec', '--store', url, '--commands', setup]);
    assert.equal(created.code, 0, created.stderr);

    const perWriter = 2500;
    const files = [0, 1, 2, 3].map((w) => {
      const file = path.join(tmp.dir, `w${w}.ndjson`);
      const commands = Array.from({ length: perWriter }, (_, i) =>
        i % 5 !== 0
          ? { type: 'CreateUser', data: { userId: `w${w}-${i}`, name: `User ${w}.${i}` } }
          : { type: 'RenameUser', data: { userId: `shared-${i % shared}`, name: `Renamed ${w}.${i}` } },
      );
      fs.writeFileSync(file, commands.map((c) => JSON.stringify(c)).join('\n'));
      return file;
    });
    const results = await Promise.all([
      run([cli, 'exec', '--store', url, '--commands', files[0]!]),
      run([cli, 'exec', '--store', url, '--commands', files[1]!]),
      run([SESSION_WRITER, url, files[2]!]),
      run([SESSION_WRITER, url, files[3]!]),
    ]);
    results.forEach((r, w) => assert.ok(r.code === 0 || r.code === 3, `writer ${w} exited ${r.code}: ${r.stderr}`));

    const answers = results.map((r) => r.lines.filter((l) => l.command !== undefined));
    answers.forEach((a, w) => assert.equal(a.length, perWriter, `writer ${w} answered every command`));
    const acknowledged = answers.flat().flatMap((l) => l.events ?? []);
    const conflicts = answers.flat().filter((l) => l.code === 3);
    const rejected = answers.flat().filter((l) => l.code !== undefined && l.code !== 3);
    assert.deepEqual(rejected, [], 'no command was refused for another reason');
    const retries = results.map((r) => r.lines.find((l) => l.retries !== undefined)?.retries ?? 0);
    assert.ok(
      conflicts.length + retries[2]! + retries[3]! > 0,
      'the writers did collide (a conflict retried, or told to the loser)',
    );
    for (const c of conflicts)
      assert.match(c.error!, /Stream "user-shared-\d+" is at version \d+, but version \d+ was expected/);

    const client = new Client({ connectionString: url });
    await client.connect();
    let rows: { p: string; s: string; v: string; id: string }[];
    try {
      rows = (
        await client.query<{ p: string; s: string; v: string; id: string }>(
          'SELECT global_position::text AS p, stream_id AS s, stream_position::text AS v, message_id AS id FROM emt_messages ORDER BY stream_id, stream_position',
        )
      ).rows;
    } finally {
      await client.end();
    }
    assert.equal(rows.length, shared + acknowledged.length, 'every event in the store was acknowledged to a writer');
    assert.equal(new Set(rows.map((r) => r.p)).size, rows.length, 'positions unique');
    const byStream = new Map<string, number[]>();
    for (const r of rows) byStream.set(r.s, [...(byStream.get(r.s) ?? []), Number(r.v)]);
    for (const [stream, versions] of byStream)
      assert.deepEqual(
        versions,
        versions.map((_, i) => i + 1),
        `${stream}: versions gapless`,
      );
    const stored = new Map(rows.map((r) => [r.id, r]));
    for (const e of acknowledged) {
      const row = stored.get(e.eventId);
      assert.ok(row, `acknowledged event ${e.eventId} is stored`);
      assert.deepEqual([Number(row.p), row.s, Number(row.v)], [e.globalPosition, e.streamId, e.streamVersion]);
    }
    assert.equal(acknowledged.length, 4 * perWriter - conflicts.length, 'each accepted command appended one event');

    // A reader opened afterwards shows every event, in position order, none skipped.
    const store = await openPostgresStore({ connectionString: url, schema: 'public', format: 'emmett-postgresql' });
    try {
      const all = store.readAll();
      assert.equal(all.length, rows.length);
      assert.deepEqual(
        all.map((e) => e.globalPosition),
        rows.map((r) => Number(r.p)).sort((a, b) => a - b),
      );
    } finally {
      await store.close();
    }
  });
});
