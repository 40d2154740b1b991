import type { EventStore, RecordedEvent } from './types';

/** How long one slice may hold the event loop: well under the 50 ms a window can bear. */
export const DEFAULT_SLICE_MS = 12;
/** Positions in the first slice; the next ones follow the pace of the last. */
const FIRST_SLICE = 256;
// Down to one event: a fold whose events are costly (a large state copied at each) still yields between them.
const MIN_SLICE = 1;
/** A slice grows at most this much over the last: a fast slice (a gap, warm caches) does not make the next huge. */
const MAX_GROWTH = 2;

export interface SliceOptions {
  /** Visit events with a position strictly greater than this (default 0). */
  readonly after?: number;
  /**
   * Up to and including this position. Default: the store's last position, looked up again before
   * each slice, so events appended during a pause are visited too.
   */
  readonly to?: number;
  /** Aim of one slice's work (default DEFAULT_SLICE_MS). */
  readonly sliceMs?: number;
  /** Runs between slices; default: one turn of the event loop (setImmediate). */
  readonly pause?: () => Promise<void>;
  /** Stops the walk before the next slice: it rejects with WalkCancelledError. */
  readonly signal?: AbortSignal;
  /** Positions in the first slice (tests use small ones; the bench one that holds every position, for "in one go"). */
  readonly firstSlice?: number;
  /** After each slice: the last position walked and the position the walk goes to. */
  readonly onProgress?: (at: number, to: number) => void;
}

/** A walk stopped by its AbortSignal (a cancel from a progress notification). */
export class WalkCancelledError extends Error {
  constructor() {
    super('Cancelled.');
    this.name = 'WalkCancelledError';
  }
  static is(e: unknown): e is WalkCancelledError {
    return e instanceof WalkCancelledError;
  }
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Visits the events of a range of positions in order, as `store.forEach` does, but a slice of
 * positions at a time with a turn of the event loop between slices, so a walk over a million events
 * never holds the event loop for long. Each slice is sized from the pace of the last to take about
 * `sliceMs`. A gap in the positions (a foreign store's commands) only makes a slice cheaper.
 * `visit` may return true to stop the walk early. Resolves with the last position walked up to.
 */
export async function forEachInSlices(
  store: Pick<EventStore, 'forEach' | 'lastPosition'>,
  visit: (event: RecordedEvent) => boolean | void,
  options: SliceOptions = {},
): Promise<number> {
  const sliceMs = options.sliceMs ?? DEFAULT_SLICE_MS;
  const pause = options.pause ?? turn;
  const end = () => options.to ?? store.lastPosition();
  let size = Math.max(1, options.firstSlice ?? FIRST_SLICE);
  let at = Math.max(0, options.after ?? 0);
  let stopped = false;
  const onEvent = (event: RecordedEvent) => {
    if (!stopped && visit(event) === true) stopped = true;
  };
  for (;;) {
    if (options.signal?.aborted) throw new WalkCancelledError();
    const to = end();
    if (at >= to) return at;
    const upTo = Math.min(to, at + size);
    const started = performance.now();
    store.forEach(onEvent, { after: at, to: upTo });
    const took = performance.now() - started;
    at = upTo;
    options.onProgress?.(at, to);
    if (stopped) return at;
    if (at >= end()) return at;
    const next = Math.round((size * sliceMs) / Math.max(took, 0.25));
    size = Math.max(MIN_SLICE, Math.min(size * MAX_GROWTH, next));
    await pause();
  }
}

/** What an operation built on forEachInSlices passes on to every walk it makes. */
export type WalkOptions = Pick<SliceOptions, 'sliceMs' | 'pause' | 'signal' | 'onProgress' | 'firstSlice'>;

/** The walk options of `options` alone, without the operation's own. */
export function walkOptions(options: WalkOptions): WalkOptions {
  const { sliceMs, pause, signal, onProgress, firstSlice } = options;
  return {
    ...(sliceMs !== undefined ? { sliceMs } : {}),
    ...(firstSlice !== undefined ? { firstSlice } : {}),
    ...(pause ? { pause } : {}),
    ...(signal ? { signal } : {}),
    ...(onProgress ? { onProgress } : {}),
  };
}

/**
 * Work other than a walk of the store (a comparison of two large states, the end of a derivation)
 * cut at the same budget: call `tick()` after each small piece; when the slice has taken its time
 * it returns the pause to await (undefined otherwise, so a piece costs no promise).
 */
export class SliceClock {
  private readonly sliceMs: number;
  private readonly pause: () => Promise<void>;
  private started = performance.now();

  constructor(private readonly options: WalkOptions = {}) {
    this.sliceMs = options.sliceMs ?? DEFAULT_SLICE_MS;
    this.pause = options.pause ?? turn;
  }

  tick(): Promise<void> | undefined {
    if (performance.now() - this.started < this.sliceMs) return undefined;
    return this.pause().then(() => {
      if (this.options.signal?.aborted) throw new WalkCancelledError();
      this.started = performance.now();
    });
  }
}
