import type { Database } from 'sql.js';
import type { StoreFormat } from '../storeReader';

/**
 * The schema generations of `@event-driven-io/emmett-sqlite`, told apart by their tables and columns:
 * - 0.42 and later: `emt_messages`, `emt_streams`, `emt_processors` (text checkpoint), `emt_projections`;
 * - 0.38 to 0.41: `emt_messages`, `emt_streams`, `emt_subscriptions` (integer checkpoint);
 * - earlier: `emt_events` with `event_*` columns instead of `message_*`.
 */
export interface EmmettSchema {
  readonly format: StoreFormat;
  readonly messagesTable: 'emt_messages' | 'emt_events';
  /** Column names of the messages table, by meaning. */
  readonly columns: {
    readonly data: string;
    readonly metadata: string;
    readonly schemaVersion: string | undefined;
    readonly type: string;
    readonly id: string;
    /** Absent in the earliest generation, where every row is an event. */
    readonly kind: string | undefined;
    readonly created: string | undefined;
    readonly partition: string | undefined;
    readonly archived: string | undefined;
  };
  readonly checkpoints:
    | {
        readonly table: 'emt_processors' | 'emt_subscriptions';
        readonly id: string;
        readonly position: string;
        readonly status: string | undefined;
      }
    | undefined;
  readonly hasStreamsTable: boolean;
}

export function tableNames(db: Database): string[] {
  return (db.exec("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")[0]?.values ?? []).map((r) =>
    String(r[0]),
  );
}

function columnsOf(db: Database, table: string): Set<string> {
  return new Set((db.exec(`SELECT name FROM pragma_table_info('${table}')`)[0]?.values ?? []).map((r) => String(r[0])));
}

/** Why a database with Emmett's tables cannot be read as one (a column it needs is missing). */
export class EmmettSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmmettSchemaError';
  }
}

/** The Emmett generation of a database, or undefined when it has none of Emmett's message tables. */
export function detectEmmettSchema(db: Database): EmmettSchema | undefined {
  const tables = new Set(tableNames(db));
  const messagesTable = tables.has('emt_messages')
    ? 'emt_messages'
    : tables.has('emt_events')
      ? 'emt_events'
      : undefined;
  if (!messagesTable) return undefined;
  const cols = columnsOf(db, messagesTable);
  const prefix = messagesTable === 'emt_messages' ? 'message' : 'event';
  const need = [
    'global_position',
    'stream_id',
    'stream_position',
    `${prefix}_data`,
    `${prefix}_metadata`,
    `${prefix}_type`,
    `${prefix}_id`,
  ];
  const missing = need.filter((c) => !cols.has(c));
  if (missing.length > 0)
    throw new EmmettSchemaError(
      `its ${messagesTable} table has Emmett's name but lacks the column${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`,
    );
  const optional = (name: string) => (cols.has(name) ? name : undefined);

  let checkpoints: EmmettSchema['checkpoints'];
  if (tables.has('emt_processors')) {
    const c = columnsOf(db, 'emt_processors');
    if (c.has('processor_id') && c.has('last_processed_checkpoint')) {
      checkpoints = {
        table: 'emt_processors',
        id: 'processor_id',
        position: 'last_processed_checkpoint',
        status: c.has('status') ? 'status' : undefined,
      };
    }
  } else if (tables.has('emt_subscriptions')) {
    const c = columnsOf(db, 'emt_subscriptions');
    if (c.has('subscription_id') && c.has('last_processed_position')) {
      checkpoints = {
        table: 'emt_subscriptions',
        id: 'subscription_id',
        position: 'last_processed_position',
        status: undefined,
      };
    }
  }
  const generation =
    messagesTable === 'emt_events'
      ? 'emt_events (before 0.38)'
      : checkpoints?.table === 'emt_processors'
        ? 'emt_messages + emt_processors (0.42 and later)'
        : checkpoints?.table === 'emt_subscriptions'
          ? 'emt_messages + emt_subscriptions (0.38 to 0.41)'
          : 'emt_messages';
  return {
    format: { id: 'emmett-sqlite', name: 'Emmett SQLite', generation },
    messagesTable,
    columns: {
      data: `${prefix}_data`,
      metadata: `${prefix}_metadata`,
      schemaVersion: optional(`${prefix}_schema_version`),
      type: `${prefix}_type`,
      id: `${prefix}_id`,
      kind: optional(`${prefix}_kind`),
      created: optional('created'),
      partition: optional('partition'),
      archived: optional('is_archived'),
    },
    checkpoints,
    hasStreamsTable: tables.has('emt_streams') && columnsOf(db, 'emt_streams').has('stream_position'),
  };
}
