import * as fs from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { MAX_IMPORT_LINE_CHARS, StrictUtf8, lineTooLong, quietOnClosedPipe } from './cliInput';
import { appendedEvents, type CommandResult } from './core/application/commandHandler';
import { seedDemoData } from './core/application/demoData';
import { StoreSession } from './core/application/session';
import { DomainError } from './core/domain/errors';
import {
  ConcurrencyError,
  InvalidEventError,
  ReadOnlyStoreError,
  StoreLockedError,
  StoreUnreadableError,
  UnsoundEventError,
} from './core/eventStore/errors';
import { SqlJsEventStore, type OpenStoreOptions } from './core/eventStore/sqlJsEventStore';
import type { ExpectedVersion, ImportEvent } from './core/eventStore/types';
import { MAX_APPEND_BYTES, MAX_EVENT_BYTES, MAX_EVENTS_PER_APPEND } from './core/eventStore/validation';
import { verifyStore } from './core/eventStore/verify';
import { parseObjectLine } from './core/formats/ndjson';
import { eventLine, exportNdjson, writeChunks, writeText } from './core/eventStore/exportNdjson';
import {
  copyCommand as copyStore,
  EXIT_FINDINGS,
  foreignExport,
  foreignStats,
  foreignVerify,
  importExported,
  isForeignFile,
} from './cli/foreignStore';
import { queryCommand as runQuery } from './cli/query';
import { DEFAULT_QUERY_LIMIT, QueryError } from './core/query/querySource';
import { RESULT_FORMATS, type ResultFormat } from './core/query/resultFormat';
import { searchCommand as runSearch, statsDetailCommand } from './cli/search';
import { StreamPatternError } from './core/search/streamPattern';
import {
  isPostgresUrl,
  postgresCopy,
  postgresExport,
  postgresStats,
  postgresVerify,
  withPostgresSession,
  withPostgresTeam,
} from './cli/postgresStore';
import { PostgresConnectionError } from './core/formats/postgres/connection';
import { PostgresStoreError } from './core/formats/postgres/openPostgres';
import { blameCommand as blameValue, EXIT_FAULTED } from './cli/blame';
import { UnknownStreamError } from './core/history/blame';
import { ValuePathError } from './core/history/valuePath';
import { DomainModuleError } from './core/workspaceDomain/moduleErrors';

/** Exit codes: part of the CLI's contract with scripts. */
export const EXIT = {
  ok: 0,
  /** Bad usage or bad input (including an event the store refuses). */
  usage: 1,
  /** The domain rejected the command (exec, seed). */
  rejected: 2,
  /** The stream was not at the expected version. */
  conflict: 3,
  /** The store cannot be read: missing, corrupt, not a store, or an I/O error. */
  unreadable: 4,
  /** Another process holds the store's lock for longer than --lock-timeout. */
  locked: 5,
  /** verify read the store (of any format) and found integrity problems (listed on stdout). */
  findings: EXIT_FINDINGS,
  /** blame: the read model (or decider) threw on an event; the changes before it are printed. */
  faulted: EXIT_FAULTED,
} as const;

export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdin: Readable;
}

