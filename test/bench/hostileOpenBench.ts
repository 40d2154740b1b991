// The cost of opening a store as it is found (sealed, copied, hostile) against the bare sql.js load of
// the same file, each in a fresh process, best of N (the machine is shared: the fastest run is the one
// least disturbed). Every figure is a ratio to the bare load measured in the same run:
//   sealed          the store as this user wrote it (its journal carries the seal: header and schema only)
//   copiedRead      the same snapshot without its journal (a clone, a copy), opened read-only as Restricted
//                   Mode, `--read-only` and the CLI's reading commands do: header, schema, integrity scan
//   copiedFirst     the copy opened writable for the first time: every check, then the snapshot is sealed
//   copiedSecond    the same copy opened again: by its seal
//   bomb            the copy with an extra table whose CHECK costs 0.25 s per row (100 rows): refused by its schema
//   unsoundRead     the copy with its last event's data broken, read-only (the row is named when read)
//   unsoundWrite    the same opened writable: every check runs to the end, and it opens read-only
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const BetterSqlite3 = require('better-sqlite3') as new (file: string) => {
  unsafeMode(on: boolean): void;
  exec(sql: string): void;
  close(): void;
};

export const OPEN_CASES = [
  'bare',
  'sealed',
  'copiedRead',
  'copiedFirst',
  'copiedSecond',
  'bomb',
  'unsoundRead',
  'unsoundWrite',
] as const;
export type OpenCase = (typeof OPEN_CASES)[number];

export interface HostileOpenFigures {
  readonly events: number;
  readonly bytes: number;
  /** Best of `runs`, in ms. */
  readonly ms: Record<OpenCase, number>;
  readonly runs: number;
  /** What each open did: refused, opened, read-only (unsound), and what it checked. */
  readonly outcomes: Record<string, string>;
}

const PROBE = path.join(__dirname, 'openProbe.js');

interface Attempt {
  ms: number;
  outcome: string;
  checked?: string;
  sealedNow?: boolean;
}

function attempt(mode: 'attempt' | 'attempt-write' | 'bare', file: string): Attempt {
  const r = spawnSync(process.execPath, [PROBE, mode, file], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`open probe failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as Attempt;
  return { ...out, outcome: out.outcome ?? 'opened' };
}

function describe(a: Attempt): string {
  return a.checked ? `${a.outcome}, checked: ${a.checked}${a.sealedNow ? ', sealed now' : ''}` : a.outcome;
}

/** `file` is a store written by SqlJsEventStore (snapshot and sealed journal); `work` a folder for the copies. */
export function benchHostileOpen(file: string, events: number, work: string, runs = 3): HostileOpenFigures {
  fs.mkdirSync(work, { recursive: true });
  const variant = (name: string, sql?: string): string => {
    const copy = path.join(work, name, 'events.db');
    fs.rmSync(path.dirname(copy), { recursive: true, force: true });
    fs.mkdirSync(path.dirname(copy), { recursive: true });
    fs.copyFileSync(file, copy);
    if (sql) {
      const db = new BetterSqlite3(copy);
      db.unsafeMode(true); // writable_schema, as a tool outside this project could
      db.exec(sql);
      db.close();
    }
    return copy;
  };
  const bomb = variant(
    'bomb',
    `CREATE TABLE bomb (x); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) INSERT INTO bomb SELECT i FROM n;
     PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = 'CREATE TABLE bomb (x CHECK (length(printf(''%.*c'', 300000000, ''x'')) > 0))' WHERE name = 'bomb';`,
  );
  const unsound = variant(
    'unsound',
    `UPDATE events SET data = '{' WHERE global_position = (SELECT max(global_position) FROM events)`,
  );
  const copied = variant('copied');

  const best: Partial<Record<OpenCase, Attempt>> = {};
  const note = (c: OpenCase, a: Attempt) => {
    if (!best[c] || a.ms < best[c].ms) best[c] = a;
  };
  // Interleaved, so that a burst of load elsewhere spreads over every case rather than one.
  for (let i = 0; i < runs; i++) {
    note('bare', attempt('bare', file));
    note('sealed', attempt('attempt-write', file));
    note('copiedRead', attempt('attempt', copied));
    const fresh = variant(`fresh-${i}`);
    note('copiedFirst', attempt('attempt-write', fresh));
    note('copiedSecond', attempt('attempt-write', fresh));
    fs.rmSync(path.dirname(fresh), { recursive: true, force: true });
    note('bomb', attempt('attempt-write', bomb));
    note('unsoundRead', attempt('attempt', unsound));
    note('unsoundWrite', attempt('attempt-write', unsound));
  }
  fs.rmSync(work, { recursive: true, force: true });
  const ms = Object.fromEntries(OPEN_CASES.map((c) => [c, best[c]!.ms])) as Record<OpenCase, number>;
  return {
    events,
    bytes: fs.statSync(file).size,
    ms,
    runs,
    outcomes: Object.fromEntries(OPEN_CASES.filter((c) => c !== 'bare').map((c) => [c, describe(best[c]!)])),
  };
}
