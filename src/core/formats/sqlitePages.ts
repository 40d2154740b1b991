/**
 * Reading SQLite's table B-tree pages and records straight from page bytes, as SQLite's file-format
 * documentation describes them (https://www.sqlite.org/fileformat2.html#b_tree_pages and
 * #record_format). Used to follow a WAL's new frames without reloading the database: sql.js offers
 * no page-level access, so the rows of changed leaf pages are decoded here.
 */

export const PAGE_TABLE_INTERIOR = 0x05;
export const PAGE_TABLE_LEAF = 0x0d;
export const PAGE_INDEX_INTERIOR = 0x02;
export const PAGE_INDEX_LEAF = 0x0a;

/** A value of a record, as SQLite stores it (integers beyond 2^53 lose precision, as in sql.js). */
export type RecordValue = number | string | Uint8Array | null;

/** Reads page `n` (1-based) of the database as it is now; undefined beyond its end. */
export type PageSource = (n: number) => Uint8Array | undefined;

/** A varint at `at`: its value and its length in bytes (1 to 9). */
export function readVarint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const b = bytes[at + i]!;
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) return [value, i + 1];
  }
  return [value * 256 + bytes[at + 8]!, 9];
}

/** Where a page's B-tree header starts: after the 100-byte database header on page 1. */
export function headerOffset(pageNumber: number): number {
  return pageNumber === 1 ? 100 : 0;
}

export function pageType(page: Uint8Array, pageNumber: number): number {
  return page[headerOffset(pageNumber)]!;
}

function u16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) >>> 0) + (bytes[at + 1]! << 16) + (bytes[at + 2]! << 8) + bytes[at + 3]!;
}

/** The offsets of a B-tree page's cells, in key order. */
function cellOffsets(page: Uint8Array, pageNumber: number): number[] {
  const h = headerOffset(pageNumber);
  const type = page[h]!;
  const headerBytes = type === PAGE_TABLE_INTERIOR || type === PAGE_INDEX_INTERIOR ? 12 : 8;
  const count = u16(page, h + 3);
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(u16(page, h + headerBytes + 2 * i));
  return out;
}

/** A table interior page: each child holds the keys up to its key; `right` holds those above the last. */
export interface TableInterior {
  readonly children: readonly { readonly page: number; readonly maxKey: number }[];
  readonly right: number;
}

export function readTableInterior(page: Uint8Array, pageNumber: number): TableInterior {
  const h = headerOffset(pageNumber);
  const children = cellOffsets(page, pageNumber).map((at) => ({
    page: u32(page, at),
    maxKey: readVarint(page, at + 4)[0],
  }));
  return { children, right: u32(page, h + 8) };
}

/** A row of a table leaf page: its rowid and its record's values, in column order. */
export interface TableRow {
  readonly rowid: number;
  readonly values: readonly RecordValue[];
  /** Overflow pages its payload continues on, in order. */
  readonly overflowPages: readonly number[];
}

/**
 * The rows of a table leaf page, with payloads that spill onto overflow pages read from `source`.
 * `usable` is the page size less the reserved bytes of each page (database header offset 20).
 */
export function readTableLeaf(page: Uint8Array, pageNumber: number, usable: number, source: PageSource): TableRow[] {
  const maxLocal = usable - 35;
  const minLocal = Math.floor(((usable - 12) * 32) / 255) - 23;
  return cellOffsets(page, pageNumber).map((at) => {
    const [size, n1] = readVarint(page, at);
    const [rowid, n2] = readVarint(page, at + n1);
    const start = at + n1 + n2;
    if (size <= maxLocal) return { rowid, values: decodeRecord(page.subarray(start, start + size)), overflowPages: [] };
    const k = minLocal + ((size - minLocal) % (usable - 4));
    const local = k <= maxLocal ? k : minLocal;
    const payload = new Uint8Array(size);
    payload.set(page.subarray(start, start + local));
    const overflowPages: number[] = [];
    let next = u32(page, start + local);
    for (let filled = local; filled < size;) {
      const over = next === 0 ? undefined : source(next);
      if (!over || overflowPages.includes(next)) throw new PageFormatError(`overflow chain of row ${rowid} is broken`);
      overflowPages.push(next);
      const take = Math.min(usable - 4, size - filled);
      payload.set(over.subarray(4, 4 + take), filled);
      filled += take;
      next = u32(over, 0);
    }
    return { rowid, values: decodeRecord(payload), overflowPages };
  });
}

/** A page that does not read as the B-tree page it should be. */
export class PageFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PageFormatError';
  }
}

const utf8 = new TextDecoder('utf-8');

/** A record (https://www.sqlite.org/fileformat2.html#record_format), text read as UTF-8. */
export function decodeRecord(payload: Uint8Array): RecordValue[] {
  const [headerSize, n] = readVarint(payload, 0);
  const types: number[] = [];
  for (let at = n; at < headerSize;) {
    const [t, len] = readVarint(payload, at);
    types.push(t);
    at += len;
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const values: RecordValue[] = [];
  let at = headerSize;
  for (const t of types) {
    switch (t) {
      case 0:
        values.push(null);
        break;
      case 1:
        values.push(view.getInt8(at));
        at += 1;
        break;
      case 2:
        values.push(view.getInt16(at));
        at += 2;
        break;
      case 3:
        values.push((view.getInt8(at) << 16) | view.getUint16(at + 1));
        at += 3;
        break;
      case 4:
        values.push(view.getInt32(at));
        at += 4;
        break;
      case 5:
        values.push(view.getInt16(at) * 2 ** 32 + view.getUint32(at + 2));
        at += 6;
        break;
      case 6:
        values.push(Number(view.getBigInt64(at)));
        at += 8;
        break;
      case 7:
        values.push(view.getFloat64(at));
        at += 8;
        break;
      case 8:
        values.push(0);
        break;
      case 9:
        values.push(1);
        break;
      default: {
        if (t < 12) throw new PageFormatError(`record uses the reserved serial type ${t}`);
        const len = (t - (t % 2 === 0 ? 12 : 13)) / 2;
        if (at + len > payload.length) throw new PageFormatError('record is longer than its payload');
        const bytes = payload.subarray(at, at + len);
        values.push(t % 2 === 0 ? bytes.slice() : utf8.decode(bytes));
        at += len;
      }
    }
  }
  return values;
}
