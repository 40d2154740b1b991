import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Database } from 'sql.js';
import { JOURNAL_HEADER_BYTES } from '../../src/core/eventStore/journal';
import { FileLock } from '../../src/core/eventStore/lock';
import { SqlJsEventStore, type OpenStoreOptions } from '../../src/core/eventStore/sqlJsEventStore';
import { storeFiles } from '../../src/core/eventStore/storeFiles';
import type { RecordedEvent } from '../../src/core/eventStore/types';
import { verifyStore } from '../../src/core/eventStore/verify';
import { prng } from '../builders/prng';
import { tempDirPerTest } from '../builders/tempDir';

const WRITER = path.join(__dirname, '..', 'builders', 'foldingWriter.js');

const summary = (events: readonly RecordedEvent[]) =>
  events.map((e) => `${e.globalPosition}:${e.streamId}@${e.streamVersion}:${e.eventId}:${JSON.stringify(e.data)}`);

/** Counts the exports of the store's in-memory database: the calling thread's copy of the whole file. */
function countExports(store: SqlJsEventStore): { readonly count: number } {
  const db = (store as unknown as { db: Database }).db;
  const exportDb = db.export.bind(db);
  const counter = { count: 0 };
  db.export = () => {
    counter.count += 1;
    return exportDb();
  };
  return counter;
}

/** Files beside the store left by a writer (temp files of a compaction, of a backup, of the lock). */
const leftovers = (file: string) =>
  fs.readdirSync(path.dirname(file)).filter((n) => n.startsWith(path.basename(file)) && /\.(tmp|stale)-/.test(n));

/** The events of a store as a read-only open sees them, and whether it verifies. */
async function contents(file: string): Promise<{ events: RecordedEvent[]; ok: boolean; findings: string[] }> {
  const store = await SqlJsEventStore.open({ path: file, readOnly: true });
  const events = store.readAll();
  await store.close();
  const report = await verifyStore(file);
  return { events, ok: report.ok, findings: report.findings };
}

