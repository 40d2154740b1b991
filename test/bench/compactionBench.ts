// What a compaction does to the event loop of the process that runs it (the extension host in VS Code):
// folded on a worker thread (the default) against the same fold in one go on the calling thread
// (`offThread: false`, as before), beside this process's loop left idle for as long, in the same run.
//   BENCH_ONLY=compaction npm run bench   only this part (sizes from BENCH_SIZES); also part of BENCH_ONLY=query.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import { benchEvents } from './benchEvents';
import { fmt, maxLoopDelay, type BenchRow } from './measure';

interface Measured {
  /** The longest event-loop delay while it ran (ms). */
  readonly maxMs: number;
  readonly wallMs: number;
  /** The largest resident set size sampled while it ran (MB). */
  readonly peakRssMb: number;
}

/** Runs `work` with the loop's delay histogram on and RSS sampled. */
async function measure(work: () => Promise<unknown>): Promise<Measured> {
  const m = await maxLoopDelay(work);
  return { maxMs: m.ms, wallMs: m.wallMs, peakRssMb: m.peakRssMb };
}

/** One compaction of the store at `file` (one event appended first, so there is a journal to fold). */
async function compactOnce(file: string, offThread: boolean): Promise<Measured> {
  const store = await SqlJsEventStore.open({ path: file, compaction: { onClose: 'never', offThread } });
  try {
    await store.append('bench-compaction', [{ type: 'Touched', data: { offThread } }]);
    let folded = false;
    const measured = await measure(async () => (folded = await store.compact()));
    if (!folded) throw new Error('the compaction found nothing to fold');
    return measured;
  } finally {
    await store.close();
  }
}

/** The rows for one store: on a worker thread, in one go, and the idle loop as long as the first. */
export async function benchCompaction(
  file: string,
  total: number,
  log: (line: string) => void,
): Promise<{ rows: BenchRow[]; figures: Record<string, unknown> }> {
  log(`compactions of ${fmt(total)} events, on a worker thread and in one go...`);
  const worker = await compactOnce(file, true);
  const oneGo = await compactOnce(file, false);
  const idle = await measure(() => new Promise((resolve) => setTimeout(resolve, worker.wallMs)));
  const judged = total >= 1_000_000;
  return {
    rows: [
      {
        metric: `event-loop delay during a compaction on a worker thread, ${fmt(total)} (max ms)`,
        ours: fmt(worker.maxMs, 1),
        baseline: `${fmt(idle.maxMs, 1)} idle as long; ${fmt(oneGo.maxMs, 1)} in one go on this thread`,
        ratio: '',
        goal: judged ? '<= 50 ms' : 'info',
        ...(judged ? { pass: worker.maxMs <= 50 } : {}),
      },
      {
        metric: `  wall time of that compaction (ms; peak RSS MB)`,
        ours: `${fmt(worker.wallMs)}; ${fmt(worker.peakRssMb)}`,
        baseline: `${fmt(oneGo.wallMs)}; ${fmt(oneGo.peakRssMb)} in one go (offThread: false)`,
        ratio: `${(worker.wallMs / oneGo.wallMs).toFixed(2)}×`,
        goal: 'info',
      },
    ],
    figures: { loadAverage: os.loadavg(), worker, oneGo, idle },
  };
}

/** BENCH_ONLY=compaction: a store per size (the bench's user events), then `benchCompaction` on each. */
export async function benchCompactionAlone(
  dir: string,
  sizes: readonly number[],
  log: (line: string) => void,
): Promise<{ rows: BenchRow[]; figures: Record<string, unknown> }> {
  const rows: BenchRow[] = [];
  const figures: Record<string, unknown> = {};
  for (const total of sizes) {
    const file = path.join(dir, `compaction-${total}`, 'events.db');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    log(`compaction store of ${fmt(total)} events...`);
    const store = await SqlJsEventStore.open({ path: file, compaction: { offThread: false } });
    for (let i = 0; i < total; i += 10_000)
      await store.importEvents(benchEvents(i, Math.min(10_000, total - i), total));
    await store.compact();
    await store.close();
    const one = await benchCompaction(file, total, log);
    rows.push(...one.rows);
    figures[`compaction${total}`] = one.figures;
  }
  return { rows, figures };
}
