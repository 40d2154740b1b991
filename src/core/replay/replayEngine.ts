import { aggregateForStream, type AggregateDefinition } from '../domain/aggregates';
import { fold, type Message } from '../domain/decider';
import type { EventStore, RecordedEvent } from '../eventStore/types';
import { canHandle, type Projection } from '../projections/projection';
import { diffJson, type Change } from './diff';

export interface StreamStateAtStep {
  readonly streamId: string;
  readonly aggregate: string | undefined;
  readonly version: number;
  readonly before: unknown;
  readonly after: unknown;
  readonly changes: readonly Change[];
}

export interface ReadModelAtStep {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly state: unknown;
  /** Did the event at this step reach this read model (does it handle that event type)? */
  readonly handled: boolean;
  readonly changes: readonly Change[];
}

export interface ReplayStep {
  /** Events applied so far: 0 is before the first event, `total` is the present. */
  readonly position: number;
  readonly total: number;
  /** The event applied last, at `position` (none at 0). */
  readonly event: RecordedEvent | undefined;
  readonly stream: StreamStateAtStep | undefined;
  readonly readModels: readonly ReadModelAtStep[];
  /** One plain-language sentence about this step. */
  readonly explanation: string;
}

interface Snapshot {
  readonly position: number;
  readonly states: ReadonlyMap<string, unknown>;
}

const clone = <T>(value: T): T => structuredClone(value);

/**
 * Travels through the global stream: the state of every read model after any number of events.
 * Snapshots of the read models are kept every `snapshotEvery` events, so a seek folds at most that many.
 */
export class ReplayEngine {
  private readonly snapshots: Snapshot[] = [];

  constructor(
    private readonly store: EventStore,
    private readonly projections: readonly Projection[],
    private readonly aggregates: readonly AggregateDefinition[],
    private readonly snapshotEvery = 1000,
  ) {
    this.snapshots.push({ position: 0, states: new Map(projections.map((p) => [p.name, p.initialState()])) });
  }

  get total(): number {
    return this.store.lastPosition();
  }

  /** The read-model states after `position` events (fresh objects the caller may keep). */
  statesAt(position: number): Map<string, unknown> {
    const target = Math.max(0, Math.min(position, this.total));
    let base = this.snapshots[0]!;
    for (const s of this.snapshots) if (s.position <= target && s.position > base.position) base = s;
    const states = new Map([...base.states].map(([k, v]) => [k, clone(v)]));
    this.store.forEach(
      (event) => {
        this.apply(states, event);
        this.remember(event.globalPosition, states);
      },
      { after: base.position, to: target },
    );
    return states;
  }

  step(position: number): ReplayStep {
    const total = this.total;
    const target = Math.max(0, Math.min(Math.trunc(position), total));
    if (target === 0) {
      const states = this.statesAt(0);
      return {
        position: 0,
        total,
        event: undefined,
        stream: undefined,
        readModels: this.projections.map((p) => ({ name: p.name, title: p.title, description: p.description, state: states.get(p.name), handled: false, changes: [] })),
        explanation: total === 0 ? 'The store is empty: issue a command to append the first event.' : `Before the first event: every read model is empty. ${total} events follow.`,
      };
    }
    const before = this.statesAt(target - 1);
    const event = this.store.readEvent(target);
    if (!event) throw new Error(`No event at position ${target}.`);
    const after = new Map([...before].map(([k, v]) => [k, clone(v)]));
    this.apply(after, event);
    const readModels = this.projections.map((p) => ({
      name: p.name,
      title: p.title,
      description: p.description,
      state: after.get(p.name),
      handled: canHandle(p, event),
      changes: diffJson(before.get(p.name), after.get(p.name)),
    }));
    const stream = this.streamState(event);
    const reached = readModels.filter((r) => r.handled).length;
    return {
      position: target,
      total,
      event,
      stream,
      readModels,
      explanation: `${event.type} appended to ${event.streamId} (version ${event.streamVersion}) at position ${event.globalPosition}; delivered to ${reached} read model${reached === 1 ? '' : 's'}${
        reached < readModels.length ? ` (${readModels.length - reached} ignore this type)` : ''
      }.`,
    };
  }

  private streamState(event: RecordedEvent): StreamStateAtStep {
    const aggregate = aggregateForStream(this.aggregates, event.streamId);
    const history = this.store.readStream(event.streamId, { limit: event.streamVersion });
    const prior = history.slice(0, -1) as unknown as Message[];
    if (!aggregate) {
      return { streamId: event.streamId, aggregate: undefined, version: event.streamVersion, before: undefined, after: undefined, changes: [] };
    }
    const before = fold(aggregate.decider, prior);
    const after = aggregate.decider.evolve(clone(before), event as unknown as Message);
    return { streamId: event.streamId, aggregate: aggregate.name, version: event.streamVersion, before, after, changes: diffJson(before, after) };
  }

  private apply(states: Map<string, unknown>, event: RecordedEvent): void {
    for (const p of this.projections) if (canHandle(p, event)) states.set(p.name, p.evolve(states.get(p.name), event));
  }

  private remember(position: number, states: Map<string, unknown>): void {
    if (position % this.snapshotEvery !== 0) return;
    if (this.snapshots.some((s) => s.position === position)) return;
    this.snapshots.push({ position, states: new Map([...states].map(([k, v]) => [k, clone(v)])) });
    this.snapshots.sort((a, b) => a.position - b.position);
  }
}
