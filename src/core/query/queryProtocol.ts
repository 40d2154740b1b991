import type { QueryErrorCode, QueryParam, QueryResult } from './querySource';

/** What the host tells the query worker: which store it reads (workerData), then one query at a time. */
export interface QueryWorkerData {
  readonly path: string;
  readonly wasmPath?: string;
}

export interface RunRequest {
  readonly kind: 'run';
  readonly id: number;
  readonly sql: string;
  readonly limit: number;
  readonly params: readonly QueryParam[];
}

export type WorkerReply =
  | { readonly kind: 'started'; readonly id: number }
  | { readonly kind: 'result'; readonly id: number; readonly result: QueryResult }
  | {
      readonly kind: 'error';
      readonly id: number;
      readonly code: QueryErrorCode;
      readonly message: string;
      readonly line?: number;
      readonly column?: number;
    };