class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const HELP = `Usage: event-store <command> --store FILE [options]

FILE is a store of ours, or a store another application wrote (Emmett SQLite, found by its schema;
its -wal file is read too), which is opened read-only: stats, export, verify, copy and query work on it.
FILE may also be a postgres://user@host:port/db URL (the password from the URL or PGPASSWORD, never
printed; --schema NAME when the database holds several stores): Emmett PostgreSQL, Message DB and
Marten stores are read (stats, export, verify, copy, query); append, exec and seed write to an Emmett
PostgreSQL schema as a team store, through Emmett's own library (an empty schema gets its tables).

Commands:
  append   --stream ID --type TYPE --data JSON [--metadata JSON]
           [--expected-version N|no-stream|any] [--event-id ID]
           Appends one event; prints {"globalPosition":P,"streamVersion":V} once it is durable.
  import   [--ack] [--batch N] [PATH|-]
           Appends NDJSON lines {"streamId","type","data","metadata"?,"eventId"?} (stdin when no
           PATH or "-"), up to N (default 2000) per transaction and fsync. With --ack prints
           {"ack":P,"eventId":...} for each event as soon as it is durable. An event id already
           stored in the same stream is skipped. Stops at the first bad line (the lines before it
           are imported). Ends with {"imported":N,"skipped":K,"seconds":S}.
           With --keep-positions: reads lines as export prints them into a new store FILE,
           keeping positions, ids, times and metadata (as copy does).
  export   [--from P] [--to P]   Prints the events from position P (default 1) as NDJSON, in global order.
  stats    [--detail]   Prints {"events","streams","lastPosition","eventTypes",...}. With --detail:
                        events over time, per type and category, the longest streams, the largest
                        events, appends per minute in the last hour (any store format).
  search   TEXT [--stream PATTERN] [--limit N] [--format ndjson|table]
                        Prints the events whose data has every word of TEXT (each as the start of a
                        word, any case), in global order, at most N (default 100). PATTERN: user-*
                        (* and ? wildcards), category:cart, or text in the stream id.
  verify                Checks the store; exits 0 when sound, else prints one finding per line.
  copy     --to FILE    Copies every event into a new store of ours (a sandbox for any store,
                        e.g. an Emmett one): positions, ids, times and metadata kept.
  exec     --command JSON   Runs a command through the write model, e.g.
           {"type":"CreateUser","data":{"userId":"u1","name":"Ada"}}; prints the events appended.
           --commands PATH|-  Runs one command per NDJSON line, in order; prints one line per
           command: {"command":N,"events":[...]} or {"command":N,"code":C,"error":"..."}.
  seed                  Runs the demo commands; prints the events appended.
  query    "SQL" [--format table|ndjson|csv] [--limit N] [--timeout MS]
           Runs one read-only statement over the views events(position, stream_id, category,
           stream_version, type, data, metadata, recorded_at, correlation_id, causation_id) and
           streams(stream_id, category, version, last_position), on any store format; prints at
           most N rows (default ${DEFAULT_QUERY_LIMIT}) as a table (default), NDJSON or CSV. SQLite's
           SQL on files; PostgreSQL's on a postgres:// store (on its server, READ ONLY, stopped
           after --timeout MS, default 30000); data->>'sku' works on both.
  blame    --read-model NAME --path PATH | --stream ID --path PATH  [--to P] [--domain FILE]
           Prints every event that changed one value, newest first, one JSON object per change:
           {"path","globalPosition","type","streamId","streamVersion","kind","before","after",...}.
           PATH is like users.ada.name (keys with dots in brackets: carts["cart-1"].items[0]).
           --stream follows a stream's write-model state; --domain FILE adds a domain.js module's
           read models and deciders. Works on every store format read.

JSON values may also be given as @PATH (a file) or @- (stdin).
Writing commands accept --lock-timeout MS (default 10000): how long to wait for another writer.

Exit codes: 0 ok, 1 bad usage or input, 2 command rejected by the domain, 3 concurrency conflict,
4 store unreadable or corrupt, 5 store locked by another process, 6 verify read the store and
found integrity problems (each on stdout; in a foreign store with its stream and position), 7 blame met a read
model or decider that threw (the changes before that event are printed).
Limits: ${MAX_EVENT_BYTES} bytes of data + metadata per event, ${MAX_APPEND_BYTES} bytes per append.
`;

interface Args {
  readonly command: string | undefined;
  readonly options: Map<string, string | true>;
  readonly positionals: string[];
}

const FLAGS = new Set(['ack', 'help', 'keep-positions', 'detail']);

