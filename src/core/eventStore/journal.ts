import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';

/**
 * The append journal: the events acknowledged since the last snapshot, one record per append.
 *
 * Layout: a fixed 256-byte header line (JSON, padded with spaces), then records, each one line:
 *   `<payload byte length> <crc32 of payload, 8 hex digits> <payload>\n`
 * where the payload is a JSON array of events, each `[position, streamId, streamVersion, eventId,
 * type, dataJson, metadataJson, recordedAt]`. A record is fsynced before its append is acknowledged.
 * A record that is incomplete or fails its checksum at the very end of the file is a torn write
 * (never acknowledged) and is dropped; anything bad followed by a good record is corruption.
 */

export const JOURNAL_FORMAT = 'event-store-journal';
export const JOURNAL_VERSION = 1;
export const JOURNAL_HEADER_BYTES = 256;

/** One event as journaled; the same order as the columns of the events table. */
export type JournalEvent = [
  globalPosition: number,
  streamId: string,
  streamVersion: number,
  eventId: string,
  type: string,
  data: string,
  metadata: string,
  recordedAt: string,
];

/** A journaled event as the fields the append rules check (validateSerializedEvent). */
export function journaledFields(e: JournalEvent) {
  return {
    streamId: e[1],
    streamVersion: e[2],
    eventId: e[3],
    type: e[4],
    data: e[5],
    metadata: e[6],
    recordedAt: e[7],
  };
}

export interface JournalHeader {
  /** Changes each time the journal is replaced by a compaction. */
  readonly generation: string;
  /** Position of the last event held by the snapshot this journal continues. */
  readonly base: number;
  /**
   * Size and seal (keyed MAC, see snapshotSeal.ts) of that snapshot as the store wrote it: a snapshot
   * still matching them needs no scan on open. Journals of earlier versions carried a CRC-32 here,
   * which anyone can compute; it is ignored.
   */
  readonly snapshot?: { readonly bytes: number; readonly seal: string };
}

export interface JournalRecord {
  /** Byte offsets of the record in the journal file. */
  readonly offset: number;
  readonly end: number;
  readonly events: JournalEvent[];
  /** The record's payload: its events as JSON (UTF-8). */
  readonly payload: Buffer;
}

export interface JournalScan {
  readonly records: JournalRecord[];
  /** End of the last good record: where the next record goes. */
  readonly validEnd: number;
  /** Bytes after validEnd that do not form a record: a torn, never-acknowledged write. */
  readonly tornBytes: number;
}

export class JournalCorruptError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
    this.name = 'JournalCorruptError';
  }
}

const crcTable = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

