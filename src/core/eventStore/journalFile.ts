import * as fs from 'node:fs';
import { writeFileAtomic } from './atomicFile';
import { StoreUnreadableError } from './errors';
import {
  JOURNAL_HEADER_BYTES,
  JournalCorruptError,
  decodeHeader,
  encodeHeader,
  readExactly,
  scanRecords,
  type JournalHeader,
  type JournalScan,
} from './journal';
import { NotRegularFileError, openRegularFile } from './regularFile';

/**
 * The journal file as the store uses it: opened only when it is a regular file, read with every
 * damage reported in one way, and replaced atomically. The record format itself is in journal.ts.
 */

/** Runs `read`; a damaged journal or a journal that is not a regular file becomes a StoreUnreadableError. */
export function readingJournal<T>(file: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof JournalCorruptError) throw new StoreUnreadableError(file, `the journal is damaged: ${e.message}`);
    if (NotRegularFileError.is(e)) throw new StoreUnreadableError(file, e.message);
    throw e;
  }
}

/** Opens the journal if it exists (undefined when it does not); never blocks on a FIFO. */
export function openJournal(file: string, mode: 'r' | 'r+'): number | undefined {
  try {
    return readingJournal(file, () => openRegularFile(file, mode));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export function readJournalHeader(fd: number, file: string): JournalHeader {
  return readingJournal(file, () => decodeHeader(readExactly(fd, JOURNAL_HEADER_BYTES, 0)));
}

/** The records from byte `from` (a record boundary) to `size`. */
export function readJournalRecords(fd: number, file: string, from: number, size: number): JournalScan {
  return readingJournal(file, () =>
    scanRecords(from === size ? Buffer.alloc(0) : readExactly(fd, size - from, from), from),
  );
}

/** The header of the journal, or undefined when there is none. */
export function peekJournalHeader(file: string): JournalHeader | undefined {
  const fd = openJournal(file, 'r');
  if (fd === undefined) return undefined;
  try {
    return readJournalHeader(fd, file);
  } finally {
    fs.closeSync(fd);
  }
}

/** Replaces the journal with a new one: the header, then `records` copied verbatim (temp file, fsync, rename). */
export function replaceJournal(file: string, header: JournalHeader, records: Uint8Array = Buffer.alloc(0)): void {
  writeFileAtomic(file, Buffer.concat([encodeHeader(header), records]));
}
