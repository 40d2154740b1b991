// The query worker: opens its own read-only copy of a store (the files are only read) and runs one
// query at a time on it, so that a long query never holds the extension host's (or the CLI's) thread.
import { parentPort, workerData } from 'node:worker_threads';
import type { Database } from 'sql.js';
import { StoreUnreadableError } from '../eventStore/errors';
import { SqlJsEventStore } from '../eventStore/sqlJsEventStore';
import { EmmettSqliteStore } from '../formats/emmettSqlite/emmettSqliteStore';
import { openAnyStore } from '../formats/openStore';
import type { RunRequest, QueryWorkerData, WorkerReply } from './queryProtocol';
import { QueryError } from './querySource';
import { runReadOnly } from './sqliteQuery';

type QueryableStore = SqlJsEventStore | EmmettSqliteStore;

const data = workerData as QueryWorkerData;
let opening: Promise<QueryableStore> | undefined;

async function openStore(): Promise<QueryableStore> {
  const store = await openAnyStore({
    path: data.path,
    readOnly: true,
    readOnlyReason: 'queries only read',
    ...(data.wasmPath ? { wasmPath: data.wasmPath } : {}),
  });
  if (store instanceof SqlJsEventStore || store instanceof EmmettSqliteStore) return store;
  throw new QueryError('unavailable', 'This store format cannot be queried with SQL.');
}

/** The store as it is now on disk: what other writers appended since the last query is read first. */
async function connection(): Promise<Database> {
  opening ??= openStore();
  const store = await opening;
  if (store instanceof SqlJsEventStore) {
    // Catching up writes into the private copy, and reads the tables the views shadow: both are
    // undone for the while (the guard of the query turns query_only back on, the views come back).
    store
      .queryConnection()
      .exec('PRAGMA query_only = OFF; DROP VIEW IF EXISTS temp.events; DROP VIEW IF EXISTS temp.streams;');
    store.refresh();
  } else store.refresh();
  return store.queryConnection();
}

async function run(request: RunRequest): Promise<WorkerReply> {
  try {
    const db = await connection();
    parentPort?.postMessage({ kind: 'started', id: request.id } satisfies WorkerReply);
    const result = runReadOnly(db, request.sql, { limit: request.limit, params: request.params });
    return { kind: 'result', id: request.id, result };
  } catch (e) {
    if (QueryError.is(e))
      return {
        kind: 'error',
        id: request.id,
        code: e.code,
        message: e.message,
        ...(e.line !== undefined ? { line: e.line, column: e.column } : {}),
      };
    const message = e instanceof Error ? e.message : String(e);
    if (StoreUnreadableError.is(e)) opening = undefined;
    return { kind: 'error', id: request.id, code: 'unavailable', message };
  }
}

let chain: Promise<unknown> = Promise.resolve();
parentPort?.on('message', (request: RunRequest) => {
  chain = chain.then(async () => parentPort?.postMessage(await run(request)));
});
