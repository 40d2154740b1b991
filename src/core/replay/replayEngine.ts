import { aggregateForStream, type AggregateDefinition } from '../domain/aggregates';
import { fold } from '../domain/decider';
import type { EventStore, RecordedEvent } from '../eventStore/types';
import { faultOf, type ProjectionFault } from '../projections/fault';
import { canHandle, copyState, type Projection } from '../projections/projection';
import { cloneJson } from '../../shared/json';
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
  /** Set from the position of the event it threw on: the state shown is the one before that event. */
  readonly fault?: ProjectionFault;
}

export interface ReplayStep {
  /** Events applied so far: 0 is before the first event, `total` is the present. */
  readonly position: number;
  readonly total: number;
  /** The event at `position` (none at 0). */
  readonly event: RecordedEvent | undefined;
  /** True when the event at `position` is skipped in what-if mode: it changes nothing. */
  readonly skipped: boolean;
  readonly stream: StreamStateAtStep | undefined;
  readonly readModels: readonly ReadModelAtStep[];
  /** One plain-language sentence about this step. */
  readonly explanation: string;
}

type States = Map<string, unknown>;

interface Snapshot {
  readonly position: number;
  readonly states: States;
}

/**
 * Events between two replay snapshots: at least 1000, and about 400 snapshots at most, so a seek
 * folds a bounded number of events (2,500 at most at a million; a jump lands on average halfway) and
 * the snapshots' memory does not grow with the stream (read models copy shallowly: a snapshot of a
 * 5,000-user directory holds 5,000 references, not 5,000 users).
 */
export const replaySnapshotInterval = (events: number): number => Math.max(1000, Math.ceil(events / 400 / 500) * 500);

// Read-model and decider states are JSON (they are saved as JSON), so a JSON copy is a faithful one.
const clone = cloneJson;
const NO_SKIPS: ReadonlySet<number> = new Set();
const FAULTED: unique symbol = Symbol('faulted');
/** Copies kept near the cursor for stepping back (a few snapshot intervals' worth). */
const MAX_LOCAL_POINTS = 64;
const keyOf = (skipped: ReadonlySet<number>): string =>
  skipped.size ? [...skipped].sort((a, b) => a - b).join(',') : '';

/**
 * Travels through the global stream: the state of every read model after any number of events.
 * Snapshots of the real history are kept every `snapshotEvery` events, so a seek folds at most that
 * many events; the last computed position is kept too, so stepping forward folds one.
 * In what-if mode some events are skipped: they are folded around, and never removed from the store.
 */
export class ReplayEngine {
  private readonly snapshots: Snapshot[] = [];
  /** The last states computed, with the skip set they were computed under. */
  private cursor: { position: number; states: States; skips: string } | undefined;
  /**
   * Copies taken every `localEvery` events while folding towards an earlier position, so that
   * stepping back again (a held key) folds a few hundred events instead of a snapshot interval.
   */
  private local: { skips: string; points: Snapshot[] } = { skips: '', points: [] };
  /** Where the background fold (warm) stands, with its own states. */
  private warming: Snapshot | undefined;
  /** Read models found to throw, by name, at the earliest position seen: they apply nothing from there on. */
  private readonly faults = new Map<string, ProjectionFault>();

  constructor(
    private readonly store: EventStore,
    readonly projections: readonly Projection[],
    private readonly aggregates: readonly AggregateDefinition[],
    readonly snapshotEvery = replaySnapshotInterval(store.lastPosition()),
    readonly localEvery = Math.max(50, Math.ceil(snapshotEvery / 20)),
  ) {
    this.snapshots.push({ position: 0, states: new Map(projections.map((p) => [p.name, p.initialState()])) });
  }

  /** A copy of every state that folding may change without touching the original. */
  private cloneStates(states: ReadonlyMap<string, unknown>): States {
    return new Map(this.projections.map((p) => [p.name, copyState(p, states.get(p.name))]));
  }

  get total(): number {
    return this.store.lastPosition();
  }

  /** Takes a copy of the states after `position` events of the real history (from the live read models). */
  addSnapshot(position: number, states: ReadonlyMap<string, unknown>): void {
    if (position <= 0 || position > this.total || this.snapshots.some((s) => s.position === position)) return;
    this.snapshots.push({ position, states: this.cloneStates(new Map(states)) });
    this.snapshots.sort((a, b) => a.position - b.position);
  }

  get snapshotCount(): number {
    return this.snapshots.length;
  }

  /** The read-model states after `position` events, skipping `skipped` (fresh objects the caller may keep). */
  statesAt(position: number, skipped: ReadonlySet<number> = NO_SKIPS): States {
    return new Map([...this.compute(position, skipped)].map(([k, v]) => [k, clone(v)]));
  }

