import * as fs from 'node:fs';
import * as path from 'node:path';
import { assertRegularIfPresent, openRegularFile } from '../eventStore/regularFile';

export type CommandOutcome = 'accepted' | 'rejected' | 'conflict';

/**
 * One command the session executed, and what became of it. Rejected commands leave no event in
 * the store, so this log is the only place they are seen: it is kept beside the store, never in it.
 */
export interface CommandLogEntry {
  /** The command id (also the causation id of the events it appended). */
  readonly id: string;
  /** When it was executed (ISO 8601). */
  readonly at: string;
  readonly command: { readonly type: string; readonly data: unknown };
  readonly outcome: CommandOutcome;
  /** Why it was rejected, or what the conflict was. */
  readonly reason?: string;
  /** The error class behind a rejection: ValidationError, IllegalStateError, ConcurrencyError, ... */
  readonly errorName?: string;
  /** Global positions of the events it appended (accepted only; empty when it decided nothing). */
  readonly eventPositions?: readonly number[];
  /** The store's last global position when the command was executed. */
  readonly positionBefore: number;
  readonly streamId?: string;
  readonly aggregate?: string;
  /** Who issued it: "palette", "cli", "demo", ... */
  readonly source?: string;
  /** Times it was decided again after a concurrent change. */
  readonly retries?: number;
  /** Subscribers the event bus delivered its events to. */
  readonly deliveredTo?: readonly string[];
  /** The conversation it belongs to (the correlation id its events carry). */
  readonly correlationId?: string;
  /** What caused it: the command's own id when a person issued it, the event a reaction answered, the refused command a compensation answers. */
  readonly causationId?: string;
  /** The reaction that issued it. */
  readonly reaction?: string;
  /** For a reaction's command: the source of the command that started the chain ("palette", "cli", "demo"…). */
  readonly initiator?: string;
}

/** What the command handler reports; the log adds nothing but keeps it. */
export interface CommandRecorder {
  record(entry: CommandLogEntry): void;
}

export interface CommandLogOptions {
  /** Entries kept (in memory and, after compaction, on disk). */
  readonly maxEntries?: number;
  /** Load the file but never write it (a store opened read-only). */
  readonly readOnly?: boolean;
  readonly log?: (message: string) => void;
}

export const DEFAULT_MAX_LOG_ENTRIES = 1000;
/** Command data larger than this is not copied into the log (the store has its own limits). */
export const MAX_LOGGED_DATA_BYTES = 16 * 1024;

function boundedData(data: unknown): unknown {
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch {
    return '(data that is not JSON)';
  }
  if (json === undefined) return null;
  const bytes = Buffer.byteLength(json);
  return bytes > MAX_LOGGED_DATA_BYTES
    ? `(${bytes} bytes of data, too large for the log)`
    : (JSON.parse(json) as unknown);
}

/** Where the command log of a store lives: beside it, like the read models. */
export const commandLogFileFor = (storePath: string): string => `${storePath}.commands.ndjson`;

/**
 * Only the newest part of a larger file is read. A log kept by this class stays far below it
 * (twice `maxEntries` lines of at most MAX_LOGGED_DATA_BYTES each).
 */
export const MAX_COMMAND_LOG_READ_BYTES = 48 * 1024 * 1024;

const OUTCOMES: readonly CommandOutcome[] = ['accepted', 'rejected', 'conflict'];

const optional = (value: unknown, check: (v: unknown) => boolean) => value === undefined || check(value);
const isString = (v: unknown) => typeof v === 'string';
const isStringList = (v: unknown) => Array.isArray(v) && v.every(isString);
const isPosition = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;

/** Every field is checked: the file is workspace data, and the views and the replay read each field as typed. */
function isEntry(value: unknown): value is CommandLogEntry {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const e = value as Record<keyof CommandLogEntry, unknown>;
  const command = e.command as { type?: unknown } | null;
  return (
    typeof e.id === 'string' &&
    typeof e.at === 'string' &&
    isPosition(e.positionBefore) &&
    OUTCOMES.includes(e.outcome as CommandOutcome) &&
    command !== null &&
    typeof command === 'object' &&
    !Array.isArray(command) &&
    typeof command.type === 'string' &&
    optional(e.reason, isString) &&
    optional(e.errorName, isString) &&
    optional(e.streamId, isString) &&
    optional(e.aggregate, isString) &&
    optional(e.source, isString) &&
    optional(e.retries, isPosition) &&
    optional(e.deliveredTo, isStringList) &&
    optional(e.correlationId, isString) &&
    optional(e.causationId, isString) &&
    optional(e.reaction, isString) &&
    optional(e.initiator, isString) &&
    optional(e.eventPositions, (v) => Array.isArray(v) && v.every(isPosition))
  );
}

/**
 * The command log: every command with its time, outcome (events or the reason) and the store's
 * position at that time. Appended one JSON line per command to `<store>.commands.ndjson`, bounded:
 * when the file holds twice `maxEntries` lines it is rewritten with the newest `maxEntries`.
 * Advisory data: a lost or corrupt line costs that line only, never the store.
 */
export class CommandLog implements CommandRecorder {
  private items: CommandLogEntry[] = [];
  private readonly listeners = new Set<(entry: CommandLogEntry) => void>();
  private readonly maxEntries: number;
  private readonly readOnly: boolean;
  private readonly logMessage: (message: string) => void;
  /** Lines in the file, to know when to compact. */
  private linesOnDisk = 0;
  /** Size of the file as we last wrote or read it: another process appended when it differs. */
  private knownSize = 0;

