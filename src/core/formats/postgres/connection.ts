import { Client } from 'pg';
import type { ClientConfig } from 'pg';

/** Where a PostgreSQL store lives. The password is passed in, never kept in settings or logs. */
export interface PostgresTarget {
  /** A `postgres://` connection string (its password, if any, is used but never shown). */
  readonly connectionString?: string;
  readonly host?: string;
  readonly port?: number;
  readonly database?: string;
  readonly user?: string;
  readonly password?: string;
  /** The schema the store's tables are in, when it is not found by probing. */
  readonly schema?: string;
  /** How long a statement may run before the server cancels it (default 30 s). */
  readonly statementTimeoutMs?: number;
  /** How long connecting may take (default 10 s). */
  readonly connectTimeoutMs?: number;
}

/** A sentence for people, with no password in it. */
export class PostgresConnectionError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'PostgresConnectionError';
  }
}

/** The target as people may see it: `postgres://user@host:port/db`, no password. */
export function describeTarget(target: PostgresTarget): string {
  if (target.connectionString) return redactConnectionString(target.connectionString);
  const user = target.user ? `${target.user}@` : '';
  return `postgres://${user}${target.host ?? 'localhost'}:${target.port ?? 5432}/${target.database ?? ''}`;
}

/** Removes the password from a connection string (URL or key=value form). */
export function redactConnectionString(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = '';
    for (const key of [...url.searchParams.keys()]) {
      if (/pass/i.test(key)) url.searchParams.set(key, '***');
    }
    return url.toString().replace(/:@/, '@');
  } catch {
    return connectionString.replace(/(password\s*=\s*)(\S+)/gi, '$1***');
  }
}

/**
 * pg lets the connection string's (empty) password win over a `password` given beside it: the
 * password goes into the URL handed to pg, percent-encoded, and nowhere else.
 */
function withPassword(connectionString: string | undefined, password: string | undefined): string | undefined {
  if (!connectionString || !password) return connectionString;
  try {
    const url = new URL(connectionString);
    url.password = encodeURIComponent(password);
    return url.toString();
  } catch {
    return connectionString;
  }
}

function clientConfig(target: PostgresTarget): ClientConfig {
  return {
    connectionString: withPassword(target.connectionString, target.password),
    host: target.connectionString ? undefined : target.host,
    port: target.connectionString ? undefined : target.port,
    database: target.connectionString ? undefined : target.database,
    user: target.connectionString ? undefined : target.user,
    password: target.password,
    connectionTimeoutMillis: target.connectTimeoutMs ?? 10_000,
    statement_timeout: target.statementTimeoutMs ?? 30_000,
    application_name: 'event-store-inspector',
  };
}

/** Turns what `pg` or the server said into one sentence that names the target and never the password. */
export function explainPostgresError(error: unknown, target: PostgresTarget): PostgresConnectionError {
  const where = describeTarget(target);
  const e = error as { code?: string; message?: string };
  const code = e?.code;
  const raw = String(e?.message ?? error);
  const said = target.password
    ? raw.split(target.password).join('***').split(encodeURIComponent(target.password)).join('***')
    : raw;
  let message: string;
  switch (code) {
    case 'ECONNREFUSED':
      message = `No PostgreSQL server answers at ${where} (connection refused): is it running, and on this port?`;
      break;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      message = `The host of ${where} could not be found.`;
      break;
    case 'ETIMEDOUT':
      message = `Connecting to ${where} timed out.`;
      break;
    case '28P01':
    case '28000':
      message = `PostgreSQL at ${where} refused the user name or password.`;
      break;
    case '3D000':
      message = `The database of ${where} does not exist.`;
      break;
    case '42501':
      message = `The user of ${where} lacks a permission this needs: ${said}`;
      break;
    case '57014':
      message = `A statement on ${where} ran longer than the statement timeout and was cancelled.`;
      break;
    case '25006':
      message = `${where} is opened read-only; that statement would have written to it.`;
      break;
    default:
      message = /client password must be a string/i.test(said)
        ? `PostgreSQL at ${where} asks for a password, and none was given.`
        : /does not support SSL/i.test(said)
          ? `PostgreSQL at ${where} does not accept SSL connections: connect with sslmode=disable, or enable SSL on the server.`
          : /timeout/i.test(said)
            ? `Connecting to ${where} timed out.`
            : `PostgreSQL at ${where}: ${said}${code ? ` (${code})` : ''}`;
  }
  return new PostgresConnectionError(message, code);
}

/** Connects, with timeouts, and names the failure in one sentence. */
export async function connectPostgres(target: PostgresTarget): Promise<Client> {
  const client = new Client(clientConfig(target));
  // A server that goes away must not crash the host: the next query reports it instead.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw explainPostgresError(error, target);
  }
}

/**
 * Runs `body` in a READ ONLY transaction with a statement timeout: whatever SQL it sends, the
 * server refuses to write. The transaction is always ended.
 */
export async function readOnlyTransaction<T>(
  client: Client,
  target: PostgresTarget,
  body: (client: Client) => Promise<T>,
): Promise<T> {
  try {
    await client.query('BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(target.statementTimeoutMs ?? 30_000))}`);
    const result = await body(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (error instanceof PostgresConnectionError) throw error;
    throw explainPostgresError(error, target);
  }
}
