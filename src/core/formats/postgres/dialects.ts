import type { Client } from 'pg';
import type { StoreFormat } from '../storeReader';

export type PostgresFormatId = 'emmett-postgresql' | 'message-db' | 'marten';

/** A checkpoint as a format keeps it: who, which partition/version, and the position as stored. */
export interface RawCheckpoint {
  readonly processorId: string;
  readonly partition: string;
  readonly version: number;
  readonly status: string | undefined;
  readonly raw: string;
}

/**
 * How one format's tables map onto events, as SQL over its schema. Every reader of the three
 * formats is the same generic reader (postgresStore.ts) over one of these.
 */
export interface Dialect {
  readonly format: StoreFormat;
  readonly schema: string;
  /** The qualified table of events. */
  readonly table: string;
  /** Columns in the order the reader maps them: position, stream id, stream version (1-based), id, type, data, metadata, time. */
  readonly select: string;
  readonly position: string;
  readonly stream: string;
  readonly version: string;
  readonly type: string;
  /** The data as text, for a text search. */
  readonly dataText: string;
  /** The data and the metadata as jsonb, and the time as ISO 8601 text in UTC: the query views' columns. */
  readonly data: string;
  readonly metadata: string;
  readonly recordedAt: string;
  readonly correlation: string;
  readonly causation: string;
  /** Which rows are events (commands, other partitions and archived rows share the sequence). */
  readonly eventsOnly: string;
  /** Rows safely readable now (Emmett: committed before the oldest transaction still running). */
  readonly readable: string;
  /** Which rows are commands kept beside the events (Emmett's 'C' messages), when the format has them. */
  readonly commandsOnly?: string;
  /** Emmett's table of streams and their versions, when the format keeps one the checks compare with. */
  readonly streamsTable?: string;
  /** The qualified sequence positions are taken from, when there is one. */
  readonly sequence: string | undefined;
  /** Whether the position has an index (keyset pages are cheap) or every page would scan the table. */
  readonly positionIndexed: boolean;
  checkpoints(client: Client): Promise<RawCheckpoint[]>;
}

export const isPostgresFormat = (id: string): id is PostgresFormatId =>
  id === 'emmett-postgresql' || id === 'message-db' || id === 'marten';

export const FORMATS: Record<PostgresFormatId, (generation: string) => StoreFormat> = {
  'emmett-postgresql': (generation) => ({ id: 'emmett-postgresql', name: 'Emmett PostgreSQL', generation }),
  'message-db': (generation) => ({ id: 'message-db', name: 'Message DB', generation }),
  marten: (generation) => ({ id: 'marten', name: 'Marten', generation }),
};

/** "a Marten", "an Emmett PostgreSQL". */
export const article = (name: string): string => `${/^[AEIOU]/i.test(name) ? 'an' : 'a'} ${name}`;

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * The select list under names of our own: an output column named like a table column (a cast keeps
 * the name) would be what ORDER BY sorts, as text.
 */
const columns = (...expressions: string[]): string => expressions.map((e, i) => `${e} AS esi_${i}`).join(', ');

