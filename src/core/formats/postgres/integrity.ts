import { classifyMissingPositions } from '../../system/inFlight';
import { findingList, type IntegrityReport } from '../emmettSqlite/integrity';
import type { InFlight, PostgresStore } from './postgresStore';

export interface PostgresIntegrityReport extends IntegrityReport {
  /** Positions taken but not readable yet: in flight, which is not a gap. */
  readonly inFlight: InFlight;
}

/**
 * Checks what the store shows, up to the position below which nothing can still appear: global
 * positions without gaps (positions of commands, other partitions or archived rows are not
 * gaps; positions of transactions still in flight are not checked yet), stream versions 1..n once
 * each, Emmett's stream table agreeing with the messages, and checkpoints within the store.
 */
export async function checkPostgresStore(store: PostgresStore): Promise<PostgresIntegrityReport> {
  const list = findingList();
  const add = list.add;
  const inFlight = store.inFlight();
  const events = store.readAll();
  const commands = new Set(store.readCommands().map((c) => c.globalPosition));

  // Gaps: positions missing up to the readable one that no open transaction may still commit (those
  // not known final yet are in flight, never gaps), minus rows the reader does not show as events.
  const held: number[] = [];
  for (const [lo, hi] of inFlight.pending) for (let p = lo; p <= hi && hi - lo < 100_000; p++) held.push(p);
  const { gaps } = classifyMissingPositions(
    events.map((e) => e.globalPosition),
    { openTransactions: held.length, heldPositions: held },
    { to: inFlight.readableUpTo },
  );
  const missing: [number, number][] = [];
  for (const p of gaps) {
    const last = missing[missing.length - 1];
    if (last && last[1] === p - 1) last[1] = p;
    else missing.push([p, p]);
  }
  const notEvents = new Set<number>();
  const ranges = missing.slice(0, 1000);
  for (const p of await store.otherRowsIn(ranges)) notEvents.add(p);
  for (const [from, to] of missing) {
    let start: number | undefined;
    const flush = (end: number) => {
      if (start === undefined) return;
      add({
        check: 'position-gap',
        position: start,
        message: `Global position${end === start ? ` ${start} is` : `s ${start} to ${end} are`} missing (after position ${start - 1}): taken by a transaction that rolled back, or skipped by the sequence; nothing can appear there any more.`,
      });
      start = undefined;
    };
    for (let p = from; p <= to && to - from < 100_000; p++) {
      if (commands.has(p) || notEvents.has(p)) flush(p - 1);
      else start ??= p;
    }
    flush(to);
  }

  // Stream versions: 1..n, once each.
  const byStream = new Map<string, number>();
  for (const e of events) {
    const expected = (byStream.get(e.streamId) ?? 0) + 1;
    if (e.streamVersion < expected)
      add({
        check: 'duplicate-stream-position',
        streamId: e.streamId,
        streamPosition: e.streamVersion,
        position: e.globalPosition,
        message: `Stream "${e.streamId}" has version ${e.streamVersion} more than once (again at global position ${e.globalPosition}).`,
      });
    else if (e.streamVersion > expected)
      add({
        check: 'missing-stream-position',
        streamId: e.streamId,
        streamPosition: expected,
        position: e.globalPosition,
        message: `Stream "${e.streamId}" lacks version${e.streamVersion - expected === 1 ? ` ${expected}` : `s ${expected} to ${e.streamVersion - 1}`} (the next event, at global position ${e.globalPosition}, has version ${e.streamVersion}).`,
      });
    byStream.set(e.streamId, Math.max(e.streamVersion, byStream.get(e.streamId) ?? 0));
  }

  // Emmett's stream table against the events shown (streams with events still in flight are left out).
  const registered = await store.registeredStreams();
  if (registered) {
    const lastShown = new Map<string, number>();
    for (const e of events) lastShown.set(e.streamId, e.globalPosition);
    for (const [streamId, version] of registered) {
      const shown = byStream.get(streamId) ?? 0;
      if (shown === version || store.streamVersion(streamId) === version) continue;
      if (version > shown && inFlight.takenUpTo > inFlight.readableUpTo) continue;
      add({
        check: 'stream-version-mismatch',
        streamId,
        streamPosition: version,
        ...(lastShown.has(streamId) ? { position: lastShown.get(streamId)! } : {}),
        message: `Stream "${streamId}" is at version ${version} in emt_streams, but has ${shown} event${shown === 1 ? '' : 's'}.`,
      });
    }
    for (const [streamId] of byStream) {
      if (!registered.has(streamId))
        add({
          check: 'stream-not-registered',
          streamId,
          message: `Stream "${streamId}" has events but no row in emt_streams.`,
        });
    }
  }

  for (const cp of store.checkpoints()) {
    if (cp.state === 'beyond the last position')
      add({
        check: 'checkpoint-beyond-last-position',
        ...(cp.position === undefined ? {} : { position: cp.position }),
        message: `Processor "${cp.processorId}"${cp.partition ? ` (partition ${JSON.stringify(cp.partition)})` : ''} has checkpoint ${cp.raw.trim()}, beyond the last position taken (${inFlight.takenUpTo}).`,
      });
  }

  const findings = list.done();
  return {
    ok: findings.length === 0,
    messages: events.length + commands.size,
    streams: byStream.size,
    lastPosition: store.lastPosition(),
    findings,
    inFlight,
  };
}
