import * as fs from 'node:fs';

/** What a file of the store family is, in words, when it is not a regular file. */
function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** Thrown when a file beside or of the store is not a regular file; the message is one sentence's tail. */
export class NotRegularFileError extends Error {
  readonly code = 'ENOTREG';
  constructor(
    readonly file: string,
    readonly kind: string,
  ) {
    super(`it is ${kind}, not a regular file`);
    this.name = 'NotRegularFileError';
  }
  static is(e: unknown): e is NotRegularFileError {
    return e instanceof NotRegularFileError;
  }
}

// O_NONBLOCK keeps opening a FIFO from waiting for a writer forever; it changes nothing for regular files.
const NONBLOCK = fs.constants.O_NONBLOCK ?? 0;

/**
 * Opens `file` only if it is a regular file (after following links), without ever blocking on a
 * FIFO or a device; the caller closes the descriptor. ENOENT and other errors are thrown as usual.
 */
export function openRegularFile(file: string, mode: 'r' | 'r+' = 'r'): number {
  const flags = (mode === 'r' ? fs.constants.O_RDONLY : fs.constants.O_RDWR) | NONBLOCK;
  const fd = fs.openSync(file, flags);
  let ok = false;
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new NotRegularFileError(file, kindOf(st));
    ok = true;
    return fd;
  } finally {
    if (!ok) fs.closeSync(fd);
  }
}

/** Throws NotRegularFileError when `file` exists and is not a regular file; never opens it. */
export function assertRegularIfPresent(file: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (!st.isFile()) throw new NotRegularFileError(file, kindOf(st));
}

/**
 * Reads a whole regular file, refusing more than `maxBytes` (the size is checked before reading).
 * Returns undefined when the file does not exist.
 */
export function readRegularFile(file: string, maxBytes = Number.MAX_SAFE_INTEGER): Buffer | undefined {
  let fd: number;
  try {
    fd = openRegularFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size > maxBytes) throw new FileTooLargeError(file, size, maxBytes);
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export class FileTooLargeError extends Error {
  constructor(
    readonly file: string,
    readonly size: number,
    readonly maxBytes: number,
  ) {
    super(`it holds ${size} bytes, more than the ${maxBytes} bytes allowed`);
    this.name = 'FileTooLargeError';
  }
}
