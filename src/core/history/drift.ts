import { forEachInSlices, SliceClock, walkOptions, type WalkOptions } from '../eventStore/slicedRead';
import type { RecordedEvent } from '../eventStore/types';
import type { StoreReader } from '../formats/storeReader';
import { faultOf, type ProjectionFault } from '../projections/fault';
import { canHandle, type Projection } from '../projections/projection';
import { diffJson, type Change } from '../replay/diff';
import { cloneJson } from '../../shared/json';
import { cloneJsonInSlices, jsonEqualInSlices, noDiffInSlices } from './slicedJson';
import { jsonEqual, MISSING, valueAt } from './valuePath';

type Store = Pick<StoreReader, 'forEach' | 'readEvent' | 'lastPosition'>;

export interface DriftedValue {
  readonly path: readonly string[];
  /** MISSING (undefined in JSON) where the path leads nowhere. */
  readonly live: unknown;
  readonly recomputed: unknown;
  /** The event after which the recomputed value left the live one for good (0: it never held it). */
  readonly divergedAt: number;
}

export interface Nondeterminism {
  /** The event after which two folds of the same events differ; undefined when it did not repeat. */
  readonly position: number | undefined;
  readonly eventType: string | undefined;
  readonly streamId: string | undefined;
  /** Where it was looked for: the two folds were equal at `from` and differed at `to`. */
  readonly from: number;
  readonly to: number;
  /** How the two folds differ after that event (at `to` when it did not repeat). */
  readonly changes: readonly Change[];
}

export interface DriftReport {
  readonly readModel: string;
  readonly title: string;
  /** The position compared at: the live read model's checkpoint. */
  readonly checkpoint: number;
  readonly status: 'clean' | 'drifted' | 'nondeterministic' | 'faulted';
  /** Live and recomputed differ: the first position they diverge at and the values that differ. */
  readonly drift?: { readonly firstPosition: number; readonly values: readonly DriftedValue[] };
  readonly nondeterminism?: Nondeterminism;
  readonly fault?: ProjectionFault;
}

export interface LiveReadModels {
  readonly checkpoint: number;
  stateOf(name: string): unknown;
}

export interface DriftOptions extends WalkOptions {
  /** How many comparisons of the two folds the first pass makes (each costs one walk of the state). */
  readonly comparisons?: number;
  /** Differing values reported per read model. */
  readonly maxValues?: number;
}

interface Fold {
  readonly projection: Projection;
  a: unknown;
  b: unknown;
  /** Last position where the two folds were compared and equal, and the first where they differed. */
  equalAt: number;
  differAt: number | undefined;
  fault: ProjectionFault | undefined;
}

const evolve = (fold: Fold, state: unknown, event: RecordedEvent): unknown => {
  try {
    return fold.projection.evolve(state, event);
  } catch (e) {
    fold.fault ??= faultOf(fold.projection, event, e);
    return state;
  }
};

/**
 * Recomputes every read model from position 0 and compares it with the live one; folds each twice
 * (in the same pass over the events, so the store is read once) to catch a projection that is not
 * deterministic: time, randomness, iteration order or state shared between folds. The store is
 * read in slices (see forEachInSlices); the live states are taken at the start, so events appended
 * meanwhile do not show as drift.
 */
export async function checkReadModels(
  store: Store,
  projections: readonly Projection[],
  live: LiveReadModels,
  options: DriftOptions = {},
): Promise<DriftReport[]> {
  const clock = new SliceClock(options);
  // The live states are copied a piece at a time; should the live read models move on meanwhile,
  // they are copied again in one go, so that states and checkpoint always belong together.
  let seen = live.checkpoint;
  let checkpoint = Math.min(seen, store.lastPosition());
  const liveStates = new Map<string, unknown>();
  for (const p of projections) liveStates.set(p.name, await cloneJsonInSlices(live.stateOf(p.name), clock));
  if (live.checkpoint !== seen) {
    seen = live.checkpoint;
    checkpoint = Math.min(seen, store.lastPosition());
    for (const p of projections) liveStates.set(p.name, cloneJson(live.stateOf(p.name)));
  }
  const every = Math.max(1000, Math.ceil(checkpoint / (options.comparisons ?? 8)));
  const folds: Fold[] = projections.map((projection) => ({
    projection,
    a: projection.initialState(),
    b: projection.initialState(),
    equalAt: 0,
    differAt: undefined,
    fault: undefined,
  }));
  const handlers = new Map<string, Fold[]>();
  const compare = async (position: number) => {
    for (const f of folds) {
      if (f.differAt !== undefined || f.fault) continue;
      if (await jsonEqualInSlices(f.a, f.b, clock)) f.equalAt = position;
      else f.differAt = position;
    }
  };
  // The walk stops at each comparison (every `every` positions, where there is an event), so that a
  // comparison of large states is cut in pieces too.
  const walk = walkOptions(options);
  const onProgress = options.onProgress;
  let visited = 0;
  for (let after = 0; after < checkpoint;) {
    const to = Math.min(checkpoint, (Math.floor(after / every) + 1) * every);
    await forEachInSlices(
      store,
      (event) => {
        let list = handlers.get(event.type);
        if (!list) handlers.set(event.type, (list = folds.filter((f) => canHandle(f.projection, event))));
        for (const f of list) {
          if (f.fault) continue;
          f.a = evolve(f, f.a, event);
          if (f.differAt === undefined) f.b = evolve(f, f.b, event);
        }
        visited = event.globalPosition;
      },
      { ...walk, after, to, ...(onProgress ? { onProgress: (at: number) => onProgress(at, checkpoint) } : {}) },
    );
    if (to % every === 0 && visited === to) await compare(to);
    after = to;
  }
  await compare(checkpoint);
  const reports: DriftReport[] = [];
  for (const f of folds)
    reports.push(await report(store, f, checkpoint, liveStates.get(f.projection.name), options.maxValues ?? 20, walk));
  return reports;
}

