import * as fs from 'node:fs';
import type { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { StoreUnreadableError } from '../core/eventStore/errors';
import { copyToNativeStore, writeNativeStore, type CopyResult } from '../core/formats/copyToNative';
import { EmmettSqliteStore } from '../core/formats/emmettSqlite/emmettSqliteStore';
import { checkEmmettStore } from '../core/formats/emmettSqlite/integrity';
import { buildGenericReadModels } from '../core/formats/genericReadModels';
import { fromExportLine } from '../core/formats/ndjson';
import { exportNdjson, writeChunks, writeText } from '../core/eventStore/exportNdjson';
import { detectFileFormat, openAnyStore } from '../core/formats/openStore';
import { SqliteFileError } from '../core/formats/sqliteWal';
import type { RecordedEvent } from '../core/eventStore/types';
import type { ForeignStore } from '../core/formats/storeReader';

/** Exit code of `verify` when it read a store (of any format) and found integrity problems (listed on stdout). */
export const EXIT_FINDINGS = 6;

export function isForeignFile(path: string): boolean {
  return detectFileFormat(path) === 'foreign-sqlite';
}

/** Opens a foreign store, its errors made into the CLI's "store unreadable" (exit 4). */
export async function openForeign(path: string, check = false): Promise<EmmettSqliteStore> {
  try {
    return await EmmettSqliteStore.open({ path, check });
  } catch (e) {
    if (SqliteFileError.is(e)) throw new StoreUnreadableError(path, e.reason);
    throw e;
  }
}

async function withForeign<T>(path: string, run: (store: EmmettSqliteStore) => Promise<T>, check = false): Promise<T> {
  const store = await openForeign(path, check);
  try {
    return await run(store);
  } finally {
    await store.close();
  }
}

/** What `stats` says of any store of another application; `extra` adds what its format alone knows. */
export async function foreignSummary(
  store: ForeignStore,
  extra: Readonly<Record<string, unknown>>,
): Promise<Record<string, unknown>> {
  const stats = store.stats();
  const models = await buildGenericReadModels(store);
  return {
    format: store.format.id,
    formatName: store.format.name,
    generation: store.format.generation,
    readOnly: true,
    events: stats.events,
    commands: store.readCommands().length,
    streams: stats.streams,
    lastPosition: stats.lastPosition,
    eventTypes: stats.eventTypes,
    categories: models.categories,
    checkpoints: models.checkpoints,
    ...extra,
    notes: store.notes(),
  };
}

export function foreignStats(path: string, out: Writable): Promise<number> {
  return withForeign(path, async (store) => {
    const summary = await foreignSummary(store, {
      wal: {
        bytes: store.walInfo.walBytes,
        committedFrames: store.walInfo.wal.committedFrames,
        uncommittedFrames: store.walInfo.wal.uncommittedFrames,
      },
    });
    await writeText(out, `${JSON.stringify(summary)}\n`);
    return 0;
  });
}

export function foreignExport(path: string, from: number, to: number, out: Writable): Promise<number> {
  return withForeign(path, async (store) => {
    await writeChunks(out, exportNdjson(store, { from, to }));
    return 0;
  });
}

export function foreignVerify(path: string, out: Writable, err: Writable): Promise<number> {
  return withForeign(
    path,
    async (store) => {
      const report = checkEmmettStore(store);
      if (report.ok) {
        await writeText(
          out,
          `${JSON.stringify({ ok: true, format: store.format.id, generation: store.format.generation, messages: report.messages, streams: report.streams, lastPosition: report.lastPosition })}\n`,
        );
        return 0;
      }
      await writeText(out, report.findings.map((f) => `${JSON.stringify({ finding: f })}\n`).join(''));
      err.write(`The store ${path} has integrity findings: ${report.findings.length} (listed on stdout).\n`);
      return EXIT_FINDINGS;
    },
    true,
  );
}

/** `copy --to FILE`: every event of any store into a new store of ours; prints what was kept. */
export async function copyCommand(path: string, dest: string, out: Writable): Promise<number> {
  const store = await openAnyStore({ path, readOnly: true, readOnlyReason: 'it is being copied' });
  let result: CopyResult;
  try {
    result = await copyToNativeStore(store, dest);
  } finally {
    await store.close();
  }
  await writeText(out, `${JSON.stringify({ copied: result.events, ...result, to: dest })}\n`);
  return 0;
}

/** `import --keep-positions`: exported NDJSON (any format's export) into a new store of ours, as `copy` does. */
export async function importExported(
  source: string | undefined,
  stdin: NodeJS.ReadableStream,
  dest: string,
  out: Writable,
): Promise<number> {
  const input = source === undefined || source === '-' ? stdin : fs.createReadStream(source);
  const events: RecordedEvent[] = [];
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let lineNo = 0;
  const take = (line: string) => {
    lineNo += 1;
    const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (trimmed.trim().length > 0) events.push(fromExportLine(trimmed, lineNo));
  };
  for await (const chunk of input) {
    const text = carry + (typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer));
    const lines = text.split('\n');
    carry = lines.pop()!;
    lines.forEach(take);
  }
  carry += decoder.end();
  if (carry.length > 0) take(carry);
  events.sort((a, b) => a.globalPosition - b.globalPosition);
  const result = await writeNativeStore(dest, events, source ?? 'stdin');
  await writeText(out, `${JSON.stringify({ imported: result.events, ...result, to: dest })}\n`);
  return 0;
}
