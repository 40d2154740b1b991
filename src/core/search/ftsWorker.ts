// The full-text index's own thread: SQLite FTS4 in a sql.js database of its own, in memory.
// Inserting words and merging the index's segments takes whole seconds on a large store; here it
// never holds the event loop of the thread that asked (the extension host, the CLI).
import * as fs from 'node:fs';
import * as os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { Database, Statement } from 'sql.js';
import { loadSqlJs } from '../eventStore/sqlJs';

export type FtsRequest =
  | { readonly id: number; readonly op: 'add'; readonly docs: readonly (readonly [number, string])[] }
  | {
      readonly id: number;
      readonly op: 'search';
      readonly match: string;
      readonly after: number;
      readonly limit: number;
    }
  | { readonly id: number; readonly op: 'bytes' };

export type FtsAnswer =
  { readonly id: number; readonly ok: number | number[] | null } | { readonly id: number; readonly error: string };

function open(db: Database): { add(docs: FtsRequest & { op: 'add' }): void; insert: Statement } {
  db.run("CREATE VIRTUAL TABLE words USING fts4(content='', body, tokenize=unicode61)");
  const insert = db.prepare('INSERT INTO words(docid, body) VALUES (?, ?)');
  return {
    insert,
    add(req) {
      db.run('BEGIN');
      try {
        for (const [docid, body] of req.docs) insert.run([docid, body]);
        db.run('COMMIT');
      } catch (e) {
        db.run('ROLLBACK');
        throw e;
      }
    },
  };
}

/**
 * Builds the index at a lower priority than the thread that reads the store for it: on a machine with
 * few cores the index's work would otherwise take the core the extension host's event loop waits for.
 * Linux sets priorities per thread (the thread's id from /proc/thread-self); elsewhere the thread keeps
 * the process's priority, which only costs responsiveness, never a result.
 */
function yieldToTheHost(): void {
  try {
    const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) os.setPriority(tid, Math.max(os.getPriority(tid), 10));
  } catch {
    // Not Linux, or not allowed: see above.
  }
}

async function serve(): Promise<void> {
  const port = parentPort!;
  yieldToTheHost();
  const SQL = await loadSqlJs((workerData as { wasmPath?: string } | undefined)?.wasmPath);
  const db = new SQL.Database();
  const index = open(db);
  const search = db.prepare('SELECT docid FROM words WHERE words MATCH ? AND docid > ? ORDER BY docid LIMIT ?');
  port.on('message', (req: FtsRequest) => {
    try {
      if (req.op === 'add') {
        index.add(req);
        port.postMessage({ id: req.id, ok: null } satisfies FtsAnswer);
      } else if (req.op === 'search') {
        const out: number[] = [];
        search.bind([req.match, req.after, req.limit]);
        while (search.step()) out.push(search.get()[0] as number);
        search.reset();
        port.postMessage({ id: req.id, ok: out } satisfies FtsAnswer);
      } else {
        const value = (sql: string) => Number(db.exec(sql)[0]?.values[0]?.[0] ?? 0);
        port.postMessage({
          id: req.id,
          ok: value('PRAGMA page_count') * value('PRAGMA page_size'),
        } satisfies FtsAnswer);
      }
    } catch (e) {
      port.postMessage({ id: req.id, error: (e as Error).message } satisfies FtsAnswer);
    }
  });
  port.postMessage({ id: 0, ok: null } satisfies FtsAnswer);
}

if (parentPort) void serve();
