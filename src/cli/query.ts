import type { Writable } from 'node:stream';
import { writeText } from '../core/eventStore/exportNdjson';
import type { QuerySource } from '../core/query/querySource';
import { formatResult, type ResultFormat } from '../core/query/resultFormat';
import { WorkerQuerySource } from '../core/query/workerQuerySource';
import { PostgresQuerySource } from '../core/query/postgresQuery';
import { findCliStore, isPostgresUrl } from './postgresStore';

export interface QueryCommandOptions {
  readonly store: string;
  /** The schema of a postgres:// store, when the database holds several. */
  readonly schema?: string;
  readonly sql: string;
  readonly format: ResultFormat;
  readonly limit: number;
  readonly timeoutMs?: number;
}

/**
 * The query source of a store the CLI names: SQLite files (ours, Emmett's) run in a worker on a
 * private copy; a postgres:// store runs on its server, in a READ ONLY transaction.
 */
export async function querySourceFor(store: string, schema?: string): Promise<QuerySource> {
  if (!isPostgresUrl(store)) return new WorkerQuerySource(store);
  const found = await findCliStore(store, schema, false);
  return new PostgresQuerySource({ ...found.target, schema: found.store!.schema });
}

/**
 * `event-store query "SQL"`: the rows on stdout in the chosen format; a note on stderr when the
 * limit cut them. Errors (QueryError) reach the CLI's boundary, which makes them one sentence.
 */
export async function queryCommand(options: QueryCommandOptions, stdout: Writable, stderr: Writable): Promise<void> {
  const source = await querySourceFor(options.store, options.schema);
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
