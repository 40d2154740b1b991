/** Metadata carried by every event: who caused it and which conversation it belongs to. */
export interface EventMetadata {
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly [key: string]: unknown;
}

/** An event about to be appended. The id makes appends idempotent; it is generated when absent. */
export interface NewEvent {
  readonly eventId?: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata?: EventMetadata;
}

/** Where and when an event was stored: positions are 1-based; stream version 0 means "no stream yet". */
export interface StoredPlace {
  readonly globalPosition: number;
  readonly streamId: string;
  readonly streamVersion: number;
  readonly eventId: string;
  readonly metadata: EventMetadata;
  readonly recordedAt: string;
}

/**
 * An event as stored: its `type` and `data`, typed as `E` where the reader knows which events it
 * reads (a union of events stays a union, so a switch on `type` narrows `data`).
 */
export type RecordedEvent<
  E extends { readonly type: string; readonly data: unknown } = { readonly type: string; readonly data: unknown },
> = Readonly<E> & StoredPlace;

/** A number is the exact current version of the stream (0 = it must not exist yet). */
export type ExpectedVersion = number | 'no-stream' | 'any';

export interface AppendOptions {
  readonly expectedVersion?: ExpectedVersion;
}

export interface AppendResult {
  /** The events of this append, as stored (or as already stored, for an idempotent retry). */
  readonly events: readonly RecordedEvent[];
  /** The stream's version after the append. */
  readonly nextExpectedVersion: number;
  /** The global position of the last event of the append. */
  readonly lastPosition: number;
  /** False when every event id was already stored: nothing new was written. */
  readonly appended: boolean;
}

export interface StreamInfo {
  readonly streamId: string;
  readonly version: number;
  readonly lastPosition: number;
}

export interface StoreStats {
  readonly events: number;
  readonly streams: number;
  readonly lastPosition: number;
  readonly eventTypes: Readonly<Record<string, number>>;
}

export interface ReadAllOptions {
  /** Read events with a global position strictly greater than this (default 0: from the start). */
  readonly after?: number;
  readonly limit?: number;
}

export interface ReadStreamOptions {
  /** Read events with a stream version strictly greater than this (default 0). */
  readonly afterVersion?: number;
  readonly limit?: number;
}

export interface ListStreamsOptions {
  /** Skips this many streams (cost grows with the offset; prefer `after` for deep pages). */
  readonly offset?: number;
  readonly limit?: number;
  /** Only streams whose id starts with this (case-sensitive). */
  readonly prefix?: string;
  /** Only streams whose id sorts after this one: the cursor for the next page. */
  readonly after?: string;
}

/** An event for a bulk import: appended at the end of its stream; an event id already stored in that stream is skipped. */
export interface ImportEvent {
  readonly streamId: string;
  readonly eventId?: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata?: EventMetadata;
}

export interface ImportedEvent {
  readonly eventId: string;
  readonly streamId: string;
  readonly globalPosition: number;
  readonly streamVersion: number;
  /** False when the event id was already stored (in the same stream): nothing new was written. */
  readonly appended: boolean;
}

/** Progress while a store opens: bytes read, the integrity check, the journal replayed. */
export interface OpenProgress {
  readonly phase: 'reading' | 'checking' | 'replaying';
  readonly done: number;
  readonly total: number;
}

/** Criteria for finding events by position; all given criteria must match. */
export interface PositionFilter {
  readonly streamId?: string;
  readonly eventType?: string;
  /** Case-insensitive text in the event's data (as JSON). */
  readonly text?: string;
  readonly correlationId?: string;
  readonly causationId?: string;
}

/** A slice of the global order: positions after `after` up to and including `to`. */
export interface PositionRange {
  readonly after?: number;
  readonly to?: number;
}

/** The append-only event store every other part depends on. */
export interface EventStore {
  readonly path: string | undefined;
  readonly readOnly: boolean;
  append(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult>;
  readStream(streamId: string, options?: ReadStreamOptions): RecordedEvent[];
  readAll(options?: ReadAllOptions): RecordedEvent[];
  /** Calls `onEvent` for every event after `after`, in global order, without holding them all in memory. */
  forEach(onEvent: (event: RecordedEvent) => void, options?: { readonly after?: number; readonly to?: number }): void;
  readEvent(globalPosition: number): RecordedEvent | undefined;
  streamVersion(streamId: string): number;
  listStreams(options?: ListStreamsOptions): StreamInfo[];
  lastPosition(): number;
  stats(): StoreStats;
  /**
   * Picks up events other processes appended since this store last looked, and returns them in
   * global order (call it when the store's files change). Stores that only one process writes may omit it.
   */
  refresh?(): RecordedEvent[];
  /** Positions of matching events, found without reading every event into memory (optional). */
  /** Positions of the events matching `filter`, in order; within `range` (after < position <= to) when given. */
  findPositions?(filter: PositionFilter, range?: PositionRange): number[];
  close(): Promise<void>;
}
