import * as assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import { verifyStore } from '../../src/core/eventStore/verify';
import { BUILT_CLI, copyCli } from '../builders/cliCopy';
import { tempDirPerTest } from '../builders/tempDir';

let CLI = BUILT_CLI;

/** Runs the CLI with `input` on stdin. */
function run(
  args: string[],
  input: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/**
 * An `import --ack` process fed its input in rounds: the test sends a batch, then waits until the
 * writer has acknowledged it. Sending each round to two writers at once and waiting for both
 * makes them write concurrently in every round, so that they interleave by construction, however
 * slow or loaded the machine is.
 */
class Importer {
  private readonly child: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  private waiters: Array<() => void> = [];
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout.on('data', (c: Buffer) => {
      this.stdout += c.toString('utf8');
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.child.stderr.on('data', (c: Buffer) => (this.stderr += c.toString('utf8')));
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code) => {
        for (const wake of this.waiters.splice(0)) wake();
        resolve(code);
      }),
    );
  }

  acks(): Array<{ ack: number; eventId: string }> {
    return this.stdout
      .split('\n')
      .filter((l) => l.startsWith('{"ack"'))
      .map((l) => JSON.parse(l) as { ack: number; eventId: string });
  }

  send(lines: readonly string[]): void {
    this.child.stdin.write(lines.join('\n') + '\n');
  }

  end(): void {
    this.child.stdin.end();
  }

  /** Waits for `count` acknowledgements in all (a state, not a time); fails if the writer exits first. */
  async acknowledged(count: number): Promise<void> {
    while (this.acks().length < count) {
      if (this.child.exitCode !== null)
        throw new Error(
          `the writer exited (${this.child.exitCode}) after ${this.acks().length} of ${count} acks: ${this.stderr}`,
        );
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}

describe('Two writer processes on one store', function () {
  this.timeout(90_000);
  const tmp = tempDirPerTest('esi-writers-');

  beforeEach(() => {
    CLI = copyCli(tmp.dir);
  });

  it("both imports complete: every event stored once, positions unique and gapless, each writer's order kept per stream", async () => {
    const store = path.join(tmp.dir, 'events.db');
    const perWriter = 1500;
    const inputs = ['a', 'b'].map((writer) =>
      Array.from({ length: perWriter }, (_, i) =>
        JSON.stringify({ streamId: `acct-${i % 7}`, type: 'Moved', data: { writer, i }, eventId: `${writer}-${i}` }),
      ),
    );
    // Rounds of 25 events sent to both writers at once (so they write concurrently in every round
    // and interleave), and a small journal limit so both also compact while the other writes.
    const env = { EVENT_STORE_JOURNAL_LIMIT: '40000' };
    const batch = 25;
    const writers = inputs.map(
      () => new Importer(['import', '--store', store, '--ack', '--batch', String(batch)], env),
    );
    for (let sent = 0; sent < perWriter; sent += batch) {
      writers.forEach((writer, w) => writer.send(inputs[w]!.slice(sent, sent + batch)));
      await Promise.all(writers.map((writer) => writer.acknowledged(Math.min(sent + batch, perWriter))));
    }
    for (const writer of writers) writer.end();
    const codes = await Promise.all(writers.map((writer) => writer.exited));
    writers.forEach((writer, w) => assert.equal(codes[w], 0, writer.stderr));

    const acks = writers.map((writer) => writer.acks());
    assert.deepEqual(
      acks.map((a) => a.length),
      [perWriter, perWriter],
    );
    const positions = acks
      .flat()
      .map((a) => a.ack)
      .sort((x, y) => x - y);
    assert.deepEqual(
      positions,
      Array.from({ length: 2 * perWriter }, (_, i) => i + 1),
      'positions 1..N, each once',
    );
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
      assert.deepEqual(
        stream.map((e) => e.streamVersion),
        stream.map((_, k) => k + 1),
        `acct-${s}: versions gapless`,
      );
      for (const writer of ['a', 'b']) {
        const mine = stream
          .filter((e) => (e.data as { writer: string }).writer === writer)
          .map((e) => (e.data as { i: number }).i);
        assert.deepEqual(
          mine,
          [...mine].sort((x, y) => x - y),
          `acct-${s}: ${writer}'s events in the order it sent them`,
        );
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
      ['x', 'y', 'z'].map((who) =>
        run(
          [
            'append',
            '--store',
            store,
            '--stream',
            'doc',
            '--type',
            'Edited',
            '--data',
            JSON.stringify({ who }),
            '--expected-version',
            '1',
          ],
          '',
        ),
      ),
    );
    assert.deepEqual(racers.map((r) => r.code).sort(), [0, 3, 3]);
    const winner = racers.find((r) => r.code === 0)!;
    assert.deepEqual(JSON.parse(winner.stdout), { globalPosition: 2, streamVersion: 2 });
    for (const loser of racers.filter((r) => r.code === 3))
      assert.match(loser.stderr, /Stream "doc" is at version 2, but version 1 was expected/);
    assert.ok((await verifyStore(store)).ok);
  });
});
