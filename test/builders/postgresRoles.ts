import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import type { PostgresServer } from './postgresServer';

/**
 * Adds a login role that must give its password (SCRAM): a pg_hba.conf line for it goes before the
 * server's `trust` lines, the configuration is reloaded, and this returns once the server asks that
 * role for a password. Returns the role's name.
 */
export async function addPasswordRole(server: PostgresServer, name: string, password: string): Promise<string> {
  const admin = new Client({ connectionString: server.url() });
  await admin.connect();
  try {
    await admin.query(`DROP ROLE IF EXISTS ${name}`);
    await admin.query(`SET password_encryption = 'scram-sha-256'`);
    await admin.query(`CREATE ROLE ${name} LOGIN PASSWORD '${password.replace(/'/g, "''")}'`);
    const hba = path.join(server.dataDir, 'pg_hba.conf');
    const line = `host all ${name} 127.0.0.1/32 scram-sha-256\n`;
    const rules = fs.readFileSync(hba, 'utf8');
    if (!rules.includes(line)) fs.writeFileSync(hba, line + rules);
    await admin.query('SELECT pg_reload_conf()');
  } finally {
    await admin.end();
  }
  // The postmaster reloads on a signal: wait until it asks this role for a password.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = new Client({
      connectionString: `postgres://${name}@127.0.0.1:${server.port}/postgres`,
      password: 'not-the-password',
    });
    const refused = await probe.connect().then(
      () => false,
      () => true,
    );
    await probe.end().catch(() => undefined);
    if (refused) return name;
    if (Date.now() > deadline) throw new Error(`the server did not start asking ${name} for a password`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
