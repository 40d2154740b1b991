import type { Database, SqlValue } from 'sql.js';

/**
 * What "sound" means for a store, defined once: a store is written to only when it is sound.
 *
 * - Structure: the schema is exactly ours, root pages included, and SQLite's quick check passes
 *   (database.ts, before anything here runs).
 * - Indexes: each holds one entry per row (swapped or truncated indexes would let an idempotent
 *   retry store an event id twice).
 * - Rows: every column holds its type; data is valid JSON (nested no deeper than SQLite's JSON
 *   accepts) and metadata a JSON object, so every reader can parse every event.
 * - Positions are 1..n without a gap; each stream's versions are 1..k.
 * - The streams table agrees with the events: one row per stream, with its version and last position.
 *
 * Each check is one statement that SQLite runs over the table or an index (no row crosses into
 * JavaScript), measured in `npm run bench`. The append rules for ids and types, the order of versions
 * in global order and the bytes of every id are checked by `verify`, which parses every event as
 * `export` does; they would cost several times the open (SQLite's GLOB over each id) and do not
 * break reading or writing.
 */

/** Why one row breaks a rule, or NULL. */
const ROW_PROBLEM = `CASE
  WHEN typeof(stream_id) != 'text' OR typeof(event_id) != 'text' OR typeof(type) != 'text' OR typeof(stream_version) != 'integer'
    OR typeof(recorded_at) != 'text' THEN 'a column holds a value of the wrong type'
  WHEN NOT json_valid(data) THEN 'its data is not valid JSON (or is nested too deep)'
  WHEN NOT json_valid(metadata) THEN 'its metadata is not valid JSON'
  WHEN json_type(metadata) != 'object' THEN 'its metadata is not a JSON object'
  END`;

/** One scan of the table itself: its row count (to compare with the indexes) and the first row breaking a rule. */
const TABLE_SCAN_SQL = `SELECT count(*), min(global_position), max(global_position), min(CASE WHEN (${ROW_PROBLEM}) IS NOT NULL THEN global_position END) FROM events NOT INDEXED`;

/** Streams whose events or row disagree: versions not 1..k, or a row that says otherwise. */
const BAD_STREAM_SQL = `SELECT e.stream_id, e.n, e.lo, e.hi, e.last, s.version, s.last_position FROM
  (SELECT stream_id, count(*) AS n, min(stream_version) AS lo, max(stream_version) AS hi, max(global_position) AS last FROM events GROUP BY stream_id) e
  LEFT JOIN streams s ON s.stream_id = e.stream_id
  WHERE e.lo != 1 OR e.hi != e.n OR s.version IS NOT e.hi OR s.last_position IS NOT e.last LIMIT 1`;

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
  const [count, min, max, badAt] = first(db, TABLE_SCAN_SQL) as [number, number | null, number | null, number | null];
  if (badAt !== null)
    return `the event at position ${badAt}: ${String(first(db, `SELECT ${ROW_PROBLEM} FROM events WHERE global_position = ?`, [badAt])?.[0])}`;
  if (count > 0 && (min !== 1 || max !== count))
    return `its ${count} events hold positions ${String(min)} to ${String(max)}, not 1 to ${count} without a gap`;
  for (const index of ['sqlite_autoindex_events_1', 'sqlite_autoindex_events_2']) {
    const n = first(db, `SELECT count(*) FROM events INDEXED BY ${index}`)?.[0];
    if (n !== count) return `its index ${index} holds ${String(n)} entries for ${count} events`;
  }
  const stream = first(db, BAD_STREAM_SQL);
  if (stream) {
    const [id, n, lo, hi, last, version, lastPosition] = stream;
    if (lo !== 1 || hi !== n)
      return `stream ${JSON.stringify(id)} has ${String(n)} events with versions ${String(lo)} to ${String(hi)}, not 1 to ${String(n)}`;
    return `the streams table says stream ${JSON.stringify(id)} is at version ${String(version ?? 'none')} (last position ${String(lastPosition ?? 'none')}); its events say ${String(hi)} (${String(last)})`;
  }
  const streamRows = first(db, 'SELECT count(*) FROM streams')?.[0] as number;
  const streams = first(db, 'SELECT count(*) FROM (SELECT DISTINCT stream_id FROM events)')?.[0] as number;
  if (streamRows !== streams)
    return `the streams table lists ${streamRows} streams, but the events belong to ${streams}`;
  return undefined;
}
