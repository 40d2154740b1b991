// A compaction's new snapshot, built on a worker thread from the files on disk (see foldOffThread.ts):
// the snapshot, checked as an open that may write checks it, plus the journal up to the offset the
// store had applied. The extension host's event loop only waits for the answer.
import { parentPort, workerData } from 'node:worker_threads';
import type { FoldAnswer, FoldRequest } from './foldOffThread';
import { SqlJsEventStore } from './sqlJsEventStore';

if (parentPort && (workerData as { task?: unknown } | null)?.task === 'fold') {
  const port = parentPort;
  SqlJsEventStore.foldFromFiles(workerData as FoldRequest).then(
    (answer) => port.postMessage(answer),
    (e: Error) => port.postMessage({ error: e.message } satisfies FoldAnswer),
  );
}