function parseArgs(argv: readonly string[]): Args {
  const options = new Map<string, string | true>();
  const positionals: string[] = [];
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h') options.set('help', true);
    else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq === -1 ? undefined : eq);
      if (name.length === 0) throw new UsageError(`"${arg}" is not an option.`);
      if (FLAGS.has(name)) {
        if (eq !== -1) throw new UsageError(`--${name} takes no value.`);
        options.set(name, true);
        continue;
      }
      let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
      if (value === undefined) {
        value = argv[i + 1];
        if (value === undefined || (value.startsWith('--') && value.length > 2))
          throw new UsageError(`--${name} needs a value.`);
        i++;
      }
      if (options.has(name)) throw new UsageError(`--${name} is given twice.`);
      options.set(name, value);
    } else if (command === undefined) command = arg;
    else positionals.push(arg);
  }
  return { command, options, positionals };
}

function checkOptions(args: Args, allowed: readonly string[], maxPositionals = 0): void {
  for (const name of args.options.keys()) {
    if (name === 'schema' && !isPostgresUrl(option(args, 'store') ?? ''))
      throw new UsageError('--schema applies to a postgres:// store only.');
    if (name !== 'help' && name !== 'store' && name !== 'schema' && !allowed.includes(name))
      throw new UsageError(`${args.command} does not take --${name} (see event-store --help).`);
  }
  if (args.positionals.length > maxPositionals)
    throw new UsageError(`Unexpected argument "${args.positionals[maxPositionals]}" (see event-store --help).`);
}

function option(args: Args, name: string): string | undefined {
  const value = args.options.get(name);
  return value === true ? undefined : value;
}

function required(args: Args, name: string): string {
  const value = option(args, name);
  if (value === undefined) throw new UsageError(`${args.command} needs --${name} (see event-store --help).`);
  return value;
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks).toString('utf8');
}

/** A JSON option: inline text, @PATH or @- (stdin). */
async function jsonOption(args: Args, name: string, io: CliIo, what: string): Promise<unknown> {
  const raw = option(args, name);
  if (raw === undefined) return undefined;
  let text = raw;
  if (raw.startsWith('@')) {
    const source = raw.slice(1);
    try {
      text = source === '-' ? await readAll(io.stdin) : fs.readFileSync(source, 'utf8');
    } catch (e) {
      throw new UsageError(`The ${what} file ${source} cannot be read: ${(e as Error).message}.`);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new UsageError(`The ${what} (--${name}) is not valid JSON: ${(e as Error).message}.`);
  }
}

function parseExpectedVersion(raw: string | undefined): ExpectedVersion | undefined {
  if (raw === undefined) return undefined;
  if (raw === 'any' || raw === 'no-stream') return raw;
  if (/^\d+$/.test(raw) && Number.isSafeInteger(Number(raw))) return Number(raw);
  throw new UsageError(`--expected-version must be a whole number, "no-stream" or "any"; got "${raw}".`);
}

function parseCount(raw: string | undefined, name: string, fallback: number, min = 0): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw)) || Number(raw) < min)
    throw new UsageError(`--${name} must be a whole number >= ${min}; got "${raw}".`);
  return Number(raw);
}

function storeOptions(args: Args, io: CliIo, readOnly: boolean): OpenStoreOptions {
  const journalLimit = process.env.EVENT_STORE_JOURNAL_LIMIT;
  return {
    path: required(args, 'store'),
    readOnly,
    readOnlyReason: 'this command only reads',
    lockTimeoutMs: parseCount(option(args, 'lock-timeout'), 'lock-timeout', 10_000),
    // No event loop to keep free here: the journal is folded on this thread, with one copy of the database less.
    compaction: {
      offThread: false,
      ...(journalLimit && /^\d+$/.test(journalLimit)
        ? { minJournalBytes: Number(journalLimit), journalFraction: 0 }
        : {}),
    },
    onWarning: (message) => void io.stderr.write(`warning: ${message}\n`),
  };
}

/** Options to read a store of any format (stats --detail, search). */
const readerOptions = (args: Args, io: CliIo) => ({ ...storeOptions(args, io, true), path: required(args, 'store') });

