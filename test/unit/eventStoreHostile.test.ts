import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ReadOnlyStoreError, StoreUnreadableError, UnsoundEventError } from '../../src/core/eventStore/errors';
import {
  JOURNAL_HEADER_BYTES,
  decodeHeader,
  encodeHeader,
  encodePayload,
  encodeRecord,
  type JournalEvent,
} from '../../src/core/eventStore/journal';
import { loadSqlJs } from '../../src/core/eventStore/sqlJs';
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import { storeFiles } from '../../src/core/eventStore/storeFiles';
import { verifyStore } from '../../src/core/eventStore/verify';

/**
 * Hostile files, generated here: each is refused (or opened read-only) in one sentence, fast, and
 * left as it was. Time bounds are generous (a normal open of these files takes milliseconds; the
 * attacks they reproduce took 20 s to forever); cases that could hang run in a child process killed
 * at the bound.
 */

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
/**
 * Far above a normal open of these small files, far below what the attacks cost. The machine may
 * be loaded: the bound grows with the time a plain CLI run takes here and now (measured once), so
 * that it measures the open, not the machine; a hang is killed at four times the bound.
 */
let BOUND_MS = 8000;
let KILL_MS = 4 * BOUND_MS;
/** Measures the bound (see BOUND_MS); called by the suite before its tests. */
function measureBound(): void {
  const t0 = Date.now();
  spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8', timeout: 60_000 });
  BOUND_MS = Math.max(8000, 20 * (Date.now() - t0));
  KILL_MS = 4 * BOUND_MS;
}

/** Every entry of the folder with its kind and, for regular files, its bytes (a FIFO is never opened). */
function filesIn(dir: string): Map<string, string> {
  return new Map(
    fs.readdirSync(dir).map((name) => {
      const st = fs.lstatSync(path.join(dir, name));
      return [
        name,
        st.isFile() ? fs.readFileSync(path.join(dir, name)).toString('base64') : `not a regular file (mode ${st.mode})`,
      ];
    }),
  );
}

function mkfifo(file: string): void {
  fs.rmSync(file, { force: true });
  const r = spawnSync('mkfifo', [file]);
  assert.equal(r.status, 0, `mkfifo: ${String(r.stderr)}`);
}

/** Runs the CLI in a child process, killed at the bound. */
function cli(args: string[]): { code: number | null; stderr: string; stdout: string; ms: number; killed: boolean } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { timeout: KILL_MS, encoding: 'utf8', killSignal: 'SIGKILL' });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout, ms: Date.now() - t0, killed: r.signal !== null };
}

function oneSentence(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.length > 0);
  assert.equal(lines.length, 1, `one line on stderr, got: ${stderr}`);
  assert.match(lines[0]!, /^[A-Z].*\.$/);
  return lines[0]!;
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = Date.now();
  const value = await work();
  return { value, ms: Date.now() - t0 };
}

