import * as fs from 'node:fs';
import type { Database, SqlValue } from 'sql.js';
import { openRegularFile } from '../../eventStore/regularFile';
import {
  PAGE_INDEX_INTERIOR,
  PAGE_INDEX_LEAF,
  PAGE_TABLE_INTERIOR,
  PAGE_TABLE_LEAF,
  PageFormatError,
  pageType,
  readTableInterior,
  readTableLeaf,
  type RecordValue,
  type TableInterior,
  type TableRow,
} from '../sqlitePages';
import { readWalFrom, readWalHeader, readWal, type WalContents } from '../sqliteWal';

/**
 * Follows a live WAL in O(new frames): instead of loading the whole database into sql.js again, the
 * pages of the frames committed since the last read are decoded here and their rows applied to the
 * copy sql.js already holds. Only append-shaped changes are followed: new messages after the last
 * global position, and new or updated rows of the stream and processor tables (Emmett updates those
 * on every append). Anything else (a message changed or deleted, pages freed, the schema changed, a
 * checkpoint into the main file, pages of other tables) asks for a reload, with the reason.
 */

/** A table whose changed leaf pages are decoded and applied. */
interface FollowedTable {
  readonly name: string;
  readonly root: number;
  /** Column names in the table's order (`pragma_table_info` cid order). */
  readonly columns: readonly string[];
  /** The INTEGER PRIMARY KEY column (an alias of the rowid, stored as NULL in the record), if any. */
  readonly rowidColumn: number | undefined;
  /** 'append': only rows after the last rowid may appear; 'upsert': rows may also be updated in place. */
  readonly mode: 'append' | 'upsert';
}

export type FollowResult =
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'applied'; readonly frames: number; readonly inserted: number; readonly updated: number }
  | { readonly kind: 'reload'; readonly reason: string };

interface FileId {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
}

function fileId(file: string): FileId | undefined {
  try {
    const s = fs.statSync(file);
    return { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino };
  } catch {
    return undefined;
  }
}

const sameFile = (a: FileId | undefined, b: FileId | undefined) =>
  a?.size === b?.size && a?.mtimeMs === b?.mtimeMs && a?.ino === b?.ino;

/** Values in the database header (page 1) that an append leaves as they are. */
interface HeaderFacts {
  readonly schemaCookie: number;
  readonly freelistPages: number;
  readonly textEncoding: number;
  readonly usable: number;
}

function headerFacts(page1: Uint8Array): HeaderFacts {
  const view = new DataView(page1.buffer, page1.byteOffset, page1.byteLength);
  const raw = view.getUint16(16);
  const pageSize = raw === 1 ? 65536 : raw;
  return {
    schemaCookie: view.getUint32(40),
    freelistPages: view.getUint32(36),
    textEncoding: view.getUint32(56),
    usable: pageSize - page1[20]!,
  };
}

class Reload extends Error {}

function sameValue(a: RecordValue | SqlValue, b: RecordValue | SqlValue): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

export class WalFollower {
  /** Interior pages of the followed trees, parsed; an entry is dropped when its page changes. */
  private readonly interiors = new Map<number, TableInterior & { readonly leavesBelow: boolean }>();
  private mainId: FileId | undefined;

  private constructor(
    private readonly file: string,
    private wal: WalContents,
    private facts: HeaderFacts,
    private readonly tables: readonly FollowedTable[],
    /** Why this store cannot be followed at all (then every change reloads). */
    readonly disabled: string | undefined,
  ) {
    this.mainId = fileId(file);
  }

