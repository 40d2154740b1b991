/**
 * What a person types to reach a PostgreSQL server, turned into a connection string that can be
 * saved and shown (it never holds the password) and the password, kept apart for a secret store.
 */

/** libpq's sslmode values that `pg` understands. */
export const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** A connection given step by step. */
export interface ConnectionParts {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly sslmode?: SslMode;
}

/** A connection string without a password, and the password it held (if any). */
export interface ParsedConnection {
  readonly connectionString: string;
  readonly password: string | undefined;
}

/** Input that is not a connection this can use; the message is one sentence for people. */
export class ConnectionInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionInputError';
  }
  static is(e: unknown): e is ConnectionInputError {
    return e instanceof ConnectionInputError;
  }
}

const PROTOCOLS = new Set(['postgres:', 'postgresql:']);

/**
 * Checks a connection string and splits its password off (from the user info or a `password`
 * parameter). Key=value strings are refused: `pg` reads only URLs.
 */
export function parseConnectionString(text: string): ParsedConnection {
  const trimmed = text.trim();
  if (!trimmed) throw new ConnectionInputError('Type a connection string, e.g. postgres://user@host:5432/database.');
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new ConnectionInputError(
      'This is not a connection URL: write it as postgres://user@host:5432/database (key=value strings are not read).',
    );
  }
  if (!PROTOCOLS.has(url.protocol))
    throw new ConnectionInputError(
      `A connection string starts with postgres:// or postgresql://, not ${url.protocol}//.`,
    );
  if (!url.hostname) throw new ConnectionInputError('The connection string names no host.');
  const sslmode = url.searchParams.get('sslmode');
  if (sslmode !== null && !(SSL_MODES as readonly string[]).includes(sslmode))
    throw new ConnectionInputError(`sslmode=${sslmode} is not one of ${SSL_MODES.join(', ')}.`);
  let password = url.password ? decodeURIComponent(url.password) : undefined;
  url.password = '';
  for (const key of [...url.searchParams.keys()]) {
    if (key.toLowerCase() !== 'password') continue;
    password ??= url.searchParams.get(key) ?? undefined;
    url.searchParams.delete(key);
  }
  return { connectionString: url.toString().replace(/:@/, '@'), password: password || undefined };
}

/** Why a host, port, database or user typed step by step cannot be used; undefined when it can. */
export function checkPart(part: 'host' | 'port' | 'database' | 'user', value: string): string | undefined {
  const v = value.trim();
  if (part === 'port') {
    const n = Number(v);
    return /^\d+$/.test(v) && n >= 1 && n <= 65535 ? undefined : 'A port is a number from 1 to 65535.';
  }
  if (!v) return `Type a ${part === 'host' ? 'host name or address' : `${part} name`}.`;
  if (part === 'host' && /[\s/@?#]/.test(v)) return 'A host name has no spaces, slashes, @, ? or #.';
  return undefined;
}

/** The connection string of a connection given step by step (the password stays out of it). */
export function connectionStringOf(parts: ConnectionParts): string {
  for (const part of ['host', 'port', 'database', 'user'] as const) {
    const problem = checkPart(part, String(parts[part]));
    if (problem) throw new ConnectionInputError(problem);
  }
  const host = parts.host.includes(':') && !parts.host.startsWith('[') ? `[${parts.host}]` : parts.host;
  const url = new URL(`postgres://${host}:${parts.port}`);
  url.username = encodeURIComponent(parts.user.trim());
  url.pathname = `/${encodeURIComponent(parts.database.trim())}`;
  if (parts.sslmode) url.searchParams.set('sslmode', parts.sslmode);
  return url.toString();
}
