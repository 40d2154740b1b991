import type { EventStore, PositionFilter, RecordedEvent } from '../eventStore/types';
import { exportNdjson } from '../eventStore/exportNdjson';
import type { ReplayEngine, ReplayStep } from './replayEngine';

/** What the timeline shows (the store's own filter); filtered-out events are still applied to the state. */
export type ReplayFilter = PositionFilter;

export interface TimelineRow {
  readonly position: number;
  readonly type: string;
  readonly streamId: string;
  readonly streamVersion: number;
  readonly recordedAt: string;
  readonly skipped: boolean;
  /** Commands refused right after this event (the store stayed at this position). */
  readonly rejected: number;
}

export type Move = 'first' | 'prev' | 'next' | 'last';

/** A command as the command log kept it (rejected commands leave no event: this is where they are). */
export interface CommandNote {
  readonly id: string;
  readonly at: string;
  readonly command: { readonly type: string; readonly data: unknown };
  readonly outcome: 'accepted' | 'rejected' | 'conflict';
  readonly reason?: string;
  readonly positionBefore: number;
  readonly eventPositions?: readonly number[];
  /** The reaction that issued it. */
  readonly reaction?: string;
}

export interface CommandHistory {
  entries(): readonly CommandNote[];
}

const NO_HISTORY: CommandHistory = { entries: () => [] };

/** Slices of the global order a stepwise filter starts with and keeps between (see setFilterInSteps). */
const FIRST_FILTER_SLICE = 20_000;
const MIN_FILTER_SLICE = 1_000;
const MAX_FILTER_SLICE = 500_000;

/** Only the criteria given, trimmed. */
function cleanFilter(filter: ReplayFilter): ReplayFilter {
  return Object.fromEntries(
    Object.entries(filter)
      .filter(([, v]) => typeof v === 'string' && v.trim() !== '')
      .map(([k, v]) => [k, (v as string).trim()]),
  );
}

/** At most this many events may be skipped at once in what-if mode. */
export const MAX_SKIPPED = 1000;

const isActive = (f: ReplayFilter): boolean =>
  Boolean(f.streamId || f.eventType || f.text || f.correlationId || f.causationId);

function matches(filter: ReplayFilter, e: RecordedEvent): boolean {
  if (filter.streamId && e.streamId !== filter.streamId) return false;
  if (filter.eventType && e.type !== filter.eventType) return false;
  if (filter.correlationId && e.metadata.correlationId !== filter.correlationId) return false;
  if (filter.causationId && e.metadata.causationId !== filter.causationId) return false;
  if (filter.text && !JSON.stringify(e.data).toLowerCase().includes(filter.text.toLowerCase())) return false;
  return true;
}

/**
 * One replay as a person drives it: a position, the events in view (all, or a filtered list of
 * positions), the events skipped in what-if mode, and steps computed by the engine.
 * The view never holds events, only positions; rows are read from the store a window at a time.
 */
export class ReplayView {
  private filterValue: ReplayFilter = {};
  /** Positions in view, ascending; undefined when every event is in view. */
  private inView: number[] | undefined;
  private readonly skips = new Set<number>();
  position = 0;

  constructor(
    private readonly store: EventStore,
    readonly engine: ReplayEngine,
    private readonly history: CommandHistory = NO_HISTORY,
  ) {
    this.position = store.lastPosition();
  }

  get total(): number {
    return this.store.lastPosition();
  }

  get filter(): ReplayFilter {
    return this.filterValue;
  }

  get skipped(): number[] {
    return [...this.skips].sort((a, b) => a - b);
  }

  /** Events in view. */
  get count(): number {
    return this.inView ? this.inView.length : this.total;
  }

  /** Events in view applied so far (those at or before the position). */
  get index(): number {
    return this.inView ? upperBound(this.inView, this.position) : this.position;
  }

  setFilter(filter: ReplayFilter): void {
    const clean = cleanFilter(filter);
    this.filterValue = clean;
    if (!isActive(clean)) {
      this.inView = undefined;
      return;
    }
    if (this.store.findPositions) {
      this.inView = this.store.findPositions(clean);
      return;
    }
    const positions: number[] = [];
    this.store.forEach((e) => {
      if (matches(clean, e)) positions.push(e.globalPosition);
    });
    this.inView = positions;
  }