async function withStore<T>(
  args: Args,
  io: CliIo,
  readOnly: boolean,
  run: (store: SqlJsEventStore) => Promise<T>,
): Promise<T> {
  const options = storeOptions(args, io, readOnly);
  if (!readOnly && isForeignFile(options.path!)) {
    throw new ReadOnlyStoreError(
      `${options.path!} was written by another application and is only ever read; copy it into a store of ours with "event-store copy --store ${options.path!} --to NEW.db"`,
    );
  }
  const store = await SqlJsEventStore.open(options);
  try {
    return await run(store);
  } finally {
    await store.close();
  }
}

async function appendCommand(args: Args, io: CliIo): Promise<number> {
  checkOptions(args, ['stream', 'type', 'data', 'metadata', 'expected-version', 'event-id', 'lock-timeout']);
  const streamId = required(args, 'stream');
  const type = required(args, 'type');
  required(args, 'data');
  const data = await jsonOption(args, 'data', io, 'event data');
  const metadata = await jsonOption(args, 'metadata', io, 'event metadata');
  const expectedVersion = parseExpectedVersion(option(args, 'expected-version'));
  const eventId = option(args, 'event-id');
  const url = required(args, 'store');
  const appendTo = isPostgresUrl(url)
    ? (run: (store: Pick<SqlJsEventStore, 'append'>) => Promise<number>) =>
        withPostgresTeam(url, option(args, 'schema'), run)
    : (run: (store: Pick<SqlJsEventStore, 'append'>) => Promise<number>) => withStore(args, io, false, run);
  return appendTo(async (store) => {
    const result = await store.append(
      streamId,
      [
        {
          type,
          data,
          ...(metadata === undefined ? {} : { metadata: metadata as Record<string, unknown> }),
          ...(eventId === undefined ? {} : { eventId }),
        },
      ],
      expectedVersion === undefined ? {} : { expectedVersion },
    );
    const last = result.events[result.events.length - 1]!;
    await writeText(
      io.stdout,
      `${JSON.stringify({ globalPosition: last.globalPosition, streamVersion: last.streamVersion })}\n`,
    );
    return EXIT.ok;
  });
}

/** One NDJSON line of an import, checked for shape (the store checks the values). */
function importLine(line: string, lineNo: number): ImportEvent {
  const fields = ['streamId', 'type', 'data', 'metadata', 'eventId'];
  const o = parseObjectLine(line, lineNo, fields, (message) => new UsageError(message));
  if (!('data' in o)) throw new UsageError(`Line ${lineNo} has no "data".`);
  return o as unknown as ImportEvent;
}

const IMPORT_BATCH_EVENTS = 2000;
const IMPORT_BATCH_BYTES = 4 * 1024 * 1024;