  /**
   * Prepares to follow `file` from the state just loaded: `image` is the database image sql.js was
   * given (its first page is read for the header), `wal` what its WAL held, `tables` the tables to follow.
   */
  static fromLoad(
    file: string,
    db: Database,
    page1: Uint8Array,
    wal: WalContents,
    mainIdAtLoad: FileId | undefined,
    tables: readonly { readonly name: string; readonly mode: 'append' | 'upsert' }[],
  ): WalFollower {
    const facts = headerFacts(page1);
    const rows = (sql: string, params: SqlValue[] = []) => db.exec(sql, params)[0]?.values ?? [];
    let disabled: string | undefined;
    if (facts.textEncoding !== 1) disabled = 'its text is not UTF-8';
    else if (new DataView(page1.buffer, page1.byteOffset).getUint32(52) !== 0) disabled = 'it uses auto-vacuum';
    else if (Number(rows("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'")[0]?.[0] ?? 0) > 0)
      disabled = 'it has triggers, which SQL applied to the copy would run';
    const followed: FollowedTable[] = [];
    for (const t of tables) {
      const root = rows("SELECT rootpage, sql FROM sqlite_schema WHERE type = 'table' AND name = ?", [t.name])[0];
      if (!root) continue;
      if (/without\s+rowid/i.test(String(root[1]))) disabled ??= `${t.name} is a WITHOUT ROWID table`;
      const info = rows(`SELECT name, type, pk FROM pragma_table_info('${t.name}')`);
      const pks = info.filter((r) => Number(r[2]) > 0);
      const ipk =
        pks.length === 1 && String(pks[0]![1]).toUpperCase() === 'INTEGER'
          ? info.findIndex((r) => r === pks[0])
          : undefined;
      followed.push({
        name: t.name,
        root: Number(root[0]),
        columns: info.map((r) => String(r[0])),
        rowidColumn: ipk,
        mode: t.mode,
      });
    }
    const follower = new WalFollower(file, wal, facts, followed, disabled);
    follower.mainId = mainIdAtLoad;
    return follower;
  }

  /** What the WAL held after the last load or follow. */
  get contents(): WalContents {
    return this.wal;
  }

  /**
   * Applies the frames committed since the last read to `db`, or says why a reload is needed. `db`
   * is left as it was when the answer is a reload.
   */
  follow(db: Database): FollowResult {
    if (this.disabled) return { kind: 'reload', reason: `the store cannot be followed page by page: ${this.disabled}` };
    const walFile = `${this.file}-wal`;
    const mainBefore = fileId(this.file);
    if (!sameFile(mainBefore, this.mainId))
      return { kind: 'reload', reason: 'the database file changed (the writer checkpointed its WAL into it)' };
    let walFd: number;
    try {
      walFd = openRegularFile(walFile);
    } catch {
      return { kind: 'reload', reason: 'the -wal file is gone (the writer closed or checkpointed)' };
    }
    let mainFd: number | undefined;
    try {
      const walSize = fs.fstatSync(walFd).size;
      const headerBytes = Buffer.alloc(32);
      fs.readSync(walFd, headerBytes, 0, 32, 0);
      const header = readWalHeader(headerBytes);
      const before = this.wal;
      let next: WalContents;
      let tail: Buffer;
      let tailBase: number;
      if (before.header) {
        if (!header || header.salt1 !== before.header.salt1 || header.salt2 !== before.header.salt2)
          return { kind: 'reload', reason: 'the -wal file was restarted (a new WAL generation)' };
        if (walSize < before.committedEnd) return { kind: 'reload', reason: 'the -wal file became shorter' };
        tailBase = before.committedEnd;
        tail = Buffer.alloc(walSize - tailBase);
        readFully(walFd, tail, tailBase);
        next = readWalFrom(tail, before);
      } else {
        if (!header) return { kind: 'unchanged' };
        tailBase = 0;
        tail = Buffer.alloc(walSize);
        readFully(walFd, tail, 0);
        next = readWal(tail);
      }
      if (next.committedFrames === 0) {
        this.wal = { ...before, uncommittedFrames: next.uncommittedFrames, ignoredBytes: next.ignoredBytes };
        return { kind: 'unchanged' };
      }
      const pageSize = next.header!.pageSize;
      const changed = next.pages;
      mainFd = openRegularFile(this.file);
      const fdMain = mainFd;
      const source = (n: number): Uint8Array | undefined => {
        if (n < 1 || n > next.databasePages) return undefined;
        const at = changed.get(n);
        if (at !== undefined) return tail.subarray(at - tailBase, at - tailBase + pageSize);
        const page = Buffer.alloc(pageSize);
        const old = before.pages.get(n);
        if (old !== undefined) readFully(walFd, page, old);
        else fs.readSync(fdMain, page, 0, pageSize, (n - 1) * pageSize);
        return page;
      };
      const plan = this.plan(db, changed, source, next, before);
      // The pages read must all be of one moment: a checkpoint or a WAL restart meanwhile means a reload.
      const again = Buffer.alloc(32);
      fs.readSync(walFd, again, 0, 32, 0);
      if (!sameFile(fileId(this.file), mainBefore) || !again.equals(headerBytes))
        return { kind: 'reload', reason: 'the writer checkpointed while the new frames were read' };
      const applied = this.apply(db, plan);
      const pages = new Map(before.pages);
      for (const [page, at] of changed) pages.set(page, at);
      this.wal = {
        ...next,
        pages,
        committedFrames: before.committedFrames + next.committedFrames,
      };
      if (plan.facts) this.facts = plan.facts;
      return { kind: 'applied', frames: next.committedFrames, ...applied };
    } catch (e) {
      if (e instanceof Reload) return { kind: 'reload', reason: e.message };
      if (e instanceof PageFormatError)
        return { kind: 'reload', reason: `a new page does not read as expected (${e.message})` };
      throw e;
    } finally {
      fs.closeSync(walFd);
      if (mainFd !== undefined) fs.closeSync(mainFd);
    }
  }

