// Folds over the whole store that run on the extension host (Check Read Models, Compare with the
// Previous Version, the history of a value, the event model), each in one go against in slices
// (forEachInSlices): the wall time of both, and the longest event-loop delay of this process while
// they run, beside an idle loop of the same length.
//   BENCH_ONLY=hostfree npm run bench   only this part (sizes from BENCH_SIZES; rounds BENCH_HOSTFREE_ROUNDS).
import * as os from 'node:os';
import { Projector } from '../../src/core/application/projector';
import type { WalkOptions } from '../../src/core/eventStore/slicedRead';
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import { blameReadModel } from '../../src/core/history/blame';
import { compareVersions } from '../../src/core/history/compareVersions';
import { checkReadModels } from '../../src/core/history/drift';
import { builtInProjections } from '../../src/core/projections/builtIn';
import type { Projection } from '../../src/core/projections/projection';
import { summary, type SummaryState } from '../../src/core/projections/summary';
import { usersDirectory } from '../../src/core/projections/usersDirectory';
import { eventModelOfStore } from '../../src/core/system/eventModel';
import { benchEvents } from './benchEvents';
import { fmt, maxLoopDelay, type BenchRow } from './measure';

/** "In one go": one slice that holds every position, and nothing between slices; what the folds did before. */
const IN_ONE_GO: WalkOptions = { firstSlice: Number.MAX_SAFE_INTEGER, pause: () => Promise.resolve() };

interface Measured {
  readonly wallMs: number;
  readonly loopMaxMs: number;
}

/** The largest delay of this process's event loop while `work` runs (see maxLoopDelay), and its wall time. */
async function measure(work: () => Promise<unknown>): Promise<Measured> {
  const m = await maxLoopDelay(work);
  return { wallMs: m.wallMs, loopMaxMs: m.ms };
}

/** A version of the Summary read model with a fix: renames are counted too (every rename differs). */
const summaryFixed: Projection<SummaryState> = {
  ...summary,
  evolve(state, event) {
    const next = summary.evolve(state, event);
    if (event.type === 'UserRenamed') next.eventsByType.renames = (next.eventsByType.renames ?? 0) + 1;
    return next;
  },
};

interface Operation {
  readonly name: string;
  /** Runs it with these walk options; returns a fingerprint of the result, equal in one go and in slices. */
  run(walk: WalkOptions): Promise<string>;
}

export interface HostfreeFigures {
  readonly events: number;
  readonly operation: string;
  readonly oneGo: Measured;
  readonly sliced: Measured;
  readonly idleLoopMaxMs: number;
  readonly ratio: number;
}

async function buildStore(total: number): Promise<SqlJsEventStore> {
  const store = await SqlJsEventStore.open({});
  for (let i = 0; i < total; i += 10_000) {
    // Each bench event names its command, as the command handler's events do (the event model reads it).
    const batch = benchEvents(i, Math.min(10_000, total - i), total).map((e, k) => ({
      ...e,
      metadata: { ...e.metadata, commandId: `cmd-${i + k}` },
    }));
    await store.importEvents(batch);
  }
  return store;
}

export async function benchHostfree(
  sizes: readonly number[],
  log: (line: string) => void,
): Promise<{ rows: BenchRow[]; figures: HostfreeFigures[] }> {
  const rows: BenchRow[] = [];
  const figures: HostfreeFigures[] = [];
  for (const total of sizes) {
    const rounds = Number(process.env.BENCH_HOSTFREE_ROUNDS ?? (total >= 1_000_000 ? 1 : 3));
    log(`folds in one go and in slices on ${fmt(total)} events (best of ${rounds})...`);
    const store = await buildStore(total);
    try {
      const live = new Projector(store, builtInProjections, undefined);
      live.start();
      const users = Math.max(1, Math.floor(total / 20));
      const target = ['users', `u${Math.floor(users / 2)}`, 'name'];
      const operations: Operation[] = [
        {
          name: 'check read models (the built-in ones, folded twice)',
          run: async (walk) => {
            const reports = await checkReadModels(store, builtInProjections, live, walk);
            if (reports.some((r) => r.status !== 'clean')) throw new Error('the bench store drifted');
            return JSON.stringify(reports);
          },
        },
        {
          name: 'compare versions (Summary and a fix of it)',
          run: async (walk) => JSON.stringify(await compareVersions(store, [summary], [summaryFixed], walk)),
        },
        {
          name: 'blame of one value (a user name)',
          run: async (walk) => JSON.stringify(await blameReadModel(store, usersDirectory, target, walk)),
        },
        {
          name: 'event model',
          run: async (walk) => JSON.stringify(await eventModelOfStore(store, [], builtInProjections, walk)),
        },
      ];
      for (const op of operations) {
        let oneGo: Measured = { wallMs: Infinity, loopMaxMs: Infinity };
        let sliced: Measured = { wallMs: Infinity, loopMaxMs: Infinity };
        let whole = '';
        let inSlices = '';
        // Interleaved, best of each: on a shared machine the load moves, and both sides see the same.
        for (let r = 0; r < rounds; r++) {
          const a = await measure(async () => (whole = await op.run(IN_ONE_GO)));
          const b = await measure(async () => (inSlices = await op.run({})));
          if (a.wallMs < oneGo.wallMs) oneGo = a;
          if (b.wallMs < sliced.wallMs) sliced = b;
        }
        if (whole !== inSlices) throw new Error(`${op.name}: the result in slices differs from the one in one go`);
        // The floor: the same process doing nothing for as long (a loaded machine delays it too).
        const idle = await measure(() => new Promise((resolve) => setTimeout(resolve, sliced.wallMs)));
        const ratio = sliced.wallMs / oneGo.wallMs;
        const judged = total >= 1_000_000;
        rows.push({
          metric: `${op.name}, ${fmt(total)} events: in slices / in one go (ms)`,
          ours: fmt(sliced.wallMs, 0),
          baseline: `${fmt(oneGo.wallMs, 0)} in one go`,
          ratio: `${ratio.toFixed(2)}×`,
          goal: 'info',
        });
        rows.push({
          metric: `  event-loop delay during it, in slices (max ms)`,
          ours: fmt(sliced.loopMaxMs, 1),
          baseline: `${fmt(oneGo.loopMaxMs, 1)} in one go; ${fmt(idle.loopMaxMs, 1)} idle as long`,
          ratio: '',
          goal: judged ? '<= 50 ms' : 'info',
          ...(judged ? { pass: sliced.loopMaxMs <= 50 } : {}),
        });
        figures.push({ events: total, operation: op.name, oneGo, sliced, idleLoopMaxMs: idle.loopMaxMs, ratio });
        log(
          `  ${op.name}: ${fmt(sliced.wallMs)} ms in slices (max delay ${fmt(sliced.loopMaxMs, 1)}), ${fmt(oneGo.wallMs)} ms in one go (max delay ${fmt(oneGo.loopMaxMs, 1)}); idle ${fmt(idle.loopMaxMs, 1)}; load ${os.loadavg()[0]!.toFixed(2)}`,
        );
      }
    } finally {
      await store.close();
    }
  }
  return { rows, figures };
}