describe('Hostile store files: refused fast, never a hang, never written', function () {
  // A hang is cut by KILL_MS for each child process; a test may run several of them.
  this.timeout(600_000);
  before(function () {
    this.timeout(120_000);
    measureBound();
  });
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esi-hostile-'));
    file = path.join(dir, 'events.db');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function storeWithEvents(count: number): Promise<void> {
    const store = await SqlJsEventStore.open({ path: file });
    await store.importEvents(
      Array.from({ length: count }, (_, i) => ({ streamId: `s-${i % 5}`, type: 'T', data: { i } })),
    );
    await store.close();
  }

  /** Rewrites the snapshot with sql.js, `writable_schema` allowed: what another tool (or an attacker) can do. */
  async function rewrite(sql: string): Promise<void> {
    const SQL = await loadSqlJs();
    const db = new SQL.Database(fs.readFileSync(file));
    db.exec(sql);
    fs.writeFileSync(file, db.export());
    db.close();
  }

  /** Opening (read-write and read-only, in this process, and the CLI) is refused with `reason`, within the bound, touching nothing. */
  async function refusedFast(reason: RegExp): Promise<void> {
    const before = filesIn(dir);
    for (const readOnly of [true, false]) {
      const t0 = Date.now();
      await assert.rejects(SqlJsEventStore.open({ path: file, readOnly }), (e: unknown) => {
        assert.ok(StoreUnreadableError.is(e), `expected StoreUnreadableError, got ${String(e)}`);
        assert.match(e.message, reason);
        return true;
      });
      assert.ok(Date.now() - t0 < BOUND_MS, `refused in ${Date.now() - t0} ms`);
    }
    const r = cli(['stats', '--store', file]);
    assert.equal(r.killed, false, 'the CLI finished');
    assert.equal(r.code, 4);
    assert.match(oneSentence(r.stderr), reason);
    assert.equal((await verifyStore(file)).ok, false);
    assert.deepEqual(filesIn(dir), before, 'no byte of any file changed, no file created');
  }

  describe('no evaluation of the file’s own schema before it is compared', () => {
    // Each row would cost SQLite about 0.25 s to check: 100 rows, 25 s, if anything evaluated them.
    const bomb = "printf('%.*c', 300000000, 'x')";

    it('an extra table whose CHECK builds 300 MB per row is refused by its schema, fast', async () => {
      await storeWithEvents(10);
      await rewrite(
        `CREATE TABLE bomb (x); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) INSERT INTO bomb SELECT i FROM n;
         PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = 'CREATE TABLE bomb (x CHECK (length(${bomb.replace(/'/g, "''")}) > 0))' WHERE name = 'bomb'; PRAGMA writable_schema = OFF;`,
      );
      await refusedFast(/its schema is not the event store schema \(unexpected: table bomb on bomb\)/);
    });

    it('an expression index over our own table is refused by its schema, fast', async () => {
      await storeWithEvents(100);
      await rewrite(
        `CREATE INDEX boom ON events (stream_id); PRAGMA writable_schema = ON;
         UPDATE sqlite_schema SET sql = 'CREATE INDEX boom ON events (length(${bomb.replace(/'/g, "''")}))' WHERE name = 'boom'; PRAGMA writable_schema = OFF;`,
      );
      await refusedFast(/its schema is not the event store schema \(unexpected: index boom on events\)/);
    });

    it('our own table with a CHECK that was not ours is refused', async () => {
      await storeWithEvents(100);
      await rewrite(
        `PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = replace(sql, 'recorded_at     TEXT    NOT NULL', 'recorded_at TEXT NOT NULL CHECK (length(${bomb.replace(/'/g, "''")}) > 0)') WHERE name = 'events'; PRAGMA writable_schema = OFF;`,
      );
      await refusedFast(/its schema is not the event store schema \(.*missing or different: table events on events\)/);
    });

    it('swapped index root pages (an idempotent retry would store a duplicate id) are refused', async () => {
      await storeWithEvents(50);
      await rewrite(
        `PRAGMA writable_schema = ON;
         UPDATE sqlite_schema SET rootpage = CASE name WHEN 'sqlite_autoindex_events_1' THEN (SELECT rootpage FROM sqlite_schema WHERE name = 'sqlite_autoindex_events_2') ELSE (SELECT rootpage FROM sqlite_schema WHERE name = 'sqlite_autoindex_events_1') END
         WHERE name IN ('sqlite_autoindex_events_1', 'sqlite_autoindex_events_2'); PRAGMA writable_schema = OFF;`,
      );
      // SQLite itself may notice first that a root page does not hold an index of that table.
      await refusedFast(
        /its schema is not the event store schema \(.*index sqlite_autoindex_events_1 on events|invalid rootpage/,
      );
    });
  });

  describe('only regular files are opened (a FIFO would block the open forever)', () => {
    for (const [which, expected] of [
      ['snapshot', 4],
      ['journal', 4],
    ] as const) {
      it(`a FIFO as the ${which}: the CLI (read and write) and verify answer in one sentence`, async () => {
        await storeWithEvents(5);
        mkfifo(storeFiles(file)[which]);
        const before = filesIn(dir);
        for (const args of [['stats'], ['append', '--stream', 's', '--type', 'T', '--data', '{}'], ['verify']]) {
          const r = cli([...args, '--store', file]);
          assert.equal(r.killed, false, `${args[0]} finished before it was killed at ${KILL_MS} ms`);
          assert.ok(r.ms < BOUND_MS, `${args[0]} answered in ${r.ms} ms (bound ${BOUND_MS} ms)`);
          assert.equal(r.code, expected, `${args[0]}: ${r.stderr}`);
          if (args[0] === 'verify') assert.match(r.stdout, /named pipe \(FIFO\), not a regular file/);
          else
            assert.match(
              oneSentence(r.stderr),
              /cannot be opened: it is a named pipe \(FIFO\), not a regular file; it was left untouched\.$/,
            );
        }
        assert.deepEqual(filesIn(dir), before);
      });
    }

    it('a FIFO as the lock: reading works, a write fails in one sentence, nothing hangs', async () => {
      await storeWithEvents(5);
      mkfifo(storeFiles(file).lock);
      const before = filesIn(dir);
      const read = cli(['stats', '--store', file]);
      assert.equal(read.code, 0, read.stderr);
      const write = cli(['append', '--stream', 's', '--type', 'T', '--data', '{}', '--store', file]);
      assert.equal(write.killed, false);
      assert.equal(write.code, 4, write.stderr);
      assert.match(oneSentence(write.stderr), /lock.*named pipe \(FIFO\), not a regular file/);
      assert.deepEqual(filesIn(dir), before);
    });

    it('a FIFO as the command log or the saved read models: the session opens with a warning', async () => {
      await storeWithEvents(5);
      mkfifo(`${file}.commands.ndjson`);
      mkfifo(`${file}.readmodels.json`);
      const script = `
        const { StoreSession } = require(${JSON.stringify(path.join(ROOT, 'out', 'src', 'core', 'application', 'session.js'))});
        (async () => {
          const logged = [];
          const s = await StoreSession.open({ path: ${JSON.stringify(file)}, readOnly: true, log: (m) => logged.push(m) });
          const entries = s.commandLog.entries().length;
          await s.close();
          process.stdout.write(JSON.stringify({ logged, entries, events: s.store.lastPosition() }));
        })();`;
      const r = spawnSync(process.execPath, ['-e', script], {
        timeout: KILL_MS,
        encoding: 'utf8',
        killSignal: 'SIGKILL',
      });
      assert.equal(r.signal, null, 'the session opened within the bound');
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { logged: string[]; entries: number; events: number };
      assert.equal(out.events, 5);
      assert.equal(out.entries, 0);
      assert.ok(
        out.logged.some((m) => /command log .* could not be read: it is a named pipe \(FIFO\)/.test(m)),
        out.logged.join('\n'),
      );
      assert.ok(
        out.logged.some((m) => /Saved read models .* could not be read \(it is a named pipe \(FIFO\)/.test(m)),
        out.logged.join('\n'),
      );
    });
  });

  describe('an unsound store opens read-only with the finding named, and verify reports it', () => {
    const cases: { name: string; sql: string; finding: RegExp }[] = [
      {
        name: 'data that is not JSON',
        sql: "UPDATE events SET data = '{oops' WHERE global_position = 3",
        finding: /the event at position 3: its data is not valid JSON/,
      },
      {
        name: 'data nested 100,000 deep',
        sql: `UPDATE events SET data = '${'['.repeat(100_000)}${']'.repeat(100_000)}' WHERE global_position = 4`,
        finding: /the event at position 4: its data is not valid JSON \(or is nested too deep\)/,
      },
      {
        name: 'metadata that is not an object',
        sql: "UPDATE events SET metadata = '[1]' WHERE global_position = 2",
        finding: /the event at position 2: its metadata is not a JSON object/,
      },
      {
        name: 'a gap in the positions',
        sql: 'DELETE FROM events WHERE global_position = 5',
        finding: /its 19 events hold positions 1 to 20, not 1 to 19 without a gap/,
      },
      {
        name: 'a streams row that lies',
        sql: "UPDATE streams SET version = 2 WHERE stream_id = 's-1'",
        finding: /the streams table says stream "s-1" is at version 2 \(last position 17\); its events say 4 \(17\)/,
      },
      {
        name: 'a stream version skipped',
        sql: 'UPDATE events SET stream_version = 9 WHERE global_position = 20',
        finding: /stream "s-4" has 4 events with versions 1 to 9, not 1 to 4/,
      },
      {
        name: 'a column of the wrong type',
        sql: 'UPDATE events SET stream_version = 1.5 WHERE global_position = 1',
        finding: /the event at position 1: a column holds a value of the wrong type/,
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        await storeWithEvents(20);
        await rewrite(c.sql);
        const before = filesIn(dir);
        const { value: store, ms } = await timed(() => SqlJsEventStore.open({ path: file }));
        assert.ok(ms < BOUND_MS, `opened in ${ms} ms`);
        assert.equal(store.readOnly, true);
        assert.match(store.unsound ?? '', c.finding);
        await assert.rejects(
          store.append('s-0', [{ type: 'T', data: {} }]),
          (e: unknown) => ReadOnlyStoreError.is(e) && /the store is not sound/.test(e.message),
        );
        await store.close();
        const r = cli(['append', '--stream', 's-0', '--type', 'T', '--data', '{}', '--store', file]);
        assert.equal(r.code, 1);
        assert.match(oneSentence(r.stderr), /^The event store is read-only: the store is not sound \(/);
        const report = await verifyStore(file);
        assert.equal(report.ok, false);
        assert.ok(
          report.findings.some((f) => /not sound/.test(f)),
          report.findings.join('\n'),
        );
        assert.deepEqual(filesIn(dir), before, 'no byte of any file changed');
      });
    }

    it('verify names what export would choke on that the open lets through: ids with a line break, bidi or invalid UTF-8', async () => {
      await storeWithEvents(6);
      await rewrite(
        `UPDATE events SET stream_id = 'a' || char(10) || 'b' WHERE global_position = 1;
         UPDATE events SET event_id = 'x' || char(8238) || 'y' WHERE global_position = 2;
         UPDATE events SET stream_id = CAST(X'7573FF' AS TEXT) WHERE global_position = 6;`,
      );
      const report = await verifyStore(file);
      assert.equal(report.ok, false);
      const text = report.findings.join('\n');
      assert.match(text, /position 1: A stream id may not contain control characters or line breaks/);
      assert.match(text, /position 2: .*event id is not valid/);
      assert.match(text, /position 6: .*not valid UTF-8/);
    });
  });

  describe('opens that only read check the structure; a bad row is named where it is read', () => {
    const badRows: { name: string; sql: string; position: number; reason: RegExp }[] = [
      {
        name: 'data that is not JSON',
        sql: "UPDATE events SET data = '{oops' WHERE global_position = 3",
        position: 3,
        reason: /its data is not valid JSON/,
      },
      {
        name: 'data nested 100,000 deep',
        sql: `UPDATE events SET data = '${'['.repeat(100_000)}${']'.repeat(100_000)}' WHERE global_position = 3`,
        position: 3,
        reason: /its data is nested more than 256 levels deep/,
      },
      {
        name: 'metadata that is not an object',
        sql: "UPDATE events SET metadata = '[1]' WHERE global_position = 3",
        position: 3,
        reason: /its metadata is not a JSON object/,
      },
      {
        name: 'a column of the wrong type',
        sql: 'UPDATE events SET stream_version = 1.5 WHERE global_position = 3',
        position: 3,
        reason: /a column holds a value of the wrong type/,
      },
    ];
    for (const c of badRows) {
      it(`${c.name}: the store lists its events, the row is named when read, export stops there in one sentence`, async () => {
        await storeWithEvents(20);
        await rewrite(c.sql);
        const before = filesIn(dir);
        const store = await SqlJsEventStore.open({ path: file, readOnly: true });
        assert.deepEqual(store.openReport, { checked: 'structure', sealedNow: false });
        assert.equal(store.lastPosition(), 20);
        assert.equal(store.listStreams().length, 5);
        assert.deepEqual(
          store.readAll({ limit: 2 }).map((e) => e.globalPosition),
          [1, 2],
        );
        assert.equal(store.readStream('s-1').length, 4, 'a stream without the bad row reads whole');
        const named = (e: unknown) => {
          assert.ok(UnsoundEventError.is(e), `expected UnsoundEventError, got ${String(e)}`);
          assert.equal(e.globalPosition, c.position);
          assert.match(
            e.message,
            new RegExp(
              `^The stored event at position ${c.position} cannot be read: ${c.reason.source}; run "event-store verify" for every finding\\.$`,
            ),
          );
          return true;
        };
        assert.throws(() => store.readAll(), named);
        assert.throws(() => store.readEvent(c.position), named);
        assert.throws(() => store.forEach(() => undefined), named);
        await store.close();
        const r = cli(['export', '--store', file]);
        assert.equal(r.code, 4);
        assert.match(
          oneSentence(r.stderr),
          new RegExp(`^The stored event at position ${c.position} cannot be read: ${c.reason.source}`),
        );
        assert.deepEqual(
          r.stdout
            .trim()
            .split('\n')
            .map((l) => (JSON.parse(l) as { globalPosition: number }).globalPosition),
          [1, 2],
          'every event before the bad row is exported',
        );
        assert.ok(
          (await verifyStore(file)).findings.some((f) => f.includes(`position ${c.position}`)),
          'verify names the row',
        );
        assert.deepEqual(filesIn(dir), before, 'no byte of any file changed');
      });
    }

    it('a copied store opened read-only is checked again on every open and never written', async () => {
      await storeWithEvents(20);
      fs.rmSync(storeFiles(file).journal);
      const before = filesIn(dir);
      for (let i = 0; i < 2; i++) {
        const store = await SqlJsEventStore.open({ path: file, readOnly: true });
        assert.deepEqual(store.openReport, { checked: 'structure', sealedNow: false });
        assert.equal(store.readAll().length, 20);
        await store.close();
      }
      assert.deepEqual(filesIn(dir), before, 'no byte of any file changed, no file created');
    });
  });

  describe('a writable open seals what it checked, so the next open skips the scans', () => {
    it('a copied snapshot (no journal): checked in full once, sealed, then opened by its seal', async () => {
      await storeWithEvents(20);
      fs.rmSync(storeFiles(file).journal);
      const first = await SqlJsEventStore.open({ path: file });
      assert.deepEqual(first.openReport, { checked: 'full', sealedNow: true });
      await first.close();
      const snapshot = fs.readFileSync(file);
      const second = await SqlJsEventStore.open({ path: file });
      assert.deepEqual(second.openReport, { checked: 'seal', sealedNow: false });
      await second.append('s-0', [{ type: 'T', data: { more: true } }]);
      await second.close();
      const readOnly = await SqlJsEventStore.open({ path: file, readOnly: true });
      assert.equal(readOnly.openReport.checked, 'seal', 'a read-only open uses the seal too');
      assert.equal(readOnly.lastPosition(), 21);
      await readOnly.close();
      assert.ok(
        !snapshot.equals(fs.readFileSync(file)) || fs.statSync(storeFiles(file).journal).size > JOURNAL_HEADER_BYTES,
      );
    });

    it('a journal without a seal keeps its records: they are copied under the new header and replayed', async () => {
      const store = await SqlJsEventStore.open({ path: file, compaction: { onClose: 'never' } });
      await store.importEvents(
        Array.from({ length: 12 }, (_, i) => ({ streamId: `s-${i % 3}`, type: 'T', data: { i } })),
      );
      await store.close();
      const { journal } = storeFiles(file);
      const bytes = fs.readFileSync(journal);
      const header = decodeHeader(bytes.subarray(0, JOURNAL_HEADER_BYTES));
      assert.ok(bytes.length > JOURNAL_HEADER_BYTES, 'the journal holds the events');
      // The header as a store written before sealing existed has it: no seal.
      fs.writeFileSync(
        journal,
        Buffer.concat([
          encodeHeader({ generation: header.generation, base: header.base }),
          bytes.subarray(JOURNAL_HEADER_BYTES),
        ]),
      );
      const first = await SqlJsEventStore.open({ path: file, compaction: { onClose: 'never' } });
      assert.deepEqual(first.openReport, { checked: 'full', sealedNow: true });
      assert.equal(first.lastPosition(), 12);
      await first.close();
      const after = fs.readFileSync(journal);
      assert.deepEqual(
        after.subarray(JOURNAL_HEADER_BYTES),
        bytes.subarray(JOURNAL_HEADER_BYTES),
        'the records are unchanged',
      );
      assert.equal(decodeHeader(after.subarray(0, JOURNAL_HEADER_BYTES)).generation, header.generation);
      const second = await SqlJsEventStore.open({ path: file });
      assert.deepEqual(second.openReport, { checked: 'seal', sealedNow: false });
      assert.equal(second.readAll().length, 12);
      await second.close();
    });

    it('an unsound store is not sealed: every writable open checks it again', async () => {
      await storeWithEvents(20);
      await rewrite("UPDATE events SET data = '{oops' WHERE global_position = 3");
      const before = filesIn(dir);
      for (let i = 0; i < 2; i++) {
        const store = await SqlJsEventStore.open({ path: file });
        assert.deepEqual(store.openReport, { checked: 'full', sealedNow: false });
        assert.match(store.unsound ?? '', /position 3/);
        await store.close();
      }
      assert.deepEqual(filesIn(dir), before, 'no byte of any file changed');
    });

    it('a busy lock leaves the snapshot unsealed without waiting for it, and the next open seals it', async () => {
      await storeWithEvents(20);
      fs.rmSync(storeFiles(file).journal);
      // Held by another live process (this one's parent): a lock naming this process would be stale.
      const { lock } = storeFiles(file);
      fs.writeFileSync(
        lock,
        JSON.stringify({
          pid: process.ppid,
          host: os.hostname(),
          since: new Date().toISOString(),
          token: 'f'.repeat(16),
          purpose: 'a test',
        }),
      );
      const before = filesIn(dir);
      const t0 = Date.now();
      const store = await SqlJsEventStore.open({ path: file, compaction: { onClose: 'never' } });
      assert.deepEqual(store.openReport, { checked: 'full', sealedNow: false });
      assert.ok(Date.now() - t0 < BOUND_MS);
      await store.close();
      assert.deepEqual(filesIn(dir), before, 'nothing was written while another process held the lock');
      fs.rmSync(lock);
      const next = await SqlJsEventStore.open({ path: file });
      assert.deepEqual(next.openReport, { checked: 'full', sealedNow: true });
      await next.close();
    });
  });

  describe('the journal', () => {
    async function withJournal(events: JournalEvent[], seal?: string): Promise<void> {
      const { journal } = storeFiles(file);
      const header = encodeHeader({
        generation: 'f'.repeat(32),
        base: 20,
        ...(seal ? { snapshot: { bytes: fs.statSync(file).size, seal } } : {}),
      });
      fs.writeFileSync(
        journal,
        Buffer.concat([header, events.length ? encodeRecord(encodePayload(events)) : Buffer.alloc(0)]),
      );
    }
    const at = '2026-01-01T00:00:00.000Z';

    it('a record giving a stream version 42 after 4 is refused', async () => {
      await storeWithEvents(20);
      await withJournal([[21, 's-0', 42, 'e-21', 'T', '{}', '{}', at]]);
      await refusedFast(
        /does not continue the snapshot: at position 21 it gives stream "s-0" version 42, where version 5 comes next/,
      );
    });

    for (const [name, event, reason] of [
      [
        'a stream id with a line break',
        [21, 'a\nb', 1, 'e-21', 'T', '{}', '{}', at],
        /its event at position 21 is not valid \(A stream id may not contain control characters/,
      ],
      [
        'data that is not JSON',
        [21, 's-0', 5, 'e-21', 'T', '{oops', '{}', at],
        /its event at position 21 is not valid \(Its data is not valid JSON\)/,
      ],
      [
        'a type that is not a type',
        [21, 's-0', 5, 'e-21', 'Bad Type!', '{}', '{}', at],
        /its event at position 21 is not valid \(The event type "Bad Type!" is not valid/,
      ],
      [
        'data nested 300 deep',
        [21, 's-0', 5, 'e-21', 'T', `${'['.repeat(300)}${']'.repeat(300)}`, '{}', at],
        /Its data is nested more than 256 levels deep/,
      ],
    ] as const) {
      it(`a record with ${name} is refused like the append would be`, async () => {
        await storeWithEvents(20);
        await withJournal([event as unknown as JournalEvent]);
        await refusedFast(reason);
      });
    }

    it('a header vouching for a damaged snapshot no longer skips the check (the seal cannot be forged)', async () => {
      await storeWithEvents(2000);
      const bytes = fs.readFileSync(file);
      const pageSize = bytes.readUInt16BE(16);
      randomBytes(pageSize).copy(bytes, pageSize * 10); // a whole page of the events table: the scan finds it damaged
      fs.writeFileSync(file, bytes);
      await withJournal([], 'a'.repeat(56));
      const header = fs.readFileSync(storeFiles(file).journal).subarray(0, JOURNAL_HEADER_BYTES).toString();
      assert.match(header, /"seal":"a{56}"/);
      await refusedFast(/integrity check found damage|malformed|not a database/);
      // The attack as reported: a header of the earlier format carrying the size and CRC-32 of the damaged file.
      const forged = JSON.stringify({
        format: 'event-store-journal',
        version: 1,
        generation: 'f'.repeat(32),
        base: 2000,
        snapshot: { bytes: bytes.length, crc32: zlibCrc32(bytes) },
      });
      fs.writeFileSync(storeFiles(file).journal, `${forged.padEnd(JOURNAL_HEADER_BYTES - 1, ' ')}\n`);
      await refusedFast(/integrity check found damage|malformed|not a database/);
    });
  });
});