  /** Decides what to apply, reading every changed page; throws Reload when the change is not append-shaped. */
  private plan(
    db: Database,
    changed: ReadonlyMap<number, number>,
    source: (n: number) => Uint8Array | undefined,
    next: WalContents,
    before: WalContents,
  ): { rows: { table: FollowedTable; row: TableRow; update: boolean }[]; facts: HeaderFacts | undefined } {
    if (before.header && next.databasePages < before.databasePages)
      throw new Reload('the database became smaller (pages were removed)');
    let facts: HeaderFacts | undefined;
    const explained = new Set<number>();
    if (changed.has(1)) {
      facts = headerFacts(source(1)!);
      if (facts.schemaCookie !== this.facts.schemaCookie) throw new Reload('the schema changed');
      if (facts.freelistPages > this.facts.freelistPages) throw new Reload('pages were freed (rows were deleted)');
      if (facts.textEncoding !== this.facts.textEncoding || facts.usable !== this.facts.usable)
        throw new Reload('the database header changed');
      explained.add(1);
    }
    for (const page of changed.keys()) this.interiors.delete(page);
    const rows: { table: FollowedTable; row: TableRow; update: boolean }[] = [];
    for (const table of this.tables) {
      for (const leaf of this.changedLeaves(table, changed, source, explained)) {
        const page = source(leaf.page)!;
        const found = readTableLeaf(page, leaf.page, this.facts.usable, source);
        for (const r of found) for (const o of r.overflowPages) explained.add(o);
        rows.push(...this.checkLeaf(db, table, leaf, found));
      }
    }
    for (const page of changed.keys()) {
      if (explained.has(page)) continue;
      const type = pageType(source(page)!, page);
      if (type === PAGE_INDEX_LEAF || type === PAGE_INDEX_INTERIOR) continue; // indexes: sql.js keeps its own
      throw new Reload(`page ${page} changed and belongs to none of the tables followed`);
    }
    return { rows, facts };
  }

  /**
   * Walks a table's interior pages (parsed once, again only when they change) and returns its changed
   * leaves with their key ranges. Leaves that did not change are never read: all children of an
   * interior page are at one depth, so one look at its first child tells whether they are leaves.
   */
  private changedLeaves(
    table: FollowedTable,
    changed: ReadonlyMap<number, number>,
    source: (n: number) => Uint8Array | undefined,
    explained: Set<number>,
  ): { page: number; low: number; high: number }[] {
    const out: { page: number; low: number; high: number }[] = [];
    const seen = new Set<number>();
    const read = (n: number) => {
      const page = source(n);
      if (!page) throw new Reload(`the B-tree of ${table.name} points past the end of the database`);
      return page;
    };
    const leaf = (n: number, low: number, high: number) => {
      if (!changed.has(n)) return;
      explained.add(n);
      out.push({ page: n, low, high });
    };
    const visit = (n: number, low: number, high: number, depth: number) => {
      if (depth > 40 || seen.has(n)) throw new Reload(`the B-tree of ${table.name} loops`);
      seen.add(n);
      let node = this.interiors.get(n);
      if (!node) {
        const page = read(n);
        const type = pageType(page, n);
        if (type === PAGE_TABLE_LEAF) return leaf(n, low, high);
        if (type !== PAGE_TABLE_INTERIOR) throw new Reload(`page ${n} of ${table.name} is not a table page`);
        const parsed = readTableInterior(page, n);
        const first = parsed.children[0]?.page ?? parsed.right;
        node = { ...parsed, leavesBelow: pageType(read(first), first) === PAGE_TABLE_LEAF };
        this.interiors.set(n, node);
      }
      if (changed.has(n)) explained.add(n);
      let from = low;
      const child = node.leavesBelow ? leaf : (c: number, lo: number, hi: number) => visit(c, lo, hi, depth + 1);
      for (const c of node.children) {
        child(c.page, from, c.maxKey);
        from = c.maxKey;
      }
      child(node.right, from, high);
    };
    visit(table.root, -Infinity, Infinity, 0);
    return out;
  }

