import * as fs from 'node:fs';
import { StoreUnreadableError } from '../eventStore/errors';
import { NotRegularFileError, openRegularFile, readRegularFile } from '../eventStore/regularFile';
import { APPLICATION_ID } from '../eventStore/schema';
import { SqlJsEventStore, type OpenStoreOptions } from '../eventStore/sqlJsEventStore';
import { EmmettSqliteStore } from './emmettSqlite/emmettSqliteStore';
import { readWal, SqliteFileError } from './sqliteWal';
import type { StoreReader } from './storeReader';

export type DetectedFormat = 'native' | 'foreign-sqlite' | 'missing';

/**
 * Which reader a file needs, from its SQLite header: our stores carry our application id (in the
 * header, or on page 1 in the WAL); every other SQLite file goes to the foreign readers, which
 * decide from the schema they find. A missing file (without a WAL) is a new native store.
 */
export function detectFileFormat(file: string): DetectedFormat {
  let header: Buffer | undefined;
  let fd: number | undefined;
  try {
    // Never blocks on a FIFO or a device: those are left to the native store, which refuses them.
    fd = openRegularFile(file);
    header = Buffer.alloc(100);
    header = header.subarray(0, fs.readSync(fd, header, 0, 100, 0));
  } catch (e) {
    if (NotRegularFileError.is(e)) return 'native';
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  if (header === undefined) return fs.existsSync(`${file}-wal`) ? 'foreign-sqlite' : 'missing';
  if (header.length === 100 && header.readUInt32BE(68) === APPLICATION_ID) return 'native';
  if (header.length === 0 && fs.existsSync(`${file}-wal`)) {
    // A database created in WAL mode may have all of its pages, the header too, only in the WAL.
    const wal = readWal(readRegularFile(`${file}-wal`) ?? Buffer.alloc(0));
    return wal.committedFrames > 0 ? 'foreign-sqlite' : 'native';
  }
  return header.length >= 16 && header.subarray(0, 16).toString('latin1') === 'SQLite format 3\u0000'
    ? 'foreign-sqlite'
    : 'native';
}

/**
 * Opens `file` as a store of another application when its schema says it is one (read-only,
 * errors as the store's own "cannot be opened"); undefined when it is a store of ours (or new).
 */
export async function openForeignStore(
  file: string,
  options: { readonly wasmPath?: string } = {},
): Promise<EmmettSqliteStore | undefined> {
  if (detectFileFormat(file) !== 'foreign-sqlite') return undefined;
  try {
    return await EmmettSqliteStore.open({ path: file, ...(options.wasmPath ? { wasmPath: options.wasmPath } : {}) });
  } catch (e) {
    if (SqliteFileError.is(e)) throw new StoreUnreadableError(file, e.reason);
    throw e;
  }
}

export interface OpenAnyStoreOptions extends OpenStoreOptions {
  readonly path: string;
}

/**
 * Opens a store file in whatever format it is. Native stores open as before (writable unless asked
 * otherwise); foreign ones open read-only. A SQLite file no reader recognises gets the native
 * store's message, which names the tables it found.
 */
export async function openAnyStore(options: OpenAnyStoreOptions): Promise<StoreReader> {
  return (await openForeignStore(options.path, options)) ?? SqlJsEventStore.open(options);
}