describe('Compaction on a worker thread', function () {
  this.timeout(60_000);
  const tmp = tempDirPerTest('esi-fold-');
  let file: string;
  const open = (options: Partial<OpenStoreOptions> = {}) =>
    SqlJsEventStore.open({ path: file, compaction: { onClose: 'never' }, ...options });

  beforeEach(() => {
    file = path.join(tmp.dir, 'events.db');
  });

  it('builds the new snapshot off the calling thread: sealed, every event in it, the journal empty', async () => {
    const store = await open();
    const exports = countExports(store);
    for (let i = 0; i < 30; i++) await store.append(`s-${i % 4}`, [{ type: 'T', data: { i } }]);
    assert.equal(await store.compact(), true);
    assert.equal(exports.count, 0, 'the database was not exported on this thread');
    assert.deepEqual(store.fileStats().journalBase, 30);
    assert.equal(store.fileStats().journalBytes, 0);
    assert.ok(fs.existsSync(storeFiles(file).backup));
    const before = summary(store.readAll());
    await store.close();
    assert.deepEqual(leftovers(file), []);
    const reopened = await open();
    assert.equal(reopened.openReport.checked, 'seal', 'the snapshot written by the worker carries its seal');
    assert.deepEqual(summary(reopened.readAll()), before);
    assert.equal(reopened.listStreams().find((s) => s.streamId === 's-3')?.version, 7, 'the streams table came along');
    await reopened.close();
  });

  it('offThread: false exports on the calling thread, as before', async () => {
    const store = await open({ compaction: { onClose: 'never', offThread: false } });
    const exports = countExports(store);
    for (let i = 0; i < 5; i++) await store.append('s', [{ type: 'T', data: { i } }]);
    assert.equal(await store.compact(), true);
    assert.equal(exports.count, 1);
    await store.close();
    const reopened = await open({ readOnly: true });
    assert.equal(reopened.openReport.checked, 'seal');
    await reopened.close();
  });

  it('appends made while the journal is folded, by this writer and another, are durable and stored exactly once', async () => {
    const a = await open();
    const b = await open();
    for (let i = 0; i < 20; i++) await a.append('a', [{ type: 'T', data: { i } }]);
    let folded = false;
    const compaction = a.compact().finally(() => (folded = true));
    const during: number[] = [];
    for (let i = 0; !folded; i++) {
      const writer = i % 2 === 0 ? a : b;
      during.push((await writer.append(`during-${i % 3}`, [{ type: 'T', data: { i } }])).lastPosition);
      // An append resolves within microtasks: let the worker's answer in between them.
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(await compaction, true);
    assert.ok(during.length > 0);
    // What was appended during the fold is in the new journal, after the snapshot's position.
    assert.equal(a.fileStats().journalBase, 20);
    assert.ok(a.fileStats().journalBytes > 0);
    await a.append('a', [{ type: 'T', data: { after: true } }]);
    b.refresh();
    const expected = summary(a.readAll());
    assert.deepEqual(summary(b.readAll()), expected);
    assert.equal(new Set(expected.map((e) => e.split(':')[0])).size, expected.length, 'no position twice');
    await a.close();
    await b.close();
    const after = await contents(file);
    assert.deepEqual(summary(after.events), expected);
    assert.ok(after.ok, after.findings.join('\n'));
  });

  it('close waits for a compaction under way; closing with onClose auto folds through the worker too', async () => {
    const store = await open({ compaction: { onClose: 'auto' } });
    const exports = countExports(store);
    for (let i = 0; i < 10; i++) await store.append('s', [{ type: 'T', data: { i } }]);
    const compaction = store.compact();
    await store.close();
    assert.equal(await compaction, true);
    assert.deepEqual(leftovers(file), []);
    const again = await open({ compaction: { onClose: 'auto' } });
    const again2 = countExports(again);
    await again.append('s', [{ type: 'T', data: { i: 10 } }]);
    await again.close(); // a small snapshot: folded on close
    assert.equal(exports.count + again2.count, 0);
    const after = await contents(file);
    assert.equal(after.events.length, 11);
    assert.ok(after.ok, after.findings.join('\n'));
    const reopened = await open({ readOnly: true });
    assert.equal(reopened.fileStats().journalBytes, 0);
    assert.equal(reopened.openReport.checked, 'seal');
    await reopened.close();
  });

  it('never folds a snapshot replaced on disk behind the store: the compaction fails and nothing changes', async () => {
    const other = path.join(tmp.dir, 'other', 'events.db');
    fs.mkdirSync(path.dirname(other));
    const foreign = await SqlJsEventStore.open({ path: other });
    for (let i = 0; i < 3; i++) await foreign.append('x', [{ type: 'Other', data: { i } }]);
    await foreign.close();

    const store = await open();
    for (let i = 0; i < 3; i++) await store.append('s', [{ type: 'T', data: { i } }]);
    await store.compact();
    for (let i = 3; i < 6; i++) await store.append('s', [{ type: 'T', data: { i } }]);
    fs.copyFileSync(other, file); // another sound store's snapshot, without our seal
    const snapshot = fs.readFileSync(file);
    const journal = fs.readFileSync(storeFiles(file).journal);
    await assert.rejects(store.compact(), /the journal does not continue the snapshot/);
    assert.deepEqual(fs.readFileSync(file), snapshot);
    assert.deepEqual(fs.readFileSync(storeFiles(file).journal), journal);
    assert.deepEqual(leftovers(file), []);
    assert.equal(store.readAll().length, 6, 'the store still holds its events');
    await store.close();
  });

  it('the lock held across an asynchronous step makes writers of this process wait, never break it', async () => {
    const files = storeFiles(file);
    const first = new FileLock(files.lock, file, { timeoutMs: 30_000 });
    const other = new FileLock(files.lock, file, { timeoutMs: 30_000 }); // as close() compacts with its own lock
    let release!: () => void;
    const step = new Promise<void>((resolve) => (release = resolve));
    let inside = true;
    const held = first.withLock('compaction', async () => {
      await step;
      inside = false;
      return 'first';
    });
    const order: string[] = [];
    const waiting = [
      first.withLock('append', () => order.push(`same object, inside: ${inside}`)),
      other.withLock('append', () => order.push(`other object, inside: ${inside}`)),
    ];
    // Both have tried and found it taken (their first attempt runs at once); then the step ends.
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(order, []);
    assert.ok(fs.existsSync(files.lock));
    release();
    assert.equal(await held, 'first');
    await Promise.all(waiting);
    assert.deepEqual(order.sort(), ['other object, inside: false', 'same object, inside: false']);
    assert.equal(fs.existsSync(files.lock), false);
  });

  describe('other processes', () => {
    interface Run {
      acks: { ack: number; eventId: string }[];
      folding: number;
      killed: boolean;
      stderr: string;
    }

    /** Runs the writer, killing it (SIGKILL) `afterMs` after it printed that its `nth` compaction started. */
    function runWriter(count: number, kill?: { nth: number; afterMs: number }): Promise<Run> {
      const child = spawn(process.execPath, [WRITER, file, 'append', String(count)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const run: Run = { acks: [], folding: 0, killed: false, stderr: '' };
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString('utf8');
        const lines = out.split('\n');
        out = lines.pop()!;
        for (const line of lines) {
          const parsed = JSON.parse(line) as { ack?: number; eventId?: string; folding?: number };
          if (parsed.folding !== undefined) {
            run.folding = parsed.folding;
            if (kill && parsed.folding === kill.nth) setTimeout(() => child.kill('SIGKILL'), kill.afterMs);
          } else run.acks.push({ ack: parsed.ack!, eventId: parsed.eventId! });
        }
      });
      child.stderr.on('data', (c: Buffer) => (run.stderr += c.toString('utf8')));
      return new Promise((resolve) =>
        child.on('exit', (_code, signal) => {
          run.killed = signal === 'SIGKILL';
          resolve(run);
        }),
      );
    }

    it('a writer killed at points during the fold loses no acknowledged event and stores none twice', async () => {
      const random = prng(Number(process.env.FOLD_CRASH_SEED ?? 15));
      const acknowledged = new Map<string, number>();
      let kills = 0;
      for (let round = 0; round < 6; round++) {
        // From at once to well after the worker started: the kill lands before, during and after the temp file's write.
        const afterMs = Math.floor(random() * 200);
        const run = await runWriter(200, { nth: 1 + (round % 3), afterMs });
        assert.equal(run.stderr, '', run.stderr);
        if (run.killed) kills += 1;
        for (const { ack, eventId } of run.acks) acknowledged.set(eventId, ack);
        const { events, ok, findings } = await contents(file);
        assert.ok(ok, `round ${round} (kill ${afterMs} ms after fold ${1 + (round % 3)}): ${findings.join('\n')}`);
        const stored = new Map(events.map((e) => [e.eventId, e.globalPosition]));
        assert.equal(stored.size, events.length, 'no event id twice');
        for (const [eventId, position] of acknowledged)
          assert.equal(stored.get(eventId), position, `${eventId}, acknowledged at ${position}, is stored there`);
        assert.deepEqual(
          events.map((e) => e.globalPosition),
          events.map((_, i) => i + 1),
        );
      }
      assert.ok(kills >= 3, `the writer was killed in ${kills} of 6 rounds`);
      // The next writable open removes what the killed writers left (their temp files) and goes on.
      const store = await open();
      assert.deepEqual(leftovers(file), []);
      await store.append('s-0', [{ type: 'Appended', data: { last: true } }]);
      await store.close();
      assert.ok((await verifyStore(file)).ok);
    });

    it('two processes compacting at once: one folds, the other finds it done or folds after it; every event is kept', async () => {
      const start = () => {
        const child = spawn(process.execPath, [WRITER, file, 'compact'], { stdio: ['pipe', 'pipe', 'pipe'] });
        let out = '';
        let stderr = '';
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
        const lines = (n: number) =>
          new Promise<string[]>((resolve, reject) => {
            const check = () => {
              const got = out.split('\n').filter(Boolean);
              if (got.length >= n) resolve(got);
            };
            child.stdout.on('data', (c: Buffer) => {
              out += c.toString('utf8');
              check();
            });
            child.on('exit', () => reject(new Error(`the writer ended early: ${stderr}`)));
            check();
          });
        return { child, lines };
      };
      const seed = await open();
      for (let i = 0; i < 40; i++) await seed.append(`s-${i % 5}`, [{ type: 'T', data: { i } }]);
      await seed.close();
      const one = start();
      const two = start();
      await Promise.all([one.lines(1), two.lines(1)]);
      one.child.stdin.write('go\n');
      two.child.stdin.write('go\n');
      const answers = (await Promise.all([one.lines(2), two.lines(2)])).map(
        (l) => (JSON.parse(l[1]!) as { compacted: boolean }).compacted,
      );
      assert.ok(answers.includes(true), `answers: ${answers.join(', ')}`);
      // Both close their store and end.
      await Promise.all(
        [one.child, two.child].map((c) =>
          c.exitCode !== null ? undefined : new Promise((resolve) => c.once('exit', resolve)),
        ),
      );
      const { events, ok, findings } = await contents(file);
      assert.ok(ok, findings.join('\n'));
      assert.equal(events.length, 42);
      const store = await open({ readOnly: true });
      assert.ok(store.fileStats().journalBase! >= 41, 'the journal was folded');
      assert.ok(store.fileStats().journalBytes < 1024);
      await store.close();
      assert.deepEqual(leftovers(file), []);
      assert.ok(fs.statSync(storeFiles(file).journal).size >= JOURNAL_HEADER_BYTES);
    });
  });
});