async function importCommand(args: Args, io: CliIo): Promise<number> {
  checkOptions(args, ['ack', 'lock-timeout', 'batch', 'keep-positions'], 1);
  const source = args.positionals[0];
  if (isPostgresUrl(required(args, 'store')))
    throw new UsageError('import writes to a store file; append to a PostgreSQL team store with append or exec.');
  if (args.options.get('keep-positions') === true)
    return importExported(source, io.stdin, required(args, 'store'), io.stdout);
  const ack = args.options.get('ack') === true;
  // Above the store's per-batch maximum, a batch is split rather than refused.
  const batchLimit = Math.min(
    parseCount(option(args, 'batch'), 'batch', IMPORT_BATCH_EVENTS, 1),
    MAX_EVENTS_PER_APPEND,
  );
  let input: Readable;
  if (source === undefined || source === '-') input = io.stdin;
  else {
    if (!fs.existsSync(source)) throw new UsageError(`The import file ${source} does not exist.`);
    input = fs.createReadStream(source, { highWaterMark: 1024 * 1024 });
  }
  const started = process.hrtime.bigint();
  return withStore(args, io, false, async (store) => {
    let imported = 0;
    let skipped = 0;
    let batch: { event: ImportEvent; lineNo: number }[] = [];
    let batchBytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const current = batch;
      batch = [];
      batchBytes = 0;
      let results;
      try {
        results = await store.importEvents(current.map((b) => b.event));
      } catch (e) {
        if (!InvalidEventError.is(e) || e.eventIndex === undefined) throw e;
        // The lines before the bad one are imported (and acknowledged); the bad one is the error.
        if (e.eventIndex > 0) {
          batch = current.slice(0, e.eventIndex);
          await flush();
        }
        throw new InvalidEventError(`Line ${current[e.eventIndex]!.lineNo}: ${e.message}`);
      }
      let out = '';
      for (const r of results) {
        if (r.appended) imported += 1;
        else skipped += 1;
        if (ack) out += `${JSON.stringify({ ack: r.globalPosition, eventId: r.eventId })}\n`;
      }
      if (out) await writeText(io.stdout, out);
    };

    let lineNo = 0;
    let carry = '';
    const decoder = new StrictUtf8(() => lineNo + 1);
    const iterator = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
    let pending = iterator.next();
    for (;;) {
      // When the input pauses, commit what has arrived, so acknowledgements are not held back.
      let next = await Promise.race([pending, new Promise<'idle'>((resolve) => setImmediate(() => resolve('idle')))]);
      if (next === 'idle') {
        await flush();
        next = await pending;
      }
      if (next.done) break;
      pending = iterator.next();
      // A decoder keeps the bytes of a character split between two chunks until the rest arrives.
      const text = carry + (typeof next.value === 'string' ? next.value : decoder.write(next.value));
      const lines = text.split('\n');
      carry = lines.pop()!;
      for (const raw of lines) {
        lineNo += 1;
        const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
        if (line.trim().length === 0) continue;
        let event: ImportEvent;
        try {
          event = importLine(line, lineNo);
        } catch (e) {
          await flush(); // the lines before the bad one are imported
          throw e;
        }
        batch.push({ event, lineNo });
        batchBytes += line.length;
        if (batch.length >= batchLimit || batchBytes >= IMPORT_BATCH_BYTES) await flush();
      }
      const refused = decoder.error ?? (carry.length > MAX_IMPORT_LINE_CHARS ? lineTooLong(lineNo + 1) : undefined);
      if (refused) {
        await flush(); // the lines before the bad one are imported
        throw refused;
      }
    }
    carry += decoder.end();
    if (decoder.error) {
      await flush();
      throw decoder.error;
    }
    if (carry.trim().length > 0) {
      lineNo += 1;
      let event: ImportEvent;
      try {
        event = importLine(carry, lineNo);
      } catch (e) {
        await flush();
        throw e;
      }
      batch.push({ event, lineNo });
    }
    await flush();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await writeText(
      io.stdout,
      `${JSON.stringify({ imported, skipped, seconds: Math.round(seconds * 1000) / 1000 })}\n`,
    );
    return EXIT.ok;
  });
}

async function exportCommand(args: Args, io: CliIo): Promise<number> {
  checkOptions(args, ['from', 'to']);
  const from = parseCount(option(args, 'from'), 'from', 1, 1);
  const to = parseCount(option(args, 'to'), 'to', Number.MAX_SAFE_INTEGER, 0);
  if (isPostgresUrl(required(args, 'store')))
    return postgresExport(required(args, 'store'), option(args, 'schema'), from, to, io.stdout);
  if (isForeignFile(required(args, 'store'))) return foreignExport(required(args, 'store'), from, to, io.stdout);
  return withStore(args, io, true, async (store) => {
    await writeChunks(io.stdout, exportNdjson(store, { from, to }));
    return EXIT.ok;
  });
}

