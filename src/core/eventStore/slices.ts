/** How long one slice of work may hold the event loop, aiming well under the 50 ms a window can bear. */
export const SLICE_BUDGET_MS = 8;

/**
 * One read within a slice aims at this. The clock is looked at after every read, so a slice ends
 * within about one read of its budget, even when a read meets a garbage collection or cold pages
 * (a slice sized beforehand from the last one's pace overshot by that much and more).
 */
const STEP_MS = 1.5;
// Down to one position: a fold whose events are costly (a large state copied at each) still yields between them.
const MIN_STEP = 1;
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

const isPlainContainer = (v: unknown): v is Record<string, unknown> | unknown[] =>
  v !== null &&
  typeof v === 'object' &&
  typeof (v as { toJSON?: unknown }).toJSON !== 'function' &&
  (Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

/**
 * The UTF-8 bytes of `JSON.stringify(value)` for plain data (objects, arrays, primitives), written a
 * piece at a time with `pause` whenever about `budgetMs` of work was done: the read models of a large
 * store are tens of megabytes of JSON, a good part of a second in one call. Objects and arrays are
 * walked down to the ones holding a few primitive values, each of which (and anything that is not plain
 * data, e.g. a Date) goes through JSON.stringify itself, so the text is the same. Undefined for what
 * JSON.stringify gives undefined.
 */
export async function jsonBytesInSlices(
  value: unknown,
  options: { readonly pause: () => Promise<void>; readonly budgetMs?: number },
): Promise<Buffer | undefined> {
  const budget = options.budgetMs ?? SLICE_BUDGET_MS;
  const chunks: Buffer[] = [];
  const parts: string[] = [];
  let sliceStart = performance.now();
  let sinceLook = 0;
  // Only called between the entries of a container, where every piece in `parts` is final.
  const maybePause = async () => {
    if (++sinceLook < 64) return;
    sinceLook = 0;
    if (parts.length > 4096) chunks.push(Buffer.from(parts.splice(0).join('')));
    if (performance.now() - sliceStart < budget) return;
    await options.pause();
    sliceStart = performance.now();
  };
  const write = async (v: unknown): Promise<boolean> => {
    if (isPlainContainer(v)) {
      const array = Array.isArray(v);
      const keys = array ? undefined : Object.keys(v);
      const n = array ? v.length : keys!.length;
      const walk = n > 8 || (array ? v : keys!.map((k) => (v as Record<string, unknown>)[k])).some(isPlainContainer);
      if (walk) {
        parts.push(array ? '[' : '{');
        let first = true;
        for (let i = 0; i < n; i++) {
          if (array) {
            if (!first) parts.push(',');
            first = false;
            if (!(await write(v[i]))) parts.push('null');
          } else {
            const key = keys![i]!;
            const mark = parts.length;
            parts.push(first ? '' : ',', JSON.stringify(key), ':');
            if (await write((v as Record<string, unknown>)[key])) first = false;
            else parts.length = mark; // undefined, a function, a symbol: left out, as JSON.stringify does
          }
          await maybePause();
        }
        parts.push(array ? ']' : '}');
        return true;
      }
    }
    const text = JSON.stringify(v);
    if (text === undefined) return false;
    parts.push(text);
    return true;
  };
  if (!(await write(value))) return undefined;
  chunks.push(Buffer.from(parts.join('')));
  return Buffer.concat(chunks);
}
