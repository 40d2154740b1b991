import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ConcurrencyError,
  InvalidEventError,
  ReadOnlyStoreError,
  StoreLockedError,
  StoreUnreadableError,
} from '../../src/core/eventStore/errors';
import { newUuidV7 } from '../../src/core/eventStore/ids';
import { JOURNAL_HEADER_BYTES } from '../../src/core/eventStore/journal';
import { SqlJsEventStore, type OpenStoreOptions } from '../../src/core/eventStore/sqlJsEventStore';
import { storeFiles } from '../../src/core/eventStore/storeFiles';
import type { OpenProgress, RecordedEvent } from '../../src/core/eventStore/types';
import { verifyStore } from '../../src/core/eventStore/verify';
import { tempDirPerTest } from '../builders/tempDir';

/** A copy of the store's files as they are on disk right now: what a crash at this moment would leave. */
function crashImage(file: string, into: string): string {
  fs.mkdirSync(into, { recursive: true });
  for (const name of fs.readdirSync(path.dirname(file))) {
    if (name.startsWith(path.basename(file)))
      fs.copyFileSync(path.join(path.dirname(file), name), path.join(into, name));
  }
  return path.join(into, path.basename(file));
}

const summary = (events: readonly RecordedEvent[]) =>
  events.map((e) => `${e.globalPosition}:${e.streamId}@${e.streamVersion}:${e.type}:${JSON.stringify(e.data)}`);