  /**
   * The states after `position` events, owned by the engine (the caller must not change them).
   * Starts from the nearest snapshot, or from the last computed position when that is nearer.
   */
  private compute(position: number, skipped: ReadonlySet<number>): States {
    const target = Math.max(0, Math.min(Math.trunc(position), this.total));
    const firstSkip = skipped.size ? Math.min(...skipped) : Infinity;
    const skipsKey = keyOf(skipped);
    const c = this.cursor;
    if (c && c.skips === skipsKey && c.position === target) return c.states;
    // Snapshots are of the real history: usable only up to the first skipped event.
    const usable = Math.min(target, firstSkip - 1);
    let base: { position: number; states: States } = this.snapshots[0]!;
    for (const s of this.snapshots) if (s.position <= usable && s.position > base.position) base = s;
    if (c && c.skips === skipsKey && c.position <= target && c.position > base.position) base = c;
    if (this.local.skips === skipsKey)
      for (const s of this.local.points) if (s.position <= target && s.position > base.position) base = s;
    // Going backwards: leave copies on the way, the next step back starts from the nearest one.
    const backwards =
      c !== undefined &&
      c.skips === skipsKey &&
      target < c.position &&
      c.position - target <= this.localEvery &&
      target - base.position > this.localEvery;
    if (backwards && this.local.skips !== skipsKey) this.local = { skips: skipsKey, points: [] };
    const states = this.cloneStates(base.states);
    if (target > base.position) {
      this.store.forEach(
        (event) => {
          if (!skipped.has(event.globalPosition)) this.apply(states, event);
          if (event.globalPosition < firstSkip) this.remember(event.globalPosition, states);
          if (backwards && event.globalPosition % this.localEvery === 0 && event.globalPosition < target)
            this.keepLocal(event.globalPosition, states);
        },
        { after: base.position, to: target },
      );
    }
    this.cursor = { position: target, states, skips: skipsKey };
    return states;
  }

  /** Keeps a copy near the cursor; the copy farthest from it goes first, so memory stays bounded. */
  private keepLocal(position: number, states: States): void {
    const points = this.local.points;
    if (points.some((s) => s.position === position)) return;
    points.push({ position, states: this.cloneStates(states) });
    if (points.length <= MAX_LOCAL_POINTS) return;
    let far = 0;
    for (let i = 1; i < points.length; i++)
      if (Math.abs(points[i]!.position - position) > Math.abs(points[far]!.position - position)) far = i;
    points.splice(far, 1);
  }

  /**
   * Folds the next `maxEvents` of the real history that no snapshot covers yet, leaving snapshots on
   * the way: called a slice at a time while the replay is idle, so that any seek soon folds at most
   * one snapshot interval. Returns true once every interval has its snapshot.
   */
  warm(maxEvents = 1000): boolean {
    const have = new Set(this.snapshots.map((s) => s.position));
    let from = 0;
    for (let p = this.snapshotEvery; p <= this.total && have.has(p); p += this.snapshotEvery) from = p;
    if (from + this.snapshotEvery > this.total) {
      this.warming = undefined;
      return true;
    }
    let w = this.warming;
    if (!w || w.position < from)
      w = { position: from, states: this.cloneStates(this.snapshots.find((s) => s.position === from)!.states) };
    const to = Math.min(this.total, w.position + maxEvents);
    const states = w.states;
    this.store.forEach(
      (event) => {
        this.apply(states, event);
        this.remember(event.globalPosition, states);
      },
      { after: w.position, to },
    );
    this.warming = { position: to, states };
    return false;
  }

  /** A step where nothing is applied (before the first event, or a position without an event). */
  private stepWithoutEvent(position: number, states: States, explanation: string): ReplayStep {
    return {
      position,
      total: this.total,
      event: undefined,
      skipped: false,
      stream: undefined,
      readModels: this.projections.map((p) => ({
        name: p.name,
        title: p.title,
        description: p.description,
        state: states.get(p.name),
        handled: false,
        changes: [],
        ...this.faultAt(p, position),
      })),
      explanation,
    };
  }

