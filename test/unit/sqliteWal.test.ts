import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSqlJs } from '../../src/core/eventStore/sqlJs';
import { readDatabaseImage, readWal, SqliteFileError } from '../../src/core/formats/sqliteWal';
import { fingerprint } from '../builders/emmettWriter';

interface BetterDb {
  exec(sql: string): void;
  pragma(sql: string): unknown;
  prepare(sql: string): { get(...a: unknown[]): Record<string, unknown>; run(...a: unknown[]): unknown };
  close(): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require('better-sqlite3') as new (file: string, options?: { readonly?: boolean }) => BetterDb;

/** Row count as SQLite itself sees main file + WAL: on a scratch copy of both (SQLite would write a -shm beside the original). */
function sqliteSees(file: string): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esi-wal-ref-'));
  try {
    const copy = path.join(dir, 'copy.db');
    fs.copyFileSync(file, copy);
    if (fs.existsSync(`${file}-wal`)) fs.copyFileSync(`${file}-wal`, `${copy}-wal`);
    const db = new Database(copy);
    try {
      return Number(db.prepare('SELECT count(*) AS n FROM t').get().n);
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function weSee(file: string): Promise<number> {
  const SQL = await loadSqlJs();
  const db = new SQL.Database(readDatabaseImage(file).bytes);
  try {
    return Number(db.exec('SELECT count(*) FROM t')[0]!.values[0]![0]);
  } finally {
    db.close();
  }
}

describe('Reading a SQLite database with its WAL (committed frames only, files untouched)', () => {
  let dir: string;
  let file: string;
  let writer: BetterDb | undefined;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esi-wal-'));
    file = path.join(dir, 'app.db');
  });
  afterEach(() => {
    writer?.close();
    writer = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A writer in WAL mode that never checkpoints: `committed` rows in the file, then `walRows` only in the WAL. */
  function writerWith(committed: number, walRows: number): BetterDb {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)');
    const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
    for (let i = 0; i < committed; i++) insert.run(`row ${i} ${'x'.repeat(200)}`);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.pragma('wal_autocheckpoint = 0');
    for (let i = 0; i < walRows; i++) db.exec(`INSERT INTO t (body) VALUES ('wal row ${i} ${'y'.repeat(200)}')`);
    return db;
  }

  it('reads the rows that are only in the WAL, as SQLite does, and changes no file', async () => {
    writer = writerWith(100, 50);
    const before = fingerprint(file);
    const wal = readWal(fs.readFileSync(`${file}-wal`));
    assert.equal(wal.committedFrames > 0, true);
    assert.equal(wal.uncommittedFrames, 0);
    assert.equal(await weSee(file), 150);
    assert.equal(fingerprint(file), before);
    assert.equal(sqliteSees(file), 150);
  });

  it('ignores a torn last frame exactly as SQLite does (every cut point of the last commit)', async () => {
    writer = writerWith(20, 0);
    for (let i = 0; i < 6; i++) writer.exec(`INSERT INTO t (body) VALUES ('w${i} ${'z'.repeat(300)}')`);
    const wal = fs.readFileSync(`${file}-wal`);
    const main = fs.readFileSync(file);
    const pageSize = wal.readUInt32BE(8);
    const frame = 24 + pageSize;
    const frames = (wal.length - 32) / frame;
    writer.close();
    writer = undefined;
    for (const cut of [
      wal.length - 1,
      wal.length - pageSize,
      wal.length - frame + 10,
      32 + frame * (frames - 1),
      40,
      31,
    ]) {
      const torn = path.join(dir, `torn-${cut}.db`);
      fs.writeFileSync(torn, main);
      fs.writeFileSync(`${torn}-wal`, wal.subarray(0, cut));
      assert.equal(await weSee(torn), sqliteSees(torn), `cut at ${cut} of ${wal.length}`);
    }
  });

  it("stops at a frame whose salts are not the header's (frames of an earlier WAL generation)", async () => {
    writer = writerWith(10, 3);
    const wal = Buffer.from(fs.readFileSync(`${file}-wal`));
    const main = fs.readFileSync(file);
    writer.close();
    writer = undefined;
    const pageSize = wal.readUInt32BE(8);
    // The second frame's salt changed: it and everything after it are not part of this WAL.
    wal.writeUInt32BE((wal.readUInt32BE(32 + 24 + pageSize + 8) ^ 1) >>> 0, 32 + 24 + pageSize + 8);
    const other = path.join(dir, 'salted.db');
    fs.writeFileSync(other, main);
    fs.writeFileSync(`${other}-wal`, wal);
    const contents = readWal(wal);
    assert.ok(contents.ignoredBytes > 0);
    assert.equal(await weSee(other), sqliteSees(other));
  });

  it("refuses a WAL whose pages are another size than the database's (a WAL of another database)", () => {
    writer = writerWith(10, 3);
    const foreign = path.join(dir, 'other.db');
    const db = new Database(foreign);
    db.pragma('page_size = 8192');
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO t (body) VALUES ('other')");
    fs.copyFileSync(`${foreign}-wal`, path.join(dir, 'mixed.db-wal'));
    db.close();
    fs.copyFileSync(file, path.join(dir, 'mixed.db'));
    const before = fingerprint(path.join(dir, 'mixed.db'));
    assert.throws(
      () => readDatabaseImage(path.join(dir, 'mixed.db')),
      (e: unknown) => SqliteFileError.is(e) && /does not belong to it/.test(e.message),
    );
    assert.equal(fingerprint(path.join(dir, 'mixed.db')), before);
  });

  it('says so when only the WAL is there', () => {
    writer = writerWith(10, 3);
    fs.copyFileSync(`${file}-wal`, path.join(dir, 'orphan.db-wal'));
    assert.throws(
      () => readDatabaseImage(path.join(dir, 'orphan.db')),
      (e: unknown) => SqliteFileError.is(e) && /only its -wal file is there/.test(e.message),
    );
    assert.equal(fs.existsSync(path.join(dir, 'orphan.db')), false, 'no file created');
  });

  it('does not show a transaction in progress, and counts its frames', async () => {
    writer = writerWith(10, 0);
    writer.pragma('cache_size = 2');
    writer.exec('BEGIN IMMEDIATE');
    for (let i = 0; i < 200; i++) writer.exec(`INSERT INTO t (body) VALUES ('uncommitted ${i} ${'u'.repeat(1000)}')`);
    const before = fingerprint(file);
    const image = readDatabaseImage(file);
    assert.ok(image.wal.uncommittedFrames > 0, 'the spilled pages of the open transaction are in the WAL');
    assert.equal(await weSee(file), 10);
    assert.equal(fingerprint(file), before);
    writer.exec('ROLLBACK');
  });
});
