// Search and statistics (BENCH_ONLY=search): at each size, the full-text index (build time, its
// cost beside the import, its size beside the store file), the first 100 hits of a search through
// the index beside a scan of the same store, and the statistics beside one bare read of every
// event, with the longest event-loop delay while each runs (perf_hooks.monitorEventLoopDelay).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import { searchByScan, searchWithIndex, type SearchQuery } from '../../src/core/search/searchEvents';
import { EventTextIndex } from '../../src/core/search/textIndex';
import { computeStatistics } from '../../src/core/statistics/storeStatistics';
import { benchEvents } from './benchEvents';
import { fmt, maxLoopDelay, median, now, type BenchRow } from './measure';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Runs `work` while measuring the event loop's longest delay (ms); resolution 1 ms. */
async function withLoopDelay<T>(work: () => Promise<T>): Promise<{ value: T; ms: number; maxDelayMs: number }> {
  const m = await maxLoopDelay(work, { resolution: 1 });
  return { value: m.result, ms: m.wallMs, maxDelayMs: m.ms };
}

/**
 * The longest event-loop delay of a loop that only turns (work of about 1 ms a turn) for `ms`: what
 * the machine itself adds (other processes on its cores, the GC), the floor under every delay measured.
 */
async function idleLoopDelay(ms: number): Promise<number> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const end = now() + ms;
  while (now() < end) {
    const t = now();
    while (now() - t < 1);
    await turn();
  }
  h.disable();
  return h.max / 1e6;
}

export interface SearchStatsFigures {
  readonly events: number;
  readonly importMs: number;
  readonly storeBytes: number;
  readonly indexBuildMs: number;
  readonly indexBuildMaxDelayMs: number;
  readonly indexBytes: number;
  readonly search: Record<string, { indexMs: number; scanMs: number; hits: number }>;
  readonly statsMs: number;
  readonly statsMaxDelayMs: number;
  readonly bareReadMs: number;
  readonly idleMaxDelayMs: number;
}

export async function benchSearchStats(
  dir: string,
  sizes: readonly number[],
  log: (line: string) => void,
): Promise<{ rows: BenchRow[]; figures: SearchStatsFigures[] }> {
  const rows: BenchRow[] = [];
  const figures: SearchStatsFigures[] = [];
  for (const total of sizes) {
    const file = path.join(dir, `search-${total}`, 'events.db');
    const store = await SqlJsEventStore.open({ path: file });
    try {
      const t0 = now();
      for (let i = 0; i < total; i += 10_000)
        await store.importEvents(benchEvents(i, Math.min(10_000, total - i), total));
      const importMs = now() - t0;
      await store.compact();
      const storeBytes = fs.statSync(file).size;
      log(`search: ${fmt(total)} events imported in ${fmt(importMs / 1000, 1)} s`);

      const index = await EventTextIndex.create();
      const build = await withLoopDelay(() => index.catchUp(store, { pause: turn }));
      const indexBytes = await index.bytes();
      log(`search: index of ${fmt(total)} built in ${fmt(build.ms / 1000, 1)} s`);

      // A rare word (one user's name, in one event), a common one (in every rename), a stream filter alone.
      const streams = Math.max(1, Math.floor(total / 20));
      const queries: Record<string, SearchQuery> = {
        rare: { text: `number ${streams - 1}`, limit: 100 },
        common: { text: 'name', limit: 100 },
        'stream only': { text: '', stream: `user-${streams - 1}`, limit: 100 },
      };
      const search: SearchStatsFigures['search'] = {};
      for (const [name, q] of Object.entries(queries)) {
        const indexTimes: number[] = [];
        let hits = 0;
        for (let k = 0; k < 5; k++) {
          const s = now();
          hits = (await searchWithIndex(store, index, q)).hits.length;
          indexTimes.push(now() - s);
        }
        const s = now();
        const scanned = await searchByScan(store, q);
        const scanMs = now() - s;
        if (scanned.hits.length !== hits)
          throw new Error(`search "${name}": index ${hits} hits, scan ${scanned.hits.length}`);
        search[name] = { indexMs: median(indexTimes), scanMs, hits };
      }
      index.close();

      const b0 = now();
      let read = 0;
      store.forEach(() => void read++);
      const bareReadMs = now() - b0;
      const stats = await withLoopDelay(() => computeStatistics(store, { pause: turn }));
      if (stats.value.events !== total) throw new Error(`statistics counted ${stats.value.events} of ${total}`);

      const idleMaxDelayMs = await idleLoopDelay(Math.min(5000, Math.max(500, stats.ms)));
      const f: SearchStatsFigures = {
        events: total,
        importMs,
        storeBytes,
        indexBuildMs: build.ms,
        indexBuildMaxDelayMs: build.maxDelayMs,
        indexBytes,
        search,
        statsMs: stats.ms,
        statsMaxDelayMs: stats.maxDelayMs,
        bareReadMs,
        idleMaxDelayMs,
      };
      const floor = `${fmt(idleMaxDelayMs, 1)} a loop that only turns`;
      figures.push(f);
      const judged = total >= 100_000;
      const size = `${fmt(total)} events`;
      for (const [name, s] of Object.entries(search)) {
        rows.push({
          metric: `full-text search, first 100 hits, ${name} (${s.hits} hits), ${size} (ms)`,
          ours: fmt(s.indexMs, 1),
          baseline: `${fmt(s.scanMs, 1)} scan of the store`,
          ratio: `${(s.indexMs / s.scanMs).toFixed(3)}×`,
          goal: '<= 200 ms',
          pass: s.indexMs <= 200,
        });
      }
      rows.push({
        metric: `  index build (in memory, at first search), ${size} (ms)`,
        ours: fmt(build.ms),
        baseline: `${fmt(importMs)} import of the same events`,
        ratio: `${(build.ms / importMs).toFixed(2)}×`,
        goal: 'info: off the import path',
      });
      rows.push({
        metric: `  index size in memory / store file, ${size} (MB)`,
        ours: fmt(indexBytes / 1048576, 1),
        baseline: `${fmt(storeBytes / 1048576, 1)} store file (unchanged)`,
        ratio: `${(indexBytes / storeBytes).toFixed(2)}×`,
        goal: 'info: file +0%',
      });
      rows.push({
        metric: `  index build: longest event-loop delay, ${size} (ms)`,
        ours: fmt(build.maxDelayMs, 1),
        baseline: floor,
        ratio: '',
        goal: '<= 50 ms',
        ...(judged ? { pass: build.maxDelayMs <= 50 } : {}),
      });
      rows.push({
        metric: `statistics, ${size} (ms)`,
        ours: fmt(stats.ms),
        baseline: `${fmt(bareReadMs)} one bare read of every event`,
        ratio: `${(stats.ms / bareReadMs).toFixed(2)}×`,
        goal: 'info',
      });
      rows.push({
        metric: `  statistics: longest event-loop delay, ${size} (ms)`,
        ours: fmt(stats.maxDelayMs, 1),
        baseline: floor,
        ratio: '',
        goal: '<= 50 ms',
        ...(judged ? { pass: stats.maxDelayMs <= 50 } : {}),
      });
    } finally {
      await store.close();
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  }
  return { rows, figures };
}
