/** How long one slice of work may hold the event loop, aiming well under the 50 ms a window can bear. */
export const SLICE_BUDGET_MS = 8;

/**
 * One read within a slice aims at this. The clock is looked at after every read, so a slice ends
 * within about one read of its budget, even when a read meets a garbage collection or cold pages
 * (a slice sized beforehand from the last one's pace overshot by that much and more).
 */
const STEP_MS = 1.5;
const MIN_STEP = 10;
const MAX_STEP = 2000;

/**
 * Reads positions (after `from`, up to `to`) in slices of about `budgetMs` each (SLICE_BUDGET_MS by
 * default), whatever an event costs: each slice is a run of small reads, `read(after, upTo)`, the
 * number of positions of the next read following the pace of the last one. `pause` runs between
 * slices (a turn of the event loop). `first`: positions of the first read, which is a slice alone.
 * `read` returns true to stop, or a position (at most `upTo`) to say how far it read and end the slice
 * there (e.g. before a step that is costly by itself).
 */
export async function inSlices(
  from: number,
  to: number,
  read: (after: number, upTo: number) => boolean | number | void,
  options: { readonly pause?: () => Promise<void>; readonly first?: number; readonly budgetMs?: number } = {},
): Promise<void> {
  const budget = options.budgetMs ?? SLICE_BUDGET_MS;
  let size = options.first ?? 100;
  let endAfterOne = options.first !== undefined;
  for (let at = from; at < to;) {
    const sliceStart = performance.now();
    let endSlice = endAfterOne;
    endAfterOne = false;
    do {
      const upTo = Math.min(to, at + size);
      const t0 = performance.now();
      const result = read(at, upTo);
      const took = performance.now() - t0;
      if (result === true) return;
      if (typeof result === 'number') {
        // A short read ends the slice; it still moves on (by at least one position), never backwards.
        at = Math.max(at + 1, Math.min(result, upTo));
        endSlice = true;
      } else {
        at = upTo;
        size = Math.max(MIN_STEP, Math.min(MAX_STEP, Math.round(size * Math.min(2, STEP_MS / Math.max(took, 0.05)))));
      }
    } while (!endSlice && at < to && performance.now() - sliceStart < budget);
    if (options.pause && at < to) await options.pause();
  }
}
