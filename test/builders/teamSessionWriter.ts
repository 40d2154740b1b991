import * as fs from 'node:fs';
import { StoreSession } from '../../src/core/application/session';
import { ConcurrencyError } from '../../src/core/eventStore/errors';
import { DomainError } from '../../src/core/domain/errors';
import { openPostgresStore } from '../../src/core/formats/postgres/openPostgres';

/**
 * A writer process as the extension host is one: a team store opened for writing, a StoreSession
 * with its read models over it, a poll now and then whose events go on the bus, and commands
 * executed through the session. Runs the NDJSON commands of a file and prints one line per
 * command, as `event-store exec --commands` does, plus a last line with the retries it needed.
 * Usage: node teamSessionWriter.js URL COMMANDS.ndjson
 */
async function main(url: string, file: string): Promise<void> {
  const store = await openPostgresStore({
    connectionString: url,
    schema: 'public',
    format: 'emmett-postgresql',
    write: true,
  });
  const session = StoreSession.over(store);
  let retries = 0;
  try {
    const commands = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { type: string; data: unknown });
    for (const [n, command] of commands.entries()) {
      if (n % 50 === 0) {
        const fresh = await store.poll();
        if (fresh.length > 0) await session.bus.publish(fresh);
      }
      let line: unknown;
      try {
        const result = await session.execute({ ...command, metadata: { source: 'session' } });
        retries += result.retries;
        line = {
          command: n + 1,
          events: result.events.map((e) => ({
            globalPosition: e.globalPosition,
            streamId: e.streamId,
            streamVersion: e.streamVersion,
            eventId: e.eventId,
            type: e.type,
          })),
        };
      } catch (e) {
        if (ConcurrencyError.is(e)) line = { command: n + 1, code: 3, error: e.message };
        else if (DomainError.is(e)) line = { command: n + 1, code: 2, error: e.message };
        else throw e;
      }
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }
    process.stdout.write(`${JSON.stringify({ retries })}\n`);
  } finally {
    await session.close();
  }
}

if (require.main === module) {
  main(process.argv[2]!, process.argv[3]!).catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  });
}
