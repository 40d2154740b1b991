// The event model derived from traffic (`Show Event Model`), against the bare scan it is built on:
// reading every event of the same store once. Growth with store size shows whether deriving adds
// more than a constant factor to reading.
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import { builtInProjections } from '../../src/core/projections/builtIn';
import { eventModelOfStore } from '../../src/core/system/eventModel';
import { benchEvents } from './benchEvents';

export interface EventModelFigures {
  readonly events: number;
  readonly modelMs: number;
  readonly scanMs: number;
  readonly slices: number;
}

const now = () => performance.now();

/** Best of `rounds`: the machine is shared, the minimum is the cost itself. */
function best(rounds: number, run: () => void): number {
  let min = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    const t0 = now();
    run();
    min = Math.min(min, now() - t0);
  }
  return min;
}

async function bestAsync(rounds: number, run: () => Promise<void>): Promise<number> {
  let min = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    const t0 = now();
    await run();
    min = Math.min(min, now() - t0);
  }
  return min;
}

export async function benchEventModel(total: number, rounds = 3): Promise<EventModelFigures> {
  const store = await SqlJsEventStore.open({});
  try {
    for (let i = 0; i < total; i += 10_000) {
      // Each bench event names its command, as the command handler's events do.
      const batch = benchEvents(i, Math.min(10_000, total - i), total).map((e, k) => ({
        ...e,
        metadata: { ...e.metadata, commandId: `cmd-${i + k}` },
      }));
      await store.importEvents(batch);
    }
    let slices = 0;
    const modelMs = await bestAsync(rounds, async () => {
      slices = (await eventModelOfStore(store, [], builtInProjections)).slices.length;
    });
    let seen = 0;
    const scanMs = best(rounds, () => {
      seen = 0;
      store.forEach((e) => {
        if (e.metadata.commandId !== undefined) seen++;
      });
    });
    if (seen !== total) throw new Error(`the scan saw ${seen} of ${total} events`);
    return { events: total, modelMs, scanMs, slices };
  } finally {
    await store.close();
  }
}