async function statsCommand(args: Args, io: CliIo): Promise<number> {
  checkOptions(args, ['detail']);
  if (isPostgresUrl(required(args, 'store')))
    return postgresStats(required(args, 'store'), option(args, 'schema'), io.stdout);
  if (args.options.get('detail') === true) return statsDetailCommand(readerOptions(args, io), io.stdout);
  if (isForeignFile(required(args, 'store'))) return foreignStats(required(args, 'store'), io.stdout);
  return withStore(args, io, true, async (store) => {
    const stats = store.stats();
    const files = store.fileStats();
    await writeText(
      io.stdout,
      `${JSON.stringify({ ...stats, snapshotBytes: files.snapshotBytes, journalBytes: files.journalBytes })}\n`,
    );
    return EXIT.ok;
  });
}

async function verifyCommand(args: Args, io: CliIo): Promise<number> {
  checkOptions(args, []);
  if (isPostgresUrl(required(args, 'store')))
    return postgresVerify(required(args, 'store'), option(args, 'schema'), io.stdout, io.stderr);
  if (isForeignFile(required(args, 'store'))) return foreignVerify(required(args, 'store'), io.stdout, io.stderr);
  const report = await verifyStore(required(args, 'store'));
  if (report.ok) {
    const { findings: _findings, readable: _readable, ...summary } = report;
    await writeText(io.stdout, `${JSON.stringify(summary)}\n`);
    return EXIT.ok;
  }
  await writeText(io.stdout, report.findings.map((f) => `${JSON.stringify({ finding: f })}\n`).join(''));
  io.stderr.write(
    `The store ${required(args, 'store')} is not sound: ${report.findings.length} finding${report.findings.length === 1 ? '' : 's'} (listed on stdout).\n`,
  );
  // A store that could not be read at all is "unreadable" (4), as for every command; one read with findings is 6.
  return report.readable ? EXIT.findings : EXIT.unreadable;
}

/**
 * Commands go through a session, as from the palette: the write model decides, and the command
 * with its outcome (accepted, rejected, conflict) reaches the command log beside the store.
 */
async function withCommandSession<T>(args: Args, io: CliIo, run: (session: StoreSession) => Promise<T>): Promise<T> {
  const url = required(args, 'store');
  if (isPostgresUrl(url)) return withPostgresSession(url, option(args, 'schema'), run);
  return withStore(args, io, false, (store) => run(StoreSession.over(store, { readModels: false })));
}

async function execCommand(args: Args, io: CliIo): Promise<number> {
  checkOptions(args, ['command', 'commands', 'lock-timeout']);
  if (option(args, 'commands') !== undefined) return execCommands(args, io);
  required(args, 'command');
  const command = (await jsonOption(args, 'command', io, 'command')) as {
    type?: unknown;
    data?: unknown;
    metadata?: Record<string, unknown>;
  } | null;
  if (command === null || typeof command !== 'object' || Array.isArray(command))
    throw new UsageError('The command (--command) must be a JSON object like {"type":"CreateUser","data":{...}}.');
  return withCommandSession(args, io, async (session) => {
    const result = await session.execute({
      ...(command as { type: string; data: unknown }),
      metadata: { ...(command.metadata ?? {}), source: 'cli' },
    });
    await writeText(
      io.stdout,
      appendedEvents(result)
        .map((e) => `${eventLine(e)}\n`)
        .join(''),
    );
    await writeText(io.stderr, refusedReactionLines([result]));
    return EXIT.ok;
  });
}

/** A reaction's refused command is not the command's failure (it was accepted): one sentence each on stderr. */
function refusedReactionLines(results: readonly CommandResult[]): string {
  return results
    .flatMap((r) => r.reactions ?? [])
    .filter((r) => r.outcome !== 'accepted')
    .map((r) => `The reaction "${r.reaction}" issued ${r.command.type}, which was refused: ${r.reason ?? ''}\n`)
    .join('');
}