  step(position: number, skipped: ReadonlySet<number> = NO_SKIPS): ReplayStep {
    const total = this.total;
    const target = Math.max(0, Math.min(Math.trunc(position), total));
    if (target === 0) {
      return this.stepWithoutEvent(
        0,
        this.compute(0, NO_SKIPS),
        total === 0
          ? 'The store is empty: issue a command to append the first event.'
          : `Before the first event: every read model is in its initial state. ${total} event${total === 1 ? '' : 's'} follow.`,
      );
    }
    const before = this.compute(target - 1, skipped);
    const event = this.store.readEvent(target);
    if (!event) {
      // Stores of other applications share the sequence with commands (or have gaps): nothing to apply here.
      this.cursor = { position: target, states: before, skips: keyOf(skipped) };
      return this.stepWithoutEvent(
        target,
        before,
        `Position ${target} holds no event (a command, or a gap in the store's sequence): the read models stay as they were.`,
      );
    }
    const isSkipped = skipped.has(target);
    // Copy on write: only the read models this event reaches are copied before it is applied.
    const after: States = new Map(before);
    if (!isSkipped) {
      for (const p of this.projections)
        if (canHandle(p, event)) {
          const next = this.evolve(p, copyState(p, before.get(p.name)), event);
          if (next !== FAULTED) after.set(p.name, next);
        }
    }
    this.cursor = { position: target, states: after, skips: keyOf(skipped) };
    const readModels = this.projections.map((p) => ({
      name: p.name,
      title: p.title,
      description: p.description,
      state: after.get(p.name),
      handled: !isSkipped && canHandle(p, event),
      changes: diffJson(before.get(p.name), after.get(p.name)),
      ...this.faultAt(p, target),
    }));
    const reached = readModels.filter((r) => r.handled).length;
    const where = `${event.type} appended to ${event.streamId} (version ${event.streamVersion}) at position ${event.globalPosition}`;
    return {
      position: target,
      total,
      event,
      skipped: isSkipped,
      stream: this.streamState(event, skipped),
      readModels,
      explanation: isSkipped
        ? `What-if: ${where} is skipped, so no read model sees it (the store still has it).`
        : `${where}; delivered to ${reached} read model${reached === 1 ? '' : 's'}${reached < readModels.length ? ` (${readModels.length - reached} ignore${readModels.length - reached === 1 ? 's' : ''} this type)` : ''}.`,
    };
  }

  /** The write-model state of the event's stream just before and after it (skipped events left out). */
  private streamState(event: RecordedEvent, skipped: ReadonlySet<number>): StreamStateAtStep {
    const aggregate = aggregateForStream(this.aggregates, event.streamId);
    if (!aggregate) {
      return {
        streamId: event.streamId,
        aggregate: undefined,
        version: event.streamVersion,
        before: undefined,
        after: undefined,
        changes: [],
      };
    }
    const history = this.store.readStream(event.streamId, { limit: event.streamVersion });
    const prior = history.slice(0, -1).filter((e) => !skipped.has(e.globalPosition));
    const before = fold(aggregate.decider, prior);
    const after = skipped.has(event.globalPosition) ? before : aggregate.decider.evolve(clone(before), event);
    return {
      streamId: event.streamId,
      aggregate: aggregate.name,
      version: event.streamVersion,
      before,
      after,
      changes: diffJson(before, after),
    };
  }

  private apply(states: States, event: RecordedEvent): void {
    for (const p of this.projections)
      if (canHandle(p, event)) {
        const next = this.evolve(p, states.get(p.name), event);
        if (next !== FAULTED) states.set(p.name, next);
      }
  }

  /** Applies one event to one read model, unless it threw here or before: then FAULTED, and the state stays. */
  private evolve(p: Projection, state: unknown, event: RecordedEvent): unknown {
    const known = this.faults.get(p.name);
    if (known && known.position <= event.globalPosition) return FAULTED;
    try {
      return p.evolve(state, event);
    } catch (e) {
      this.faults.set(p.name, faultOf(p, event, e));
      return FAULTED;
    }
  }

  private faultAt(p: Projection, position: number): { fault?: ProjectionFault } {
    const fault = this.faults.get(p.name);
    return fault && fault.position <= position ? { fault } : {};
  }

  /** A fault the live read models found: copies they hand over hold the state before it. */
  noteFault(fault: ProjectionFault): void {
    const known = this.faults.get(fault.readModel);
    if (!known || fault.position < known.position) this.faults.set(fault.readModel, fault);
  }

  /** Where a read model threw, as far as the replay has folded. */
  faultOf(name: string): ProjectionFault | undefined {
    return this.faults.get(name);
  }

  private remember(position: number, states: States): void {
    if (position % this.snapshotEvery !== 0) return;
    const last = this.snapshots[this.snapshots.length - 1]!;
    if (position <= last.position && this.snapshots.some((s) => s.position === position)) return;
    this.snapshots.push({ position, states: this.cloneStates(states) });
    if (position < last.position) this.snapshots.sort((a, b) => a.position - b.position);
  }
}
