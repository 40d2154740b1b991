// Blame and the drift check at 1k / 100k / 1M events, each beside its baseline measured in the same
// run: blame against a plain fold with a diff at every step (what the replay does per step), the
// drift check against one plain rebuild of the same read models.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Projector } from '../../src/core/application/projector';
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import { blameReadModel } from '../../src/core/history/blame';
import { checkReadModels } from '../../src/core/history/drift';
import { builtInProjections } from '../../src/core/projections/builtIn';
import { copyState, type Projection } from '../../src/core/projections/projection';
import { usersDirectory } from '../../src/core/projections/usersDirectory';
import { diffJson } from '../../src/core/replay/diff';
import { benchEvents } from './benchEvents';
import { now } from './measure';

/** Up to this size the baseline folds with a diff at every step over all events; above, over a prefix, then scales. */
const BASELINE_FULL_UP_TO = 10_000;
const BASELINE_PREFIX = 5_000;

export interface BlameFigures {
  readonly events: number;
  readonly users: number;
  /** Blame of one user's name in the Users directory, from position 0 (best of 3). */
  readonly blameMs: number;
  readonly changes: number;
  /** A fold of the same read model with a copy and a diff at every step. */
  readonly foldWithDiffMs: number;
  /** True when the baseline was measured over the first BASELINE_MAX_EVENTS and scaled to all of them. */
  readonly baselineScaled: boolean;
  readonly blameRatio: number;
  /** A plain fold of the same read model, without a diff: what blame adds to reading and folding. */
  readonly plainFoldMs: number;
  /** Check Read Models over every built-in read model (folds each twice). */
  readonly driftMs: number;
  /** One plain rebuild of the same read models (the projector's). */
  readonly rebuildMs: number;
  readonly driftRatio: number;
}

const best = (runs: number, f: () => void): number => {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = now();
    f();
    min = Math.min(min, now() - t);
  }
  return min;
};

const bestAsync = async (runs: number, f: () => Promise<void>): Promise<number> => {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = now();
    await f();
    min = Math.min(min, now() - t);
  }
  return min;
};

/** What blame would cost without path extraction: a copy and a full diff of the read model at every event. */
function foldWithDiff(store: SqlJsEventStore, projection: Projection, to: number): number {
  let state = projection.initialState();
  let changes = 0;
  store.forEach(
    (event) => {
      if (!projection.eventTypes.includes(event.type)) return;
      const after = projection.evolve(copyState(projection, state), event);
      changes += diffJson(state, after).length;
      state = after;
    },
    { to },
  );
  return changes;
}

export async function benchBlame(events: number, log: (line: string) => void = console.log): Promise<BlameFigures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esi-bench-blame-'));
  const file = path.join(dir, 'events.db');
  try {
    const writer = await SqlJsEventStore.open({ path: file });
    for (let i = 0; i < events; i += 10_000)
      await writer.importEvents(benchEvents(i, Math.min(10_000, events - i), events));
    await writer.close();
    const store = await SqlJsEventStore.open({ path: file, readOnly: true });
    try {
      const users = Math.max(1, Math.floor(events / 20));
      // A user in the middle of the id range: renamed about 20 times over the whole history.
      const target = ['users', `u${Math.floor(users / 2)}`, 'name'];
      let changes = 0;
      let blameMs = Infinity;
      let plainFoldMs = Infinity;
      for (let i = 0; i < 3; i++) {
        blameMs = Math.min(
          blameMs,
          await bestAsync(1, async () => {
            changes = (await blameReadModel(store, usersDirectory, target)).changes.length;
          }),
        );
        plainFoldMs = Math.min(
          plainFoldMs,
          best(1, () => {
            let state = usersDirectory.initialState();
            store.forEach((e) => {
              if (usersDirectory.eventTypes.includes(e.type as never)) state = usersDirectory.evolve(state, e as never);
            });
          }),
        );
      }
      // The fold with a diff at every step costs the size of the state at every step (a copy and a
      // diff of 5k users per event at 100k, 50k at 1M): over the whole history it takes many minutes.
      // Above 10k events it is measured over the first 5k and scaled linearly, which only
      // underestimates it: the state it copies and diffs keeps growing after those.
      const measured = events <= BASELINE_FULL_UP_TO ? events : BASELINE_PREFIX;
      const baselineRuns = measured >= BASELINE_PREFIX ? 1 : 3;
      const foldWithDiffMs =
        (best(baselineRuns, () => foldWithDiff(store, usersDirectory as Projection, measured)) * events) / measured;
      // Interleaved, best of each: on a shared machine the load moves, and both sides see the same.
      const runs = 3;
      const live = new Projector(store, builtInProjections, undefined);
      live.start();
      let driftOnlyMs = Infinity;
      let rebuildMs = Infinity;
      for (let i = 0; i < runs; i++) {
        driftOnlyMs = Math.min(
          driftOnlyMs,
          await bestAsync(1, async () => {
            const reports = await checkReadModels(store, builtInProjections, live);
            if (reports.some((r) => r.status !== 'clean')) throw new Error('the bench store drifted');
          }),
        );
        rebuildMs = Math.min(
          rebuildMs,
          best(1, () => {
            new Projector(store, builtInProjections, undefined).rebuild();
          }),
        );
      }
      const figures: BlameFigures = {
        events,
        users,
        blameMs,
        changes,
        foldWithDiffMs,
        baselineScaled: measured < events,
        blameRatio: blameMs / foldWithDiffMs,
        plainFoldMs,
        driftMs: driftOnlyMs,
        rebuildMs,
        driftRatio: driftOnlyMs / rebuildMs,
      };
      log(
        `blame ${events}: ${blameMs.toFixed(0)} ms (${changes} changes) vs fold+diff ${foldWithDiffMs.toFixed(0)} ms${figures.baselineScaled ? ' (scaled)' : ''}, plain fold ${plainFoldMs.toFixed(0)} ms; drift ${driftOnlyMs.toFixed(0)} ms vs rebuild ${rebuildMs.toFixed(0)} ms`,
      );
      return figures;
    } finally {
      await store.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
