// Opens a store in a fresh process and reports the time and the peak memory (max RSS) it took:
//   node out/test/bench/openProbe.js store|attempt|attempt-write|bare FILE
// "store" opens it as the extension does (SqlJsEventStore.open: read, integrity check, schema
// check, journal replay); "attempt" opens it read-only ("attempt-write" writable) and reports a refusal as an outcome; "bare" is the baseline: sql.js holding the same file, nothing checked.
// "emmett" opens an Emmett SQLite store with its WAL; "bare-emmett" is sql.js on a checkpointed copy.
import * as fs from 'node:fs';
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import { loadSqlJs } from '../../src/core/eventStore/sqlJs';
import { EmmettSqliteStore } from '../../src/core/formats/emmettSqlite/emmettSqliteStore';

/**
 * Peak resident memory of this process in MB. On Linux from /proc (VmHWM): getrusage's maxRSS is
 * inherited across fork and exec, so a child spawned by a large parent would report the parent's peak.
 */
function peakRssMb(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

async function probe(mode: string, file: string): Promise<void> {
  const SQL = await loadSqlJs();
  const rssBefore = peakRssMb();
  const t0 = process.hrtime.bigint();
  let events: number;
  let close: () => Promise<void> | void;
  if (mode === 'attempt' || mode === 'attempt-write') {
    // 'attempt' as Restricted Mode opens a workspace's store, read-only; 'attempt-write' as a trusted
    // workspace or a CLI write opens it. A refusal is a result, not a failure.
    try {
      const store = await SqlJsEventStore.open({
        path: file,
        readOnly: mode === 'attempt',
        compaction: { onClose: 'never' },
      });
      events = store.lastPosition();
      const unsound = store.unsound;
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      await store.close();
      const report = store.openReport;
      process.stdout.write(
        `${JSON.stringify({ mode, events, ms, maxRssMb: peakRssMb(), outcome: unsound ? 'read-only (unsound)' : 'opened', ...report })}\n`,
      );
    } catch (e) {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      process.stdout.write(
        `${JSON.stringify({ mode, events: 0, ms, maxRssMb: peakRssMb(), outcome: 'refused', reason: (e as Error).message })}\n`,
      );
    }
    return;
  } else if (mode === 'store') {
    const store = await SqlJsEventStore.open({ path: file, compaction: { onClose: 'never' } });
    events = store.lastPosition();
    close = () => store.close();
  } else if (mode === 'bare') {
    const db = new SQL.Database(fs.readFileSync(file));
    events = db.exec('SELECT max(global_position) FROM events')[0]!.values[0]![0] as number;
    close = () => db.close();
  } else if (mode === 'emmett') {
    // An Emmett store as the inspector opens it: main file and WAL read, frames applied, loaded, checked.
    const store = await EmmettSqliteStore.open({ path: file });
    events = Number(store.sql.rows('SELECT count(*) FROM events')[0]![0]);
    close = () => store.close();
  } else if (mode === 'bare-emmett') {
    const db = new SQL.Database(fs.readFileSync(file));
    events = db.exec("SELECT count(*) FROM emt_messages WHERE message_kind = 'E'")[0]!.values[0]![0] as number;
    close = () => db.close();
  } else {
    throw new Error(`Unknown probe mode ${mode}.`);
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const maxRssMb = peakRssMb();
  await close();
  process.stdout.write(`${JSON.stringify({ mode, events, ms, maxRssMb, baseRssMb: rssBefore })}\n`);
}

void probe(process.argv[2] ?? '', process.argv[3] ?? '').catch((e: Error) => {
  process.stderr.write(`${e.message}\n`);
  process.exitCode = 1;
});
