import * as vscode from 'vscode';
import type { WalkOptions } from '../core/eventStore/slicedRead';

/** A walk that ends sooner than this shows no notification (no flash on a small store). */
const QUIET_MS = 300;

const count = (n: number) => n.toLocaleString('en-US');

/**
 * Runs an operation that walks the store in slices, and shows it in a cancellable progress
 * notification once it has taken longer than a moment: the position reached, and Cancel, which
 * aborts the walk (the operation then rejects with WalkCancelledError, for the command boundary).
 */
export async function withWalkProgress<T>(title: string, run: (walk: WalkOptions) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  let report: ((at: number, to: number) => void) | undefined;
  const work = run({ signal: abort.signal, onProgress: (at, to) => report?.(at, to) });
  let timer: NodeJS.Timeout | undefined;
  const quick = await Promise.race([
    work.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), QUIET_MS))),
  ]);
  clearTimeout(timer);
  if (!quick)
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      async (progress, token) => {
        const cancel = token.onCancellationRequested(() => abort.abort());
        let shown = 0;
        let reportedAt = 0;
        report = (at, to) => {
          // One operation may walk several times (a check refolds what it found): the bar only grows.
          const percent = to > 0 ? Math.floor((at / to) * 100) : 100;
          const now = performance.now();
          if (percent <= shown && now - reportedAt < 250) return;
          reportedAt = now;
          progress.report({
            message: `position ${count(at)} of ${count(to)}`,
            increment: Math.max(0, percent - shown),
          });
          shown = Math.max(shown, percent);
        };
        try {
          await work.catch(() => undefined);
        } finally {
          cancel.dispose();
        }
      },
    );
  return work;
}
