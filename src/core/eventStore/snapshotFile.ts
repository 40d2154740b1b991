import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Database, SqlJsStatic } from 'sql.js';
import { openSnapshot } from './database';
import { StoreUnreadableError } from './errors';
import { peekJournalHeader } from './journalFile';
import { NotRegularFileError, openRegularFile } from './regularFile';
import { isSealed } from './snapshotSeal';
import { findUnsoundness } from './soundness';
import type { OpenProgress } from './types';

const READ_CHUNK_BYTES = 16 * 1024 * 1024;

/** Reads a whole regular file into one buffer, reporting progress in chunks; anything else is refused. */
export function readSnapshotBytes(file: string, onProgress?: (p: OpenProgress) => void): Buffer {
  let fd: number;
  try {
    fd = openRegularFile(file);
  } catch (e) {
    if (NotRegularFileError.is(e)) throw new StoreUnreadableError(file, e.message);
    throw e;
  }
  try {
    const total = fs.fstatSync(fd).size;
    const buf = Buffer.allocUnsafe(total);
    let done = 0;
    onProgress?.({ phase: 'reading', done: 0, total });
    while (done < total) {
      const n = fs.readSync(fd, buf, done, Math.min(READ_CHUNK_BYTES, total - done), done);
      if (n === 0) break;
      done += n;
      onProgress?.({ phase: 'reading', done, total });
    }
    return done === total ? buf : buf.subarray(0, done);
  } finally {
    fs.closeSync(fd);
  }
}

export interface LoadedSnapshot {
  readonly db: Database;
  readonly bytes: number;
  /** Why the store is not sound (see soundness.ts), when it is not: it may then only be read. */
  readonly unsound?: string;
}

/**
 * Reads and opens the snapshot. A snapshot sealed by this user's key (see snapshotSeal.ts) is exactly
 * one this store wrote from a sound database: only the header and schema are checked. Any other gets
 * the integrity scan and the soundness checks.
 */
export function loadSnapshot(
  SQL: SqlJsStatic,
  file: string,
  journal: string,
  onProgress?: (p: OpenProgress) => void,
): LoadedSnapshot {
  const bytes = readSnapshotBytes(file, onProgress);
  refuseUncheckpointedWal(bytes, file);
  onProgress?.({ phase: 'checking', done: 0, total: 1 });
  let sealed = false;
  try {
    sealed = isSealed(bytes, peekJournalHeader(journal)?.snapshot);
  } catch (e) {
    if (!StoreUnreadableError.is(e)) throw e; // a damaged journal is reported when it is read
  }
  const db = openSnapshot(SQL, bytes, file, { skipScan: sealed });
  let unsound: string | undefined;
  try {
    unsound = sealed ? undefined : findUnsoundness(db);
  } catch (e) {
    db.close();
    throw new StoreUnreadableError(file, `checking its rows failed (SQLite says: ${(e as Error).message})`);
  }
  onProgress?.({ phase: 'checking', done: 1, total: 1 });
  return { db, bytes: bytes.length, ...(unsound ? { unsound } : {}) };
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
