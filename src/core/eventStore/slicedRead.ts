import { inSlices, SLICE_BUDGET_MS } from './slices';
import type { EventStore, RecordedEvent } from './types';

export interface SliceOptions {
  /** Visit events with a position strictly greater than this (default 0). */
  readonly after?: number;
  /**
   * Up to and including this position. Default: the store's last position, looked up again when
   * the walk gets there, so events appended during a pause are visited too.
   */
  readonly to?: number;
  /** The time one slice may take (default SLICE_BUDGET_MS). */
  readonly sliceMs?: number;
  /** Runs between slices; default: one turn of the event loop (setImmediate). */
  readonly pause?: () => Promise<void>;
  /** Stops the walk before its next read: it rejects with WalkCancelledError. */
  readonly signal?: AbortSignal;
  /** Positions of the first read, a slice alone (the bench passes one that holds every position, for "in one go"). */
  readonly firstSlice?: number;
  /** After each read: the last position walked and the position the walk goes to. */
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
 * Visits the events of a range of positions in order, as `store.forEach` does, but in slices (see
 * inSlices: small reads until the slice's time is spent) with a turn of the event loop between
 * them, so a walk over a million events never holds the event loop for long. A gap in the positions
 * (a foreign store's commands) only makes a read cheaper. `visit` may return true to stop the walk
 * early. Resolves with the last position walked up to.
 */
export async function forEachInSlices(
  store: Pick<EventStore, 'forEach' | 'lastPosition'>,
  visit: (event: RecordedEvent) => boolean | void,
  options: SliceOptions = {},
): Promise<number> {
  const pause = options.pause ?? turn;
  const end = () => options.to ?? store.lastPosition();
  let at = Math.max(0, options.after ?? 0);
  let stopped = false;
  const onEvent = (event: RecordedEvent) => {
    if (!stopped && visit(event) === true) stopped = true;
  };
  if (options.signal?.aborted) throw new WalkCancelledError();
  for (let to = end(); at < to && !stopped; to = end()) {
    await inSlices(
      at,
      to,
      (after, upTo) => {
        if (options.signal?.aborted) throw new WalkCancelledError();
        store.forEach(onEvent, { after, to: upTo });
        at = upTo;
        options.onProgress?.(at, to);
        return stopped;
      },
      {
        pause: async () => {
          await pause();
          if (options.signal?.aborted) throw new WalkCancelledError();
        },
        budgetMs: options.sliceMs ?? SLICE_BUDGET_MS,
        ...(options.firstSlice !== undefined ? { first: options.firstSlice } : {}),
      },
    );
    // More was appended during the last pause: a turn first, then on with it.
    if (!stopped && at < end()) await pause();
  }
  return at;
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
    this.sliceMs = options.sliceMs ?? SLICE_BUDGET_MS;
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
