// Emmett SQLite stores: open a store written by the real `@event-driven-io/emmett-sqlite` whose last
// events sit only in its WAL, beside the bare sql.js load of a checkpointed copy of the same store,
// in fresh processes (time and peak memory); a refresh after the application appends 100 events;
// replay seek and a streams page on that store.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EmmettSqliteStore } from '../../src/core/formats/emmettSqlite/emmettSqliteStore';
import { EmmettWriter } from '../builders/emmettWriter';
import { median, now, quantile, type BenchRow } from './measure';

interface BetterDb {
  pragma(sql: string): unknown;
  close(): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require('better-sqlite3') as new (file: string) => BetterDb;

const PROBE = path.join(__dirname, 'openProbe.js');

function probe(mode: 'emmett' | 'bare-emmett', file: string): { ms: number; maxRssMb: number; events: number } {
  const r = spawnSync(process.execPath, [PROBE, mode, file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`open probe (${mode}) failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { ms: number; maxRssMb: number; events: number };
}

export async function benchEmmett(
  dir: string,
  total: number,
  log: (line: string) => void,
): Promise<{ rows: BenchRow[]; figures: Record<string, unknown> }> {
  const fmt = (n: number, digits = 0) =>
    n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const walOnly = Math.max(10_000, Math.floor(total / 100));
  const folder = path.join(dir, 'emmett');
  fs.mkdirSync(folder);
  const file = path.join(folder, 'app.db');
  const writer = await EmmettWriter.start(file);
  const rows: BenchRow[] = [];
  const figures: Record<string, unknown> = { total, walOnly };
  try {
    const t0 = now();
    await writer.bulk(total - walOnly, { streams: 10_000, payloadBytes: 120 });
    await writer.walCheckpoint();
    await writer.bulk(walOnly, { streams: 10_000, payloadBytes: 120, prefix: 'late' });
    figures.writeMs = now() - t0;
    figures.mainBytes = fs.statSync(file).size;
    figures.walBytes = fs.statSync(`${file}-wal`).size;
    log(
      `Emmett store of ${fmt(total)} events written in ${fmt((now() - t0) / 1000, 1)} s (${fmt(fs.statSync(file).size / 1e6, 1)} MB, WAL ${fmt(fs.statSync(`${file}-wal`).size / 1e6, 1)} MB with ${fmt(walOnly)} events)`,
    );

    // The baseline's file: a copy of both files, checkpointed by SQLite itself into one file.
    const copyDir = path.join(dir, 'emmett-checkpointed');
    fs.mkdirSync(copyDir);
    const copy = path.join(copyDir, 'app.db');
    fs.copyFileSync(file, copy);
    fs.copyFileSync(`${file}-wal`, `${copy}-wal`);
    const db = new Database(copy);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.pragma('journal_mode = DELETE');
    db.close();

    const ours: { ms: number; maxRssMb: number; events: number }[] = [];
    const bare: { ms: number; maxRssMb: number; events: number }[] = [];
    for (let i = 0; i < 3; i++) {
      ours.push(probe('emmett', file));
      bare.push(probe('bare-emmett', copy));
    }
    if (ours[0]!.events !== total || bare[0]!.events !== total)
      throw new Error(`The probes saw ${ours[0]!.events} and ${bare[0]!.events} events, not ${total}.`);
    const openMs = median(ours.map((o) => o.ms));
    const bareMs = median(bare.map((o) => o.ms));
    const rss = median(ours.map((o) => o.maxRssMb));
    const bareRss = median(bare.map((o) => o.maxRssMb));
    rows.push({
      metric: `open Emmett store, ${fmt(total)} events (${fmt(walOnly)} only in the WAL), ms`,
      ours: fmt(openMs),
      baseline: `${fmt(bareMs)} bare sql.js, checkpointed copy`,
      ratio: `${(openMs / bareMs).toFixed(2)}×`,
      goal: '<= 1.5×',
      pass: openMs / bareMs <= 1.5,
    });
    rows.push({
      metric: `  peak memory opening it (MB, max RSS)`,
      ours: fmt(rss),
      baseline: `${fmt(bareRss)} bare sql.js`,
      ratio: `${(rss / bareRss).toFixed(2)}×`,
      goal: '<= 1.3×',
      pass: rss / bareRss <= 1.3,
    });
    figures.open = { ours, bare, openMs, bareMs, rssMb: rss, bareRssMb: bareRss };

    // Refresh after the application appends 100 events, beside a fresh open of the same files.
    const store = await EmmettSqliteStore.open({ path: file });
    try {
      const refreshes: number[] = [];
      const reloads: number[] = [];
      for (let i = 0; i < 5; i++) {
        await writer.bulk(100, { streams: 10, prefix: `refresh${i}` });
        const r0 = now();
        const arrived = store.refresh();
        refreshes.push(now() - r0);
        if (arrived.length !== 100) throw new Error(`The refresh returned ${arrived.length} events, not 100.`);
        if (store.lastRefresh.kind !== 'followed')
          throw new Error(`The refresh did not follow the WAL: ${JSON.stringify(store.lastRefresh)}`);
        // The baseline: what a refresh cost before, a full reload of the same files (an open in this process).
        const l0 = now();
        const reloaded = await EmmettSqliteStore.open({ path: file });
        reloads.push(now() - l0);
        await reloaded.close();
      }
      // The first refresh also reads the tables' interior pages and grows sql.js's in-memory file once.
      const refreshMs = median(refreshes.slice(1));
      const reloadMs = median(reloads);
      rows.push({
        metric: `  refresh after 100 appended events, new WAL frames followed: median of 4 (ms)`,
        ours: fmt(refreshMs, 1),
        baseline: `${fmt(reloadMs)} full reload`,
        ratio: `${(refreshMs / reloadMs).toFixed(3)}×`,
        goal: '<= 0.2× (O(new frames))',
        pass: refreshMs / reloadMs <= 0.2,
      });
      rows.push({
        metric: `  the first such refresh (ms)`,
        ours: fmt(refreshes[0]!, 1),
        baseline: `${fmt(reloadMs)} full reload`,
        ratio: `${(refreshes[0]! / reloadMs).toFixed(3)}×`,
        goal: 'info',
      });
      figures.refreshMs = refreshes;
      figures.reloadMs = reloads;

      // Replay seek: read the events around a random position, as the replay's cursor does; a streams page.
      const last = store.lastPosition();
      const seeks: number[] = [];
      let seed = 7;
      for (let i = 0; i < 50; i++) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        const at = 1 + (seed % last);
        const s0 = now();
        store.readEvent(at);
        store.readAll({ after: Math.max(0, at - 50), limit: 100 });
        seeks.push(now() - s0);
      }
      const pages: number[] = [];
      let after: string | undefined;
      for (let i = 0; i < 20; i++) {
        const p0 = now();
        const page = store.listStreams({ limit: 100, ...(after === undefined ? {} : { after }) });
        pages.push(now() - p0);
        after = page[page.length - 1]?.streamId;
      }
      rows.push({
        metric: `  replay seek on it: p50 / p95 (ms)`,
        ours: `${fmt(quantile(seeks, 0.5), 2)} / ${fmt(quantile(seeks, 0.95), 2)}`,
        baseline: '',
        ratio: '',
        goal: 'p95 <= 50 ms',
        pass: quantile(seeks, 0.95) <= 50,
      });
      rows.push({
        metric: `  streams page (100) on it: p50 / p95 (ms)`,
        ours: `${fmt(quantile(pages, 0.5), 2)} / ${fmt(quantile(pages, 0.95), 2)}`,
        baseline: '',
        ratio: '',
        goal: 'p95 <= 50 ms',
        pass: quantile(pages, 0.95) <= 50,
      });
      figures.seekMs = seeks;
      figures.streamPageMs = pages;
    } finally {
      await store.close();
    }
  } finally {
    await writer.close();
  }
  return { rows, figures };
}

// Alone: node out/test/bench/emmettBench.js [EVENTS]
if (require.main === module) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esi-bench-emmett-'));
  benchEmmett(dir, Number(process.argv[2] ?? 1_000_000), (l) => process.stderr.write(`${l}\n`))
    .then(({ rows, figures }) => {
      for (const r of rows)
        process.stdout.write(
          `${r.metric}  ${r.ours}  ${r.baseline}  ${r.ratio}  ${r.goal}  ${r.pass === undefined ? '' : r.pass ? 'ok' : 'MISSED'}\n`,
        );
      process.stdout.write(
        `${JSON.stringify({ bench: 'emmett', ...figures, open: undefined, openFigures: figures.open })}\n`,
      );
    })
    .finally(() => fs.rmSync(dir, { recursive: true, force: true }));
}