/** `exec --commands`: one command per NDJSON line, each through the write model, each answered on its own line. */
async function execCommands(args: Args, io: CliIo): Promise<number> {
  if (args.options.has('command')) throw new UsageError('exec takes --command or --commands, not both.');
  const source = required(args, 'commands');
  let text: string;
  try {
    text = source === '-' ? await readAll(io.stdin) : fs.readFileSync(source, 'utf8');
  } catch (e) {
    throw new UsageError(`The commands file ${source} cannot be read: ${(e as Error).message}.`);
  }
  const commands = text
    .split('\n')
    .map((line, i) => ({ line: line.trim(), lineNo: i + 1 }))
    .filter((l) => l.line.length > 0)
    .map(({ line, lineNo }) => parseObjectLine(line, lineNo, ['type', 'data', 'metadata'], (m) => new UsageError(m)));
  return withCommandSession(args, io, async (session) => {
    let exit: number = EXIT.ok;
    for (const [n, command] of commands.entries()) {
      let line: string;
      try {
        const result = await session.execute({
          ...(command as { type: string; data: unknown }),
          metadata: { ...((command.metadata as Record<string, unknown> | undefined) ?? {}), source: 'cli' },
        });
        line = JSON.stringify({
          command: n + 1,
          events: result.events.map((e) => ({
            globalPosition: e.globalPosition,
            streamId: e.streamId,
            streamVersion: e.streamVersion,
            eventId: e.eventId,
            type: e.type,
          })),
        });
      } catch (e) {
        const { code, message } = describeFailure(e);
        if (code !== EXIT.rejected && code !== EXIT.conflict && code !== EXIT.usage) throw e;
        if (exit === EXIT.ok) exit = code;
        line = JSON.stringify({ command: n + 1, code, error: message });
      }
      await writeText(io.stdout, `${line}\n`);
    }
    return exit;
  });
}

async function seedCommand(args: Args, io: CliIo): Promise<number> {
  checkOptions(args, ['lock-timeout']);
  return withCommandSession(args, io, async (session) => {
    const results = await seedDemoData(session.handler, 'cli');
    await writeText(io.stdout, results.flatMap((r) => appendedEvents(r).map((e) => `${eventLine(e)}\n`)).join(''));
    await writeText(io.stderr, refusedReactionLines(results));
    return EXIT.ok;
  });
}

async function copyCommand(args: Args, io: CliIo): Promise<number> {
  checkOptions(args, ['to']);
  if (isPostgresUrl(required(args, 'store')))
    return postgresCopy(required(args, 'store'), option(args, 'schema'), required(args, 'to'), io.stdout);
  return copyStore(required(args, 'store'), required(args, 'to'), io.stdout);
}

async function queryCommand(args: Args, io: CliIo): Promise<number> {
  checkOptions(args, ['format', 'limit', 'timeout'], 1);
  const sql = args.positionals[0];
  if (sql === undefined || sql.trim() === '')
    throw new UsageError(
      'query needs the SQL as its argument, e.g. event-store query "SELECT count(*) FROM events" --store FILE.',
    );
  const format = option(args, 'format') ?? 'table';
  if (!RESULT_FORMATS.includes(format as ResultFormat))
    throw new UsageError(`--format must be one of ${RESULT_FORMATS.join(', ')}; got "${format}".`);
  const timeout = option(args, 'timeout');
  await runQuery(
    {
      store: required(args, 'store'),
      ...(option(args, 'schema') !== undefined ? { schema: option(args, 'schema')! } : {}),
      sql,
      format: format as ResultFormat,
      limit: parseCount(option(args, 'limit'), 'limit', DEFAULT_QUERY_LIMIT, 1),
      ...(timeout !== undefined ? { timeoutMs: parseCount(timeout, 'timeout', 0, 1) } : {}),
    },
    io.stdout,
    io.stderr,
  );
  return EXIT.ok;
}

