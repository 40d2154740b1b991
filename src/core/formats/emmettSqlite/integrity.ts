import type { EmmettSqliteStore } from './emmettSqliteStore';

export type FindingCheck =
  | 'position-gap'
  | 'duplicate-stream-position'
  | 'missing-stream-position'
  | 'stream-version-mismatch'
  | 'stream-not-registered'
  | 'unparsable-json'
  | 'metadata-mismatch'
  | 'odd-partition'
  | 'unknown-message-kind'
  | 'checkpoint-beyond-last-position'
  | 'more-findings';

/** One thing wrong with a store, named by its stream and position so it can be found. */
export interface Finding {
  readonly check: FindingCheck;
  readonly message: string;
  readonly streamId?: string;
  /** Global position of the message at fault (or the first missing one, for a gap). */
  readonly position?: number;
  readonly streamPosition?: number;
}

export interface IntegrityReport {
  readonly ok: boolean;
  readonly messages: number;
  readonly streams: number;
  readonly lastPosition: number;
  readonly findings: readonly Finding[];
}

/** Findings of one check beyond this many are summed up in one "more" finding, so a broken store still gives a readable report. */
const MAX_PER_CHECK = 100;

/** The findings of one run of checks: each check lists at most MAX_PER_CHECK, the rest are counted. */
export function findingList(): { add(finding: Finding): void; done(): Finding[] } {
  const findings: Finding[] = [];
  const counts = new Map<FindingCheck, number>();
  return {
    add(f) {
      const n = (counts.get(f.check) ?? 0) + 1;
      counts.set(f.check, n);
      if (n <= MAX_PER_CHECK) findings.push(f);
    },
    done() {
      for (const [check, n] of counts) {
        if (n > MAX_PER_CHECK)
          findings.push({
            check: 'more-findings',
            message: `${n - MAX_PER_CHECK} more findings of the check ${check} are not listed.`,
          });
      }
      return findings;
    },
  };
}

/** Partition values a person or Emmett chose on purpose; anything else (e.g. "[object Object]", blanks, control characters) is reported. */
function isOddPartition(value: string): boolean {
  return (
    value.trim() === '' ||
    value !== value.trim() ||
    /\[object \w+\]/.test(value) ||
    [...value].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f) ||
    value === 'undefined' ||
    value === 'null'
  );
}

/**
 * Checks an Emmett store for what its readers rely on: global positions without gaps, stream
 * positions 1..n once each, the streams table agreeing with the messages, JSON that parses,
 * metadata that agrees with the columns, sensible partitions, and processor checkpoints within the
 * store. Runs on the loaded copy; the files are not touched.
 */
