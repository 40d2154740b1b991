import * as fs from 'node:fs';
import { openRegularFile, readRegularFile } from '../eventStore/regularFile';

/**
 * Reading a SQLite database the way a SQLite reader would see it while its writer runs in WAL mode:
 * the main file plus the committed frames of `<file>-wal`, as described in SQLite's file-format
 * documentation (https://www.sqlite.org/fileformat2.html#walformat). Files are only ever opened for
 * reading; no `-shm` is used or created, so a writer's files stay byte-for-byte as they were.
 */

const WAL_HEADER_BYTES = 32;
const FRAME_HEADER_BYTES = 24;
const WAL_MAGIC_LE = 0x377f0682;
const WAL_MAGIC_BE = 0x377f0683;
const SQLITE_MAGIC = 'SQLite format 3\u0000';

/** Why a database and its WAL cannot be read together; the message is one sentence for people. */
export class SqliteFileError extends Error {
  readonly code = 'sqlite-file';
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`The store ${file} cannot be read: ${reason}; nothing was changed.`);
    this.name = 'SqliteFileError';
  }
  static is(e: unknown): e is SqliteFileError {
    return e instanceof SqliteFileError;
  }
}

export interface WalHeader {
  readonly bigEndian: boolean;
  readonly pageSize: number;
  readonly checkpointSequence: number;
  readonly salt1: number;
  readonly salt2: number;
}

/** What a WAL adds to its database: the newest committed version of each page, and the database size. */
export interface WalContents {
  readonly header: WalHeader | undefined;
  /** Page number -> byte offset of that page's newest committed content in the WAL bytes. */
  readonly pages: Map<number, number>;
  /** The database size in pages after the last commit; 0 when the WAL holds no commit. */
  readonly databasePages: number;
  /** Frames read as committed. */
  readonly committedFrames: number;
  /** Valid frames after the last commit: a transaction in progress, not yet visible to readers. */
  readonly uncommittedFrames: number;
  /** Bytes after the last valid frame (a torn write, frames of an earlier WAL generation, or a partial frame). */
  readonly ignoredBytes: number;
  /** Byte offset just after the last committed frame. */
  readonly committedEnd: number;
  /** The running checksum at `committedEnd`, from which the next frame's is computed. */
  readonly checksum: readonly [number, number];
}

const EMPTY_WAL: WalContents = {
  header: undefined,
  pages: new Map(),
  databasePages: 0,
  committedFrames: 0,
  uncommittedFrames: 0,
  ignoredBytes: 0,
  committedEnd: 0,
  checksum: [0, 0],
};

/**
 * SQLite's WAL checksum: pairs of 32-bit words, in the byte order the WAL header's magic says,
 * summed with the running checksum. `length` is a multiple of 8.
 */
function walChecksum(
  view: DataView,
  offset: number,
  length: number,
  bigEndian: boolean,
  s0: number,
  s1: number,
): [number, number] {
  const end = offset + length;
  for (let i = offset; i < end; i += 8) {
    s0 = (s0 + view.getUint32(i, !bigEndian) + s1) >>> 0;
    s1 = (s1 + view.getUint32(i + 4, !bigEndian) + s0) >>> 0;
  }
  return [s0, s1];
}

/** Reads the WAL header; undefined when the WAL is empty, too short or its header checksum fails (SQLite then ignores it). */
export function readWalHeader(wal: Uint8Array): WalHeader | undefined {
  if (wal.length < WAL_HEADER_BYTES) return undefined;
  const view = new DataView(wal.buffer, wal.byteOffset, wal.byteLength);
  const magic = view.getUint32(0);
  if (magic !== WAL_MAGIC_LE && magic !== WAL_MAGIC_BE) return undefined;
  const bigEndian = magic === WAL_MAGIC_BE;
  const pageSize = view.getUint32(8);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return undefined;
  const [c0, c1] = walChecksum(view, 0, 24, bigEndian, 0, 0);
  if (c0 !== view.getUint32(24) || c1 !== view.getUint32(28)) return undefined;
  return {
    bigEndian,
    pageSize,
    checkpointSequence: view.getUint32(12),
    salt1: view.getUint32(16),
    salt2: view.getUint32(20),
  };
}

/**
 * The committed frames of a WAL, as SQLite's recovery finds them: frames are valid while their salts
 * match the header and their cumulative checksum holds; the WAL ends at the last valid commit frame.
 * Anything after it (a torn tail, a transaction still being written, frames left from before the
 * WAL was restarted) is ignored, exactly as a SQLite reader would.
 */