async function searchCommand(args: Args, io: CliIo): Promise<number> {
  checkOptions(args, ['stream', 'limit', 'format'], 1);
  const format = option(args, 'format') ?? 'ndjson';
  if (format !== 'ndjson' && format !== 'table')
    throw new UsageError(`--format must be ndjson or table; got "${format}".`);
  const text = args.positionals[0] ?? '';
  const stream = option(args, 'stream');
  if (text.trim() === '' && stream === undefined) throw new UsageError('search needs TEXT, --stream PATTERN or both.');
  const limit = parseCount(option(args, 'limit'), 'limit', 100, 1);
  const query = { text, limit, format, ...(stream === undefined ? {} : { stream }) } as const;
  return runSearch(readerOptions(args, io), query, io.stdout);
}

async function blameCommand(args: Args, io: CliIo): Promise<number> {
  checkOptions(args, ['read-model', 'stream', 'path', 'to', 'domain', 'schema']);
  const to = option(args, 'to');
  return blameValue(
    {
      store: required(args, 'store'),
      schema: option(args, 'schema'),
      readModel: option(args, 'read-model'),
      stream: option(args, 'stream'),
      path: required(args, 'path'),
      to: to === undefined ? undefined : parseCount(to, 'to', 0),
      domain: option(args, 'domain'),
    },
    io,
    (message) => new UsageError(message),
  );
}

const COMMANDS: Record<string, (args: Args, io: CliIo) => Promise<number>> = {
  append: appendCommand,
  import: importCommand,
  export: exportCommand,
  stats: statsCommand,
  verify: verifyCommand,
  exec: execCommand,
  seed: seedCommand,
  copy: copyCommand,
  query: queryCommand,
  search: searchCommand,
  blame: blameCommand,
};

/** Maps an error to its exit code and one sentence for stderr. */
export function describeFailure(e: unknown): { code: number; message: string } {
  const message = e instanceof Error ? e.message : String(e);
  if (
    e instanceof UsageError ||
    InvalidEventError.is(e) ||
    ReadOnlyStoreError.is(e) ||
    StreamPatternError.is(e) ||
    ValuePathError.is(e) ||
    UnknownStreamError.is(e) ||
    DomainModuleError.is(e)
  )
    return { code: EXIT.usage, message };
  if (DomainError.is(e)) return { code: EXIT.rejected, message: `The command was rejected: ${message}` };
  if (ConcurrencyError.is(e)) return { code: EXIT.conflict, message };
  if (StoreLockedError.is(e)) return { code: EXIT.locked, message };
  if (StoreUnreadableError.is(e)) return { code: EXIT.unreadable, message };
  if (QueryError.is(e)) return { code: e.code === 'unavailable' ? EXIT.unreadable : EXIT.usage, message };
  if (e instanceof PostgresConnectionError || PostgresStoreError.is(e)) return { code: EXIT.unreadable, message };
  if (UnsoundEventError.is(e)) return { code: EXIT.unreadable, message };
  const errno = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof errno === 'string' && /^E[A-Z]+$/.test(errno))
    return { code: EXIT.unreadable, message: `The store could not be read or written: ${message}` };
  return { code: EXIT.usage, message: `Unexpected error: ${message}` };
}

export async function main(
  argv: readonly string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin },
): Promise<number> {
  try {
    const args = parseArgs(argv);
    if (args.command === undefined || args.command === 'help') {
      (args.command === undefined && !args.options.has('help') ? io.stderr : io.stdout).write(HELP);
      return args.command === undefined && !args.options.has('help') ? EXIT.usage : EXIT.ok;
    }
    const run = COMMANDS[args.command];
    if (!run)
      throw new UsageError(
        `Unknown command "${args.command}"; the commands are ${Object.keys(COMMANDS).join(', ')} (see event-store --help).`,
      );
    if (args.options.has('help')) {
      io.stdout.write(HELP);
      return EXIT.ok;
    }
    return await run(args, io);
  } catch (e) {
    const { code, message } = describeFailure(e);
    io.stderr.write(`${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return code;
  }
}

if (require.main === module) {
  quietOnClosedPipe(process.stdout);
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
