import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as readline from 'node:readline';

/**
 * A real Emmett application writing a SQLite store: `@event-driven-io/emmett-sqlite` (0.42.4, or
 * 0.38.5 under the alias `emmett-sqlite-0.38`) in a child process that keeps its connection open,
 * with SQLite's automatic checkpoints off, so committed events stay in `<file>-wal` until asked.
 * The parent sends one JSON request per line and waits for its answer: nothing here is timed.
 */
export type EmmettVersion = '0.42' | '0.38';

export interface WriterEvent {
  readonly type: string;
  readonly data: unknown;
  readonly metadata?: Record<string, unknown>;
  /** 'Command' stores a `'C'` message (0.42 and later). */
  readonly kind?: 'Event' | 'Command';
}

type Request =
  | { op: 'append'; stream: string; events: WriterEvent[]; expected?: number }
  | { op: 'bulk'; streams: number; count: number; payloadBytes: number; prefix: string; batch: number }
  | { op: 'checkpoint'; processorId: string; position: number; previous: number | null }
  | { op: 'walCheckpoint' }
  | { op: 'beginAndHold'; rows: number }
  | { op: 'rollback' }
  | { op: 'sql'; sql: string }
  | { op: 'close' };

export class EmmettWriter {
  private readonly lines: readline.Interface;
  private readonly waiting: ((line: string) => void)[] = [];
  private stderr = '';

  private constructor(private readonly child: ChildProcess) {
    this.lines = readline.createInterface({ input: child.stdout! });
    // Answers are JSON objects; anything else is the library writing to stdout itself (Emmett 0.38
    // logs some errors it then handles, e.g. "[Error: SQLITE_BUSY…]"): kept for the diagnostics.
    this.lines.on('line', (line) => {
      if (line.startsWith('{')) this.waiting.shift()?.(line);
      else this.stderr += `${line}\n`;
    });
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
  }

  /** Starts a writer on `file` (created with Emmett's schema on the first request). */
  static async start(file: string, version: EmmettVersion = '0.42'): Promise<EmmettWriter> {
    // ELECTRON_RUN_AS_NODE: inside a VS Code extension host (Electron) the executable runs as plain Node.
    const child = spawn(process.execPath, [__filename, '--child', file, version], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    const writer = new EmmettWriter(child);
    await writer.request({ op: 'sql', sql: 'SELECT 1' });
    return writer;
  }

  private request(req: Request): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`The Emmett writer exited (${String(code)}): ${this.stderr}`));
      this.child.once('exit', onExit);
      this.waiting.push((line) => {
        this.child.off('exit', onExit);
        const answer = JSON.parse(line) as Record<string, unknown>;
        if (answer.error) reject(new Error(String(answer.error)));
        else resolve(answer);
      });
      this.child.stdin!.write(`${JSON.stringify(req)}\n`);
    });
  }

  async append(
    stream: string,
    events: WriterEvent[],
    expected?: number,
  ): Promise<{ lastGlobalPosition: number; nextStreamPosition: number }> {
    const r = await this.request({ op: 'append', stream, events, ...(expected === undefined ? {} : { expected }) });
    return { lastGlobalPosition: Number(r.lastGlobalPosition), nextStreamPosition: Number(r.nextStreamPosition) };
  }

  /** Appends `count` events over `streams` streams through Emmett, in appends of `batch` (default 100) events. */
  async bulk(
    count: number,
    options: { streams?: number; payloadBytes?: number; prefix?: string; batch?: number } = {},
  ): Promise<void> {
    await this.request({
      op: 'bulk',
      count,
      streams: options.streams ?? 100,
      payloadBytes: options.payloadBytes ?? 100,
      prefix: options.prefix ?? 'item',
      batch: options.batch ?? 100,
    });
  }

  async checkpoint(processorId: string, position: number, previous: number | null = null): Promise<void> {
    await this.request({ op: 'checkpoint', processorId, position, previous });
  }

  /** Copies the WAL into the database file and empties it (TRUNCATE), as SQLite does when asked. */
  async walCheckpoint(): Promise<void> {
    await this.request({ op: 'walCheckpoint' });
  }

  /** Opens a write transaction, writes `rows` large rows (spilling pages to the WAL) and keeps it open. */
  async beginAndHold(rows: number): Promise<void> {
    await this.request({ op: 'beginAndHold', rows });
  }

  async rollback(): Promise<void> {
    await this.request({ op: 'rollback' });
  }

  async sql(sql: string): Promise<unknown> {
    return (await this.request({ op: 'sql', sql })).rows;
  }

  /** Closes the connection (SQLite then checkpoints and removes the WAL) and waits for the process to end. */
  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.request({ op: 'close' });
    await exited;
  }

  /** Ends the process without closing the connection: the WAL stays as a crashed application leaves it. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await exited;
  }
}

/** Writes a whole store with Emmett and closes it: its WAL is checkpointed and removed, as after a clean shutdown. */
export async function writeClosedStore(
  file: string,
  version: EmmettVersion,
  write: (w: EmmettWriter) => Promise<void>,
): Promise<void> {
  const writer = await EmmettWriter.start(file, version);
  await write(writer);
  await writer.close();
}