export function readWal(wal: Uint8Array): WalContents {
  const header = readWalHeader(wal);
  if (!header) return { ...EMPTY_WAL, ignoredBytes: wal.length };
  const view = new DataView(wal.buffer, wal.byteOffset, wal.byteLength);
  return scanFrames(view, 0, WAL_HEADER_BYTES, header, [view.getUint32(24), view.getUint32(28)]);
}

/**
 * The frames committed after `from` (a `committedEnd` of an earlier read of the same WAL generation),
 * given the bytes of the WAL file from that offset on: what a reader that already applied the WAL up
 * to `from` has to add. Page offsets are offsets in the WAL file.
 */
export function readWalFrom(tail: Uint8Array, from: WalContents): WalContents {
  if (!from.header) throw new Error('A WAL without a header has no frames to continue from.');
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  return scanFrames(view, from.committedEnd, from.committedEnd, from.header, from.checksum);
}

/** Scans frames from file offset `start`; `view` holds the WAL's bytes from file offset `base` on. */
function scanFrames(
  view: DataView,
  base: number,
  start: number,
  header: WalHeader,
  checksum: readonly [number, number],
): WalContents {
  const frameBytes = FRAME_HEADER_BYTES + header.pageSize;
  let [s0, s1] = checksum;
  let committedChecksum: [number, number] = [s0, s1];
  const pending = new Map<number, number>();
  const pages = new Map<number, number>();
  let databasePages = 0;
  let committedFrames = 0;
  let pendingFrames = 0;
  let committedEnd = start;
  let offset = start - base;
  for (; offset + frameBytes <= view.byteLength; offset += frameBytes) {
    const pageNumber = view.getUint32(offset);
    const commitSize = view.getUint32(offset + 4);
    if (pageNumber === 0) break;
    if (view.getUint32(offset + 8) !== header.salt1 || view.getUint32(offset + 12) !== header.salt2) break;
    [s0, s1] = walChecksum(view, offset, 8, header.bigEndian, s0, s1);
    [s0, s1] = walChecksum(view, offset + FRAME_HEADER_BYTES, header.pageSize, header.bigEndian, s0, s1);
    if (s0 !== view.getUint32(offset + 16) || s1 !== view.getUint32(offset + 20)) break;
    pending.set(pageNumber, base + offset + FRAME_HEADER_BYTES);
    pendingFrames += 1;
    if (commitSize !== 0) {
      for (const [page, at] of pending) pages.set(page, at);
      pending.clear();
      committedFrames += pendingFrames;
      pendingFrames = 0;
      databasePages = commitSize;
      committedEnd = base + offset + frameBytes;
      committedChecksum = [s0, s1];
    }
  }
  return {
    header,
    pages,
    databasePages,
    committedFrames,
    uncommittedFrames: pendingFrames,
    ignoredBytes: view.byteLength - offset,
    committedEnd,
    checksum: committedChecksum,
  };
}

/** The page size a SQLite main file declares (bytes 16-17; 1 means 65536). */
export function pageSizeOf(main: Uint8Array): number {
  const raw = (main[16]! << 8) | main[17]!;
  return raw === 1 ? 65536 : raw;
}

export function isSqliteHeader(bytes: Uint8Array): boolean {
  return bytes.length >= 100 && Buffer.from(bytes.buffer, bytes.byteOffset, 16).toString('latin1') === SQLITE_MAGIC;
}

/** A database as its readers see it, with what its WAL contributed. */
export interface DatabaseImage {
  /**
   * A rollback-journal-mode image: the main file with the committed WAL frames applied, followed by
   * the zeroed spare bytes asked for. SQLite reads the database's size from its header (kept valid),
   * so spare bytes are room to grow into, not pages of the database.
   */
  readonly bytes: Uint8Array;
  readonly wal: WalContents;
  /** Size in bytes of the main file and the WAL when they were read. */
  readonly mainBytes: number;
  readonly walBytes: number;
}

/** Reads a regular file whole (a FIFO or a device is refused, never waited on); undefined when absent. */
function readIfExists(file: string): Buffer | undefined {
  return readRegularFile(file);
}

function walState(file: string): string {
  try {
    const st = fs.statSync(file);
    return `${st.size}:${st.mtimeMs}:${st.ino}`;
  } catch {
    return '-';
  }
}

