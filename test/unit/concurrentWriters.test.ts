import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import { verifyStore } from '../../src/core/eventStore/verify';
import { BUILT_CLI, copyCli } from '../builders/cliCopy';
import { tempDirPerTest } from '../builders/tempDir';



let CLI = BUILT_CLI;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the CLI; `input` given as lines is fed a few at a time, so that the run lasts and overlaps another. */
function run(args: string[], input: string | readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    if (typeof input === 'string') child.stdin.end(input);
    else {
      void (async () => {
        for (let i = 0; i < input.length; i += 25) {
          child.stdin.write(input.slice(i, i + 25).join('\n') + '\n');
          await sleep(10);
        }
        child.stdin.end();
      })();
    }
  });
}

describe('Two writer processes on one store', function () {
  this.timeout(90_000);
  const tmp = tempDirPerTest('esi-writers-');

  beforeEach(() => {
    CLI = copyCli(tmp.dir);
  });

  it('both imports complete: every event stored once, positions unique and gapless, each writer\'s order kept per stream', async () => {
    const store = path.join(tmp.dir, 'events.db');
    const perWriter = 1500;
    const inputs = ['a', 'b'].map((writer) =>
      Array.from({ length: perWriter }, (_, i) => JSON.stringify({ streamId: `acct-${i % 7}`, type: 'Moved', data: { writer, i }, eventId: `${writer}-${i}` })),
    );
    // Input that trickles in (so the two runs overlap), small batches so they interleave, and a small
    // journal limit so both also compact while the other writes.
    const env = { EVENT_STORE_JOURNAL_LIMIT: '40000' };
    const results = await Promise.all(inputs.map((input) => run(['import', '--store', store, '--ack', '--batch', '25'], input, env)));
    for (const r of results) assert.equal(r.code, 0, r.stderr);

    const acks = results.map((r) =>
      r.stdout
        .split('\n')
        .filter((l) => l.startsWith('{"ack"'))
        .map((l) => JSON.parse(l) as { ack: number; eventId: string }),
    );
    assert.deepEqual(acks.map((a) => a.length), [perWriter, perWriter]);
    const positions = acks.flat().map((a) => a.ack).sort((x, y) => x - y);
    assert.deepEqual(positions, Array.from({ length: 2 * perWriter }, (_, i) => i + 1), 'positions 1..N, each once');
    // The writers really interleaved: neither got one contiguous block.
    const firstOfB = Math.min(...acks[1]!.map((a) => a.ack));
    const lastOfA = Math.max(...acks[0]!.map((a) => a.ack));
    const firstOfA = Math.min(...acks[0]!.map((a) => a.ack));
    const lastOfB = Math.max(...acks[1]!.map((a) => a.ack));
    assert.ok(firstOfB < lastOfA && firstOfA < lastOfB, 'the two imports interleaved');

    const reopened = await SqlJsEventStore.open({ path: store, readOnly: true });
    const all = reopened.readAll();
    await reopened.close();
    assert.equal(all.length, 2 * perWriter);
    assert.equal(new Set(all.map((e) => e.eventId)).size, all.length);
    for (const e of all) {
      const [writer, i] = e.eventId.split('-');
      assert.deepEqual(e.data, { writer, i: Number(i) });
    }
    for (let s = 0; s < 7; s++) {
      const stream = all.filter((e) => e.streamId === `acct-${s}`);
      assert.deepEqual(stream.map((e) => e.streamVersion), stream.map((_, k) => k + 1), `acct-${s}: versions gapless`);
      for (const writer of ['a', 'b']) {
        const mine = stream.filter((e) => (e.data as { writer: string }).writer === writer).map((e) => (e.data as { i: number }).i);
        assert.deepEqual(mine, [...mine].sort((x, y) => x - y), `acct-${s}: ${writer}'s events in the order it sent them`);
      }
    }
    const report = await verifyStore(store);
    assert.ok(report.ok, report.findings.join('\n'));
  });

  it('appends with the same expected version from two processes: exactly one wins, the other exits 3', async () => {
    const store = path.join(tmp.dir, 'events.db');
    const first = await run(['append', '--store', store, '--stream', 'doc', '--type', 'Written', '--data', '{}'], '');
    assert.equal(first.code, 0, first.stderr);
    const racers = await Promise.all(
      ['x', 'y', 'z'].map((who) => run(['append', '--store', store, '--stream', 'doc', '--type', 'Edited', '--data', JSON.stringify({ who }), '--expected-version', '1'], '')),
    );
    assert.deepEqual(racers.map((r) => r.code).sort(), [0, 3, 3]);
    const winner = racers.find((r) => r.code === 0)!;
    assert.deepEqual(JSON.parse(winner.stdout), { globalPosition: 2, streamVersion: 2 });
    for (const loser of racers.filter((r) => r.code === 3)) assert.match(loser.stderr, /Stream "doc" is at version 2, but version 1 was expected/);
    assert.ok((await verifyStore(store)).ok);
  });
});
