import type { EventStore, EventMetadata, RecordedEvent } from '../eventStore/types';

/**
 * What everything above the store reads through, whatever wrote the store. The native store
 * satisfies it as it is (an EventStore is a StoreReader with `append`); a foreign store offers
 * only this. Writable formats add `append` and are EventStores.
 */
export type StoreReader = Pick<
  EventStore,
  | 'path'
  | 'readOnly'
  | 'readStream'
  | 'readAll'
  | 'forEach'
  | 'readEvent'
  | 'streamVersion'
  | 'listStreams'
  | 'lastPosition'
  | 'stats'
  | 'refresh'
  | 'findPositions'
  | 'close'
>;

export type FormatId = 'native' | 'emmett-sqlite' | 'emmett-postgresql' | 'message-db' | 'marten';

/** Which format a store file is in, found from its schema. */
export interface StoreFormat {
  readonly id: FormatId;
  /** For people: "Event Store Inspector store", "Emmett SQLite". */
  readonly name: string;
  /** Which schema generation of that format, e.g. "emt_messages + emt_processors (0.42+)". */
  readonly generation: string;
}

/** A command a foreign store keeps beside its events (Emmett's `'C'` messages). */
export interface RecordedCommand {
  readonly globalPosition: number;
  readonly streamId: string;
  readonly streamPosition: number;
  readonly commandId: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: EventMetadata;
  readonly recordedAt: string;
}

/** A command stored in the same table as the events, read as an event row (its position, id and payload). */
export function commandFromRow(e: RecordedEvent): RecordedCommand {
  return {
    globalPosition: e.globalPosition,
    streamId: e.streamId,
    streamPosition: e.streamVersion,
    commandId: e.eventId,
    type: e.type,
    data: e.data,
    metadata: e.metadata,
    recordedAt: e.recordedAt,
  };
}

/** A processor's (or subscription's) checkpoint and how far it is behind the store. */
export interface ProcessorCheckpoint {
  readonly processorId: string;
  readonly partition: string;
  readonly version: number;
  readonly status: string | undefined;
  /** The last global position it processed; undefined when the stored checkpoint is not a position. */
  readonly position: number | undefined;
  /** The checkpoint as stored (Emmett 0.42+ keeps a zero-padded text). */
  readonly raw: string;
  /** Events after its position, up to the store's last event. */
  readonly lag: number | undefined;
  readonly state: 'caught up' | 'behind' | 'beyond the last position' | 'unknown';
}

/** A store opened read-only from a file another application writes. */
export interface ForeignStore extends StoreReader {
  readonly format: StoreFormat;
  readonly readOnlyReason: string;
  /** Commands stored beside the events, in global order. */
  readCommands(options?: { readonly after?: number; readonly limit?: number }): RecordedCommand[];
  checkpoints(): ProcessorCheckpoint[];
  /** Notes about what was read, e.g. a transaction in progress in the WAL that is not shown. */
  notes(): readonly string[];
  /** The underlying tables by name, for the integrity checks and read models. */
  readonly sql: ForeignSql;
}

/** Read-only SQL over the loaded copy (never the file). */
export interface ForeignSql {
  rows(sql: string, params?: readonly (string | number | null)[]): (string | number | null | Uint8Array)[][];
}

export function isForeignStore(store: StoreReader): store is ForeignStore {
  return 'format' in store && (store as Partial<ForeignStore>).readCommands !== undefined;
}

export const NATIVE_FORMAT: StoreFormat = { id: 'native', name: 'Event Store Inspector store', generation: 'schema 1' };

/** The format of any store: foreign stores say theirs; every other one is the native store. */
export function formatOf(store: StoreReader): StoreFormat {
  return isForeignStore(store) ? store.format : NATIVE_FORMAT;
}