export function checkEmmettStore(store: EmmettSqliteStore): IntegrityReport {
  const list = findingList();
  const add = list.add;
  const { schema } = store;
  const t = schema.messagesTable;
  const c = schema.columns;
  const rows = store.sql.rows;

  // Gaps in the global sequence (events and commands share it).
  let previous = 0;
  let messages = 0;
  for (const [pos] of rows(`SELECT global_position FROM ${t} ORDER BY global_position`)) {
    const p = Number(pos);
    messages += 1;
    if (p !== previous + 1) {
      const missing = p - previous - 1;
      const after = previous === 0 ? 'at the start' : `after position ${previous}`;
      add({
        check: 'position-gap',
        position: previous + 1,
        message: `Global position${missing === 1 ? ` ${previous + 1} is` : `s ${previous + 1} to ${p - 1} are`} missing (${after}, before ${p}).`,
      });
    }
    previous = p;
  }

  // Stream positions: each 1..n exactly once per stream (the unique key also holds partition and archived, so duplicates can exist).
  let stream: string | undefined;
  let expected = 1;
  let streams = 0;
  const messageCounts = new Map<string, { count: number; max: number }>();
  for (const [sid, spos, gpos] of rows(
    `SELECT stream_id, stream_position, global_position FROM ${t} ORDER BY stream_id, stream_position, global_position`,
  )) {
    const streamId = String(sid);
    const sp = Number(spos);
    const gp = Number(gpos);
    if (streamId !== stream) {
      stream = streamId;
      expected = 1;
      streams += 1;
    }
    const entry = messageCounts.get(streamId) ?? { count: 0, max: 0 };
    entry.count += 1;
    entry.max = Math.max(entry.max, sp);
    messageCounts.set(streamId, entry);
    if (sp < expected) {
      add({
        check: 'duplicate-stream-position',
        streamId,
        streamPosition: sp,
        position: gp,
        message: `Stream "${streamId}" has position ${sp} more than once (again at global position ${gp}).`,
      });
      continue;
    }
    if (sp > expected) {
      add({
        check: 'missing-stream-position',
        streamId,
        streamPosition: expected,
        position: gp,
        message: `Stream "${streamId}" lacks position${sp - expected === 1 ? ` ${expected}` : `s ${expected} to ${sp - 1}`} (the next message, at global position ${gp}, has stream position ${sp}).`,
      });
    }
    expected = sp + 1;
  }

  // Emmett's stream table against the messages.
  if (schema.hasStreamsTable) {
    const registered = new Set<string>();
    for (const [sid, version, partition] of rows(
      `SELECT stream_id, stream_position, ${c.partition ? 'partition' : 'NULL'} FROM emt_streams ORDER BY stream_id`,
    )) {
      const streamId = String(sid);
      registered.add(streamId);
      const actual = messageCounts.get(streamId);
      const v = Number(version);
      if (!actual || actual.count !== v) {
        const last = actual
          ? Number(rows(`SELECT max(global_position) FROM ${t} WHERE stream_id = ?`, [streamId])[0]?.[0])
          : undefined;
        add({
          check: 'stream-version-mismatch',
          streamId,
          streamPosition: v,
          ...(last === undefined ? {} : { position: last }),
          message: `Stream "${streamId}" is at version ${v} in emt_streams, but has ${actual?.count ?? 0} message${actual?.count === 1 ? '' : 's'}.`,
        });
      }
      if (partition !== null && isOddPartition(String(partition))) {
        add({
          check: 'odd-partition',
          streamId,
          message: `Stream "${streamId}" has the odd partition value ${JSON.stringify(String(partition))} in emt_streams.`,
        });
      }
    }
    for (const [streamId] of messageCounts) {
      if (!registered.has(streamId)) {
        const first = Number(rows(`SELECT min(global_position) FROM ${t} WHERE stream_id = ?`, [streamId])[0]?.[0]);
        add({
          check: 'stream-not-registered',
          streamId,
          position: first,
          message: `Stream "${streamId}" has messages (the first at global position ${first}) but no row in emt_streams.`,
        });
      }
    }
  }

  // Per message: JSON, metadata against columns, partition, kind.
  const select = `SELECT global_position, stream_id, stream_position, ${c.id}, json_valid(${c.data}), json_valid(${c.metadata}),
    CASE WHEN json_valid(${c.metadata}) AND json_type(${c.metadata}) = 'object' THEN json_extract(${c.metadata}, '$.messageId') END,
    CASE WHEN json_valid(${c.metadata}) AND json_type(${c.metadata}) = 'object' THEN json_extract(${c.metadata}, '$.streamName') END,
    ${c.partition ?? 'NULL'}, ${c.kind ?? "'E'"} FROM ${t} ORDER BY global_position`;
  for (const r of rows(select)) {
    const position = Number(r[0]);
    const streamId = String(r[1]);
    const streamPosition = Number(r[2]);
    const at = { streamId, position, streamPosition };
    const where = `stream "${streamId}" position ${streamPosition} (global position ${position})`;
    if (r[4] !== 1) add({ check: 'unparsable-json', ...at, message: `The data of ${where} is not valid JSON.` });
    if (r[5] !== 1) add({ check: 'unparsable-json', ...at, message: `The metadata of ${where} is not valid JSON.` });
    if (r[6] !== null && String(r[6]) !== String(r[3])) {
      add({
        check: 'metadata-mismatch',
        ...at,
        message: `The metadata of ${where} says messageId ${JSON.stringify(String(r[6]))}, the message_id column ${JSON.stringify(String(r[3]))}.`,
      });
    }
    if (r[7] !== null && String(r[7]) !== streamId) {
      add({
        check: 'metadata-mismatch',
        ...at,
        message: `The metadata of ${where} says streamName ${JSON.stringify(String(r[7]))}, the stream_id column ${JSON.stringify(streamId)}.`,
      });
    }
    if (r[8] !== null && isOddPartition(String(r[8])))
      add({
        check: 'odd-partition',
        ...at,
        message: `The message at ${where} has the odd partition value ${JSON.stringify(String(r[8]))}.`,
      });
    if (r[9] !== 'E' && r[9] !== 'C')
      add({
        check: 'unknown-message-kind',
        ...at,
        message: `The message at ${where} has the kind ${JSON.stringify(String(r[9]))} (expected E for an event or C for a command).`,
      });
  }

  const lastPosition = previous;
  for (const cp of store.checkpoints()) {
    if (cp.position !== undefined && cp.position > lastPosition) {
      add({
        check: 'checkpoint-beyond-last-position',
        position: cp.position,
        message: `Processor "${cp.processorId}" (partition ${JSON.stringify(cp.partition)}) has checkpoint ${cp.position}, beyond the last position ${lastPosition}.`,
      });
    }
  }

  const findings = list.done();
  return { ok: findings.length === 0, messages, streams, lastPosition, findings };
}