describe('SqlJsEventStore', () => {
  const tmp = tempDirPerTest('esi-store-');
  let file: string;
  const open = (options: Partial<OpenStoreOptions> = {}) => SqlJsEventStore.open({ path: file, ...options });

  beforeEach(() => {
    file = path.join(tmp.dir, 'events.db');
  });

  describe('appending and reading', () => {
    it('numbers positions from 1 and versions per stream from 1, and returns data and metadata as given', async () => {
      const store = await open();
      const a = await store.append('user-1', [
        { type: 'UserCreated', data: { name: 'Ada' }, metadata: { correlationId: 'c1' } },
      ]);
      const b = await store.append('user-2', [{ type: 'UserCreated', data: { name: 'Grace' } }]);
      const c = await store.append('user-1', [
        { type: 'UserRenamed', data: { name: 'Ada L.' } },
        { type: 'UserRenamed', data: { name: 'Ada Lovelace', tags: ['x', 1, null, true] } },
      ]);
      assert.deepEqual([a.lastPosition, b.lastPosition, c.lastPosition], [1, 2, 4]);
      assert.equal(c.nextExpectedVersion, 3);
      assert.equal(a.appended, true);
      assert.deepEqual(summary(store.readStream('user-1')), [
        '1:user-1@1:UserCreated:{"name":"Ada"}',
        '3:user-1@2:UserRenamed:{"name":"Ada L."}',
        '4:user-1@3:UserRenamed:{"name":"Ada Lovelace","tags":["x",1,null,true]}',
      ]);
      assert.deepEqual(store.readEvent(1)?.metadata, { correlationId: 'c1' });
      assert.deepEqual(store.readEvent(2)?.metadata, {});
      assert.equal(store.readEvent(99), undefined);
      assert.equal(store.streamVersion('user-1'), 3);
      assert.equal(store.streamVersion('nobody'), 0);
      assert.equal(store.lastPosition(), 4);
      await store.close();
    });

    it('reads windows: readStream with limit and afterVersion, readAll with after and limit, forEach within a range', async () => {
      const store = await open();
      for (let i = 1; i <= 20; i++) await store.append(`s-${i % 3}`, [{ type: 'Counted', data: { i } }]);
      assert.deepEqual(
        store.readStream('s-1', { limit: 2 }).map((e) => e.streamVersion),
        [1, 2],
      );
      assert.deepEqual(
        store.readStream('s-1', { afterVersion: 5 }).map((e) => e.streamVersion),
        [6, 7],
      );
      assert.deepEqual(
        store.readAll({ after: 5, limit: 3 }).map((e) => e.globalPosition),
        [6, 7, 8],
      );
      assert.deepEqual(
        store.readAll({ after: 19 }).map((e) => e.globalPosition),
        [20],
      );
      const seen: number[] = [];
      store.forEach((e) => seen.push(e.globalPosition), { after: 10, to: 13 });
      assert.deepEqual(seen, [11, 12, 13]);
      await store.close();
    });

    it('lists streams by prefix, after a cursor, with offset and limit; stats count events, streams and types', async () => {
      const store = await open();
      for (const id of ['user-b', 'user-a', 'cart-1', 'user-c', 'user_x', 'user-a'])
        await store.append(id, [{ type: id.startsWith('cart') ? 'CartOpened' : 'UserSeen', data: {} }]);
      assert.deepEqual(
        store.listStreams().map((s) => s.streamId),
        ['cart-1', 'user-a', 'user-b', 'user-c', 'user_x'],
      );
      assert.deepEqual(
        store.listStreams({ prefix: 'user-' }).map((s) => `${s.streamId}@${s.version}/${s.lastPosition}`),
        ['user-a@2/6', 'user-b@1/1', 'user-c@1/4'],
      );
      assert.deepEqual(
        store.listStreams({ prefix: 'user-', after: 'user-a', limit: 1 }).map((s) => s.streamId),
        ['user-b'],
      );
      assert.deepEqual(
        store.listStreams({ offset: 1, limit: 2 }).map((s) => s.streamId),
        ['user-a', 'user-b'],
      );
      assert.deepEqual(store.listStreams({ prefix: 'nothing' }), []);
      assert.deepEqual(store.stats(), {
        events: 6,
        streams: 5,
        lastPosition: 6,
        eventTypes: { CartOpened: 1, UserSeen: 5 },
      });
      await store.append('user-d', [{ type: 'UserSeen', data: {} }]);
      assert.deepEqual(store.stats(), {
        events: 7,
        streams: 6,
        lastPosition: 7,
        eventTypes: { CartOpened: 1, UserSeen: 6 },
      });
      await store.close();
    });

    it('generates time-ordered (v7) event ids when none is given', async () => {
      const ids = Array.from({ length: 5000 }, () => newUuidV7());
      assert.ok(ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)));
      assert.deepEqual([...ids].sort(), ids, 'ids sort in creation order');
      assert.equal(new Set(ids).size, ids.length);
      const store = await open();
      const r = await store.append('s', [{ type: 'T', data: {} }]);
      assert.match(r.events[0]!.eventId, /^[0-9a-f]{8}-[0-9a-f]{4}-7/);
      await store.close();
    });
  });

  describe('optimistic concurrency', () => {
    it('accepts the exact current version and refuses any other, appending nothing', async () => {
      const store = await open();
      await store.append('s', [{ type: 'A', data: {} }], { expectedVersion: 'no-stream' });
      await store.append('s', [{ type: 'B', data: {} }], { expectedVersion: 1 });
      await assert.rejects(
        store.append('s', [{ type: 'C', data: {} }], { expectedVersion: 1 }),
        (e: unknown) => ConcurrencyError.is(e) && e.actual === 2 && e.expected === 1,
      );
      await assert.rejects(store.append('s', [{ type: 'C', data: {} }], { expectedVersion: 3 }), ConcurrencyError);
      await assert.rejects(
        store.append('s', [{ type: 'C', data: {} }], { expectedVersion: 'no-stream' }),
        /is at version 2, but version 0 \(no stream\) was expected/,
      );
      await store.append('s', [{ type: 'C', data: {} }], { expectedVersion: 'any' });
      await store.append('t', [{ type: 'C', data: {} }], { expectedVersion: 0 });
      assert.deepEqual(
        store.readStream('s').map((e) => e.type),
        ['A', 'B', 'C'],
      );
      assert.equal(store.lastPosition(), 4);
      await store.close();
    });

    it('refuses an expected version that is not a version', async () => {
      const store = await open();
      for (const bad of [-1, 1.5, Number.NaN, 'latest' as never]) {
        await assert.rejects(store.append('s', [{ type: 'A', data: {} }], { expectedVersion: bad }), InvalidEventError);
      }
      assert.equal(store.lastPosition(), 0);
      await store.close();
    });
  });

  describe('idempotency by event id', () => {
    it('a retried append answers as before and writes nothing', async () => {
      const store = await open();
      const first = await store.append('s', [
        { eventId: 'e-1', type: 'A', data: { n: 1 } },
        { eventId: 'e-2', type: 'B', data: { n: 2 } },
      ]);
      const again = await store.append(
        's',
        [
          { eventId: 'e-1', type: 'A', data: { n: 1 } },
          { eventId: 'e-2', type: 'B', data: { n: 2 } },
        ],
        { expectedVersion: 'no-stream' },
      );
      assert.equal(again.appended, false);
      assert.deepEqual(summary(again.events), summary(first.events));
      assert.equal(store.lastPosition(), 2);
      await store.close();
    });

    it('refuses an id stored in another stream, partly stored appends and repeated ids', async () => {
      const store = await open();
      await store.append('s', [{ eventId: 'e-1', type: 'A', data: {} }]);
      await assert.rejects(
        store.append('t', [{ eventId: 'e-1', type: 'A', data: {} }]),
        /Event id e-1 is already stored \(in stream "s" at position 1\)/,
      );
      await assert.rejects(
        store.append('s', [
          { eventId: 'e-1', type: 'A', data: {} },
          { eventId: 'e-9', type: 'A', data: {} },
        ]),
        InvalidEventError,
      );
      await assert.rejects(
        store.append('s', [
          { eventId: 'e-5', type: 'A', data: {} },
          { eventId: 'e-5', type: 'A', data: {} },
        ]),
        /distinct event ids/,
      );
      assert.equal(store.lastPosition(), 1);
      await store.close();
    });

    it('imports many events in one transaction, skipping ids already stored in the same stream', async () => {
      const store = await open();
      await store.append('a', [{ eventId: 'x1', type: 'T', data: { n: 0 } }]);
      const results = await store.importEvents([
        { streamId: 'a', eventId: 'x1', type: 'T', data: { n: 0 } },
        { streamId: 'a', eventId: 'x2', type: 'T', data: { n: 1 } },
        { streamId: 'b', eventId: 'x3', type: 'T', data: { n: 2 } },
        { streamId: 'a', eventId: 'x2', type: 'T', data: { n: 1 } },
        { streamId: 'a', type: 'T', data: { n: 3 } },
      ]);
      assert.deepEqual(
        results.map(
          (r) => `${r.eventId.length > 3 ? 'gen' : r.eventId}:${r.globalPosition}:${r.streamVersion}:${r.appended}`,
        ),
        ['x1:1:1:false', 'x2:2:2:true', 'x3:3:1:true', 'x2:2:2:false', 'gen:4:3:true'],
      );
      await assert.rejects(
        store.importEvents([
          { streamId: 'c', type: 'T', data: {} },
          { streamId: 'b', eventId: 'x1', type: 'T', data: {} },
        ]),
        (e: unknown) =>
          InvalidEventError.is(e) && e.eventIndex === 1 && /already stored in another stream \("a"/.test(e.message),
      );
      assert.equal(store.lastPosition(), 4, 'a refused batch writes nothing');
      assert.deepEqual(
        store.listStreams().map((s) => `${s.streamId}@${s.version}`),
        ['a@3', 'b@1'],
      );
      await store.close();
    });
  });

  describe('durability', () => {
    it('keeps everything across close and reopen; close folds the journal into the snapshot', async () => {
      const store = await open();
      for (let i = 0; i < 30; i++) await store.append(`s-${i % 4}`, [{ type: 'T', data: { i } }]);
      const before = summary(store.readAll());
      assert.ok(store.fileStats().journalBytes > 0, 'appends go to the journal');
      await store.close();
      const reopened = await open();
      assert.deepEqual(summary(reopened.readAll()), before);
      assert.equal(reopened.fileStats().journalBytes, 0);
      await reopened.close();
      assert.ok((await verifyStore(file)).ok);
    });

    it('replays the journal after a crash: what was acknowledged is there', async () => {
      const store = await open({ compaction: { onClose: 'never' } });
      for (let i = 0; i < 25; i++) await store.append('s', [{ type: 'T', data: { i } }]);
      const image = crashImage(file, path.join(tmp.dir, 'crash'));
      const reopened = await SqlJsEventStore.open({ path: image });
      assert.deepEqual(summary(reopened.readAll()), summary(store.readAll()));
      await reopened.append('s', [{ type: 'T', data: { i: 25 } }], { expectedVersion: 25 });
      await reopened.close();
      await store.close();
      assert.ok((await verifyStore(image)).ok);
    });

    it('drops a torn last journal record on open and cuts it off at the next write', async () => {
      const store = await open();
      await store.append('s', [{ type: 'T', data: { i: 1 } }]);
      const image = crashImage(file, path.join(tmp.dir, 'crash'));
      const journal = storeFiles(image).journal;
      fs.appendFileSync(journal, '812 0badc0de [[2,"s",2,"e","T","{}","{}","2026-01-01T00:00:00.000Z"'); // a record cut short by the crash
      const torn = fs.statSync(journal).size;
      const reopened = await SqlJsEventStore.open({ path: image, compaction: { onClose: 'never' } });
      assert.equal(reopened.lastPosition(), 1);
      assert.equal(fs.statSync(journal).size, torn, 'opening does not write');
      const report = await verifyStore(image);
      assert.ok(report.ok, report.findings.join('\n'));
      assert.match(report.notes.join(' '), /incomplete record/);
      const r = await reopened.append('s', [{ type: 'T', data: { i: 2 } }]);
      assert.equal(r.lastPosition, 2);
      assert.ok(fs.statSync(journal).size < torn + 200);
      await reopened.close();
      const again = await SqlJsEventStore.open({ path: image, readOnly: true });
      assert.deepEqual(
        again.readAll().map((e) => e.data),
        [{ i: 1 }, { i: 2 }],
      );
      await again.close();
      await store.close();
    });

    it('folds the journal into a new snapshot once it is large enough, keeping the previous snapshot as the backup', async () => {
      const store = await open({ compaction: { minJournalBytes: 4096, journalFraction: 0, onClose: 'never' } });
      for (let i = 0; i < 60; i++)
        await store.append(`s-${i % 5}`, [{ type: 'T', data: { i, text: 'x'.repeat(100) } }]);
      assert.equal(await store.compact(), true);
      const files = storeFiles(file);
      assert.ok(fs.existsSync(files.backup));
      assert.equal(store.fileStats().journalBytes, 0);
      assert.equal(store.fileStats().journalBase, 60);
      await store.append('s-0', [{ type: 'T', data: { i: 60 } }]);
      const image = crashImage(file, path.join(tmp.dir, 'crash'));
      const reopened = await SqlJsEventStore.open({ path: image, readOnly: true });
      assert.deepEqual(summary(reopened.readAll()), summary(store.readAll()));
      await reopened.close();
      await store.close();
      const report = await verifyStore(file);
      assert.ok(report.ok, report.findings.join('\n'));
    });

    it('survives a crash between the new snapshot and the new journal: events are neither lost nor doubled', async () => {
      const store = await open({ compaction: { onClose: 'never' } });
      for (let i = 0; i < 10; i++) await store.append('s', [{ type: 'T', data: { i } }]);
      const files = storeFiles(file);
      const oldJournal = fs.readFileSync(files.journal);
      await store.compact();
      await store.close();
      fs.writeFileSync(files.journal, oldJournal); // the rename of the new journal never happened
      const reopened = await open();
      assert.deepEqual(
        reopened.readAll().map((e) => e.data),
        Array.from({ length: 10 }, (_, i) => ({ i })),
      );
      await reopened.append('s', [{ type: 'T', data: { i: 10 } }], { expectedVersion: 10 });
      await reopened.close();
      const report = await verifyStore(file);
      assert.ok(report.ok, report.findings.join('\n'));
    });

    it('refuses a journal that does not continue its snapshot, and a damaged record followed by good ones', async () => {
      const other = path.join(tmp.dir, 'other', 'events.db');
      fs.mkdirSync(path.dirname(other));
      const a = await SqlJsEventStore.open({ path: other, compaction: { onClose: 'never' } });
      await a.append('x', [{ type: 'T', data: {} }]);
      await a.append('x', [{ type: 'T', data: {} }]);
      await a.close();
      const store = await open({ compaction: { onClose: 'never' } });
      await store.append('s', [{ type: 'T', data: {} }]);
      await store.append('s', [{ type: 'T', data: {} }]);
      await store.compact();
      await store.append('s', [{ type: 'T', data: {} }]);
      await store.append('s', [{ type: 'T', data: {} }]);
      await store.close();
      const journal = storeFiles(file).journal;
      const good = fs.readFileSync(journal);
      fs.copyFileSync(storeFiles(other).journal, journal);
      await assert.rejects(
        open(),
        (e: unknown) =>
          StoreUnreadableError.is(e) && /does not continue the snapshot: at position 1 it holds event/.test(e.message),
      );

      const damaged = Buffer.from(good);
      damaged[JOURNAL_HEADER_BYTES + 20] = damaged[JOURNAL_HEADER_BYTES + 20]! ^ 0xff; // inside the first record; the second is intact
      fs.writeFileSync(journal, damaged);
      await assert.rejects(
        open(),
        /journal is damaged: a record fails its checksum at byte 256, and good records follow it/,
      );
      assert.deepEqual(fs.readFileSync(journal), damaged, 'left as it was');
    });

    it('refuses to start afresh when the snapshot is missing but its journal continues one, naming the backup', async () => {
      const store = await open({ compaction: { onClose: 'never' } });
      await store.append('s', [{ type: 'T', data: {} }]);
      await store.compact();
      await store.append('s', [{ type: 'T', data: {} }]);
      await store.close();
      fs.rmSync(file);
      await assert.rejects(
        open(),
        /the file is missing, but its journal events\.db\.appendlog continues a snapshot that ended at position 1; the previous snapshot is in events\.db\.backup/,
      );
      assert.equal(fs.existsSync(file), false);
    });

    it('reports progress while opening', async () => {
      const store = await open({ compaction: { onClose: 'never' } });
      await store.importEvents(
        Array.from({ length: 500 }, (_, i) => ({ streamId: `s-${i % 7}`, type: 'T', data: { i } })),
      );
      await store.close();
      const progress: OpenProgress[] = [];
      const reopened = await open({ onProgress: (p) => progress.push(p) });
      const phases = [...new Set(progress.map((p) => p.phase))];
      assert.deepEqual(phases, ['reading', 'checking', 'replaying']);
      for (const phase of phases) {
        const last = progress.filter((p) => p.phase === phase).pop()!;
        assert.equal(last.done, last.total, `${phase} ends complete`);
      }
      await reopened.close();
    });
  });

  describe('several writers on one file', () => {
    it('each writer catches up under the lock: positions stay unique and gapless, refresh returns what others appended', async () => {
      const a = await open({ compaction: { minJournalBytes: 2048, journalFraction: 0 } });
      const b = await open({ compaction: { minJournalBytes: 2048, journalFraction: 0 } });
      for (let i = 0; i < 40; i++) {
        const writer = i % 3 === 1 ? b : a;
        const r = await writer.append('shared', [{ type: 'T', data: { i } }], { expectedVersion: i });
        assert.equal(r.lastPosition, i + 1);
      }
      await assert.rejects(a.append('shared', [{ type: 'T', data: {} }], { expectedVersion: 39 }), ConcurrencyError);
      const fresh = b.refresh();
      assert.ok(fresh.length > 0);
      assert.equal(fresh[fresh.length - 1]!.globalPosition, 40);
      assert.deepEqual(b.refresh(), []);
      assert.deepEqual(summary(a.readAll()), summary(b.readAll()));
      await a.close();
      await b.close();
      const report = await verifyStore(file);
      assert.ok(report.ok, report.findings.join('\n'));
      assert.equal(report.events, 40);
    });

    it('a writer that fell behind a compaction by another reloads the new snapshot before writing', async () => {
      const a = await open();
      const b = await open({ compaction: { onClose: 'never' } });
      await a.append('s', [{ type: 'T', data: { by: 'a' } }]);
      for (let i = 0; i < 5; i++) await b.append('s', [{ type: 'T', data: { by: 'b' } }]);
      await b.compact(); // a has not seen b's events, and they are no longer in any journal
      const r = await a.append('s', [{ type: 'T', data: { by: 'a' } }], { expectedVersion: 6 });
      assert.equal(r.lastPosition, 7);
      assert.equal(a.stats().events, 7);
      assert.equal(b.refresh().length, 1);
      await a.close();
      await b.close();
      assert.ok((await verifyStore(file)).ok);
    });

    it('a writer waits for the lock, then fails naming the holder; reads still work', async () => {
      const store = await open({ lockTimeoutMs: 150 });
      await store.append('s', [{ type: 'T', data: {} }]);
      const holder = {
        pid: process.ppid,
        host: os.hostname(),
        since: '2026-01-01T10:00:00.000Z',
        token: 'abc',
        purpose: 'import',
      };
      fs.writeFileSync(storeFiles(file).lock, JSON.stringify(holder));
      const started = Date.now();
      await assert.rejects(
        store.append('s', [{ type: 'T', data: {} }]),
        (e: unknown) =>
          StoreLockedError.is(e) &&
          e.holderInfo?.pid === process.ppid &&
          e.message.includes(
            `locked by process ${process.ppid} on host ${os.hostname()} (since 2026-01-01T10:00:00.000Z, import)`,
          ),
      );
      assert.ok(Date.now() - started >= 140, 'it waited');
      assert.equal(store.readAll().length, 1);
      fs.rmSync(storeFiles(file).lock);
      await store.append('s', [{ type: 'T', data: {} }]);
      await store.close();
    });

    it('breaks a lock left by a process that is gone', async () => {
      const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
      const pid = Number(dead.stdout.trim());
      fs.writeFileSync(
        storeFiles(file).lock,
        JSON.stringify({ pid, host: os.hostname(), since: new Date().toISOString(), token: 'gone' }),
      );
      const store = await open({ lockTimeoutMs: 200 });
      await store.append('s', [{ type: 'T', data: {} }]);
      assert.equal(fs.existsSync(storeFiles(file).lock), false);
      await store.close();
    });
  });

  describe('read-only stores', () => {
    it('refuses writes with the reason, and refuses to open a missing file', async () => {
      const w = await open();
      await w.append('s', [{ type: 'T', data: {} }]);
      await w.close();
      const store = await open({ readOnly: true, readOnlyReason: 'the workspace is not trusted' });
      await assert.rejects(
        store.append('s', [{ type: 'T', data: {} }]),
        (e: unknown) => ReadOnlyStoreError.is(e) && /not trusted/.test(e.message),
      );
      assert.equal(store.readAll().length, 1);
      await store.close();
      await assert.rejects(
        SqlJsEventStore.open({ path: path.join(tmp.dir, 'missing.db'), readOnly: true }),
        /does not exist/,
      );
      assert.equal(fs.existsSync(path.join(tmp.dir, 'missing.db')), false);
    });

    it('a store in memory works without files', async () => {
      const store = await SqlJsEventStore.open();
      await store.append('s', [{ type: 'T', data: {} }]);
      assert.equal(store.path, undefined);
      assert.equal(store.lastPosition(), 1);
      assert.deepEqual(store.refresh(), []);
      await store.close();
    });
  });

  describe('reads at scale', () => {
    it('pages through many streams by cursor and reads stream windows', async function () {
      this.timeout(30_000);
      const store = await open();
      const total = 30_000;
      for (let i = 0; i < total; i += 5000) {
        await store.importEvents(
          Array.from({ length: 5000 }, (_, k) => ({
            streamId: `user-${String((i + k) % 6000).padStart(5, '0')}`,
            type: 'T',
            data: { n: i + k },
          })),
        );
      }
      let after: string | undefined;
      let seen = 0;
      for (;;) {
        const page = store.listStreams({ prefix: 'user-', limit: 1000, ...(after ? { after } : {}) });
        if (page.length === 0) break;
        seen += page.length;
        after = page[page.length - 1]!.streamId;
      }
      assert.equal(seen, 6000);
      assert.deepEqual(
        store.readStream('user-00007', { afterVersion: 2, limit: 2 }).map((e) => e.streamVersion),
        [3, 4],
      );
      assert.deepEqual(
        store.readAll({ after: total - 2 }).map((e) => e.globalPosition),
        [total - 1, total],
      );
      assert.equal(store.stats().streams, 6000);
      await store.close();
    });
  });
});