  /**
   * The rows of a changed leaf to apply: new rows (after the last rowid of an append table; any of
   * an upsert table) and changed rows of an upsert table. A row of the leaf's key range that the
   * copy has but the page lacks was deleted: a reload.
   */
  private checkLeaf(
    db: Database,
    table: FollowedTable,
    leaf: { page: number; low: number; high: number },
    found: readonly TableRow[],
  ): { table: FollowedTable; row: TableRow; update: boolean }[] {
    const ids = new Set(found.map((r) => r.rowid));
    const low = Number.isFinite(leaf.low) ? leaf.low : -Number.MAX_SAFE_INTEGER;
    const high = Number.isFinite(leaf.high) ? leaf.high : Number.MAX_SAFE_INTEGER;
    const present = db.exec(`SELECT rowid FROM "${table.name}" WHERE rowid > ? AND rowid <= ? LIMIT ?`, [
      low,
      high,
      found.length + 1,
    ])[0]?.values;
    for (const [rowid] of present ?? [])
      if (!ids.has(Number(rowid))) throw new Reload(`a row of ${table.name} was deleted (rowid ${String(rowid)})`);
    const last = Number(db.exec(`SELECT max(rowid) FROM "${table.name}"`)[0]?.values[0]?.[0] ?? 0);
    const out: { table: FollowedTable; row: TableRow; update: boolean }[] = [];
    const stmt = db.prepare(
      `SELECT ${table.columns.map((c) => `"${c}"`).join(', ')} FROM "${table.name}" WHERE rowid = ?`,
    );
    try {
      for (const row of found) {
        if (row.values.length > table.columns.length)
          throw new Reload(`a row of ${table.name} has more values than the table has columns`);
        const values = this.valuesOf(table, row);
        stmt.bind([row.rowid]);
        const existing = stmt.step() ? stmt.get() : undefined;
        stmt.reset();
        if (!existing) {
          if (table.mode === 'append' && row.rowid <= last)
            throw new Reload(`a row of ${table.name} was inserted before its last one (rowid ${row.rowid})`);
          out.push({ table, row, update: false });
        } else if (!values.every((v, i) => sameValue(v, existing[i]!))) {
          if (table.mode === 'append') throw new Reload(`a row of ${table.name} was changed (rowid ${row.rowid})`);
          out.push({ table, row, update: true });
        }
      }
    } finally {
      stmt.free();
    }
    return out;
  }

  private valuesOf(table: FollowedTable, row: TableRow): RecordValue[] {
    const values = [...row.values];
    if (table.rowidColumn !== undefined && table.rowidColumn < values.length) values[table.rowidColumn] = row.rowid;
    return values;
  }

  /** Applies the planned rows in one transaction of the copy (its `query_only` lifted for it). */
  private apply(
    db: Database,
    plan: { rows: { table: FollowedTable; row: TableRow; update: boolean }[] },
  ): { inserted: number; updated: number } {
    let inserted = 0;
    let updated = 0;
    db.exec('PRAGMA query_only = OFF; BEGIN');
    try {
      for (const { table, row, update } of plan.rows) {
        const values = this.valuesOf(table, row);
        const names = table.columns.slice(0, values.length);
        const cols = table.rowidColumn === undefined ? ['rowid', ...names] : names;
        const params = table.rowidColumn === undefined ? [row.rowid, ...values] : values;
        db.run(
          `INSERT OR REPLACE INTO "${table.name}" (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
          params as SqlValue[],
        );
        if (update) updated += 1;
        else inserted += 1;
      }
      db.exec('COMMIT');
    } catch (e) {
      db.exec('ROLLBACK');
      throw e;
    } finally {
      db.exec('PRAGMA query_only = ON');
    }
    return { inserted, updated };
  }
}

function readFully(fd: number, into: Buffer, position: number): void {
  for (let off = 0; off < into.length;) {
    const n = fs.readSync(fd, into, off, into.length - off, position + off);
    if (n === 0) throw new Reload('a file became shorter while it was read');
    off += n;
  }
}

export type { FileId };
export { fileId };