function crc32Js(bytes: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** zlib.crc32 exists from Node 20.15; older hosts use the table version. */
const nativeCrc32 = (zlib as unknown as { crc32?: (data: Uint8Array) => number }).crc32;
export const crc32: (bytes: Uint8Array) => number = nativeCrc32 ? (b) => nativeCrc32(b) >>> 0 : crc32Js;

export function newGeneration(): string {
  return randomBytes(16).toString('hex');
}

export function encodeHeader(header: JournalHeader): Buffer {
  const json = JSON.stringify({
    format: JOURNAL_FORMAT,
    version: JOURNAL_VERSION,
    generation: header.generation,
    base: header.base,
    ...(header.snapshot ? { snapshot: header.snapshot } : {}),
  });
  if (json.length > JOURNAL_HEADER_BYTES - 1) throw new Error('Journal header too long.');
  return Buffer.from(json.padEnd(JOURNAL_HEADER_BYTES - 1, ' ') + '\n', 'latin1');
}

/** Parses the header; throws a JournalCorruptError with a readable reason when it is not ours. */
export function decodeHeader(bytes: Uint8Array): JournalHeader {
  if (bytes.length < JOURNAL_HEADER_BYTES)
    throw new JournalCorruptError(0, `its header is truncated (${bytes.length} of ${JOURNAL_HEADER_BYTES} bytes)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes.subarray(0, JOURNAL_HEADER_BYTES)).toString('latin1'));
  } catch {
    throw new JournalCorruptError(0, 'its header is not readable (not an event store journal)');
  }
  const h = parsed as {
    format?: unknown;
    version?: unknown;
    generation?: unknown;
    base?: unknown;
    snapshot?: { bytes?: unknown; seal?: unknown };
  };
  if (h === null || typeof h !== 'object' || h.format !== JOURNAL_FORMAT)
    throw new JournalCorruptError(0, 'it is not an event store journal');
  if (typeof h.version !== 'number' || h.version > JOURNAL_VERSION) {
    throw new JournalCorruptError(
      0,
      `its format version ${String(h.version)} is newer than this version understands (${JOURNAL_VERSION})`,
    );
  }
  if (typeof h.generation !== 'string' || typeof h.base !== 'number' || !Number.isSafeInteger(h.base) || h.base < 0) {
    throw new JournalCorruptError(0, 'its header is incomplete');
  }
  const snap = h.snapshot;
  const snapshot =
    snap &&
    typeof snap === 'object' &&
    Number.isSafeInteger(snap.bytes) &&
    typeof snap.seal === 'string' &&
    /^[0-9a-f]{56}$/.test(snap.seal)
      ? { bytes: snap.bytes as number, seal: snap.seal }
      : undefined;
  return { generation: h.generation, base: h.base, ...(snapshot ? { snapshot } : {}) };
}

/** The events of one record as JSON (UTF-8); their data and metadata are JSON text already checked by validation. */
export function encodePayload(events: readonly JournalEvent[]): Buffer {
  return Buffer.from(JSON.stringify(events), 'utf8');
}

/** Frames a payload as one journal line: length, checksum, payload, newline. */
export function encodeRecord(payload: Buffer): Buffer {
  const prefix = `${payload.length} ${crc32(payload).toString(16).padStart(8, '0')} `;
  const out = Buffer.allocUnsafe(prefix.length + payload.length + 1);
  out.write(prefix, 0, 'latin1');
  payload.copy(out, prefix.length);
  out[out.length - 1] = 0x0a;
  return out;
}

const SPACE = 0x20;
const NEWLINE = 0x0a;
const MAX_LENGTH_DIGITS = 12;

type Parsed =
  | { ok: true; end: number; events: JournalEvent[]; payload: Buffer }
  | { ok: false; incomplete: boolean; reason: string };

function parseRecordAt(buf: Buffer, pos: number): Parsed {
  let i = pos;
  let length = 0;
  while (i < buf.length && buf[i] !== SPACE) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9 || i - pos >= MAX_LENGTH_DIGITS)
      return { ok: false, incomplete: false, reason: 'a record does not start with its length' };
    length = length * 10 + d;
    i++;
  }
  if (i >= buf.length) return { ok: false, incomplete: true, reason: 'the last record is incomplete' };
  if (i === pos) return { ok: false, incomplete: false, reason: 'a record does not start with its length' };
  const crcStart = i + 1;
  const payloadStart = crcStart + 9;
  const end = payloadStart + length + 1;
  if (end > buf.length) return { ok: false, incomplete: true, reason: 'the last record is incomplete' };
  if (buf[payloadStart - 1] !== SPACE || buf[end - 1] !== NEWLINE)
    return { ok: false, incomplete: false, reason: 'a record is malformed' };
  const expected = Number.parseInt(buf.toString('latin1', crcStart, crcStart + 8), 16);
  const payload = buf.subarray(payloadStart, payloadStart + length);
  if (!Number.isFinite(expected) || crc32(payload) !== expected)
    return { ok: false, incomplete: false, reason: 'a record fails its checksum' };
  let events: unknown;
  try {
    events = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, incomplete: false, reason: 'a record holds unreadable JSON' };
  }
  if (!Array.isArray(events) || events.length === 0 || !events.every(isJournalEvent)) {
    return { ok: false, incomplete: false, reason: 'a record holds events of an unexpected shape' };
  }
  return { ok: true, end, events: events as JournalEvent[], payload };
}

function isJournalEvent(e: unknown): e is JournalEvent {
  return (
    Array.isArray(e) &&
    e.length === 8 &&
    Number.isSafeInteger(e[0]) &&
    typeof e[1] === 'string' &&
    Number.isSafeInteger(e[2]) &&
    typeof e[3] === 'string' &&
    typeof e[4] === 'string' &&
    typeof e[5] === 'string' &&
    typeof e[6] === 'string' &&
    typeof e[7] === 'string'
  );
}

/**
 * Splits `buf` (journal bytes starting at file offset `baseOffset`, on a record boundary) into records.
 * A bad record at the end is reported as torn; a bad record followed by a good one throws.
 */
export function scanRecords(buf: Buffer, baseOffset: number): JournalScan {
  const records: JournalRecord[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const parsed = parseRecordAt(buf, pos);
    if (parsed.ok) {
      records.push({
        offset: baseOffset + pos,
        end: baseOffset + parsed.end,
        events: parsed.events,
        payload: parsed.payload,
      });
      pos = parsed.end;
      continue;
    }
    if (hasGoodRecordAfter(buf, pos)) {
      throw new JournalCorruptError(
        baseOffset + pos,
        `${parsed.reason} at byte ${baseOffset + pos}, and good records follow it`,
      );
    }
    return { records, validEnd: baseOffset + pos, tornBytes: buf.length - pos };
  }
  return { records, validEnd: baseOffset + pos, tornBytes: 0 };
}

function hasGoodRecordAfter(buf: Buffer, from: number): boolean {
  let nl = buf.indexOf(NEWLINE, from);
  while (nl !== -1 && nl + 1 < buf.length) {
    if (parseRecordAt(buf, nl + 1).ok) return true;
    nl = buf.indexOf(NEWLINE, nl + 1);
  }
  return false;
}

export function readExactly(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, done, length - done, position + done);
    if (n === 0) return buf.subarray(0, done);
    done += n;
  }
  return buf;
}

export function writeFully(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done, position + done);
}
