import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The files of one store, all beside the snapshot (the store path). The suffixes are chosen not to
 * look like SQLite's own `-journal` / `-wal` / `-shm` files, which belong to a SQLite process.
 */
export interface StoreFiles {
  /** The SQLite database: every event up to the journal's base position (and maybe some after it). */
  readonly snapshot: string;
  /** Events acknowledged since that snapshot, fsynced before each acknowledgement. */
  readonly journal: string;
  /** Present while one process writes. */
  readonly lock: string;
  /** The snapshot before the last compaction, kept as a fallback copy. */
  readonly backup: string;
}

export function storeFiles(storePath: string): StoreFiles {
  return {
    snapshot: storePath,
    journal: `${storePath}.appendlog`,
    lock: `${storePath}.lock`,
    backup: `${storePath}.backup`,
  };
}

function pidIsGone(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Removes temp files a crashed process left beside the store (only those of processes that are gone). */
export function removeAbandonedTempFiles(files: StoreFiles): string[] {
  const dir = path.dirname(files.snapshot);
  const prefixes = [files.snapshot, files.journal, files.backup, files.lock].map((f) => path.basename(f));
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    for (const prefix of prefixes) {
      if (!name.startsWith(prefix + '.')) continue;
      const m =
        /^\.(?:tmp|stale)-(\d+)-[\w-]+$/.exec(name.slice(prefix.length)) ??
        /^\.(\d+)-[0-9a-f]+$/.exec(name.slice(prefix.length));
      if (m && pidIsGone(Number(m[1]))) {
        fs.rmSync(path.join(dir, name), { force: true });
        removed.push(name);
      }
    }
  }
  return removed;
}
