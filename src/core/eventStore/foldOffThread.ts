import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

/** What a compaction asks the worker to fold: the journal of `generation` up to `offset` (position `position`). */
export interface FoldRequest {
  /** The store path (the snapshot). */
  readonly file: string;
  /** Where to write the new snapshot (fsynced; the store renames it in). */
  readonly tmp: string;
  readonly generation: string;
  readonly offset: number;
  readonly position: number;
  readonly wasmPath?: string;
}

/** The snapshot written (its size and seal), nothing to fold (another process compacted first), or why it failed. */
export type FoldAnswer =
  | { readonly folded: true; readonly size: number; readonly seal?: string }
  | { readonly folded: false }
  | { readonly error: string };

/** The worker's script: beside this module when running from the compiled sources, beside the bundle in dist/. */
export function foldWorkerScript(): string | undefined {
  const script = path.join(__dirname, 'foldWorker.js');
  return fs.existsSync(script) ? script : undefined;
}

/**
 * Folds on a worker thread. Why a worker reading the files, and not the in-memory database read out
 * in slices: sql.js does not expose its in-memory file system, and `Database.export()` copies the
 * whole file in one call (about 0.4 s at a million events, on the caller's thread). The worker
 * costs a second copy of the database in memory while it runs (the file read, then its export:
 * about twice the snapshot's size at the peak) and a read of the snapshot, in exchange for an event
 * loop that never waits on it; and it starts from what is on disk, checked as an open that may write
 * checks it (by its seal), so what it writes is never more trusted than what it read.
 */
export function foldOffThread(script: string, request: FoldRequest): Promise<FoldAnswer> {
  const worker = new Worker(script, { workerData: { task: 'fold', ...request } });
  const answer = new Promise<FoldAnswer>((resolve) => {
    worker.once('message', (message: FoldAnswer) => resolve(message));
    worker.once('error', (e) => resolve({ error: `the folding thread failed (${e.message})` }));
    worker.once('exit', (code) => resolve({ error: `the folding thread stopped early (exit code ${code})` }));
  });
  return answer.finally(() => void worker.terminate());
}
