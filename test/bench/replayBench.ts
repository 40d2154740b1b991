// Replay on the host: seek and step at 1k / 100k / 1M events, each figure beside its baseline,
// a fold from position 0 to the same place, measured in the same run.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StoreSession } from '../../src/core/application/session';
import { builtInAggregates } from '../../src/core/domain/aggregates';
import { builtInProjections } from '../../src/core/projections/builtIn';
import { ReplayEngine } from '../../src/core/replay/replayEngine';
import { ReplayView } from '../../src/core/replay/replayView';
import type { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import type { ImportEvent } from '../../src/core/eventStore/types';
import { now, quantile } from './measure';

const USERS = 10_000;

/**
 * A deterministic history across 10k user streams (created, then renamed, sometimes deactivated),
 * imported in large batches (one transaction and one fsync each).
 */
async function fill(store: SqlJsEventStore, events: number): Promise<void> {
  const versions = new Map<number, number>();
  const batch: ImportEvent[] = [];
  for (let i = 0; i < events; i++) {
    const user = Math.floor(i / 10) % USERS;
    const version = versions.get(user) ?? 0;
    versions.set(user, version + 1);
    const type = version === 0 ? 'UserCreated' : version % 97 === 0 ? 'UserDeactivated' : 'UserRenamed';
    const data =
      type === 'UserCreated'
        ? { userId: `u${user}`, name: `User ${user}` }
        : type === 'UserRenamed'
          ? { userId: `u${user}`, oldName: '', name: `User ${user} v${version}` }
          : { userId: `u${user}` };
    batch.push({ streamId: `user-u${user}`, type, data, metadata: { commandType: 'Bench' } });
    if (batch.length === 10_000) await store.importEvents(batch.splice(0));
  }
  if (batch.length > 0) await store.importEvents(batch.splice(0));
}

export interface ReplayFigures {
  readonly events: number;
  readonly readyMs: number;
  readonly seekP50Ms: number;
  readonly seekP95Ms: number;
  readonly foldFromZeroMs: number;
  readonly seekSpeedup: number;
  readonly stepP50Ms: number;
  readonly stepP95Ms: number;
  readonly snapshots: number;
}

export async function benchReplay(events: number, log: (line: string) => void = console.log): Promise<ReplayFigures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esi-bench-replay-'));
  const file = path.join(dir, 'events.db');
  try {
    let session = await StoreSession.open({ path: file });
    const t0 = now();
    await fill(session.store as SqlJsEventStore, events);
    log(`  replay ${events}: filled in ${((now() - t0) / 1000).toFixed(1)} s`);
    session.projector.catchUp();
    await session.close();

    // Panel ready: from an open store to the first step at the present.
    session = await StoreSession.open({ path: file });
    const r0 = now();
    const view = new ReplayView(session.store, session.replay);
    view.step();
    const readyMs = now() - r0;

    // Seeks to random places (a fixed sequence), after the snapshots they need were made once.
    let seed = 42;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const positions = Array.from({ length: 60 }, () => 1 + Math.floor(rnd() * events));
    for (const p of positions.slice(0, 10)) session.replay.step(p);
    const seeks: number[] = [];
    for (const p of positions) {
      const s0 = now();
      session.replay.step(p);
      seeks.push(now() - s0);
    }
    // Steps forward from a place, as the Step forward button does.
    const steps: number[] = [];
    view.seek(Math.floor(events / 2));
    for (let i = 0; i < 100; i++) {
      const s0 = now();
      view.move('next');
      view.step();
      steps.push(now() - s0);
    }
    // Baseline: the same answer by folding from position 0 (no snapshots, no cursor).
    const folds: number[] = [];
    for (const p of positions.slice(0, events >= 1_000_000 ? 2 : 5)) {
      const bare = new ReplayEngine(session.store, builtInProjections, builtInAggregates, Number.MAX_SAFE_INTEGER);
      const f0 = now();
      bare.step(p);
      folds.push(now() - f0);
    }
    const figures: ReplayFigures = {
      events,
      readyMs,
      seekP50Ms: quantile(seeks, 0.5),
      seekP95Ms: quantile(seeks, 0.95),
      foldFromZeroMs: quantile(folds, 0.5),
      seekSpeedup: quantile(folds, 0.5) / quantile(seeks, 0.5),
      stepP50Ms: quantile(steps, 0.5),
      stepP95Ms: quantile(steps, 0.95),
      snapshots: session.replay.snapshotCount,
    };
    await session.close();
    return figures;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  void (async () => {
    const sizes = (process.env.BENCH_SIZES ?? '1000,100000,1000000').split(',').map(Number);
    const rows: ReplayFigures[] = [];
    for (const n of sizes) rows.push(await benchReplay(n));
    console.log(
      '\nreplay (host)        ready ms   seek p50/p95 ms   fold-from-0 ms   seek speed-up   step p50/p95 ms   snapshots',
    );
    for (const r of rows) {
      console.log(
        `${String(r.events).padStart(9)} events  ${r.readyMs.toFixed(1).padStart(8)}   ${r.seekP50Ms.toFixed(2).padStart(6)} / ${r.seekP95Ms.toFixed(2).padEnd(6)}   ${r.foldFromZeroMs.toFixed(1).padStart(12)}   ${r.seekSpeedup.toFixed(0).padStart(10)}×   ${r.stepP50Ms.toFixed(2).padStart(6)} / ${r.stepP95Ms.toFixed(2).padEnd(6)}   ${r.snapshots}`,
      );
    }
    console.log(JSON.stringify({ bench: 'replay', rows }));
  })();
}
