// SQL queries over the events view, and what long operations do to the event loop of the process
// that runs them (the extension host in VS Code; here, this bench's process).
//   BENCH_ONLY=query npm run bench   only this part (sizes from BENCH_SIZES).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import type { Database } from 'sql.js';
import { Projector } from '../../src/core/application/projector';
import { loadSqlJs } from '../../src/core/eventStore/sqlJs';
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import { builtInProjections } from '../../src/core/projections/builtIn';
import { WorkerQuerySource } from '../../src/core/query/workerQuerySource';
import { benchEvents } from './benchEvents';
import { benchCompaction } from './compactionBench';
import { fmt, maxLoopDelay, median, now, type BenchRow } from './measure';

const SKUS = 1000;
const SQL_SKU = "SELECT count(*) FROM events WHERE data->>'sku' = ?";
const RUNS = 7;

/** The bench's user events, each with a `sku` among 1,000 (so the count question has about total/1000 answers). */
async function buildStore(file: string, total: number): Promise<void> {
  const store = await SqlJsEventStore.open({ path: file });
  for (let i = 0; i < total; i += 10_000) {
    const batch = benchEvents(i, Math.min(10_000, total - i), total).map((e, k) => ({
      ...e,
      data: { ...(e.data as object), sku: `sku-${(i + k) % SKUS}` },
    }));
    await store.importEvents(batch);
  }
  await store.compact();
  await store.close();
}

/** The same question to a bare sql.js copy of the file, on this thread: the baseline. */
function bareCount(db: Database): number {
  const stmt = db.prepare(SQL_SKU);
  try {
    stmt.bind(['sku-7']);
    stmt.step();
    return Number(stmt.get()[0]);
  } finally {
    stmt.free();
  }
}

