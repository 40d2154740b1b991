// The cost of opening hostile files beside the cost of opening normal ones of the same size, each in
// a fresh process, read-only as Restricted Mode opens a workspace's store:
//   sealed    the store as this user wrote it (its journal carries the seal: only header and schema checked)
//   copied    the same snapshot without its journal (a clone, a copy): the scan and the soundness checks
//   bomb      the copy with an extra table whose CHECK costs 0.25 s per row (100 rows): refused by its schema
//   unsound   the copy with its last event's data broken, so that every check runs to the end
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const BetterSqlite3 = require('better-sqlite3') as new (file: string) => {
  unsafeMode(on: boolean): void;
  exec(sql: string): void;
  close(): void;
};

export interface HostileOpenFigures {
  readonly events: number;
  readonly bytes: number;
  readonly ms: Record<'sealed' | 'copied' | 'bomb' | 'unsound', number>;
  readonly outcomes: Record<string, string>;
}

const PROBE = path.join(__dirname, 'openProbe.js');

function attempt(file: string): { ms: number; outcome: string } {
  const r = spawnSync(process.execPath, [PROBE, 'attempt', file], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`open probe failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { ms: number; outcome: string };
}

const median3 = (file: string) => {
  const runs = [attempt(file), attempt(file), attempt(file)].sort((a, b) => a.ms - b.ms);
  return runs[1]!;
};

/** `file` is a store written by SqlJsEventStore (snapshot and sealed journal); `work` a folder for the copies. */
export function benchHostileOpen(file: string, events: number, work: string): HostileOpenFigures {
  fs.mkdirSync(work, { recursive: true });
  const variant = (name: string, sql?: string): string => {
    const copy = path.join(work, name, 'events.db');
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
  const results = { sealed: median3(file), copied: median3(copied), bomb: median3(bomb), unsound: median3(unsound) };
  fs.rmSync(work, { recursive: true, force: true });
  return {
    events,
    bytes: fs.statSync(file).size,
    ms: { sealed: results.sealed.ms, copied: results.copied.ms, bomb: results.bomb.ms, unsound: results.unsound.ms },
    outcomes: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.outcome])),
  };
}
