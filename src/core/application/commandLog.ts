import * as fs from 'node:fs';
import * as path from 'node:path';

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
  return bytes > MAX_LOGGED_DATA_BYTES ? `(${bytes} bytes of data, too large for the log)` : (JSON.parse(json) as unknown);
}

/** Where the command log of a store lives: beside it, like the read models. */
export const commandLogFileFor = (storePath: string): string => `${storePath}.commands.ndjson`;

const OUTCOMES: readonly CommandOutcome[] = ['accepted', 'rejected', 'conflict'];

function isEntry(value: unknown): value is CommandLogEntry {
  if (value === null || typeof value !== 'object') return false;
  const e = value as Partial<CommandLogEntry>;
  return (
    typeof e.id === 'string' &&
    typeof e.at === 'string' &&
    typeof e.positionBefore === 'number' &&
    OUTCOMES.includes(e.outcome as CommandOutcome) &&
    e.command !== null &&
    typeof e.command === 'object' &&
    typeof e.command.type === 'string'
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
    const frozen = Object.freeze({ ...entry, command: Object.freeze({ type: entry.command.type, data: boundedData(entry.command.data) }) });
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
      const text = fs.readFileSync(this.file, 'utf8');
      this.knownSize = Buffer.byteLength(text);
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
      if (bad > 0) this.logMessage(`The command log ${this.file} had ${bad} unreadable line${bad === 1 ? '' : 's'}; they were skipped.`);
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
