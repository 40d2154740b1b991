import * as fs from 'node:fs';
import { writeFileAtomic } from '../eventStore/atomicFile';
import { createEmptyDatabase, INSERT_EVENT_SQL, UPSERT_STREAM_SQL } from '../eventStore/database';
import { InvalidEventError } from '../eventStore/errors';
import { loadSqlJs } from '../eventStore/sqlJs';
import { storeFiles } from '../eventStore/storeFiles';
import type { RecordedEvent } from '../eventStore/types';
import { formatOf, type StoreReader } from './storeReader';

export interface CopyResult {
  readonly events: number;
  readonly streams: number;
  readonly lastPosition: number;
  /** True when every event kept its global position and stream version; else see `renumbered`. */
  readonly positionsKept: boolean;
  /** Events whose positions had to change (the originals are in their metadata under `source`). */
  readonly renumbered: number;
}

/**
 * Writes events, in global order, into a new store of ours at `dest`: ids, times, data and
 * metadata as they are, and global positions and stream versions as they are when they already
 * run 1, 2, 3, ... (our store's invariant). Where they do not (a store that keeps commands in the
 * same sequence, or one with gaps), the events are numbered on, and each such event keeps its
 * original positions in `metadata.source`. `dest` must not exist: nothing is ever overwritten.
 */
export async function writeNativeStore(
  dest: string,
  events: Iterable<RecordedEvent> | ((each: (e: RecordedEvent) => void) => void),
  from: string,
): Promise<CopyResult> {
  const files = storeFiles(dest);
  for (const f of [files.snapshot, files.journal]) {
    if (fs.existsSync(f)) throw new InvalidEventError(`The copy would overwrite ${f}; choose a new file.`);
  }
  const SQL = await loadSqlJs();
  const db = createEmptyDatabase(SQL);
  try {
    const insert = db.prepare(INSERT_EVENT_SQL);
    const versions = new Map<string, { version: number; last: number }>();
    const ids = new Set<string>();
    let position = 0;
    let count = 0;
    let renumbered = 0;
    const add = (e: RecordedEvent) => {
      const stream = versions.get(e.streamId) ?? { version: 0, last: 0 };
      position += 1;
      const version = stream.version + 1;
      let metadata = e.metadata;
      if (e.globalPosition !== position || e.streamVersion !== version) {
        renumbered += 1;
        metadata = {
          ...e.metadata,
          source: { store: from, globalPosition: e.globalPosition, streamVersion: e.streamVersion },
        };
      }
      const id = ids.has(e.eventId) ? `${e.eventId}#${position}` : e.eventId;
      ids.add(id);
      insert.run([
        position,
        e.streamId,
        version,
        id,
        e.type,
        JSON.stringify(e.data ?? null),
        JSON.stringify(metadata),
        e.recordedAt,
      ]);
      versions.set(e.streamId, { version, last: position });
      count += 1;
    };
    db.exec('BEGIN');
    if (typeof events === 'function') events(add);
    else for (const e of events) add(e);
    insert.free();
    const upsert = db.prepare(UPSERT_STREAM_SQL);
    for (const [streamId, s] of versions) upsert.run([streamId, s.version, s.last]);
    upsert.free();
    db.exec('COMMIT');
    writeFileAtomic(dest, db.export());
    return {
      events: count,
      streams: versions.size,
      lastPosition: position,
      positionsKept: renumbered === 0,
      renumbered,
    };
  } finally {
    db.close();
  }
}

/** Copies every event of any store (a foreign one, typically) into a new store of ours: a sandbox to branch and run commands in. */
export function copyToNativeStore(source: StoreReader, dest: string): Promise<CopyResult> {
  return writeNativeStore(dest, (each) => source.forEach(each), `${formatOf(source).name} ${source.path ?? ''}`.trim());
}