/** Reads a whole file into the start of `into` (which may be larger), returning the bytes read. */
function readInto(file: string, into: Uint8Array, size: number): void {
  const fd = openRegularFile(file);
  try {
    for (let offset = 0; offset < size;) {
      const n = fs.readSync(fd, into, offset, size - offset, offset);
      if (n === 0) throw new SqliteFileError(file, 'it became shorter while it was read');
      offset += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads `file` and `file-wal` (read-only) and applies the committed WAL frames to the main file's
 * bytes, read straight into a buffer of the database's final size (one copy of the database in
 * memory). The WAL is read first; if it changed by the time the main file is read (the writer
 * committed, or checkpointed and restarted it), the read is repeated, so pages the main file
 * received from a checkpoint never mix with an older WAL.
 */
export function readDatabaseImage(file: string, options: { readonly spareBytes?: number } = {}): DatabaseImage {
  const spare = options.spareBytes ?? 0;
  const walFile = `${file}-wal`;
  for (let attempt = 0; ; attempt++) {
    const walBefore = walState(walFile);
    const walBytes = readIfExists(walFile);
    let mainSize: number;
    try {
      mainSize = fs.statSync(file).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      throw new SqliteFileError(
        file,
        walBytes
          ? 'the database file does not exist, only its -wal file is there (a WAL cannot be read without its database)'
          : 'the file does not exist',
      );
    }
    const wal = walBytes ? readWal(walBytes) : EMPTY_WAL;
    const walSize = wal.header && wal.databasePages > 0 ? wal.databasePages * wal.header.pageSize : 0;
    // Only the part past the main file is zeroed (in case a page there is in no frame); the rest is read.
    const main = Buffer.allocUnsafe(Math.max(mainSize, walSize) + spare);
    main.fill(0, mainSize);
    readInto(file, main, mainSize);
    if (walState(walFile) !== walBefore && attempt < 10) continue;
    const image = applyWal(file, main.subarray(0, walSize || mainSize), walBytes, wal, mainSize);
    return {
      // Zeroed pages after the database (see spareBytes) are part of the bytes, not of the database.
      bytes: spare > 0 && image.buffer === main.buffer ? main.subarray(0, image.length + spare) : image,
      wal,
      mainBytes: mainSize,
      walBytes: walBytes?.length ?? 0,
    };
  }
}

/**
 * Applies committed frames to the main file's bytes (in place when the size allows) and marks the
 * image as a rollback-journal database, so sql.js reads it without looking for a WAL of its own.
 */
export function applyWal(
  file: string,
  main: Uint8Array,
  walBytes: Uint8Array | undefined,
  wal: WalContents,
  mainSize = main.length,
): Uint8Array {
  if (mainSize === 0 && wal.databasePages === 0) throw new SqliteFileError(file, 'it is empty (0 bytes)');
  if (mainSize > 0 && !isSqliteHeader(main)) throw new SqliteFileError(file, 'it is not a SQLite database');
  let image = main;
  if (wal.header && wal.databasePages > 0 && walBytes) {
    const pageSize = wal.header.pageSize;
    if (mainSize > 0 && pageSizeOf(main) !== pageSize) {
      throw new SqliteFileError(
        file,
        `its -wal file does not belong to it (pages of ${pageSize} bytes in the WAL, ${pageSizeOf(main)} in the database)`,
      );
    }
    const size = wal.databasePages * pageSize;
    if (size !== main.length) {
      // Callers that know the WAL's size read the main file into a buffer of that size; others pay a copy.
      image = new Uint8Array(size);
      image.set(main.subarray(0, Math.min(size, main.length)));
    }
    for (const [page, at] of wal.pages) {
      if (page > wal.databasePages) continue; // truncated away by a later commit
      image.set(walBytes.subarray(at, at + pageSize), (page - 1) * pageSize);
    }
    if (!isSqliteHeader(image))
      throw new SqliteFileError(
        file,
        'its -wal file does not belong to it (the first page it holds is not a SQLite header)',
      );
  }
  if (image.length < 100) throw new SqliteFileError(file, 'it is truncated');
  if (image.length % pageSizeOf(image) !== 0)
    throw new SqliteFileError(file, `it is truncated (${image.length} bytes)`);
  // Bytes 18-19 = 2 mean WAL mode; 1 makes sql.js read the image alone, as the complete database it now is.
  image[18] = 1;
  image[19] = 1;
  // The in-header size is trusted only when "version-valid-for" equals the change counter; keep them consistent.
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  view.setUint32(28, image.length / pageSizeOf(image));
  view.setUint32(92, view.getUint32(24));
  return image;
}
