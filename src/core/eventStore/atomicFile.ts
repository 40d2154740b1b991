import * as fs from 'node:fs';
import * as path from 'node:path';

let tmpCounter = 0;

/** A temp name beside `file`, unique in this process; `.tmp-<pid>-` lets a later run recognise leftovers. */
export function tempNameFor(file: string): string {
  tmpCounter += 1;
  return `${file}.tmp-${process.pid}-${tmpCounter}`;
}

/** Replaces `file` with `bytes` so that a crash at any moment leaves either the old or the new content. */
export function writeFileAtomic(file: string, bytes: Uint8Array): void {
  const tmp = tempNameFor(file);
  try {
    const fd = fs.openSync(tmp, 'w', 0o644);
    try {
      let offset = 0;
      while (offset < bytes.length) offset += fs.writeSync(fd, bytes, offset, bytes.length - offset);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDirectory(path.dirname(file));
}

/** Writes `bytes` to a new file and fsyncs it, without blocking the event loop; the caller renames it. */
export async function writeFileDurable(file: string, bytes: Uint8Array): Promise<void> {
  const handle = await fs.promises.open(file, 'w', 0o644);
  try {
    const chunk = 8 * 1024 * 1024;
    for (let offset = 0; offset < bytes.length;) {
      const { bytesWritten } = await handle.write(bytes, offset, Math.min(chunk, bytes.length - offset));
      offset += bytesWritten;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The same as `fsyncDirectory`, on the thread pool: the event loop does not wait for the disk. */
export async function fsyncDirectoryAsync(dir: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(dir, 'r');
    await handle.sync();
  } catch {
    // Some platforms (Windows) cannot open a directory for fsync; the rename is still atomic there.
  } finally {
    await handle?.close();
  }
}

/** Makes a rename durable: the directory entry itself must reach the disk. */
export function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot open a directory for fsync; the rename is still atomic there.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
