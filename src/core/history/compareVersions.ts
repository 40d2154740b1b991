import { forEachInSlices, walkOptions, type WalkOptions } from '../eventStore/slicedRead';
import type { RecordedEvent } from '../eventStore/types';
import type { StoreReader } from '../formats/storeReader';
import { faultOf, type ProjectionFault } from '../projections/fault';
import { canHandle, copyState, type Projection } from '../projections/projection';
import { diffJson, type Change } from '../replay/diff';
import { jsonEqual } from './valuePath';

/** How the old and the new version of one read model differ over the same events. */
export interface VersionComparison {
  readonly readModel: string;
  readonly title: string;
  readonly status: 'same' | 'different' | 'added' | 'removed' | 'faulted';
  /** Positions whose event changes the read model differently in the two versions. */
  readonly positions: number;
  /** The first of them (at most `maxPositions` listed). */
  readonly differingPositions: readonly number[];
  /** At the first differing position: the event, what each version changed, and how the two states differ after it. */
  readonly first?: {
    readonly position: number;
    readonly eventType: string;
    readonly streamId: string;
    readonly oldChanges: readonly Change[];
    readonly newChanges: readonly Change[];
    readonly stateDifference: readonly Change[];
  };
  readonly oldFault?: ProjectionFault;
  readonly newFault?: ProjectionFault;
}

export interface CompareOptions extends WalkOptions {
  readonly to?: number;
  readonly maxPositions?: number;
}

interface Side {
  readonly projection: Projection;
  state: unknown;
  fault: ProjectionFault | undefined;
}

/** What one event changes in one version (nothing once that version has faulted). */
function step(side: Side, event: RecordedEvent): { before: unknown; after: unknown; changes: Change[] } {
  const before = side.state;
  if (side.fault || !canHandle(side.projection, event)) return { before, after: before, changes: [] };
  try {
    side.state = side.projection.evolve(copyState(side.projection, before), event);
  } catch (e) {
    side.fault = faultOf(side.projection, event, e);
    return { before, after: before, changes: [] };
  }
  return { before, after: side.state, changes: diffJson(before, side.state, 200) };
}

const byPath = (a: Change, b: Change): number => {
  const x = a.path.join('\u0000');
  const y = b.path.join('\u0000');
  return x < y ? -1 : x > y ? 1 : 0;
};

/** Two versions change the state alike when they touch the same paths, the same way (see sameChange). */
function sameEffect(a: readonly Change[], b: readonly Change[]): boolean {
  if (a.length !== b.length) return false;
  const x = [...a].sort(byPath);
  const y = [...b].sort(byPath);
  return x.every((c, i) => sameChange(c, y[i]!));
}

/**
 * One change alike in both versions. Where the two states already differed before the event, a
 * number that moved by the same amount is the same effect (a counter one off since an earlier fix
 * is not a new difference at every later event); other values must end equal.
 */
function sameChange(c: Change, d: Change): boolean {
  if (c.kind !== d.kind || byPath(c, d) !== 0) return false;
  if (jsonEqual(c.after, d.after)) return true;
  if (jsonEqual(c.before, d.before)) return false;
  const numbers = [c.before, c.after, d.before, d.after].every((v) => typeof v === 'number');
  return numbers && (c.after as number) - (c.before as number) === (d.after as number) - (d.before as number);
}

/**
 * Folds the old and the new projections over the same events, side by side, and finds the
 * positions where an event has a different effect in the two versions: a fix that changes three
 * events shows exactly those three, even when the states stay different after them. The store is
 * read in slices (see forEachInSlices).
 */
export async function compareVersions(
  store: Pick<StoreReader, 'forEach' | 'lastPosition'>,
  oldProjections: readonly Projection[],
  newProjections: readonly Projection[],
  options: CompareOptions = {},
): Promise<VersionComparison[]> {
  const maxPositions = options.maxPositions ?? 1000;
  const pairs = newProjections
    .filter((p) => oldProjections.some((o) => o.name === p.name))
    .map((p) => {
      const old = oldProjections.find((o) => o.name === p.name)!;
      return {
        title: p.title,
        old: { projection: old, state: old.initialState(), fault: undefined } as Side,
        new: { projection: p, state: p.initialState(), fault: undefined } as Side,
        positions: 0,
        differing: [] as number[],
        first: undefined as VersionComparison['first'],
      };
    });
  await forEachInSlices(
    store,
    (event) => {
      for (const pair of pairs) {
        if (!canHandle(pair.old.projection, event) && !canHandle(pair.new.projection, event)) continue;
        const o = step(pair.old, event);
        const n = step(pair.new, event);
        if (sameEffect(o.changes, n.changes)) continue;
        pair.positions += 1;
        if (pair.differing.length < maxPositions) pair.differing.push(event.globalPosition);
        pair.first ??= {
          position: event.globalPosition,
          eventType: event.type,
          streamId: event.streamId,
          oldChanges: o.changes,
          newChanges: n.changes,
          stateDifference: diffJson(o.after, n.after, 50),
        };
      }
    },
    { ...walkOptions(options), to: Math.min(options.to ?? Infinity, store.lastPosition()) },
  );
  const compared: VersionComparison[] = pairs.map((pair) => ({
    readModel: pair.new.projection.name,
    title: pair.title,
    status: pair.old.fault || pair.new.fault ? 'faulted' : pair.positions > 0 ? 'different' : 'same',
    positions: pair.positions,
    differingPositions: pair.differing,
    ...(pair.first ? { first: pair.first } : {}),
    ...(pair.old.fault ? { oldFault: pair.old.fault } : {}),
    ...(pair.new.fault ? { newFault: pair.new.fault } : {}),
  }));
  const only = (list: readonly Projection[], other: readonly Projection[], status: 'added' | 'removed') =>
    list
      .filter((p) => !other.some((o) => o.name === p.name))
      .map((p): VersionComparison => ({
        readModel: p.name,
        title: p.title,
        status,
        positions: 0,
        differingPositions: [],
      }));
  return [
    ...compared,
    ...only(newProjections, oldProjections, 'added'),
    ...only(oldProjections, newProjections, 'removed'),
  ];
}