const ISO = (column: string) => `to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The tables and their columns of one schema. */
export type SchemaColumns = ReadonlyMap<string, ReadonlyMap<string, string | null>>;

export async function schemaColumns(client: Client, schema: string): Promise<SchemaColumns> {
  const result = await client.query<{ table_name: string; column_name: string; column_default: string | null }>(
    `SELECT c.relname AS table_name, a.attname AS column_name, pg_get_expr(d.adbin, d.adrelid) AS column_default
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition
      ORDER BY c.relname, a.attnum`,
    [schema],
  );
  const tables = new Map<string, Map<string, string | null>>();
  for (const r of result.rows) {
    let t = tables.get(r.table_name);
    if (!t) tables.set(r.table_name, (t = new Map()));
    t.set(r.column_name, r.column_default);
  }
  return tables;
}

/** The sequence a column's default draws from (`nextval('x'::regclass)`), qualified. */
function sequenceOf(schema: string, def: string | null | undefined, fallback: string): string {
  const m = def ? /nextval\('([^']+)'::regclass\)/.exec(def) : null;
  if (!m) return `${quoteIdent(schema)}.${quoteIdent(fallback)}`;
  return m[1]!.includes('.') ? m[1]! : `${quoteIdent(schema)}.${m[1]!}`;
}

const has = (tables: SchemaColumns, table: string, ...columns: string[]) =>
  columns.every((c) => tables.get(table)?.has(c) ?? false);

function emmett(schema: string, tables: SchemaColumns): Dialect | undefined {
  const s = quoteIdent(schema);
  // 0.38 and later: emt_messages with message_* columns; the published 0.20 wrote emt_events with event_* columns.
  const current = has(tables, 'emt_messages', 'message_data', 'stream_id', 'global_position', 'transaction_id');
  const older = has(tables, 'emt_events', 'event_data', 'stream_id', 'global_position', 'transaction_id');
  if (!current && !older) return undefined;
  const name = current ? 'emt_messages' : 'emt_events';
  const p = current ? 'message' : 'event';
  const kind = has(tables, name, 'message_kind') ? "message_kind = 'E' AND " : '';
  const processors = tables.has('emt_processors');
  const subscriptions = tables.has('emt_subscriptions');
  return {
    format: FORMATS['emmett-postgresql'](
      current
        ? `emt_messages${processors ? ' + emt_processors (0.42+)' : ' (0.38)'}`
        : 'emt_events with event_* columns (before 0.38)',
    ),
    schema,
    table: `${s}.${name}`,
    select: columns(
      'global_position::text',
      'stream_id',
      'stream_position::text',
      `${p}_id`,
      `${p}_type`,
      `${p}_data`,
      `${p}_metadata`,
      ISO("created AT TIME ZONE 'UTC'"),
    ),
    position: 'global_position',
    stream: 'stream_id',
    version: 'stream_position',
    type: `${p}_type`,
    dataText: `${p}_data::text`,
    data: `${p}_data::jsonb`,
    metadata: `${p}_metadata::jsonb`,
    recordedAt: ISO("created AT TIME ZONE 'UTC'"),
    correlation: `${p}_metadata->>'correlationId'`,
    causation: `${p}_metadata->>'causationId'`,
    eventsOnly: `${kind}partition = 'emt:default' AND is_archived = FALSE`,
    // Once per statement (an InitPlan), not once per row.
    readable: 'transaction_id < (SELECT pg_snapshot_xmin(pg_current_snapshot()))',
    ...(tables.has('emt_streams') ? { streamsTable: `${s}.emt_streams` } : {}),
    ...(kind ? { commandsOnly: "message_kind = 'C' AND partition = 'emt:default' AND is_archived = FALSE" } : {}),
    sequence: sequenceOf(
      schema,
      tables.get(name)?.get('global_position'),
      current ? 'emt_global_message_position' : 'emt_global_event_position',
    ),
    positionIndexed: false,
    async checkpoints(client) {
      if (processors) {
        const r = await client.query(
          `SELECT processor_id, partition, version, status, last_processed_checkpoint FROM ${s}.emt_processors ORDER BY 1, 2, 3`,
        );
        return r.rows.map((row: Record<string, unknown>) => ({
          processorId: String(row.processor_id),
          partition: String(row.partition),
          version: Number(row.version),
          status: row.status === null ? undefined : String(row.status),
          raw: String(row.last_processed_checkpoint ?? ''),
        }));
      }
      if (subscriptions) {
        const r = await client.query(
          `SELECT subscription_id, partition, version, last_processed_position::text AS p FROM ${s}.emt_subscriptions ORDER BY 1, 2, 3`,
        );
        return r.rows.map((row: Record<string, unknown>) => ({
          processorId: String(row.subscription_id),
          partition: String(row.partition),
          version: Number(row.version),
          status: undefined,
          raw: String(row.p ?? ''),
        }));
      }
      return [];
    },
  };
}

function messageDb(schema: string, tables: SchemaColumns): Dialect | undefined {
  if (!has(tables, 'messages', 'global_position', 'position', 'stream_name', 'type', 'data', 'metadata', 'time', 'id'))
    return undefined;
  const s = quoteIdent(schema);
  const t = `${s}.messages`;
  return {
    format: FORMATS['message-db']('message_store.messages (1.x)'),
    schema,
    table: t,
    // Message DB numbers a stream's messages from 0; ours from 1.
    select: columns(
      'global_position::text',
      'stream_name',
      '(position + 1)::text',
      'id::text',
      'type',
      'data',
      'metadata',
      ISO('time'),
    ),
    position: 'global_position',
    stream: 'stream_name',
    version: '(position + 1)',
    type: 'type',
    dataText: 'data::text',
    data: 'data::jsonb',
    metadata: 'metadata::jsonb',
    recordedAt: ISO('time'),
    correlation: "metadata->>'correlationStreamName'",
    causation: "metadata->>'causationMessageStreamName'",
    eventsOnly: 'TRUE',
    readable: 'TRUE',
    sequence: sequenceOf(schema, tables.get('messages')?.get('global_position'), 'messages_global_position_seq'),
    positionIndexed: true,
    async checkpoints(client) {
      // A consumer keeps its position as messages in a position stream: "{category}:position-{consumer}".
      const r = await client.query(
        `SELECT DISTINCT ON (stream_name) stream_name, type, data->>'position' AS p
           FROM ${t} WHERE stream_name LIKE '%:position%' ORDER BY stream_name, position DESC`,
      );
      return r.rows.map((row: Record<string, unknown>) => ({
        processorId: String(row.stream_name),
        partition: '',
        version: 1,
        status: String(row.type),
        raw: String(row.p ?? ''),
      }));
    },
  };
}

function marten(schema: string, tables: SchemaColumns): Dialect | undefined {
  if (!has(tables, 'mt_events', 'seq_id', 'id', 'stream_id', 'version', 'data', 'type', 'timestamp')) return undefined;
  const s = quoteIdent(schema);
  const cols = tables.get('mt_events')!;
  const extra = [
    cols.has('tenant_id') ? `'tenantId', tenant_id` : '',
    cols.has('correlation_id') ? `'correlationId', correlation_id` : '',
    cols.has('causation_id') ? `'causationId', causation_id` : '',
    cols.has('mt_dotnet_type') ? `'dotnetType', mt_dotnet_type` : '',
  ].filter(Boolean);
  const headers = cols.has('headers') ? "COALESCE(headers, '{}'::jsonb)" : "'{}'::jsonb";
  const metadata = `jsonb_strip_nulls(${headers} || jsonb_build_object(${extra.join(', ')}))`;
  return {
    format: FORMATS.marten(
      `mt_events + mt_streams${tables.has('mt_event_progression') ? ' + mt_event_progression' : ''}`,
    ),
    schema,
    table: `${s}.mt_events`,
    select: columns(
      'seq_id::text',
      'stream_id::text',
      'version::text',
      'id::text',
      'type',
      'data',
      metadata,
      ISO(`"timestamp" AT TIME ZONE 'UTC'`),
    ),
    position: 'seq_id',
    stream: 'stream_id::text',
    version: 'version',
    type: 'type',
    dataText: 'data::text',
    data: 'data::jsonb',
    metadata,
    recordedAt: ISO(`"timestamp" AT TIME ZONE 'UTC'`),
    correlation: cols.has('correlation_id') ? 'correlation_id' : 'NULL::text',
    causation: cols.has('causation_id') ? 'causation_id' : 'NULL::text',
    eventsOnly: cols.has('is_archived') ? 'is_archived = FALSE' : 'TRUE',
    readable: 'TRUE',
    sequence: sequenceOf(schema, cols.get('seq_id'), 'mt_events_sequence'),
    positionIndexed: true,
    async checkpoints(client) {
      if (!tables.has('mt_event_progression')) return [];
      const r = await client.query(`SELECT name, last_seq_id::text AS p FROM ${s}.mt_event_progression ORDER BY name`);
      return r.rows.map((row: Record<string, unknown>) => ({
        processorId: String(row.name),
        partition: '',
        version: 1,
        // Marten's daemon keeps the highest position it found without gaps as the "HighWaterMark" row.
        status: row.name === 'HighWaterMark' ? 'high-water mark' : undefined,
        raw: String(row.p ?? ''),
      }));
    },
  };
}

/** The format of a schema's tables, if it is one of the three. */
export function detectDialect(schema: string, tables: SchemaColumns): Dialect | undefined {
  return emmett(schema, tables) ?? messageDb(schema, tables) ?? marten(schema, tables);
}
