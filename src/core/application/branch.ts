import * as fs from 'node:fs';
import * as path from 'node:path';
import { ValidationError } from '../domain/errors';
import { SqlJsEventStore } from '../eventStore/sqlJsEventStore';
import type { EventStore, NewEvent, RecordedEvent } from '../eventStore/types';

export interface BranchResult {
  /** The new store file. */
  readonly path: string;
  /** The last position copied: the branch holds events 1..position of the original. */
  readonly position: number;
  readonly events: number;
  readonly streams: number;
}

/** Events appended per write while copying (one append per run of events of a stream recorded together). */
const BATCH = 500;

/** `branch-<position>-<yyyymmdd-hhmmss>.db`: sortable, and says where the branch was cut. */
export function branchFileName(position: number, now: Date = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace(/[-:]/g, '')
    .replace('T', '-');
  return `branch-${position}-${stamp}.db`;
}

export function checkBranchPosition(position: unknown, lastPosition: number): number {
  if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < 0 || position > lastPosition) {
    throw new ValidationError(
      `A branch is cut at a global position from 0 to ${lastPosition}; got ${JSON.stringify(position)}.`,
    );
  }
  return position;
}

/**
 * Roll back without losing anything: writes the events up to `position` into a new store file,
 * in the same global order with the same ids, data and metadata (so positions and stream versions
 * are the same too), recorded at the same times. The original store is only read.
 */
export async function branchStore(source: EventStore, position: number, target: string): Promise<BranchResult> {
  const upTo = checkBranchPosition(position, source.lastPosition());
  if (fs.existsSync(target))
    throw new ValidationError(`${path.basename(target)} already exists; a branch never overwrites a store.`);
  if (source.path && path.resolve(source.path) === path.resolve(target))
    throw new ValidationError('A branch needs a file of its own.');
  fs.mkdirSync(path.dirname(target), { recursive: true });
  // The store stamps an append with its clock: give it the time of the events being copied.
  let clock = new Date();
  const branch = await SqlJsEventStore.open({ path: target, now: () => clock });
  const streams = new Set<string>();
  let copied = 0;
  try {
    let run: RecordedEvent[] = [];
    const flush = async () => {
      if (run.length === 0) return;
      const first = run[0]!;
      clock = new Date(first.recordedAt);
      const events: NewEvent[] = run.map((e) => ({
        eventId: e.eventId,
        type: e.type,
        data: e.data,
        metadata: e.metadata,
      }));
      const result = await branch.append(first.streamId, events, {
        expectedVersion: first.streamVersion === 1 ? 'no-stream' : first.streamVersion - 1,
      });
      // Same order, same stream versions: the copy must land on the same global positions.
      if (result.lastPosition !== run[run.length - 1]!.globalPosition)
        throw new Error(`The branch went out of step at position ${run[run.length - 1]!.globalPosition}.`);
      copied += run.length;
      run = [];
    };
    // forEach is synchronous: collect a page at a time, then write it.
    for (let after = 0; after < upTo;) {
      const page = source.readAll({ after, limit: Math.min(BATCH, upTo - after) });
      if (page.length === 0) break;
      for (const event of page) {
        const sameAppend =
          run.length > 0 &&
          run[0]!.streamId === event.streamId &&
          run[0]!.recordedAt === event.recordedAt &&
          run.length < BATCH;
        if (run.length > 0 && !sameAppend) await flush();
        run.push(event);
        streams.add(event.streamId);
      }
      after = page[page.length - 1]!.globalPosition;
    }
    await flush();
  } catch (e) {
    await branch.close().catch(() => undefined);
    removeStoreFiles(target);
    throw e;
  }
  await branch.close();
  return { path: target, position: upTo, events: copied, streams: streams.size };
}

/** Removes a half-written branch: the file and anything the store keeps beside it. */
function removeStoreFiles(file: string): void {
  const dir = path.dirname(file);
  const base = path.basename(file);
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    if (name === base || name.startsWith(`${base}.`)) fs.rmSync(path.join(dir, name), { force: true });
  }
}
