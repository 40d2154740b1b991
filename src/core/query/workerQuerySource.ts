import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { QueryWorkerData, RunRequest, WorkerReply } from './queryProtocol';
import { DEFAULT_QUERY_LIMIT, QueryError, type QueryOptions, type QueryResult, type QuerySource } from './querySource';

export interface WorkerQuerySourceOptions {
  readonly wasmPath?: string;
  /** The worker script; by default queryWorker.js beside this module (dist/ in the bundle). */
  readonly workerPath?: string;
  /** The worker (and its copy of the store) is let go after this long without a query (default: kept). */
  readonly idleMs?: number;
}

/**
 * Queries a SQLite store file (ours or Emmett's) in a worker thread that holds its own read-only
 * copy of the store, loaded once and caught up before each query. Cancelling terminates the worker
 * (a runaway query cannot be interrupted otherwise); the next query starts a new one.
 */
export class WorkerQuerySource implements QuerySource {
  private worker: Worker | undefined;
  private nextId = 1;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly storePath: string,
    private readonly options: WorkerQuerySourceOptions = {},
  ) {}

  run(sql: string, options: QueryOptions = {}): Promise<QueryResult> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const next = this.chain.then(() => this.runNow(sql, options));
    this.chain = next.catch(() => undefined).then(() => this.idleLater());
    return next;
  }

  /** A copy of a large store costs as much memory as the store: it is not kept for nothing. */
  private idleLater(): void {
    if (this.options.idleMs === undefined || !this.worker) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.idleTimer = setTimeout(() => this.discard(worker), this.options.idleMs);
    this.idleTimer.unref();
  }

  /** True while a worker holds a loaded copy (tests and the status line). */
  get warm(): boolean {
    return this.worker !== undefined;
  }

  private spawn(): Worker {
    const data: QueryWorkerData = {
      path: this.storePath,
      ...(this.options.wasmPath ? { wasmPath: this.options.wasmPath } : {}),
    };
    const worker = new Worker(this.options.workerPath ?? path.join(__dirname, 'queryWorker.js'), {
      workerData: data,
    });
    worker.unref();
    return worker;
  }

  private runNow(sql: string, options: QueryOptions): Promise<QueryResult> {
    if (this.closed) return Promise.reject(new QueryError('unavailable', 'The query source is closed.'));
    if (options.signal?.aborted) return Promise.reject(new QueryError('cancelled', 'The query was cancelled.'));
    const limit = options.limit ?? DEFAULT_QUERY_LIMIT;
    if (!Number.isSafeInteger(limit) || limit < 0)
      return Promise.reject(new QueryError('sql', `The row limit must be a whole number >= 0; got ${limit}.`));
    const worker = (this.worker ??= this.spawn());
    const id = this.nextId++;
    return new Promise<QueryResult>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        options.signal?.removeEventListener('abort', onAbort);
        if (timer) clearTimeout(timer);
      };
      const stop = (error: QueryError) => {
        finish();
        this.discard(worker);
        reject(error);
      };
      const onMessage = (reply: WorkerReply) => {
        if (reply.id !== id) return;
        if (reply.kind === 'started') return options.onStart?.();
        finish();
        if (reply.kind === 'result') resolve(reply.result);
        else reject(new QueryError(reply.code, reply.message, reply.line, reply.column));
      };
      const onError = (e: Error) => stop(new QueryError('unavailable', `The query worker failed: ${e.message}`));
      const onExit = () => stop(new QueryError('unavailable', 'The query worker stopped before answering.'));
      const onAbort = () => stop(new QueryError('cancelled', 'The query was cancelled.'));
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      options.signal?.addEventListener('abort', onAbort);
      if (options.timeoutMs !== undefined)
        timer = setTimeout(
          () => stop(new QueryError('timeout', `The query was stopped after ${options.timeoutMs} ms.`)),
          options.timeoutMs,
        );
      const request: RunRequest = { kind: 'run', id, sql, limit, params: options.params ?? [] };
      worker.postMessage(request);
    });
  }

  /** Terminates a worker (a cancelled query may still be running in it); the next query starts another. */
  private discard(worker: Worker): void {
    if (this.worker === worker) this.worker = undefined;
    void worker.terminate();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }
}
