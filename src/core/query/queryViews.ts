import type { EmmettSchema } from '../formats/emmettSqlite/schema';
import type { Dialect } from '../formats/postgres/dialects';

/**
 * The query views: a public contract, the same columns in the same order on every store format.
 *
 * `events` — one row per event, in global order:
 * - `position` (integer): the global position, 1-based, gapless on our stores;
 * - `stream_id` (text); `category` (text): the stream id before its first `-` (the whole id without one);
 * - `stream_version` (integer): the event's version in its stream, 1-based;
 * - `type` (text); `data`, `metadata` (JSON text, as stored: `data->>'sku'` reads a field);
 * - `recorded_at` (text): ISO 8601 in UTC, e.g. `2026-12-01T10:00:00.000Z`;
 * - `correlation_id`, `causation_id` (text or NULL): from the metadata.
 *
 * `streams` — one row per stream: `stream_id`, `category`, `version` (its last event's version),
 * `last_position` (its last event's global position).
 *
 * On SQLite formats they are temporary views over the store's own tables, in the query's private
 * connection; a PostgreSQL format defines the same names and columns in its read-only session.
 */
export const EVENTS_VIEW_COLUMNS = [
  'position',
  'stream_id',
  'category',
  'stream_version',
  'type',
  'data',
  'metadata',
  'recorded_at',
  'correlation_id',
  'causation_id',
] as const;

export const STREAMS_VIEW_COLUMNS = ['stream_id', 'category', 'version', 'last_position'] as const;

/** `category` of a stream id column, in SQLite. */
export function categorySql(column: string): string {
  return `CASE WHEN instr(${column}, '-') > 0 THEN substr(${column}, 1, instr(${column}, '-') - 1) ELSE ${column} END`;
}

/** A metadata field, NULL when the metadata is not JSON (foreign stores may hold anything). */
function metadataFieldSql(column: string, field: string): string {
  return `json_extract(CASE WHEN json_valid(${column}) THEN ${column} END, '$.${field}')`;
}

/**
 * Our own store: the temporary views shadow the tables of the same names (SQLite resolves an
 * unqualified name in `temp` first), which stay reachable as `main.events` and `main.streams`.
 */
export function nativeQueryViewsSql(): string {
  return `
CREATE TEMP VIEW IF NOT EXISTS events AS SELECT global_position AS position, stream_id,
  ${categorySql('stream_id')} AS category, stream_version, type, data, metadata, recorded_at,
  ${metadataFieldSql('metadata', 'correlationId')} AS correlation_id,
  ${metadataFieldSql('metadata', 'causationId')} AS causation_id
FROM main.events;
CREATE TEMP VIEW IF NOT EXISTS streams AS SELECT stream_id, ${categorySql('stream_id')} AS category, version,
  last_position FROM main.streams;`;
}

/**
 * An Emmett SQLite store: events only (0.42+ keeps commands in the same table), Emmett's
 * `created` (SQLite's CURRENT_TIMESTAMP) as ISO 8601 like ours.
 */
export function emmettQueryViewsSql(schema: EmmettSchema): string {
  const c = schema.columns;
  const t = schema.messagesTable;
  const eventsOnly = c.kind ? `${c.kind} = 'E'` : '1';
  const recordedAt = c.created ? `strftime('%Y-%m-%dT%H:%M:%fZ', ${c.created})` : 'NULL';
  return `
CREATE TEMP VIEW IF NOT EXISTS events AS SELECT global_position AS position, stream_id,
  ${categorySql('stream_id')} AS category, stream_position AS stream_version, ${c.type} AS type,
  ${c.data} AS data, ${c.metadata} AS metadata, ${recordedAt} AS recorded_at,
  ${metadataFieldSql(c.metadata, 'correlationId')} AS correlation_id,
  ${metadataFieldSql(c.metadata, 'causationId')} AS causation_id
FROM ${t} WHERE ${eventsOnly};
CREATE TEMP VIEW IF NOT EXISTS streams AS SELECT stream_id, ${categorySql('stream_id')} AS category,
  max(stream_position) AS version, max(global_position) AS last_position
FROM ${t} WHERE ${eventsOnly} GROUP BY stream_id;`;
}

/**
 * A PostgreSQL store: the same two views as common table expressions put before the user's
 * statement, which runs as a subquery under them (`WITH events AS NOT MATERIALIZED (…), streams …
 * SELECT * FROM (statement)`). Temporary views would need CREATE, which a READ ONLY transaction
 * refuses, and a session of their own; a CTE defines the names for one statement and writes
 * nothing, and only a query can stand in a subquery, so no other kind of statement gets through.
 * The rows are those the inspector's reader shows: events only, readable by the format's rule
 * (Emmett: committed before the oldest transaction still running, so no position shows before an
 * earlier one still in flight), versions from 1; `data` and `metadata` are jsonb (`data->>'sku'`
 * reads a field as on SQLite).
 */
export function postgresQueryViewsSql(d: Dialect): string {
  return `WITH events AS NOT MATERIALIZED (SELECT ${d.position}::bigint AS position, ${d.stream} AS stream_id,
  split_part(${d.stream}, '-', 1) AS category, ${d.version}::bigint AS stream_version, ${d.type}::text AS type,
  ${d.data} AS data, ${d.metadata} AS metadata, ${d.recordedAt} AS recorded_at,
  (${d.correlation})::text AS correlation_id, (${d.causation})::text AS causation_id
FROM ${d.table} WHERE (${d.eventsOnly}) AND (${d.readable})),
streams AS NOT MATERIALIZED (SELECT stream_id, min(category) AS category, max(stream_version) AS version,
  max(position) AS last_position FROM events GROUP BY stream_id)
`;
}