async function report(
  store: Store,
  f: Fold,
  checkpoint: number,
  liveState: unknown,
  maxValues: number,
  walk: WalkOptions,
): Promise<DriftReport> {
  const base = { readModel: f.projection.name, title: f.projection.title, checkpoint };
  if (f.fault) return { ...base, status: 'faulted', fault: f.fault };
  const nondeterminism =
    f.differAt !== undefined ? await locateNondeterminism(store, f.projection, f.equalAt, f.differAt, walk) : undefined;
  const changes = (await noDiffInSlices(liveState, f.a, new SliceClock(walk)))
    ? []
    : diffJson(liveState, f.a, maxValues);
  const values = changes.length ? await divergence(store, f.projection, liveState, changes, checkpoint, walk) : [];
  return {
    ...base,
    status: nondeterminism ? 'nondeterministic' : values.length ? 'drifted' : 'clean',
    ...(values.length ? { drift: { firstPosition: Math.min(...values.map((v) => v.divergedAt)), values } } : {}),
    ...(nondeterminism ? { nondeterminism } : {}),
  };
}

/** One fold of a projection from position 0 to `to`, calling `each` after every event it handles. */
async function foldTo(
  store: Store,
  projection: Projection,
  to: number,
  walk: WalkOptions,
  each?: (event: RecordedEvent, state: unknown) => void,
  from: { position: number; state: unknown } = { position: 0, state: projection.initialState() },
): Promise<unknown> {
  let state = from.state;
  await forEachInSlices(
    store,
    (event) => {
      if (!canHandle(projection, event)) return;
      state = projection.evolve(state, event);
      each?.(event, state);
    },
    { ...walk, after: from.position, to },
  );
  return state;
}

/**
 * For each differing value, the event after which the recomputed value left the live one and did
 * not come back: the recomputed history of each value is followed, the live one is known only now.
 */
async function divergence(
  store: Store,
  projection: Projection,
  liveState: unknown,
  changes: readonly Change[],
  checkpoint: number,
  walk: WalkOptions,
): Promise<DriftedValue[]> {
  const tracked = changes.map((c) => {
    const live = valueAt(liveState, c.path);
    const initial = valueAt(projection.initialState(), c.path);
    return { path: c.path, live, divergedAt: sameValue(initial, live) ? -1 : 0, held: sameValue(initial, live) };
  });
  const final = await foldTo(store, projection, checkpoint, walk, (event, state) => {
    for (const t of tracked) {
      const now = sameValue(valueAt(state, t.path), t.live);
      if (t.held && !now) t.divergedAt = event.globalPosition;
      t.held = now;
    }
  });
  return tracked.map((t) => ({
    path: t.path,
    live: t.live,
    recomputed: valueAt(final, t.path),
    divergedAt: Math.max(0, t.divergedAt),
  }));
}

const sameValue = (a: unknown, b: unknown): boolean => a === b || (a !== MISSING && b !== MISSING && jsonEqual(a, b));

/**
 * Narrows where two folds part: they were equal at `equalAt` and differed at `differAt`. The
 * window is folded again in 16 slices, twice from one copy, down to the single event; a projection
 * whose difference does not repeat is reported with the window it was seen in.
 */
async function locateNondeterminism(
  store: Store,
  projection: Projection,
  equalAt: number,
  differAt: number,
  walk: WalkOptions,
): Promise<Nondeterminism> {
  const clock = new SliceClock(walk);
  let from = equalAt;
  let to = differAt;
  let start = await cloneJsonInSlices(await foldTo(store, projection, from, walk), clock);
  for (;;) {
    const step = Math.max(1, Math.ceil((to - from) / 16));
    let a = await cloneJsonInSlices(start, clock);
    let b = await cloneJsonInSlices(start, clock);
    let lastEqual = { position: from, state: start };
    let found: { position: number; a: unknown; b: unknown } | undefined;
    // The walk stops at each of the 16 positions where the two folds are compared (when there is
    // an event there), so that comparisons and copies of large states are cut in pieces too.
    for (let after = from; after < to && !found;) {
      const upTo = Math.min(to, from + (Math.floor((after - from) / step) + 1) * step);
      let last = after;
      await forEachInSlices(
        store,
        (event) => {
          if (canHandle(projection, event)) {
            a = projection.evolve(a, event);
            b = projection.evolve(b, event);
          }
          last = event.globalPosition;
        },
        { ...walk, after, to: upTo },
      );
      if (last === upTo) {
        if (await jsonEqualInSlices(a, b, clock))
          lastEqual = { position: upTo, state: step > 1 ? await cloneJsonInSlices(a, clock) : a };
        else found = { position: upTo, a, b };
      }
      after = upTo;
    }
    if (!found) return { position: undefined, eventType: undefined, streamId: undefined, from, to, changes: [] };
    if (step === 1 || found.position === lastEqual.position + 1) {
      const event = store.readEvent(found.position);
      return {
        position: found.position,
        eventType: event?.type,
        streamId: event?.streamId,
        from: lastEqual.position,
        to: found.position,
        changes: diffJson(found.a, found.b, 20),
      };
    }
    from = lastEqual.position;
    to = found.position;
    start = await cloneJsonInSlices(lastEqual.state, clock);
  }
}
