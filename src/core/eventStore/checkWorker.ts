// The full check of a snapshot, on a worker thread: SQLite's quick check and the soundness checks
// over every row (soundness.ts) run here on the worker's own copy of the bytes, so that opening an
// unsealed store does not hold the extension host's event loop for seconds. See backgroundCheck.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { openSnapshot } from './database';
import { StoreUnreadableError } from './errors';
import { findUnsoundness } from './soundness';
import { loadSqlJs } from './sqlJs';

export interface CheckRequest {
  readonly bytes: Uint8Array;
  readonly file: string;
  readonly wasmPath?: string;
}

/** What the check found: sound, or why not (damage found by SQLite's scan, or a rule a row breaks). */
export type CheckAnswer =
  { readonly sound: true } | { readonly sound: false; readonly damaged: boolean; readonly finding: string };

export async function checkSnapshot(request: CheckRequest): Promise<CheckAnswer> {
  const SQL = await loadSqlJs(request.wasmPath);
  let db;
  try {
    db = openSnapshot(SQL, request.bytes, request.file);
  } catch (e) {
    return { sound: false, damaged: true, finding: StoreUnreadableError.is(e) ? e.reason : (e as Error).message };
  }
  try {
    const finding = findUnsoundness(db);
    return finding === undefined ? { sound: true } : { sound: false, damaged: false, finding };
  } catch (e) {
    return { sound: false, damaged: true, finding: `checking its rows failed (SQLite says: ${(e as Error).message})` };
  } finally {
    db.close();
  }
}

// Tagged: this module is also loaded (through the store) by other workers, which must not run a check.
if (parentPort && (workerData as { task?: unknown } | null)?.task === 'check') {
  const port = parentPort;
  checkSnapshot(workerData as CheckRequest).then(
    (answer) => port.postMessage(answer),
    (e: Error) => port.postMessage({ sound: false, damaged: true, finding: e.message } satisfies CheckAnswer),
  );
}