  /**
   * The same as `setFilter`, a slice of the global order at a time, yielding between slices, so that
   * a filter over a million events never holds the caller's event loop for long (each slice is sized
   * to take about `sliceMs`). Events appended meanwhile are included: it runs to the last position.
   */
  async setFilterInSteps(
    filter: ReplayFilter,
    options: {
      readonly sliceMs?: number;
      readonly pause?: () => Promise<void>;
      /** Bounds of a slice, in events (tests use small ones). */
      readonly slices?: { readonly first: number; readonly min: number };
    } = {},
  ): Promise<void> {
    const clean = cleanFilter(filter);
    const find = this.store.findPositions?.bind(this.store);
    if (!isActive(clean) || !find) {
      this.setFilter(clean);
      return;
    }
    const sliceMs = options.sliceMs ?? 15;
    const pause = options.pause ?? (() => new Promise<void>((resolve) => setImmediate(resolve)));
    const positions: number[] = [];
    let after = 0;
    const { first, min } = options.slices ?? { first: FIRST_FILTER_SLICE, min: MIN_FILTER_SLICE };
    let slice = first;
    for (;;) {
      const last = this.store.lastPosition();
      if (after >= last) break;
      const to = Math.min(last, after + slice);
      const started = performance.now();
      for (const p of find(clean, { after, to })) positions.push(p);
      const ms = performance.now() - started;
      // Aim the next slice at sliceMs from this one's pace, within bounds.
      slice = Math.max(min, Math.min(MAX_FILTER_SLICE, Math.round((slice * sliceMs) / Math.max(ms, 0.5))));
      after = to;
      if (after < this.store.lastPosition()) await pause();
    }
    this.filterValue = clean;
    this.inView = positions;
  }

  /** New events were appended: a filtered view takes in those that match. */
  appended(events: readonly RecordedEvent[]): void {
    if (!this.inView) return;
    // A large catch-up announces only its first events: then find the matches again from the store.
    if ((events[events.length - 1]?.globalPosition ?? 0) < this.store.lastPosition()) {
      this.setFilter(this.filterValue);
      return;
    }
    const last = this.inView[this.inView.length - 1] ?? 0;
    for (const e of events)
      if (e.globalPosition > last && matches(this.filterValue, e)) this.inView.push(e.globalPosition);
  }

  /** The position of the `index`-th event in view (0: before any event). */
  positionAtIndex(index: number): number {
    const i = Math.max(0, Math.min(Math.trunc(index), this.count));
    if (i === 0) return 0;
    return this.inView ? this.inView[i - 1]! : i;
  }

  seek(position: number): void {
    this.position = Math.max(0, Math.min(Math.trunc(position), this.total));
  }

  /** Steps through the events in view: the filter narrows where you stop, not what is applied. */
  move(to: Move): void {
    const index = this.index;
    const atEvent = this.inView ? this.inView[index - 1] === this.position : true;
    switch (to) {
      case 'first':
        this.position = 0;
        break;
      case 'last':
        this.position = this.positionAtIndex(this.count);
        break;
      case 'next':
        this.position = this.positionAtIndex(Math.min(this.count, index + 1));
        break;
      case 'prev':
        this.position = this.positionAtIndex(Math.max(0, atEvent ? index - 1 : index));
        break;
    }
  }

  rows(offset: number, limit: number): TimelineRow[] {
    const from = Math.max(0, Math.trunc(offset));
    const n = Math.max(0, Math.min(Math.trunc(limit), 500));
    const rejected = new Map<number, number>();
    for (const c of this.history.entries())
      if (c.outcome !== 'accepted') rejected.set(c.positionBefore, (rejected.get(c.positionBefore) ?? 0) + 1);
    const toRow = (e: RecordedEvent): TimelineRow => ({
      position: e.globalPosition,
      type: e.type,
      streamId: e.streamId,
      streamVersion: e.streamVersion,
      recordedAt: e.recordedAt,
      skipped: this.skips.has(e.globalPosition),
      rejected: rejected.get(e.globalPosition) ?? 0,
    });
    if (!this.inView) return this.store.readAll({ after: from, limit: n }).map(toRow);
    const rows: TimelineRow[] = [];
    for (const p of this.inView.slice(from, from + n)) {
      const e = this.store.readEvent(p);
      if (e) rows.push(toRow(e));
    }
    return rows;
  }

  setSkipped(position: number, skipped: boolean): void {
    if (!Number.isSafeInteger(position) || position < 1 || position > this.total)
      throw new RangeError(`There is no event at position ${position}.`);
    if (skipped && !this.skips.has(position) && this.skips.size >= MAX_SKIPPED)
      throw new RangeError(`At most ${MAX_SKIPPED} events can be skipped at once.`);
    if (skipped) this.skips.add(position);
    else this.skips.delete(position);
  }

  clearSkipped(): void {
    this.skips.clear();
  }

  step(): ReplayStep {
    return this.engine.step(this.position, this.skips);
  }

  /** How many commands the log holds as refused or in conflict. */
  refusedTotal(): number {
    return this.history.entries().filter((c) => c.outcome !== 'accepted').length;
  }

  /** Commands refused while the store stood at the current position: they changed nothing. */
  rejectionsHere(): CommandNote[] {
    return this.history.entries().filter((c) => c.outcome !== 'accepted' && c.positionBefore === this.position);
  }

  /** The command that appended the event at `position`, if the command log still has it. */
  commandFor(position: number): CommandNote | undefined {
    return this.history.entries().find((c) => c.outcome === 'accepted' && c.eventPositions?.includes(position));
  }

  /** The events up to the current position, as NDJSON (for export), in chunks of lines. */
  ndjson(): Generator<string> {
    return exportNdjson(this.store, { to: this.position });
  }
}

/** How many sorted values are <= x. */
function upperBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
