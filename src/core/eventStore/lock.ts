import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { StoreLockedError, StoreUnreadableError } from './errors';
import { NotRegularFileError, openRegularFile } from './regularFile';

/** Who holds a store's write lock; written into the lock file so a waiting writer can name it. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** ISO time the lock was taken. */
  readonly since: string;
  readonly token: string;
  readonly purpose?: string;
}

export interface LockOptions {
  /** How long a writer waits for another process to release the lock. */
  readonly timeoutMs?: number;
  /** A lock taken on another host is considered abandoned after this long (its process cannot be checked). */
  readonly foreignStaleMs?: number;
}

export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;
const DEFAULT_FOREIGN_STALE_MS = 60_000;
/** A lock file whose content cannot be read (being written, or damaged) is abandoned after this long. */
const UNREADABLE_STALE_MS = 10_000;

/** Process start times are known to the clock tick, and clocks of the lock file and /proc may differ slightly. */
const PID_START_TOLERANCE_MS = 2000;

let bootMs: number | undefined;

/** When a process started (Linux, from /proc), or undefined where that cannot be told. */
function processStartMs(pid: number): number | undefined {
  try {
    bootMs ??= Number(/^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'))![1]) * 1000;
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses); starttime is field 22, in clock ticks since boot.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    // USER_HZ is 100 on every Linux the extension runs on.
    return Number.isFinite(ticks) && Number.isFinite(bootMs) ? bootMs + ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Tokens of the locks this process holds now: a lock file naming our pid with one of them is not stale. */
const heldHere = new Set<string>();

export function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return 'another process (the lock file could not be read)';
  return `process ${holder.pid} on host ${holder.host} (since ${holder.since}${holder.purpose ? `, ${holder.purpose}` : ''})`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A cross-process write lock: a file created atomically (hard link of a complete temp file, so it is
 * never seen half-written) and removed on release. It is held for one critical section: synchronous,
 * or asynchronous (a compaction's last step, whose fsyncs run off the event loop), during which other
 * writers of this process wait for it as those of other processes do. A lock file left by a process
 * that died (same host, pid gone, or our own pid with a token this process does not hold) is broken.
 */
export class FileLock {
  private readonly timeoutMs: number;
  private readonly foreignStaleMs: number;
  private readonly host = os.hostname();
  private heldToken: string | undefined;

  constructor(
    readonly file: string,
    private readonly storeFile: string,
    options: LockOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    this.foreignStaleMs = options.foreignStaleMs ?? DEFAULT_FOREIGN_STALE_MS;
  }

  /** Runs `critical` while holding the lock; waits up to the timeout, then throws StoreLockedError. */
  async withLock<T>(purpose: string, critical: () => T | Promise<T>): Promise<T> {
    const deadline = Date.now() + this.timeoutMs;
    let pause = 1;
    for (;;) {
      // Held by this object (an asynchronous critical section under way): wait as for another holder.
      const busy = this.heldToken !== undefined;
      const holder = busy ? (this.readHolder()?.holder ?? null) : this.tryAcquire(purpose);
      if (!busy && holder === undefined) {
        let result: T | Promise<T>;
        try {
          result = critical();
        } catch (e) {
          this.release();
          throw e;
        }
        // A synchronous section releases in the same turn, as it always did.
        if (!(result instanceof Promise)) {
          this.release();
          return result;
        }
        try {
          return await result;
        } finally {
          this.release();
        }
      }
      if (Date.now() >= deadline)
        throw new StoreLockedError(
          this.storeFile,
          describeHolder(holder === null ? undefined : holder),
          holder ?? undefined,
        );
      // Short, jittered pauses: critical sections last milliseconds, and writers should not wait in lockstep.
      await sleep(Math.min(pause + Math.random() * pause, Math.max(1, deadline - Date.now())));
      pause = Math.min(pause * 2, 8);
    }
  }

  /** Takes the lock if free; returns undefined when taken, else the current holder (null if unreadable). */
  tryAcquire(purpose: string): LockHolder | null | undefined {
    if (this.heldToken) throw new Error('The store lock is already held by this store (re-entrant use).');
    const token = randomBytes(8).toString('hex');
    const holder: LockHolder = { pid: process.pid, host: this.host, since: new Date().toISOString(), token, purpose };
    const tmp = `${this.file}.${process.pid}-${token}`;
    fs.writeFileSync(tmp, JSON.stringify(holder), { mode: 0o644 });
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          fs.linkSync(tmp, this.file);
          this.heldToken = token;
          heldHere.add(token);
          return undefined;
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code !== 'EEXIST') {
            if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS')
              return this.acquireWithoutLinks(holder);
            throw e;
          }
        }
        const current = this.readHolder();
        if (!this.isStale(current)) return current?.holder ?? null;
        this.breakStale(current);
      }
      return this.readHolder()?.holder ?? null;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  /** Throws if the lock file no longer names this holder (it was broken as stale): nothing may be written then. */
  assertHeld(): void {
    const current = this.readHolder();
    if (!this.heldToken || current?.holder?.token !== this.heldToken) {
      throw new Error(
        `The write lock ${this.file} was taken over by ${describeHolder(current?.holder)} while this process held it; the write was abandoned.`,
      );
    }
  }

  release(): void {
    if (!this.heldToken) return;
    const mine = this.heldToken;
    this.heldToken = undefined;
    heldHere.delete(mine);
    const current = this.readHolder();
    // Remove only our own lock: if it was broken and taken by someone else, theirs stays.
    if (current?.holder?.token === mine) fs.rmSync(this.file, { force: true });
  }

  /** Filesystems without hard links: exclusive create, then write (a reader may briefly see it empty). */
  private acquireWithoutLinks(holder: LockHolder): LockHolder | null | undefined {
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'wx', 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const current = this.readHolder();
      if (this.isStale(current)) this.breakStale(current);
      return current?.holder ?? null;
    }
    try {
      fs.writeSync(fd, JSON.stringify(holder));
    } finally {
      fs.closeSync(fd);
    }
    this.heldToken = holder.token;
    heldHere.add(holder.token);
    return undefined;
  }

  private readHolder(): { holder: LockHolder | undefined; ino: number; mtimeMs: number } | undefined {
    let fd: number;
    try {
      fd = openRegularFile(this.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      if (NotRegularFileError.is(e)) throw new StoreUnreadableError(this.file, e.message);
      throw e;
    }
    try {
      const st = fs.fstatSync(fd);
      const text = fs.readFileSync(fd, 'utf8');
      let holder: LockHolder | undefined;
      try {
        const parsed = JSON.parse(text) as LockHolder;
        if (
          parsed &&
          typeof parsed.pid === 'number' &&
          typeof parsed.host === 'string' &&
          typeof parsed.token === 'string'
        )
          holder = parsed;
      } catch {
        holder = undefined;
      }
      return { holder, ino: st.ino, mtimeMs: st.mtimeMs };
    } finally {
      fs.closeSync(fd);
    }
  }

  private isStale(current: { holder: LockHolder | undefined; mtimeMs: number } | undefined): boolean {
    if (!current) return true; // released meanwhile: just try again
    const { holder } = current;
    if (!holder) return Date.now() - current.mtimeMs > UNREADABLE_STALE_MS;
    const since = Date.parse(holder.since);
    const taken = Number.isNaN(since) ? current.mtimeMs : Math.min(since, current.mtimeMs);
    // A lock "taken" in the future (a clock far off, or a forged file) would otherwise never expire.
    if (taken > Date.now() + this.foreignStaleMs) return true;
    if (holder.host !== this.host) return Date.now() - taken > this.foreignStaleMs;
    // A lock naming our own pid that this process does not hold was left by an earlier process with that pid.
    if (holder.pid === process.pid) return !heldHere.has(holder.token);
    if (!isAlive(holder.pid)) return true;
    // The pid is alive, but that process started after the lock file was written: the holder died and its pid was reused.
    const started = processStartMs(holder.pid);
    return started !== undefined && started > current.mtimeMs + PID_START_TOLERANCE_MS;
  }

  /** Moves the abandoned lock aside; if what was moved turns out to be a fresh lock, it is put back. */
  private breakStale(current: { ino: number } | undefined): void {
    if (!current) return;
    const aside = `${this.file}.stale-${process.pid}-${randomBytes(6).toString('hex')}`;
    try {
      fs.renameSync(this.file, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    try {
      if (fs.statSync(aside).ino !== current.ino) {
        try {
          fs.linkSync(aside, this.file);
        } catch {
          // A third writer took the lock meanwhile. The owner of the lock we moved notices in
          // assertHeld() before it writes, and fails that write instead of racing the new holder.
        }
      }
    } finally {
      fs.rmSync(aside, { force: true });
    }
  }
}
