import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import { verifyStore } from '../../src/core/eventStore/verify';
import { prng } from '../builders/prng';
import { copyCli } from '../builders/cliCopy';
import { tempDirPerTest } from '../builders/tempDir';

interface Sent {
  readonly streamId: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: Record<string, unknown>;
  readonly eventId: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long an import may go without acknowledging anything or ending (far above a normal round). */
const STUCK_MS = 60_000;

/**
 * Runs `import --ack`, feeding `lines` in chunks, and kills it with SIGKILL: `killAfterMs` after it
 * printed its first acknowledgement (so the kill lands while it imports or compacts), or after it was
 * started when `fromStart` (so it lands while it starts, opens or replays the journal).
 */
async function importAndKill(
  cli: string,
  store: string,
  lines: readonly string[],
  kill: { afterMs: number; fromStart: boolean },
  env: NodeJS.ProcessEnv,
): Promise<{ acks: { ack: number; eventId: string }[]; killed: boolean; stderr: string }> {
  const child = spawn(process.execPath, [cli, 'import', '--store', store, '--ack', '--batch', '40'], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let stderr = '';
  let timer: NodeJS.Timeout | undefined;
  const arm = () => (timer ??= setTimeout(() => child.kill('SIGKILL'), kill.afterMs));
  if (kill.fromStart) arm();
  // An import of 1,500 events ends or acknowledges within seconds; one that does neither for this
  // long is stuck, and is said so (with the seed) instead of running into mocha's timeout unnamed.
  let stuck = false;
  const watchdog = setTimeout(() => {
    stuck = out.length === 0;
    if (stuck) child.kill('SIGKILL');
  }, STUCK_MS);
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString('utf8');
    arm();
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  child.stdin.on('error', () => undefined); // the pipe breaks when the child is killed
  const exited = new Promise<{ signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (_code, signal) => resolve({ signal })),
  );
  void (async () => {
    for (let i = 0; i < lines.length && child.exitCode === null && child.signalCode === null; i += 100) {
      child.stdin.write(lines.slice(i, i + 100).join('\n') + '\n');
      await sleep(3);
    }
    child.stdin.end();
  })();
  const { signal } = await exited;
  if (timer) clearTimeout(timer);
  clearTimeout(watchdog);
  if (stuck) throw new Error(`the import neither acknowledged nor ended within ${STUCK_MS} ms; stderr: ${stderr}`);
  // Only complete lines count: a line cut by the kill was never fully printed.
  const complete = out.slice(0, out.lastIndexOf('\n') + 1);
  const acks = complete
    .split('\n')
    .filter((l) => l.startsWith('{"ack"'))
    .map((l) => JSON.parse(l) as { ack: number; eventId: string });
  return { acks, killed: signal === 'SIGKILL', stderr };
}

describe('Crash safety (import --ack killed with SIGKILL at random moments)', function () {
  // The rounds stop starting after CRASH_BUDGET_MS; a loaded machine may need long for the last one.
  this.timeout(300_000);
  const tmp = tempDirPerTest('esi-crash-');

  it('every acknowledged event survives, identical; the store verifies; no position is used twice', async () => {
    const cli = copyCli(tmp.dir);
    const store = path.join(tmp.dir, 'events.db');
    const seed = Number(process.env.CRASH_SEED ?? Date.now() % 100_000);
    // Printed first, so that any failure, a timeout included, can be run again with CRASH_SEED.
    console.log(`      crash rounds with CRASH_SEED=${seed}`);
    const random = prng(seed);
    const rounds = Number(process.env.CRASH_ROUNDS ?? 20);
    const deadline = Date.now() + Number(process.env.CRASH_BUDGET_MS ?? 45_000);
    const sent = new Map<string, Sent>();
    const acked = new Map<string, number>();
    let counter = 0;
    let kills = 0;
    let roundsRun = 0;
    // A small journal limit: compactions (snapshot writes and journal swaps) happen all the time, so kills land in them too.
    const env = { EVENT_STORE_JOURNAL_LIMIT: String(20_000 + Math.floor(random() * 60_000)) };

    for (let round = 0; round < rounds && Date.now() < deadline; round++) {
      roundsRun += 1;
      const lines: string[] = [];
      // Some events acknowledged before are sent again: a retry after a crash must not duplicate them.
      const earlier = [...acked.keys()];
      for (let i = 0; i < 1500; i++) {
        let event: Sent;
        if (earlier.length > 0 && random() < 0.03) event = sent.get(earlier[Math.floor(random() * earlier.length)]!)!;
        else {
          counter += 1;
          event = {
            streamId: `acct-${Math.floor(random() * 40)}`,
            type: random() < 0.5 ? 'Deposited' : 'Withdrawn',
            data: {
              n: counter,
              amount: Math.round(random() * 10_000) / 100,
              note: random() < 0.1 ? 'ü€ "quoted" \\ \n line' : undefined,
            },
            metadata: { round, correlationId: `r${round}` },
            eventId: `ev-${seed}-${counter}`,
          };
          sent.set(event.eventId, event);
        }
        lines.push(JSON.stringify(event));
      }
      const fromStart = random() < 0.25;
      const kill = { fromStart, afterMs: Math.floor(random() * (fromStart ? 900 : 250)) };
      const { acks, killed, stderr } = await importAndKill(cli, store, lines, kill, env);
      if (killed) kills += 1;
      else
        assert.equal(
          stderr.replace(/^warning: .*\n/gm, ''),
          '',
          `round ${round} (seed ${seed}) ended on its own without errors`,
        );
      for (const { ack, eventId } of acks) {
        const before = acked.get(eventId);
        if (before !== undefined)
          assert.equal(
            ack,
            before,
            `round ${round} (seed ${seed}): ${eventId} acknowledged at ${before}, then at ${ack}`,
          );
        acked.set(eventId, ack);
      }

      if (acked.size === 0 && !fs.existsSync(store)) continue; // killed before the store was created
      // After the crash: every acknowledged event is there, at its position, identical.
      const reopened = await SqlJsEventStore.open({ path: store, readOnly: true });
      try {
        for (const [eventId, position] of acked) {
          const stored = reopened.readEvent(position);
          const expected = sent.get(eventId)!;
          assert.ok(stored, `round ${round} (seed ${seed}): acknowledged position ${position} (${eventId}) is missing`);
          assert.deepEqual(
            {
              eventId: stored.eventId,
              streamId: stored.streamId,
              type: stored.type,
              data: stored.data,
              metadata: stored.metadata,
            },
            JSON.parse(
              JSON.stringify({
                eventId,
                streamId: expected.streamId,
                type: expected.type,
                data: expected.data,
                metadata: expected.metadata,
              }),
            ),
            `round ${round} (seed ${seed}): position ${position}`,
          );
        }
        const positions = [...acked.values()];
        assert.equal(new Set(positions).size, positions.length, 'no position acknowledged for two events');
      } finally {
        await reopened.close();
      }
      const report = await verifyStore(store);
      assert.ok(report.ok, `round ${round} (seed ${seed}): ${report.findings.join(' | ')}`);
    }
    assert.ok(roundsRun >= Math.min(rounds, 8), `ran ${roundsRun} rounds`);
    assert.ok(
      kills >= Math.floor(roundsRun / 3),
      `many rounds were killed mid-import (${kills} of ${roundsRun}; seed ${seed})`,
    );
    assert.ok(acked.size > 0, 'some events were acknowledged');
  });
});
