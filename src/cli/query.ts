import type { Writable } from 'node:stream';
import { writeText } from '../core/eventStore/exportNdjson';
import type { QuerySource } from '../core/query/querySource';
import { formatResult, type ResultFormat } from '../core/query/resultFormat';
import { WorkerQuerySource } from '../core/query/workerQuerySource';

export interface QueryCommandOptions {
  readonly store: string;
  readonly sql: string;
  readonly format: ResultFormat;
  readonly limit: number;
  readonly timeoutMs?: number;
}

/** The query source of a store the CLI names: SQLite files (ours, Emmett's) run in a worker on a private copy. */
export function querySourceFor(store: string): QuerySource {
  return new WorkerQuerySource(store);
}

/**
 * `event-store query "SQL"`: the rows on stdout in the chosen format; a note on stderr when the
 * limit cut them. Errors (QueryError) reach the CLI's boundary, which makes them one sentence.
 */
export async function queryCommand(options: QueryCommandOptions, stdout: Writable, stderr: Writable): Promise<void> {
  const source = querySourceFor(options.store);
  try {
    const result = await source.run(options.sql, {
      limit: options.limit,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
    await writeText(stdout, formatResult(result, options.format).join(''));
    if (result.truncated) stderr.write(`Only the first ${options.limit} rows are printed; --limit N prints more.\n`);
  } finally {
    await source.close();
  }
}
