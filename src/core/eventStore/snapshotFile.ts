import * as fs from 'node:fs';
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
export function loadSnapshot(SQL: SqlJsStatic, file: string, journal: string, onProgress?: (p: OpenProgress) => void): LoadedSnapshot {
  const bytes = readSnapshotBytes(file, onProgress);
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
