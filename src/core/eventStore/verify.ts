import * as fs from 'node:fs';
import type { Database, SqlValue } from 'sql.js';
import { EVENT_COLUMNS, INSERT_EVENT_SQL, UPSERT_STREAM_SQL, lastPositionOf, openSnapshot } from './database';
import { StoreUnreadableError } from './errors';
import {
  JOURNAL_HEADER_BYTES,
  JournalCorruptError,
  decodeHeader,
  scanRecords,
  type JournalEvent,
  type JournalRecord,
  journaledFields,
} from './journal';
import { readingJournal } from './journalFile';
import { readRegularFile } from './regularFile';
import { readSnapshotBytes, refuseUncheckpointedWal } from './snapshotFile';
import { isSealed } from './snapshotSeal';
import { findUnsoundness } from './soundness';
import { loadSqlJs } from './sqlJs';
import { storeFiles } from './storeFiles';
import { validateSerializedEvent } from './validation';

export interface VerifyReport {
  /** True when there is no finding. */
  readonly ok: boolean;
  /** False when the store could not be read at all (missing, not a store, damaged): its one finding says why. */
  readonly readable: boolean;
  /** What is wrong, one sentence each. */
  readonly findings: string[];
  /** What is worth knowing but harmless (e.g. a torn last journal record). */
  readonly notes: string[];
  readonly events: number;
  readonly streams: number;
  readonly lastPosition: number;
  readonly snapshotEvents: number;
  readonly journalEvents: number;
}

/** Findings of one kind beyond this many are summarised in one line. */
const MAX_PER_KIND = 10;

class Findings {
  readonly list: string[] = [];
  /** Set when a file of the store could not be read at all (the CLI's "unreadable", not a finding of the checks). */
  unreadable = false;
  private readonly counts = new Map<string, number>();
  add(kind: string, message: string): void {
    const n = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, n);
    if (n <= MAX_PER_KIND) this.list.push(message);
  }
  summarise(): void {
    for (const [kind, n] of this.counts)
      if (n > MAX_PER_KIND) this.list.push(`... and ${n - MAX_PER_KIND} more findings of the kind "${kind}".`);
  }
}

/**
 * Checks a store from its files without changing them: the snapshot's full integrity check and schema,
 * the journal's records and how they continue the snapshot, then over all events: positions gapless
 * from 1, versions gapless per stream, the streams table, JSON, ids, stream ids and types.
 */
export async function verifyStore(storePath: string, options: { wasmPath?: string } = {}): Promise<VerifyReport> {
  const SQL = await loadSqlJs(options.wasmPath);
  const files = storeFiles(storePath);
  const findings = new Findings();
  const notes: string[] = [];
  const empty = (finding: string): VerifyReport => ({
    ok: false,
    readable: false,
    findings: [finding],
    notes,
    events: 0,
    streams: 0,
    lastPosition: 0,
    snapshotEvents: 0,
    journalEvents: 0,
  });

  if (!fs.existsSync(files.snapshot)) return empty(`The store file ${files.snapshot} does not exist.`);
  let db: Database;
  let bytes: Buffer;
  try {
    bytes = readSnapshotBytes(files.snapshot);
    refuseUncheckpointedWal(bytes, files.snapshot);
    db = openSnapshot(SQL, bytes, files.snapshot, { fullCheck: true });
  } catch (e) {
    if (StoreUnreadableError.is(e)) return empty(`${e.message}`);
    throw e;
  }
  try {
    const snapshotEvents = lastPositionOf(db);
    const unsound = findUnsoundness(db);
    if (unsound) findings.add('soundness', `The snapshot is not sound, so the store opens read-only: ${unsound}.`);
    const journalEvents = checkJournal(db, files.journal, bytes, snapshotEvents, findings, notes);
    checkEvents(db, findings);
    findings.summarise();
    const count = (sql: string) => (db.exec(sql)[0]?.values[0]?.[0] as number | undefined) ?? 0;
    return {
      ok: findings.list.length === 0,
      readable: !findings.unreadable,
      findings: findings.list,
      notes,
      events: count('SELECT count(*) FROM events'),
      streams: count('SELECT count(*) FROM streams'),
      lastPosition: lastPositionOf(db),
      snapshotEvents,
      journalEvents,
    };
  } finally {
    db.close();
  }
}