export async function benchQuery(
  dir: string,
  sizes: readonly number[],
  log: (line: string) => void,
): Promise<{ rows: BenchRow[]; figures: Record<string, unknown> }> {
  const rows: BenchRow[] = [];
  const figures: Record<string, unknown> = {};
  const SQL = await loadSqlJs();
  const largest = sizes[sizes.length - 1]!;
  let largestFile = '';
  for (const total of sizes) {
    const file = path.join(dir, `query-${total}`, 'events.db');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    log(`query store of ${fmt(total)} events...`);
    await buildStore(file, total);
    if (total === largest) largestFile = file;

    const source = new WorkerQuerySource(file);
    const load = await maxLoopDelay(() => source.run('SELECT 1'));
    const bare = new SQL.Database(fs.readFileSync(file));
    // Interleaved rounds, so that the load of the machine weighs on both sides alike.
    const ours: number[] = [];
    const base: number[] = [];
    let count = -1;
    let bareAnswer = -2;
    for (let r = 0; r < RUNS; r++) {
      let t0 = now();
      count = Number((await source.run(SQL_SKU, { params: ['sku-7'] })).rows[0]![0]);
      ours.push(now() - t0);
      t0 = now();
      bareAnswer = bareCount(bare);
      base.push(now() - t0);
    }
    const during = await maxLoopDelay(() => source.run(SQL_SKU, { params: ['sku-7'] }));
    const bareDuring = await maxLoopDelay(async () => bareCount(bare));
    // The floor: the same process doing nothing for as long (a loaded machine delays it too).
    const idle = await maxLoopDelay(() => new Promise((resolve) => setTimeout(resolve, during.wallMs)));
    await source.close();
    bare.close();
    if (count !== bareAnswer || count !== Math.ceil((total - 7) / SKUS))
      throw new Error(`the view counted ${count}, the bare copy ${bareAnswer}`);

    const ratio = median(ours) / median(base);
    const best = Math.min(...ours) / Math.min(...base);
    const judged = total >= 1_000_000;
    rows.push({
      metric: `query ${SQL_SKU} in a worker, ${fmt(total)} (ms, median of ${RUNS}; best)`,
      ours: `${fmt(median(ours), 1)}; ${fmt(Math.min(...ours), 1)}`,
      baseline: `${fmt(median(base), 1)}; ${fmt(Math.min(...base), 1)} bare sql.js copy, same thread`,
      ratio: `${ratio.toFixed(2)}×; ${best.toFixed(2)}×`,
      goal: judged ? '<= 1.2× and < 1000 ms' : 'info',
      ...(judged ? { pass: ratio <= 1.2 && median(ours) < 1000 } : {}),
    });
    rows.push({
      metric: `  event-loop delay of the caller during that query (max ms)`,
      ours: fmt(during.ms, 1),
      baseline: `${fmt(bareDuring.ms, 1)} the bare query on it; ${fmt(idle.ms, 1)} idle as long`,
      ratio: '',
      goal: judged ? '<= 50 ms' : 'info',
      ...(judged ? { pass: during.ms <= 50 } : {}),
    });
    rows.push({
      metric: `  the worker's first query: it opens its copy of the store (ms; caller's max loop delay)`,
      ours: `${fmt(load.wallMs)}; ${fmt(load.ms, 1)}`,
      baseline: '',
      ratio: '',
      goal: 'info',
    });
    figures[`query${total}`] = {
      loadAverage: os.loadavg(),
      oursMs: ours,
      bareMs: base,
      ratio,
      loopDelayMaxMs: during.ms,
      bareLoopDelayMaxMs: bareDuring.ms,
      idleLoopDelayMaxMs: idle.ms,
      workerOpenMs: load.wallMs,
      workerOpenLoopDelayMaxMs: load.ms,
    };
    const compaction = await benchCompaction(file, total, log);
    rows.push(...compaction.rows);
    figures[`compaction${total}`] = compaction.figures;
  }

  // The other long operations, on the calling thread; the rebuild also as the palette runs it, in slices.
  log(`event-loop delays during an open, a compaction and a rebuild of ${fmt(largest)} events...`);
  const open = await maxLoopDelay(() => SqlJsEventStore.open({ path: largestFile, deferChecks: true }));
  const store = open.result;
  await store.append('bench-1', [{ type: 'Touched', data: {} }]);
  const compaction = await maxLoopDelay(() => store.compact());
  const rebuild = await maxLoopDelay(async () => new Projector(store, builtInProjections, undefined).rebuild());
  const sliced = await maxLoopDelay(() => new Projector(store, builtInProjections, undefined).rebuildInSlices());
  // As VS Code runs it: the read models are then saved beside the store (15 MB of JSON at 1M events).
  const savedFile = path.join(path.dirname(largestFile), 'readModels.json');
  const slicedSaved = await maxLoopDelay(() => new Projector(store, builtInProjections, savedFile).rebuildInSlices());
  // The save that follows appends (500 ms after them): in one go, and as the extension makes it, in slices.
  const afterAppend = async (options: { slicedSaveBytes?: number }) => {
    const projector = new Projector(store, builtInProjections, savedFile, options);
    projector.start();
    projector.handle((await store.append('bench-1', [{ type: 'Touched', data: {} }])).events);
    return projector;
  };
  const whole = await afterAppend({ slicedSaveBytes: Number.POSITIVE_INFINITY });
  const saveWhole = await maxLoopDelay(() => whole.save());
  // Its own save, due 500 ms after the append, must not fall into the next measure.
  whole.dispose();
  const inSlices = await afterAppend({});
  const saveSliced = await maxLoopDelay(() => inSlices.save());
  inSlices.dispose();
  await store.close();
  // The floor under those delays: the same process waiting as long as the sliced rebuild took (a loaded machine delays it too).
  const idleLong = await maxLoopDelay(
    () => new Promise((resolve) => setTimeout(resolve, Math.min(20_000, sliced.wallMs))),
  );
  for (const [what, m] of [
    ['opening the store (writable, its file read and checked off the loop, as the extension does)', open],
    ['a compaction (the snapshot built on a worker thread)', compaction],
    ['rebuilding the built-in read models in one go (rebuild())', rebuild],
    ['rebuilding them in slices (Rebuild Read Models in VS Code)', sliced],
    ['rebuilding them in slices and saving them beside the store', slicedSaved],
    ['the save of the read models after an append, in one go (JSON.stringify)', saveWhole],
    ['the save of the read models after an append, in slices (as the extension saves)', saveSliced],
  ] as const) {
    rows.push({
      metric: `event-loop delay during ${what}, ${fmt(largest)} (max ms)`,
      ours: fmt(m.ms, 1),
      baseline: `${fmt(m.wallMs)} ms the operation; ${fmt(idleLong.ms, 1)} idle`,
      ratio: '',
      // The operations in one go are the baselines of their sliced forms, not judged.
      goal: m === rebuild || m === saveWhole ? 'baseline' : largest >= 1_000_000 ? '<= 50 ms' : 'info',
      ...(largest >= 1_000_000 && m !== rebuild && m !== saveWhole ? { pass: m.ms <= 50 } : {}),
    });
  }
  figures.loopDelays = {
    events: largest,
    open: { maxMs: open.ms, wallMs: open.wallMs },
    compaction: { maxMs: compaction.ms, wallMs: compaction.wallMs },
    rebuild: { maxMs: rebuild.ms, wallMs: rebuild.wallMs },
    rebuildInSlices: { maxMs: sliced.ms, wallMs: sliced.wallMs },
    rebuildInSlicesSaved: { maxMs: slicedSaved.ms, wallMs: slicedSaved.wallMs, bytes: fs.statSync(savedFile).size },
    saveAfterAppend: { maxMs: saveWhole.ms, wallMs: saveWhole.wallMs },
    saveAfterAppendInSlices: { maxMs: saveSliced.ms, wallMs: saveSliced.wallMs },
    idle: { maxMs: idleLong.ms, wallMs: idleLong.wallMs },
  };
  return { rows, figures };
}
