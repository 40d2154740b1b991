import type { Client } from 'pg';
import type { FormatId, StoreFormat } from '../storeReader';
import { connectPostgres, describeTarget, explainPostgresError, readOnlyTransaction } from './connection';
import type { PostgresTarget } from './connection';
import { article, detectDialect, FORMATS, isPostgresFormat, schemaColumns } from './dialects';
import { createEmmettSchema, emmettTeamWriter } from './emmettTeamWriter';
import { PostgresStore, type OpenProgressListener } from './postgresStore';

export { PostgresStore } from './postgresStore';

/** A store found in a database: which schema, which format, how many events, and whether it can be a team store. */
export interface FoundPostgresStore {
  readonly schema: string;
  readonly format: StoreFormat;
  /** How many events it holds; -1 when the user may not read its table (opening it then says why). */
  readonly events: number;
  /** An Emmett PostgreSQL schema: the inspector can append to it (a team store). */
  readonly writable: boolean;
}

/** A PostgreSQL store that is not what was asked for, in one sentence. */
export class PostgresStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PostgresStoreError';
  }
  static is(e: unknown): e is PostgresStoreError {
    return e instanceof PostgresStoreError;
  }
}

async function userSchemas(client: Client): Promise<string[]> {
  const r = await client.query<{ nspname: string }>(
    `SELECT nspname FROM pg_namespace
      WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND nspname NOT LIKE 'pg_temp_%'
        AND nspname NOT LIKE 'pg_toast_temp_%' ORDER BY nspname`,
  );
  return r.rows.map((row) => row.nspname);
}

/** Finds the stores in a database: every schema whose tables are Emmett PostgreSQL's, Message DB's or Marten's. */
export async function probePostgres(target: PostgresTarget): Promise<FoundPostgresStore[]> {
  const client = await connectPostgres(target);
  try {
    return await readOnlyTransaction(client, target, async (c) => {
      const found: FoundPostgresStore[] = [];
      for (const schema of await userSchemas(c)) {
        const dialect = detectDialect(schema, await schemaColumns(c, schema));
        if (!dialect) continue;
        let events = 0;
        try {
          await c.query('SAVEPOINT esi_count');
          const r = await c.query<{ n: string }>(
            `SELECT count(*)::text AS n FROM ${dialect.table} WHERE ${dialect.eventsOnly}`,
          );
          events = Number(r.rows[0]?.n ?? 0);
          await c.query('RELEASE SAVEPOINT esi_count');
        } catch {
          // A store the user may not read is still listed; opening it says why it cannot be read.
          await c.query('ROLLBACK TO SAVEPOINT esi_count');
          events = -1;
        }
        found.push({
          schema,
          format: dialect.format,
          events,
          writable: dialect.format.id === 'emmett-postgresql' && dialect.table.endsWith('.emt_messages'),
        });
      }
      return found;
    });
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface OpenPostgresOptions {
  onProgress?(loaded: number, total: number): void;
  signal?: AbortSignal;
}

/**
 * Opens the store of one schema: read-only, or with `write: true` on an Emmett PostgreSQL schema
 * as a team store (an empty or missing schema then gets Emmett's tables, from Emmett's migrations).
 */
export async function openPostgresStore(
  target: PostgresTarget & { readonly schema: string; readonly format: FormatId; readonly write?: boolean },
  options: OpenPostgresOptions = {},
): Promise<PostgresStore> {
  const where = `${describeTarget(target)}`;
  if (!isPostgresFormat(target.format))
    throw new PostgresStoreError(`${target.format} is not a format of stores on PostgreSQL.`);
  const detect = async () => {
    const client = await connectPostgres(target);
    try {
      return await readOnlyTransaction(client, target, async (c) => {
        const tables = await schemaColumns(c, target.schema);
        return { dialect: detectDialect(target.schema, tables), tables: [...tables.keys()] };
      });
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  let { dialect, tables } = await detect();
  if (!dialect && target.write && target.format === 'emmett-postgresql' && tables.length === 0) {
    try {
      await createEmmettSchema(target, target.schema);
    } catch (e) {
      throw explainPostgresError(e, target);
    }
    ({ dialect, tables } = await detect());
  }
  if (!dialect)
    throw new PostgresStoreError(
      tables.length === 0
        ? `The schema "${target.schema}" of ${where} holds no tables: it is not an Emmett PostgreSQL, Message DB or Marten store.`
        : `The schema "${target.schema}" of ${where} is not an Emmett PostgreSQL, Message DB or Marten store (its tables: ${tables.slice(0, 8).join(', ')}).`,
    );
  if (dialect.format.id !== target.format)
    throw new PostgresStoreError(
      `The schema "${target.schema}" of ${where} is ${article(dialect.format.name)} store, not ${article(FORMATS[target.format]('').name)} store.`,
    );
  if (target.write && !dialect.table.endsWith('.emt_messages'))
    throw new PostgresStoreError(
      `Only an Emmett PostgreSQL store (0.38 or later) can be written to as a team store; the schema "${target.schema}" of ${where} holds ${dialect.format.name} (${dialect.format.generation}).`,
    );
  const writer = target.write ? await emmettTeamWriter(target, target.schema) : undefined;
  const progress: OpenProgressListener | undefined = options.onProgress
    ? (loaded, total) => options.onProgress!(loaded, total)
    : undefined;
  try {
    return await PostgresStore.open(target, dialect, {
      ...(progress ? { onProgress: progress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(writer ? { writer } : {}),
    });
  } catch (e) {
    await writer?.close();
    throw e;
  }
}