/** Reads the journal; applies its new events to `db` (in memory only) and returns how many it added. */
function checkJournal(
  db: Database,
  file: string,
  snapshot: Uint8Array,
  snapshotLast: number,
  findings: Findings,
  notes: string[],
): number {
  let bytes: Buffer | undefined;
  try {
    bytes = readingJournal(file, () => readRegularFile(file));
  } catch (e) {
    findings.unreadable = true;
    findings.add('journal', `${(e as Error).message}`);
    return 0;
  }
  if (!bytes) {
    notes.push('There is no journal: every event is in the snapshot.');
    return 0;
  }
  let header;
  try {
    header = decodeHeader(bytes);
  } catch (e) {
    findings.add('journal', `The journal ${file} is unreadable: ${(e as Error).message}.`);
    return 0;
  }
  let records: JournalRecord[];
  try {
    const scan = scanRecords(bytes.subarray(JOURNAL_HEADER_BYTES), JOURNAL_HEADER_BYTES);
    records = scan.records;
    if (scan.tornBytes > 0)
      notes.push(
        `The journal ends with ${scan.tornBytes} bytes of an incomplete record: a write that was never acknowledged, dropped at the next write.`,
      );
  } catch (e) {
    findings.add(
      'journal',
      `The journal ${file} is damaged: ${e instanceof JournalCorruptError ? e.message : String(e)}.`,
    );
    return 0;
  }
  if (!isSealed(snapshot, header.snapshot)) {
    notes.push(
      'The snapshot does not carry the seal of this user (copied, written elsewhere or changed from outside): it is checked in full on open.',
    );
  }
  if (header.base > snapshotLast) {
    findings.add(
      'journal',
      `The journal continues position ${header.base}, but the snapshot ends at position ${snapshotLast}: events ${snapshotLast + 1} to ${header.base} are missing.`,
    );
    return 0;
  }
  const stored = db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE global_position = ?`);
  const insert = db.prepare(INSERT_EVENT_SQL);
  const upsert = db.prepare(UPSERT_STREAM_SQL);
  let next = header.base + 1;
  let added = 0;
  db.exec('BEGIN');
  try {
    for (const record of records) {
      for (const e of record.events) {
        if (e[0] !== next) {
          findings.add(
            'journal order',
            `The journal holds position ${e[0]} where position ${next} was expected (record at byte ${record.offset}).`,
          );
          next = e[0];
        }
        next += 1;
        try {
          validateSerializedEvent(journaledFields(e));
        } catch (err) {
          findings.add(
            'journal event',
            `The journal event at position ${e[0]} is not valid: ${(err as Error).message}`,
          );
        }
        if (e[0] <= snapshotLast) {
          stored.bind([e[0]]);
          const row = stored.step() ? stored.get() : undefined;
          stored.reset();
          if (!row || !sameEvent(row, e))
            findings.add(
              'journal vs snapshot',
              `At position ${e[0]} the journal and the snapshot hold different events (${e[3]} vs ${String(row?.[3] ?? 'nothing')}).`,
            );
          continue;
        }
        try {
          insert.run(e);
          upsert.run([e[1], e[2], e[0]]);
          added += 1;
        } catch (err) {
          findings.add(
            'journal event',
            `The journal event at position ${e[0]} (${e[3]}) does not fit: ${(err as Error).message}.`,
          );
        }
      }
    }
    db.exec('COMMIT');
  } finally {
    stored.free();
    insert.free();
    upsert.free();
  }
  return added;
}

function sameEvent(row: SqlValue[], e: JournalEvent): boolean {
  return row.every((v, i) => v === e[i]);
}

function checkEvents(db: Database, findings: Findings): void {
  const rows = (sql: string): SqlValue[][] => db.exec(sql)[0]?.values ?? [];
  const [count, min, max] = rows('SELECT count(*), min(global_position), max(global_position) FROM events')[0] as [
    number,
    number | null,
    number | null,
  ];
  if (count > 0 && (min !== 1 || max !== count)) {
    const gaps = rows(
      'SELECT e.global_position + 1 FROM events e WHERE e.global_position < (SELECT max(global_position) FROM events) AND NOT EXISTS (SELECT 1 FROM events n WHERE n.global_position = e.global_position + 1) LIMIT 5',
    ).map((r) => String(r[0]));
    findings.add(
      'positions',
      `Global positions are not gapless from 1: ${count} events hold positions ${String(min)} to ${String(max)}${gaps.length > 0 ? ` (missing, e.g.: ${gaps.join(', ')})` : ''}.`,
    );
  }
  for (const [streamId, version, previous, position] of rows(
    'SELECT stream_id, stream_version, prev, global_position FROM (SELECT stream_id, stream_version, global_position, lag(stream_version, 1, 0) OVER (PARTITION BY stream_id ORDER BY global_position) AS prev FROM events) WHERE stream_version != prev + 1 LIMIT 50',
  )) {
    findings.add(
      'stream versions',
      `Stream "${String(streamId)}" has version ${String(version)} at position ${String(position)} after version ${String(previous)}: versions must go 1, 2, 3, ... in global order.`,
    );
  }
  for (const [streamId, version, last, actualVersion, actualLast] of rows(
    'SELECT s.stream_id, s.version, s.last_position, e.v, e.p FROM streams s LEFT JOIN (SELECT stream_id, max(stream_version) AS v, max(global_position) AS p FROM events GROUP BY stream_id) e ON e.stream_id = s.stream_id WHERE e.v IS NULL OR e.v != s.version OR e.p != s.last_position LIMIT 50',
  )) {
    findings.add(
      'streams table',
      actualVersion === null
        ? `The streams table lists "${String(streamId)}", which has no events.`
        : `The streams table says "${String(streamId)}" is at version ${String(version)} (last position ${String(last)}); its events say ${String(actualVersion)} (${String(actualLast)}).`,
    );
  }
  for (const [streamId] of rows(
    'SELECT DISTINCT e.stream_id FROM events e LEFT JOIN streams s ON s.stream_id = e.stream_id WHERE s.stream_id IS NULL LIMIT 50',
  )) {
    findings.add('streams table', `Stream "${String(streamId)}" has events but no row in the streams table.`);
  }
  for (const [eventId, n] of rows(
    'SELECT event_id, count(*) FROM events NOT INDEXED GROUP BY event_id HAVING count(*) > 1 LIMIT 50',
  )) {
    findings.add('event ids', `Event id ${String(eventId)} is stored ${String(n)} times.`);
  }
  // The same rules as an append, over every row as JavaScript reads it (what export does), and the
  // raw bytes of the ids: text that is not UTF-8 is read with replacement characters, so two ids could read the same.
  const stmt = db.prepare(
    `SELECT ${EVENT_COLUMNS}, length(CAST(stream_id AS BLOB)), length(CAST(event_id AS BLOB)) FROM events ORDER BY global_position`,
  );
  try {
    while (stmt.step()) {
      const [
        position,
        streamId,
        streamVersion,
        eventId,
        type,
        data,
        metadata,
        recordedAt,
        streamIdBytes,
        eventIdBytes,
      ] = stmt.get();
      try {
        validateSerializedEvent({ streamId, streamVersion, eventId, type, data, metadata, recordedAt });
      } catch (e) {
        findings.add('events', `The event at position ${String(position)}: ${(e as Error).message}`);
        continue;
      }
      if (
        Buffer.byteLength(String(streamId)) !== streamIdBytes ||
        Buffer.byteLength(String(eventId)) !== eventIdBytes
      ) {
        findings.add(
          'events',
          `The event at position ${String(position)}: its stream id or event id is not valid UTF-8.`,
        );
      }
    }
  } finally {
    stmt.free();
  }
}
