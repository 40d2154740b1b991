import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Database, SqlJsStatic } from 'sql.js';
import { expectedSchema, openSnapshot } from './database';
import { StoreUnreadableError } from './errors';
import type { JournalHeader } from './journal';
import { peekJournalHeader } from './journalFile';
import { NotRegularFileError, openRegularFile } from './regularFile';
import { newSealer, sealMatches, type Sealer } from './snapshotSeal';
import { findUnsoundness } from './soundness';
import type { OpenProgress } from './types';

/** Read (and hashed) in pieces that stay in the CPU's cache between the read and the hash. */
const READ_CHUNK_BYTES = 1024 * 1024;
const PROGRESS_BYTES = 16 * 1024 * 1024;

/** Where the bytes of a snapshot came from: the same file, unchanged, has the same identity. */
export interface FileIdentity {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

export function identityOf(st: fs.Stats): FileIdentity {
  return { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
}

export function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/**
 * Reads a whole regular file into one buffer, reporting progress; anything else is refused. With a
 * `sealer`, each piece is hashed as soon as it is read (one pass over the bytes instead of two).
 */
export function readSnapshotBytes(file: string, onProgress?: (p: OpenProgress) => void, sealer?: Sealer): Buffer {
  return readSnapshot(file, onProgress, sealer).bytes;
}

/** An open snapshot file being read into one buffer (shared memory when a worker thread will check it). */
interface SnapshotRead {
  readonly fd: number;
  readonly buf: Buffer;
  readonly total: number;
  readonly identity: FileIdentity;
  /** Hashes and counts a piece just read; reports progress every PROGRESS_BYTES. */
  took(done: number, n: number): void;
}

/** Opens only a regular file (anything else is refused in a sentence) and sets up its read. */
function startRead(
  file: string,
  onProgress: ((p: OpenProgress) => void) | undefined,
  sealer: Sealer | undefined,
  shared: boolean,
): SnapshotRead {
  let fd: number;
  try {
    fd = openRegularFile(file);
  } catch (e) {
    if (NotRegularFileError.is(e)) throw new StoreUnreadableError(file, e.message);
    throw e;
  }
  let st: fs.Stats;
  let buf: Buffer;
  try {
    st = fs.fstatSync(fd);
    buf = shared ? Buffer.from(new SharedArrayBuffer(st.size)) : Buffer.allocUnsafe(st.size);
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
  const total = st.size;
  let reported = 0;
  onProgress?.({ phase: 'reading', done: 0, total });
  return {
    fd,
    buf,
    total,
    identity: identityOf(st),
    took(done, n) {
      sealer?.update(buf.subarray(done, done + n));
      const now = done + n;
      if (onProgress && (now - reported >= PROGRESS_BYTES || now === total)) {
        reported = now;
        onProgress({ phase: 'reading', done: now, total });
      }
    },
  };
}

function readSnapshot(
  file: string,
  onProgress?: (p: OpenProgress) => void,
  sealer?: Sealer,
  shared = false,
): { bytes: Buffer; identity: FileIdentity } {
  const read = startRead(file, onProgress, sealer, shared);
  try {
    let done = 0;
    while (done < read.total) {
      const n = fs.readSync(read.fd, read.buf, done, Math.min(READ_CHUNK_BYTES, read.total - done), done);
      if (n === 0) break;
      read.took(done, n);
      done += n;
    }
    return { bytes: done === read.total ? read.buf : read.buf.subarray(0, done), identity: read.identity };
  } finally {
    fs.closeSync(read.fd);
  }
}

/** Pieces of an asynchronous read: each is read off the event loop, then hashed on it (a few ms). */
const ASYNC_CHUNK_BYTES = 4 * 1024 * 1024;

/** The same as `readSnapshot`, the reads done off the event loop, so a large file does not hold it. */
async function readSnapshotAsync(
  file: string,
  onProgress?: (p: OpenProgress) => void,
  sealer?: Sealer,
  shared = false,
): Promise<{ bytes: Buffer; identity: FileIdentity }> {
  const read = startRead(file, onProgress, sealer, shared);
  try {
    let done = 0;
    while (done < read.total) {
      const n = await new Promise<number>((resolve, reject) =>
        fs.read(read.fd, read.buf, done, Math.min(ASYNC_CHUNK_BYTES, read.total - done), done, (error, bytesRead) =>
          error ? reject(error) : resolve(bytesRead),
        ),
      );
      if (n === 0) break;
      read.took(done, n);
      done += n;
    }
    return { bytes: done === read.total ? read.buf : read.buf.subarray(0, done), identity: read.identity };
  } finally {
    fs.closeSync(read.fd);
  }
}

/** How much of the checks on open a snapshot gets (see `loadSnapshot`). */
export type SnapshotCheck = 'rows' | 'structure' | 'deferred';

export interface LoadedSnapshot {
  readonly db: Database;
  readonly bytes: number;
  /** Why the store is not sound (see soundness.ts), when it is not: it may then only be read. */
  readonly unsound?: string;
  /**
   * What was checked: the seal matched ('seal'), everything ('full'), the structure only
   * ('structure'), or the structure now and everything else on a worker thread ('deferred').
   */
  readonly checked: 'seal' | 'full' | 'structure' | 'deferred';
  /** With 'deferred': the bytes (in shared memory) the full check is to run over. */
  readonly unchecked?: Uint8Array;
  /** The seal of the bytes read, when a key is available and it was computed (to seal them once checked). */
  readonly seal?: string;
  readonly identity: FileIdentity;
}

/**
 * Reads and opens the snapshot. A snapshot sealed by this user's key (see snapshotSeal.ts) is exactly
 * one this store wrote from a sound database: only the header and schema are checked. Any other gets
 * the header, schema and integrity scan (quick_check); with `check: 'rows'` (every open that may
 * write) also the soundness checks over every row. A store opened only to be read skips those: a
 * row that is not an event is named where it is read (rowToEvent), and `verify` lists them all.
 */
export function loadSnapshot(
  SQL: SqlJsStatic,
  file: string,
  journal: string,
  options: { readonly check?: SnapshotCheck; readonly onProgress?: (p: OpenProgress) => void } = {},
): LoadedSnapshot {
  const { check, recorded, sealer } = prepareLoad(journal, options.check);
  const { bytes, identity } = readSnapshot(file, options.onProgress, sealer, check === 'deferred');
  return finishLoad(SQL, file, bytes, identity, sealer?.digest(), recorded, check, options.onProgress);
}

/**
 * The same as `loadSnapshot`, with the file read off the event loop (the extension host's open of a
 * large store): what is left on it is hashing each piece and opening the bytes.
 */
export async function loadSnapshotAsync(
  SQL: SqlJsStatic,
  file: string,
  journal: string,
  options: { readonly check?: SnapshotCheck; readonly onProgress?: (p: OpenProgress) => void } = {},
): Promise<LoadedSnapshot> {
  const { check, recorded, sealer } = prepareLoad(journal, options.check);
  const { bytes, identity } = await readSnapshotAsync(file, options.onProgress, sealer, check === 'deferred');
  // The schema compared with is built once per process: in a turn of its own, not with the open's.
  expectedSchema(SQL);
  await new Promise<void>((resolve) => setImmediate(resolve));
  return finishLoad(SQL, file, bytes, identity, sealer?.digest(), recorded, check, options.onProgress);
}

function prepareLoad(
  journal: string,
  requested: SnapshotCheck | undefined,
): { check: SnapshotCheck; recorded: JournalHeader['snapshot']; sealer: Sealer | undefined } {
  const check = requested ?? 'rows';
  let recorded: JournalHeader['snapshot'];
  try {
    recorded = peekJournalHeader(journal)?.snapshot;
  } catch (e) {
    if (!StoreUnreadableError.is(e)) throw e; // a damaged journal is reported when it is read
  }
  // Hash only when the result can be used: a seal to compare, or a writable open that may seal.
  const sealer = recorded || check !== 'structure' ? newSealer(recorded?.seal) : undefined;
  return { check, recorded, sealer };
}

function finishLoad(
  SQL: SqlJsStatic,
  file: string,
  bytes: Buffer,
  identity: FileIdentity,
  seal: string | undefined,
  recorded: JournalHeader['snapshot'],
  check: SnapshotCheck,
  onProgress: ((p: OpenProgress) => void) | undefined,
): LoadedSnapshot {
  refuseUncheckpointedWal(bytes, file);
  onProgress?.({ phase: 'checking', done: 0, total: 1 });
  const sealed = sealMatches(seal, bytes.length, recorded);
  const deferred = !sealed && check === 'deferred';
  const db = openSnapshot(SQL, bytes, file, { skipScan: sealed || deferred });
  if (deferred) {
    onProgress?.({ phase: 'checking', done: 1, total: 1 });
    return { db, bytes: bytes.length, checked: 'deferred', unchecked: bytes, ...(seal ? { seal } : {}), identity };
  }
  let unsound: string | undefined;
  try {
    unsound = sealed || check === 'structure' ? undefined : findUnsoundness(db);
  } catch (e) {
    db.close();
    throw new StoreUnreadableError(file, `checking its rows failed (SQLite says: ${(e as Error).message})`);
  }
  onProgress?.({ phase: 'checking', done: 1, total: 1 });
  return {
    db,
    bytes: bytes.length,
    ...(unsound ? { unsound } : {}),
    checked: sealed ? 'seal' : check === 'rows' ? 'full' : 'structure',
    ...(seal ? { seal } : {}),
    identity,
  };
}

/**
 * A store left in SQLite's WAL mode by another program may have committed rows only in its `-wal`
 * file, which this store does not read: refused, rather than shown without them.
 */
export function refuseUncheckpointedWal(bytes: Uint8Array, file: string): void {
  if (bytes.length < 20 || (bytes[18] !== 2 && bytes[19] !== 2)) return;
  let size = 0;
  try {
    size = fs.statSync(`${file}-wal`).size;
  } catch {
    return; // no -wal file: every row is in the file itself
  }
  if (size > 0) {
    throw new StoreUnreadableError(
      file,
      `it was left in SQLite's WAL mode by another program, and ${path.basename(file)}-wal holds changes that are not in the file yet; checkpoint them first (sqlite3 "${file}" "PRAGMA wal_checkpoint(TRUNCATE)")`,
    );
  }
}