/** Hashes of the main file, its -wal and its -shm, and the names of the files in its folder: what "unchanged" means. */
export function fingerprint(file: string): string {
  const dir = file.slice(0, file.lastIndexOf('/'));
  const parts = [fs.readdirSync(dir).sort().join(',')];
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    parts.push(fs.existsSync(f) ? createHash('sha256').update(fs.readFileSync(f)).digest('hex') : '-');
  }
  return parts.join('|');
}

// ------------------------------------------------------------------ the child process

interface Connection {
  command(sql: string, params?: unknown[]): Promise<unknown>;
  query(sql: string, params?: unknown[]): Promise<unknown[]>;
  close(): void;
}

async function child(file: string, version: EmmettVersion): Promise<void> {
  /* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
  const lib = require(version === '0.38' ? 'emmett-sqlite-0.38' : '@event-driven-io/emmett-sqlite') as any;
  const connection = lib.sqliteConnection({ fileName: file }) as Connection;
  await connection.command('PRAGMA wal_autocheckpoint = 0');
  const store =
    version === '0.38'
      ? lib.getSQLiteEventStore({ fileName: file, schema: { autoMigration: 'CreateOrUpdate' } })
      : lib.getSQLiteEventStore({
          fileName: file,
          schema: { autoMigration: 'CreateOrUpdate' },
          connectionOptions: { connection, singleton: true },
        });
  /* eslint-enable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
  // 0.38 opens its own connection: make it create the schema now, and turn its checkpoints off too.
  await store.readStream('warm-up');
  const rl = readline.createInterface({ input: process.stdin });
  const answer = (o: unknown) =>
    process.stdout.write(`${JSON.stringify(o, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))}\n`);
  for await (const line of rl) {
    const req = JSON.parse(line) as Request;
    try {
      switch (req.op) {
        case 'append': {
          const r = await store.appendToStream(
            req.stream,
            req.events,
            req.expected === undefined ? undefined : { expectedStreamVersion: BigInt(req.expected) },
          );
          answer({
            lastGlobalPosition: r.lastEventGlobalPosition ?? r.lastGlobalPosition,
            nextStreamPosition: r.nextExpectedStreamVersion ?? r.nextStreamPosition,
          });
          break;
        }
        case 'bulk': {
          const pad = 'x'.repeat(Math.max(0, req.payloadBytes - 40));
          for (let done = 0; done < req.count;) {
            const n = Math.min(req.batch, req.count - done);
            const stream = `${req.prefix}-${(done / req.batch) % req.streams}`;
            await store.appendToStream(
              stream,
              Array.from({ length: n }, (_, i) => ({
                type: (done + i) % 3 === 0 ? 'ItemAdded' : (done + i) % 3 === 1 ? 'ItemRemoved' : 'PriceChanged',
                data: { n: done + i, pad },
              })),
            );
            done += n;
          }
          answer({});
          break;
        }
        case 'checkpoint': {
          const r = await lib.storeProcessorCheckpoint(connection, {
            processorId: req.processorId,
            newPosition: BigInt(req.position),
            lastProcessedPosition: req.previous === null ? null : BigInt(req.previous),
          });
          answer(r);
          break;
        }
        case 'walCheckpoint':
          answer({ rows: await connection.query('PRAGMA wal_checkpoint(TRUNCATE)') });
          break;
        case 'beginAndHold': {
          await connection.command('PRAGMA cache_size = 2');
          await connection.command('BEGIN IMMEDIATE');
          const big = 'y'.repeat(3000);
          for (let i = 0; i < req.rows; i++) {
            await connection.command(
              "INSERT INTO emt_messages (stream_id, stream_position, message_kind, message_data, message_metadata, message_schema_version, message_type, message_id) VALUES (?, ?, 'E', ?, '{}', '0', 'Held', ?)",
              ['held-1', i + 1, JSON.stringify({ big }), `held-${i}`],
            );
          }
          answer({});
          break;
        }
        case 'rollback':
          await connection.command('ROLLBACK');
          answer({});
          break;
        case 'sql':
          answer({ rows: await connection.query(req.sql) });
          break;
        case 'close':
          if (version === '0.38') await store.close?.();
          connection.close();
          // sqlite3 closes in the background: the last connection to close checkpoints and removes the
          // WAL. Wait for that state (bounded), then end the process even if a handle lingers.
          for (const deadline = Date.now() + 5000; fs.existsSync(`${file}-wal`) && Date.now() < deadline;)
            await new Promise((resolve) => setTimeout(resolve, 10));
          process.stdout.write(`${JSON.stringify({})}\n`, () => process.exit(0));
          return;
      }
    } catch (e) {
      answer({ error: e instanceof Error ? e.message : String(e) });
    }
  }
}

if (require.main === module && process.argv[2] === '--child') {
  child(process.argv[3]!, process.argv[4] as EmmettVersion).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
