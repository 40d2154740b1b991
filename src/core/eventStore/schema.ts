/** Marks a SQLite file as ours ("ESI1"), so a foreign database is recognised before anything is written. */
export const APPLICATION_ID = 0x45534931;
export const SCHEMA_VERSION = 1;

/**
 * The whole schema. A file whose schema objects differ from these in any way (an extra table, a
 * trigger, a view, another column) is refused on open: see openSnapshot in database.ts.
 */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS events (
  global_position INTEGER PRIMARY KEY,
  stream_id       TEXT    NOT NULL,
  stream_version  INTEGER NOT NULL,
  event_id        TEXT    NOT NULL UNIQUE,
  type            TEXT    NOT NULL,
  data            TEXT    NOT NULL,
  metadata        TEXT    NOT NULL,
  recorded_at     TEXT    NOT NULL,
  UNIQUE (stream_id, stream_version)
);
CREATE TABLE IF NOT EXISTS streams (
  stream_id     TEXT    PRIMARY KEY,
  version       INTEGER NOT NULL,
  last_position INTEGER NOT NULL
);
`;