  private constructor(
    readonly file: string | undefined,
    options: CommandLogOptions,
  ) {
    this.maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_MAX_LOG_ENTRIES);
    this.readOnly = options.readOnly ?? false;
    this.logMessage = options.log ?? (() => undefined);
  }

  /** Opens the log in `file` (created on the first command), or in memory only without a file. */
  static open(file: string | undefined, options: CommandLogOptions = {}): CommandLog {
    const log = new CommandLog(file, options);
    log.load();
    return log;
  }

  /** Every entry kept, oldest first (fresh copies of the list; the entries are frozen). */
  entries(): CommandLogEntry[] {
    this.reloadIfChangedElsewhere();
    return [...this.items];
  }

  /** The newest entry, if any. */
  last(): CommandLogEntry | undefined {
    this.reloadIfChangedElsewhere();
    return this.items[this.items.length - 1];
  }

  find(id: string): CommandLogEntry | undefined {
    return this.entries().find((e) => e.id === id);
  }

  /** Entries whose command was executed while the store was at `position` (between two events). */
  at(position: number): CommandLogEntry[] {
    return this.entries().filter((e) => e.positionBefore === position);
  }

  record(entry: CommandLogEntry): void {
    this.reloadIfChangedElsewhere();
    const frozen = Object.freeze({
      ...entry,
      command: Object.freeze({ type: entry.command.type, data: boundedData(entry.command.data) }),
    });
    this.items.push(frozen);
    if (this.items.length > this.maxEntries) this.items.splice(0, this.items.length - this.maxEntries);
    this.persist(frozen);
    for (const listener of this.listeners) {
      try {
        listener(frozen);
      } catch (e) {
        this.logMessage(`A command log listener failed: ${(e as Error).message}`);
      }
    }
  }

  onDidRecord(listener: (entry: CommandLogEntry) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  /** Forgets every entry (and empties the file). */
  clear(): void {
    this.items = [];
    if (!this.file || this.readOnly) return;
    this.rewrite();
  }

  private load(): void {
    if (!this.file || !fs.existsSync(this.file)) return;
    try {
      const { text, size, skipped } = readTail(this.file, MAX_COMMAND_LOG_READ_BYTES);
      // The size on disk, not of the decoded text: bytes that are not UTF-8 must not make every read reload the file.
      this.knownSize = size;
      if (skipped > 0)
        this.logMessage(
          `The command log ${this.file} holds ${size} bytes; only its newest ${MAX_COMMAND_LOG_READ_BYTES} bytes were read.`,
        );
      const lines = text.split('\n').filter((l) => l.trim().length > 0);
      this.linesOnDisk = lines.length;
      const items: CommandLogEntry[] = [];
      let bad = 0;
      for (const line of lines) {
        try {
          const value = JSON.parse(line) as unknown;
          if (isEntry(value)) items.push(Object.freeze(value));
          else bad++;
        } catch {
          bad++; // a torn last line after a crash, or a hand edit
        }
      }
      this.items = items.slice(-this.maxEntries);
      if (bad > 0)
        this.logMessage(
          `The command log ${this.file} had ${bad} unreadable line${bad === 1 ? '' : 's'}; they were skipped.`,
        );
    } catch (e) {
      this.logMessage(`The command log ${this.file} could not be read: ${(e as Error).message}`);
    }
  }

  /** The CLI or another window may append to the same file: pick its lines up when the size changed. */
  private reloadIfChangedElsewhere(): void {
    if (!this.file) return;
    let size: number;
    try {
      size = fs.statSync(this.file).size;
    } catch {
      return;
    }
    if (size !== this.knownSize) this.load();
  }

  private persist(entry: CommandLogEntry): void {
    if (!this.file || this.readOnly) return;
    try {
      if (this.linesOnDisk + 1 > this.maxEntries * 2) {
        this.rewrite();
        return;
      }
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      assertRegularIfPresent(this.file); // appending to a FIFO would wait for a reader forever
      const line = `${JSON.stringify(entry)}\n`;
      // One write of one line with O_APPEND: lines of two processes do not interleave.
      fs.appendFileSync(this.file, line);
      this.linesOnDisk += 1;
      this.knownSize += Buffer.byteLength(line);
    } catch (e) {
      this.logMessage(`Could not write the command log ${this.file}: ${(e as Error).message}`);
    }
  }

  /** Writes the entries kept to a temporary file and renames it over the log. */
  private rewrite(): void {
    if (!this.file) return;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      const text = this.items.map((e) => `${JSON.stringify(e)}\n`).join('');
      const temp = `${this.file}.tmp-${process.pid}`;
      fs.writeFileSync(temp, text);
      fs.renameSync(temp, this.file);
      this.linesOnDisk = this.items.length;
      this.knownSize = Buffer.byteLength(text);
    } catch (e) {
      this.logMessage(`Could not write the command log ${this.file}: ${(e as Error).message}`);
    }
  }
}

/** Reads at most the last `maxBytes` of a regular file, from the first line that starts inside them. */
function readTail(file: string, maxBytes: number): { text: string; size: number; skipped: number } {
  const fd = openRegularFile(file);
  try {
    const size = fs.fstatSync(fd).size;
    const skipped = Math.max(0, size - maxBytes);
    const buf = Buffer.allocUnsafe(size - skipped);
    let done = 0;
    while (done < buf.length) {
      const n = fs.readSync(fd, buf, done, buf.length - done, skipped + done);
      if (n === 0) break;
      done += n;
    }
    let start = 0;
    if (skipped > 0) start = buf.indexOf(0x0a) + 1; // the first line was cut
    return { text: buf.toString('utf8', start, done), size: skipped + done, skipped };
  } finally {
    fs.closeSync(fd);
  }
}
