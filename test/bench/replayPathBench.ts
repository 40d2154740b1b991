// The replay's whole path in the real VS Code (code-server + headless Chromium), on stores made with
// the CLI import: click → paint for step back, step forward, a slider jump and a filter change,
// p50/p95 with the breakdown, beside a bare postMessage round trip measured in the same run, and the
// extension host's longest event-loop delay while the panel works.
//
//   node out/test/bench/replayPathBench.js        (also part of `npm run bench`)
//   BENCH_PATH_SIZES=100001,1000001   store sizes;  BENCH_PATH_ROUNDS=20   clicks per action
//   BENCH_PATH_OBSERVED_ONLY=1 with EVENT_STORE_E2E_EXTENSION=DIR: only the figures seen from outside
//   the panel's code, for another build of the extension (before / after a change).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { prng } from '../builders/prng';
import {
  closeAll,
  findFrame,
  launchVsCode,
  openViewContainer,
  runCommand,
  tempWorkspace,
  waitForEditorTab,
} from '../e2e/harness';
import {
  formatSummary,
  importUsersStore,
  observedClickToPaint,
  quantile,
  runScenario,
  slideTo,
  waitForReplayPosition,
  type PathSummary,
} from '../e2e/replayPath';
import { now } from './measure';

export interface PathFigures {
  readonly events: number;
  readonly importSeconds: number;
  readonly openSeconds: number;
  readonly summaries: readonly PathSummary[];
  readonly pingP50Ms: number;
  readonly pingP95Ms: number;
  /** Seen from outside the panel's code (a capturing listener and an observer of the position text). */
  readonly observed: Record<string, { p50: number; p95: number; samples: number }>;
  readonly loopDelayMaxMs: number;
  /** The same measure in the bench's own (mostly waiting) process over the same time: what the machine alone causes. */
  readonly benchLoopDelayMaxMs: number;
}

export async function benchReplayPath(
  events: number,
  rounds: number,
  log: (line: string) => void,
  observedOnly = false,
): Promise<PathFigures> {
  const workspace = tempWorkspace('event-store-bench-path-');
  let t = now();
  importUsersStore(workspace, events);
  const importSeconds = (now() - t) / 1000;
  log(`  path ${events}: imported with the CLI in ${importSeconds.toFixed(1)} s`);
  const vscode = await launchVsCode({ workspace, env: { EVENT_STORE_MEASURE: '1' } });
  try {
    const page = vscode.page;
    t = now();
    await openViewContainer(page, 'Event Store');
    await runCommand(page, 'Event Store: Open Replay');
    await waitForEditorTab(page, 'Event Replay', 300_000);
    const frame = await findFrame(page, '[aria-label="Replay position"]', 300_000);
    await waitForReplayPosition(frame, events, events, 900_000);
    const openSeconds = (now() - t) / 1000;
    log(`  path ${events}: replay open at ${events} / ${events} after ${openSeconds.toFixed(1)} s`);
    const random = prng(events);
    // Warm-up: the first steps back leave the engine's copies and compile the hot code.
    for (let i = 0; i < 3; i++) await observedClickToPaint(frame, () => frame.click('[aria-label="Step back"]'));
    const observed: PathFigures['observed'] = {};
    const observe = async (name: string, act: () => Promise<void>, changes = 1) => {
      const xs: number[] = [];
      for (let i = 0; i < rounds; i++) xs.push(await observedClickToPaint(frame, act, changes));
      observed[name] = { p50: quantile(xs, 0.5), p95: quantile(xs, 0.95), samples: xs.length };
      log(
        `  path ${events}: ${name} seen from outside: p50 ${observed[name].p50.toFixed(1)} ms, p95 ${observed[name].p95.toFixed(1)} ms`,
      );
    };
    await observe('step back', () => frame.click('[aria-label="Step back"]'));
    await observe('step forward', () => frame.click('[aria-label="Step forward"]'));
    await observe('slider jump', () => slideTo(frame, 1 + Math.floor(random() * (events - 1))), 2);
    if (observedOnly)
      return {
        events,
        importSeconds,
        openSeconds,
        summaries: [],
        pingP50Ms: NaN,
        pingP95Ms: NaN,
        observed,
        loopDelayMaxMs: NaN,
        benchLoopDelayMaxMs: NaN,
      };
    const own = monitorEventLoopDelay({ resolution: 10 });
    own.enable();
    const { summaries, pings } = await runScenario(frame, rounds, random);
    own.disable();
    for (const s of summaries) log(`  path ${events}: ${formatSummary(s)}`);
    const figures = {
      events,
      importSeconds,
      openSeconds,
      summaries,
      pingP50Ms: quantile(pings, 0.5),
      pingP95Ms: quantile(pings, 0.95),
      observed,
      loopDelayMaxMs: Math.max(...summaries.map((s) => s.loopDelayMaxMs)),
      benchLoopDelayMaxMs: own.max / 1e6,
    };
    log(
      `  path ${events}: baseline bare round trip p50 ${figures.pingP50Ms.toFixed(1)} ms, p95 ${figures.pingP95Ms.toFixed(1)} ms; ` +
        `host loop delay max ${figures.loopDelayMaxMs.toFixed(1)} ms (the bench's own process: ${figures.benchLoopDelayMaxMs.toFixed(1)} ms)`,
    );
    return figures;
  } finally {
    await vscode.close();
  }
}

export const pathSizes = (): number[] =>
  (process.env.BENCH_PATH_SIZES ?? '100001,1000001')
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isSafeInteger(n) && n > 1);

if (require.main === module) {
  const rounds = Number(process.env.BENCH_PATH_ROUNDS ?? 20);
  const observedOnly = process.env.BENCH_PATH_OBSERVED_ONLY === '1';
  (async () => {
    const all: PathFigures[] = [];
    for (const events of pathSizes())
      all.push(await benchReplayPath(events, rounds, (line) => process.stderr.write(`${line}\n`), observedOnly));
    process.stdout.write(
      `${JSON.stringify({ bench: 'replayPath', extension: process.env.EVENT_STORE_E2E_EXTENSION ?? 'this build', rounds, figures: all })}\n`,
    );
  })()
    .catch((e: Error) => {
      process.stderr.write(`${e.stack ?? e.message}\n`);
      process.exitCode = 1;
    })
    .finally(() => closeAll());
}
