import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { checkSnapshot, type CheckAnswer } from './checkWorker';

/** A full check of a snapshot running on a worker thread; `cancel` stops it (the store is closing). */
export interface BackgroundCheck {
  readonly answer: Promise<CheckAnswer | 'cancelled'>;
  cancel(): Promise<void>;
}

/** The worker's script: beside this module when running from the compiled sources, beside the bundle in dist/. */
function workerScript(): string | undefined {
  const script = path.join(__dirname, 'checkWorker.js');
  return fs.existsSync(script) ? script : undefined;
}

/**
 * Checks `bytes` (quick check and soundness) without blocking this thread. The bytes should sit in
 * a SharedArrayBuffer so that the worker reads them without a copy; they must not change until the
 * answer arrives. Where no worker script is found, the check runs here (as before, blocking).
 */
export function startBackgroundCheck(bytes: Uint8Array, file: string, wasmPath?: string): BackgroundCheck {
  const script = workerScript();
  if (!script) {
    const answer = checkSnapshot({ bytes, file, wasmPath });
    return { answer, cancel: async () => undefined };
  }
  const worker = new Worker(script, { workerData: { task: 'check', bytes, file, wasmPath } });
  let cancelled = false;
  const answer = new Promise<CheckAnswer | 'cancelled'>((resolve) => {
    worker.once('message', (message: CheckAnswer) => resolve(message));
    worker.once('error', (e) =>
      resolve({ sound: false, damaged: true, finding: `its check could not run (${e.message})` }),
    );
    worker.once('exit', (code) =>
      resolve(
        cancelled
          ? 'cancelled'
          : { sound: false, damaged: true, finding: `its check stopped early (exit code ${code})` },
      ),
    );
  });
  void answer.then(() => worker.terminate());
  return {
    answer,
    async cancel() {
      cancelled = true;
      await worker.terminate();
    },
  };
}
