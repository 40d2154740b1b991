import type { Database, SqlValue } from 'sql.js';
import { MAX_EVENT_BYTES, MAX_EVENT_ID_LENGTH, MAX_STREAM_ID_LENGTH } from './validation';

/**
 * What "sound" means for a store, defined once: a store is written to only when it is sound.
 *
 * - Structure: SQLite's integrity check passes and the schema is exactly ours, root pages included
 *   (checked in database.ts before anything here runs).
 * - Rows: every column has its type; ids and types follow the append rules (no control, bidi or
 *   zero-width characters, lengths); data is valid JSON nested at most as deep as SQLite's JSON
 *   accepts, metadata a JSON object; no event larger than an append may hold.
 * - Positions are 1..n without a gap; each stream's versions are 1..k in global order.
 * - The streams table agrees with the events: one row per stream, with its version and last position.
 * - The indexes agree with the table: each holds as many entries as there are rows (the integrity
 *   check compares their contents when the scan is full).
 *
 * Each check is one SQL statement run by SQLite over the table or an index (no row crosses into
 * JavaScript), so the cost stays a fraction of reading the file. `verify` checks the same rules and
 * more (it parses every event in JavaScript, as `export` does).
 */

// GLOB classes of the characters refused in ids (see validation.ts): C0/C1 controls, line and
// paragraph separators, zero-width and bidi controls, the byte order mark.
const FORBIDDEN_CHARS = [[0x01, 0x1f], [0x7f, 0x9f], [0x2028, 0x2029], [0x200b, 0x200f], [0x202a, 0x202e], [0x2060, 0x2064], [0x2066, 0x2069], [0xfeff, 0xfeff]]
  .map(([a, b]) => (a === b ? String.fromCodePoint(a!) : `${String.fromCodePoint(a!)}-${String.fromCodePoint(b!)}`))
  .join('');
const FORBIDDEN_GLOB = `*[${FORBIDDEN_CHARS}]*`;

/** The first event that breaks a row rule, with which rule. `?1` is FORBIDDEN_GLOB. */
const BAD_ROW_SQL = `SELECT global_position, CASE
  WHEN typeof(stream_id) != 'text' OR typeof(event_id) != 'text' OR typeof(type) != 'text' OR typeof(stream_version) != 'integer'
    OR typeof(data) != 'text' OR typeof(metadata) != 'text' OR typeof(recorded_at) != 'text' THEN 'a column holds a value of the wrong type'
  WHEN stream_id = '' OR length(stream_id) > ${MAX_STREAM_ID_LENGTH} OR trim(stream_id) != stream_id OR stream_id GLOB ?1 THEN 'its stream id is not valid'
  WHEN event_id = '' OR length(event_id) > ${MAX_EVENT_ID_LENGTH} OR trim(event_id) != event_id OR event_id GLOB ?1 THEN 'its event id is not valid'
  WHEN length(type) > 128 OR type NOT GLOB '[A-Za-z]*' OR type GLOB '*[^A-Za-z0-9_.:-]*' THEN 'its type is not valid'
  WHEN length(CAST(data AS BLOB)) + length(CAST(metadata AS BLOB)) > ${MAX_EVENT_BYTES} THEN 'it is larger than an event may be'
  WHEN NOT json_valid(data) THEN 'its data is not valid JSON (or is nested too deep)'
  WHEN NOT json_valid(metadata) OR json_type(metadata) != 'object' THEN 'its metadata is not a JSON object'
  END AS problem FROM events WHERE problem IS NOT NULL ORDER BY global_position LIMIT 1`;

/** Streams whose events or row disagree: versions not 1..k, or a row that says otherwise. */
const BAD_STREAM_SQL = `SELECT e.stream_id, e.n, e.lo, e.hi, e.last, s.version, s.last_position FROM
  (SELECT stream_id, count(*) AS n, min(stream_version) AS lo, max(stream_version) AS hi, max(global_position) AS last FROM events GROUP BY stream_id) e
  LEFT JOIN streams s ON s.stream_id = e.stream_id
  WHERE e.lo != 1 OR e.hi != e.n OR s.version IS NOT e.hi OR s.last_position IS NOT e.last LIMIT 1`;

/** An event whose stream version goes down while its position goes up (versions must follow global order). */
const OUT_OF_ORDER_SQL = `SELECT stream_id, stream_version, global_position FROM
  (SELECT stream_id, stream_version, global_position, lag(global_position, 1, 0) OVER (PARTITION BY stream_id ORDER BY stream_version) AS previous FROM events)
  WHERE global_position < previous LIMIT 1`;

function first(db: Database, sql: string, params: SqlValue[] = []): SqlValue[] | undefined {
  const stmt = db.prepare(sql);
  try {
    stmt.bind(params);
    return stmt.step() ? stmt.get() : undefined;
  } finally {
    stmt.free();
  }
}

/** The first way in which the store is not sound, as a clause ("event 12's data is not valid JSON"), or undefined. */
export function findUnsoundness(db: Database): string | undefined {
  const [count, min, max] = first(db, 'SELECT count(*), min(global_position), max(global_position) FROM events NOT INDEXED') as [number, number | null, number | null];
  if (count > 0 && (min !== 1 || max !== count)) return `its ${count} events hold positions ${String(min)} to ${String(max)}, not 1 to ${count} without a gap`;
  for (const index of ['sqlite_autoindex_events_1', 'sqlite_autoindex_events_2']) {
    const n = first(db, `SELECT count(*) FROM events INDEXED BY ${index}`)?.[0];
    if (n !== count) return `its index ${index} holds ${String(n)} entries for ${count} events`;
  }
  const bad = first(db, BAD_ROW_SQL, [FORBIDDEN_GLOB]);
  if (bad) return `the event at position ${String(bad[0])}: ${String(bad[1])}`;
  const stream = first(db, BAD_STREAM_SQL);
  if (stream) {
    const [id, n, lo, hi, last, version, lastPosition] = stream;
    if (lo !== 1 || hi !== n) return `stream ${JSON.stringify(id)} has ${String(n)} events with versions ${String(lo)} to ${String(hi)}, not 1 to ${String(n)}`;
    return `the streams table says stream ${JSON.stringify(id)} is at version ${String(version ?? 'none')} (last position ${String(lastPosition ?? 'none')}); its events say ${String(hi)} (${String(last)})`;
  }
  const streamRows = first(db, 'SELECT count(*) FROM streams')?.[0] as number;
  const streams = first(db, 'SELECT count(DISTINCT stream_id) FROM events')?.[0] as number;
  if (streamRows !== streams) return `the streams table lists ${streamRows} streams, but the events belong to ${streams}`;
  const order = first(db, OUT_OF_ORDER_SQL);
  if (order) return `stream ${JSON.stringify(order[0])} has version ${String(order[1])} at position ${String(order[2])}, before an earlier version`;
  return undefined;
}
