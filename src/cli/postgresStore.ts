import type { Writable } from 'node:stream';
import { StoreSession } from '../core/application/session';
import { exportNdjson, writeChunks, writeText } from '../core/eventStore/exportNdjson';
import { copyToNativeStore } from '../core/formats/copyToNative';
import { describeTarget, type PostgresTarget } from '../core/formats/postgres/connection';
import type { PostgresFormatId } from '../core/formats/postgres/dialects';
import { checkPostgresStore } from '../core/formats/postgres/integrity';
import {
  openPostgresStore,
  type FoundPostgresStore,
  PostgresStoreError,
  probePostgres,
  type PostgresStore,
} from '../core/formats/postgres/openPostgres';
import { EXIT_FINDINGS, foreignSummary } from './foreignStore';

/** `--store postgres://…` (or postgresql://): a store on a PostgreSQL server rather than a file. */
export function isPostgresUrl(store: string): boolean {
  return /^postgres(ql)?:\/\//i.test(store);
}

/** The target of a `--store` URL; the password comes from the URL or PGPASSWORD and is never printed. */
export function cliTarget(url: string): PostgresTarget {
  let hasPassword = false;
  try {
    hasPassword = new URL(url).password !== '';
  } catch {
    throw new PostgresStoreError(`The store URL ${describeTarget({ connectionString: url })} is not a valid URL.`);
  }
  const password = process.env.PGPASSWORD;
  return { connectionString: url, ...(!hasPassword && password ? { password } : {}) };
}

/** The store of `--schema`, or the only store the database holds; undefined only when writing may create one. */
export async function findCliStore(
  url: string,
  schema: string | undefined,
  write: boolean,
): Promise<{ target: PostgresTarget; store: FoundPostgresStore | undefined }> {
  const target = cliTarget(url);
  const where = describeTarget(target);
  const found = await probePostgres(target);
  const inSchema = schema === undefined ? found : found.filter((f) => f.schema === schema);
  if (inSchema.length > 1)
    throw new PostgresStoreError(
      `${where} holds stores in several schemas (${inSchema.map((f) => `${f.schema}: ${f.format.name}`).join(', ')}); choose one with --schema.`,
    );
  const store = inSchema[0];
  if (!store && !write)
    throw new PostgresStoreError(
      schema === undefined
        ? `${where} holds no Emmett PostgreSQL, Message DB or Marten store.`
        : `The schema "${schema}" of ${where} holds no Emmett PostgreSQL, Message DB or Marten store.`,
    );
  return { target, store };
}

/**
 * Opens the store of `--schema` (or the only store the database holds). A writing command opens an
 * Emmett PostgreSQL schema as a team store, and gives an empty schema Emmett's tables.
 */
export async function openCliPostgres(url: string, schema: string | undefined, write: boolean): Promise<PostgresStore> {
  const { target, store } = await findCliStore(url, schema, write);
  return openPostgresStore({
    ...target,
    schema: store?.schema ?? schema ?? 'public',
    format: (store?.format.id ?? 'emmett-postgresql') as PostgresFormatId,
    ...(write ? { write: true } : {}),
  });
}

async function withPostgres<T>(
  url: string,
  schema: string | undefined,
  write: boolean,
  run: (store: PostgresStore) => Promise<T>,
): Promise<T> {
  const store = await openCliPostgres(url, schema, write);
  try {
    return await run(store);
  } finally {
    await store.close();
  }
}

export function postgresStats(url: string, schema: string | undefined, out: Writable): Promise<number> {
  return withPostgres(url, schema, false, async (store) => {
    await writeText(
      out,
      `${JSON.stringify(await foreignSummary(store, { schema: store.schema, inFlight: store.inFlight() }))}\n`,
    );
    return 0;
  });
}

export function postgresExport(
  url: string,
  schema: string | undefined,
  from: number,
  to: number,
  out: Writable,
): Promise<number> {
  return withPostgres(url, schema, false, async (store) => {
    await writeChunks(out, exportNdjson(store, { from, to }));
    return 0;
  });
}

export function postgresVerify(url: string, schema: string | undefined, out: Writable, err: Writable): Promise<number> {
  return withPostgres(url, schema, false, async (store) => {
    const report = await checkPostgresStore(store);
    const waiting = report.inFlight.takenUpTo > report.inFlight.readableUpTo || report.inFlight.pending.length > 0;
    const inFlight = waiting ? `${JSON.stringify({ inFlight: report.inFlight, notes: store.notes() })}\n` : '';
    if (report.ok) {
      await writeText(
        out,
        `${JSON.stringify({ ok: true, format: store.format.id, generation: store.format.generation, messages: report.messages, streams: report.streams, lastPosition: report.lastPosition, inFlight: report.inFlight, notes: store.notes() })}\n`,
      );
      return 0;
    }
    await writeText(out, report.findings.map((f) => `${JSON.stringify({ finding: f })}\n`).join('') + inFlight);
    err.write(`The store ${store.path} has integrity findings: ${report.findings.length} (listed on stdout).\n`);
    return EXIT_FINDINGS;
  });
}

export function postgresCopy(url: string, schema: string | undefined, dest: string, out: Writable): Promise<number> {
  return withPostgres(url, schema, false, async (store) => {
    const result = await copyToNativeStore(store, dest);
    await writeText(out, `${JSON.stringify({ copied: result.events, ...result, to: dest })}\n`);
    return 0;
  });
}

/** exec and seed on a team store: the same session as the extension's, over the PostgreSQL store. */
export function withPostgresSession<T>(
  url: string,
  schema: string | undefined,
  run: (session: StoreSession) => Promise<T>,
): Promise<T> {
  return withPostgres(url, schema, true, (store) => run(StoreSession.over(store, { readModels: false })));
}

/** append on a team store. */
export function withPostgresTeam<T>(
  url: string,
  schema: string | undefined,
  run: (store: PostgresStore) => Promise<T>,
): Promise<T> {
  return withPostgres(url, schema, true, run);
}
