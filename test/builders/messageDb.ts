import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';

/** Message DB's install SQL, as shipped in `@eventide/message-db` (the files its install scripts run). */
const DATABASE = path.join(path.dirname(require.resolve('@eventide/message-db/package.json')), 'database');

/** The files in the order install.sh, install-functions.sh, install-indexes.sh, install-views.sh and install-privileges.sh run them. */
const FILES = [
  'roles/message-store.sql',
  'schema/message-store.sql',
  'extensions/pgcrypto.sql',
  'tables/messages.sql',
  'types/message.sql',
  'functions/message-store-version.sql',
  'functions/hash-64.sql',
  'functions/acquire-lock.sql',
  'functions/category.sql',
  'functions/is-category.sql',
  'functions/id.sql',
  'functions/cardinal-id.sql',
  'functions/stream-version.sql',
  'functions/write-message.sql',
  'functions/get-stream-messages.sql',
  'functions/get-category-messages.sql',
  'functions/get-last-stream-message.sql',
  'indexes/messages-id.sql',
  'indexes/messages-stream.sql',
  'indexes/messages-category.sql',
  'views/stream-summary.sql',
  'views/type-summary.sql',
  'views/stream-type-summary.sql',
  'views/type-stream-summary.sql',
  'views/category-type-summary.sql',
  'views/type-category-summary.sql',
  'privileges/schema.sql',
  'privileges/table.sql',
  'privileges/sequence.sql',
  'privileges/functions.sql',
  'privileges/views.sql',
];

/** Message DB's functions name its objects unqualified: they run with its schema on the search path. */
export function messageDbUrl(url: string): string {
  const u = new URL(url);
  u.searchParams.set('options', '-c search_path=message_store,public');
  return u.toString();
}

/** Installs Message DB into the database of `url`, as the superuser the test server gives. */
export async function installMessageDb(url: string): Promise<void> {
  const client = new Client({ connectionString: messageDbUrl(url) });
  await client.connect();
  try {
    for (const file of FILES) await client.query(fs.readFileSync(path.join(DATABASE, file), 'utf8'));
  } finally {
    await client.end();
  }
}

/** Writes one message with Message DB's own `write_message` (expected version: the stream's last 0-based position, -1 for none). */
export async function writeMessage(
  url: string,
  stream: string,
  type: string,
  data: unknown,
  metadata: unknown = null,
  expectedVersion: number | null = null,
  client?: Client,
): Promise<number> {
  const own = client ?? new Client({ connectionString: messageDbUrl(url) });
  if (!client) await own.connect();
  try {
    const r = await own.query<{ p: string }>(
      'SELECT message_store.write_message(gen_random_uuid()::varchar, $1, $2, $3, $4, $5)::text AS p',
      [stream, type, JSON.stringify(data), metadata === null ? null : JSON.stringify(metadata), expectedVersion],
    );
    return Number(r.rows[0]!.p);
  } finally {
    if (!client) await own.end();
  }
}
