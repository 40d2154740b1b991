/** How long one slice of work may hold the event loop, aiming well under the 50 ms a window can bear. */
export const SLICE_BUDGET_MS = 12;

/**
 * Reads positions (after `from`, up to `to`) in slices sized so that each takes about
 * SLICE_BUDGET_MS, whatever an event costs: the size follows what the last slice took.
 * `pause` runs between slices (a turn of the event loop); `read(after, upTo)` does one slice.
 */
export async function inSlices(
  from: number,
  to: number,
  read: (after: number, upTo: number) => boolean | void,
  options: { readonly pause?: () => Promise<void>; readonly first?: number } = {},
): Promise<void> {
  let size = options.first ?? 200;
  for (let at = from; at < to;) {
    const upTo = Math.min(to, at + size);
    const t0 = performance.now();
    const stop = read(at, upTo);
    const took = performance.now() - t0;
    at = upTo;
    if (stop === true) return;
    size = Math.max(50, Math.min(5000, Math.round(size * Math.min(1.5, SLICE_BUDGET_MS / Math.max(took, 0.5)))));
    if (options.pause && at < to) await options.pause();
  }
}
