import type { AggregateDefinition } from '../domain/aggregates';
import { aggregateForStream } from '../domain/aggregates';
import { forEachInSlices, walkOptions, type WalkOptions } from '../eventStore/slicedRead';
import type { RecordedEvent } from '../eventStore/types';
import type { StoreReader } from '../formats/storeReader';
import { faultOf, type ProjectionFault } from '../projections/fault';
import { canHandle, type Projection } from '../projections/projection';
import { cloneJson } from '../../shared/json';
import { jsonEqual, MISSING, valueAt, type ValuePath } from './valuePath';

/** One event that changed the value: where it is in the store, and the value before and after it. */
export interface ValueChange {
  readonly globalPosition: number;
  readonly type: string;
  readonly streamId: string;
  readonly streamVersion: number;
  readonly eventId: string;
  readonly recordedAt: string;
  /** added: the path did not lead anywhere before; removed: it leads nowhere after. */
  readonly kind: 'added' | 'removed' | 'changed';
  readonly before?: unknown;
  readonly after?: unknown;
}

export type BlameSubject =
  | { readonly kind: 'readModel'; readonly name: string; readonly title: string }
  | { readonly kind: 'stream'; readonly streamId: string; readonly aggregate: string };

export interface BlameResult {
  readonly subject: BlameSubject;
  readonly path: ValuePath;
  /** Newest first. */
  readonly changes: readonly ValueChange[];
  /** The value at the end (MISSING when the path leads nowhere). */
  readonly value: unknown;
  /** The last position folded. */
  readonly upTo: number;
  /** Set when the read model (or decider) threw: the history stops before that event. */
  readonly fault?: ProjectionFault;
}

export interface BlameOptions {
  /** Fold up to this position (default: the last). */
  readonly to?: number;
}

/**
 * Follows one value through the fold. Only the value at the path is looked at after each event
 * (a walk of a few keys), never the whole state: a value that did not change costs one comparison.
 * Objects are copied only when they change, because evolve may change its state in place.
 */
class ValueTracker {
  readonly changes: ValueChange[] = [];
  private previous: unknown;

  constructor(
    private readonly path: ValuePath,
    initial: unknown,
  ) {
    this.previous = keep(valueAt(initial, path));
  }

  /** Looks at the value after `event`; records a change when it differs from the one before. */
  after(event: RecordedEvent, state: unknown): void {
    const current = valueAt(state, this.path);
    const before = this.previous;
    if (current === before || (typeof current === 'object' && typeof before === 'object' && jsonEqual(before, current)))
      return;
    const after = keep(current);
    this.changes.push({
      globalPosition: event.globalPosition,
      type: event.type,
      streamId: event.streamId,
      streamVersion: event.streamVersion,
      eventId: event.eventId,
      recordedAt: event.recordedAt,
      kind: before === MISSING ? 'added' : after === MISSING ? 'removed' : 'changed',
      ...(before === MISSING ? {} : { before }),
      ...(after === MISSING ? {} : { after }),
    });
    this.previous = after;
  }

  get value(): unknown {
    return this.previous;
  }
}

const keep = (value: unknown): unknown => (value !== null && typeof value === 'object' ? cloneJson(value) : value);

/** Every event that changed the value at `path` of a read model, newest first; the store is read in slices. */
export async function blameReadModel(
  store: Pick<StoreReader, 'forEach' | 'lastPosition'>,
  projection: Projection,
  path: ValuePath,
  options: BlameOptions & WalkOptions = {},
): Promise<BlameResult> {
  const to = Math.min(options.to ?? Infinity, store.lastPosition());
  let state = projection.initialState();
  const tracker = new ValueTracker(path, state);
  let fault: ProjectionFault | undefined;
  let upTo = 0;
  await forEachInSlices(
    store,
    (event) => {
      if (fault) return true;
      if (canHandle(projection, event)) {
        try {
          state = projection.evolve(state, event);
        } catch (e) {
          fault = faultOf(projection, event, e);
          return;
        }
        tracker.after(event, state);
      }
      upTo = event.globalPosition;
    },
    { ...walkOptions(options), to },
  );
  return {
    subject: { kind: 'readModel', name: projection.name, title: projection.title },
    path,
    changes: tracker.changes.reverse(),
    value: tracker.value,
    upTo: fault ? fault.position - 1 : Math.max(upTo, to),
    ...(fault ? { fault } : {}),
  };
}

export class UnknownStreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownStreamError';
  }
  static is(e: unknown): e is UnknownStreamError {
    return e instanceof UnknownStreamError;
  }
}

/** Every event of a stream that changed the value at `path` of its write-model state, newest first. */
export function blameStream(
  store: Pick<StoreReader, 'readStream'>,
  aggregates: readonly AggregateDefinition[],
  streamId: string,
  path: ValuePath,
  options: BlameOptions = {},
): BlameResult {
  const aggregate = aggregateForStream(aggregates, streamId);
  if (!aggregate)
    throw new UnknownStreamError(
      `No aggregate owns the stream ${JSON.stringify(streamId)} (known prefixes: ${aggregates.map((a) => a.streamPrefix).join(', ') || 'none'}), so it has no write-model state.`,
    );
  const events = store.readStream(streamId).filter((e) => e.globalPosition <= (options.to ?? Infinity));
  if (events.length === 0) throw new UnknownStreamError(`The stream ${JSON.stringify(streamId)} has no events.`);
  let state = aggregate.decider.initialState();
  const tracker = new ValueTracker(path, state);
  let fault: ProjectionFault | undefined;
  for (const event of events) {
    try {
      state = aggregate.decider.evolve(state, event);
    } catch (e) {
      fault = faultOf({ name: aggregate.name }, event, e);
      break;
    }
    tracker.after(event, state);
  }
  return {
    subject: { kind: 'stream', streamId, aggregate: aggregate.name },
    path,
    changes: tracker.changes.reverse(),
    value: tracker.value,
    upTo: fault ? fault.position - 1 : (events[events.length - 1]?.globalPosition ?? 0),
    ...(fault ? { fault } : {}),
  };
}
