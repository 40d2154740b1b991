import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StoreSession } from '../../src/core/application/session';
import { ReadOnlyStoreError } from '../../src/core/eventStore/errors';
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import { copyToNativeStore } from '../../src/core/formats/copyToNative';
import { EmmettSqliteStore } from '../../src/core/formats/emmettSqlite/emmettSqliteStore';
import { checkEmmettStore, type FindingCheck } from '../../src/core/formats/emmettSqlite/integrity';
import { buildGenericReadModels } from '../../src/core/formats/genericReadModels';
import { detectFileFormat, openAnyStore } from '../../src/core/formats/openStore';
import type { StoreReader } from '../../src/core/formats/storeReader';
import { EmmettWriter, fingerprint, writeClosedStore } from '../builders/emmettWriter';

interface BetterDb {
  exec(sql: string): void;
  close(): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require('better-sqlite3') as new (file: string) => BetterDb;

/** The native store satisfies the read interface as it is: this does not compile otherwise. */
const _nativeIsAReader: (s: SqlJsEventStore) => StoreReader = (s) => s;

/** A small shop told through Emmett: carts with items, a user, a command, and two processors. */
async function writeShop(w: EmmettWriter, version: '0.42' | '0.38'): Promise<void> {
  await w.append('cart-1', [
    { type: 'ItemAdded', data: { sku: 'pen', qty: 1 }, metadata: { correlationId: 'corr-1' } },
    { type: 'ItemAdded', data: { sku: 'ink', qty: 2 }, metadata: { correlationId: 'corr-1', causationId: 'cmd-1' } },
  ]);
  await w.append('user-7', [{ type: 'UserCreated', data: { name: 'Ada' } }]);
  if (version === '0.42') await w.append('cart-1', [{ type: 'ConfirmCart', data: { by: 'ada' }, kind: 'Command' }]);
  await w.append('cart-1', [{ type: 'CartConfirmed', data: {} }]);
  await w.append('cart-2', [{ type: 'ItemAdded', data: { sku: 'pad', qty: 3 } }]);
  await w.checkpoint('cart-totals', version === '0.42' ? 6 : 5);
  await w.checkpoint('mailer', 2);
}

function only(report: ReturnType<typeof checkEmmettStore>, check: FindingCheck) {
  return report.findings.filter((f) => f.check === check);
}

describe('Emmett SQLite stores, read-only', function () {
  this.timeout(120_000);
  let dir: string;
  const open: { close(): Promise<void> }[] = [];
  const writers: EmmettWriter[] = [];

  let copies: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esi-emmett-'));
    // Copies go to their own folder: the store's folder must hold no file we made.
    copies = fs.mkdtempSync(path.join(os.tmpdir(), 'esi-emmett-copies-'));
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    for (const w of writers.splice(0)) await w.kill().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(copies, { recursive: true, force: true });
  });

  async function openEmmett(file: string): Promise<EmmettSqliteStore> {
    const store = await EmmettSqliteStore.open({ path: file });
    open.push(store);
    return store;
  }

  async function startWriter(file: string, version: '0.42' | '0.38' = '0.42'): Promise<EmmettWriter> {
    const w = await EmmettWriter.start(file, version);
    writers.push(w);
    return w;
  }

  describe('a closed store written by Emmett 0.42.4', () => {
    let file: string;
    beforeEach(async () => {
      file = path.join(dir, 'shop.db');
      await writeClosedStore(file, '0.42', (w) => writeShop(w, '0.42'));
    });

    it('is recognised by its schema, whatever its name, and reads as Emmett wrote it', async () => {
      const renamed = path.join(dir, 'no-extension');
      fs.copyFileSync(file, renamed);
      assert.equal(detectFileFormat(renamed), 'foreign-sqlite');
      const before = fingerprint(renamed);
      const store = await openAnyStore({ path: renamed });
      open.push(store);
      assert.ok(store instanceof EmmettSqliteStore);
      assert.equal(store.format.generation, 'emmett: emt_messages + emt_processors (0.42 and later)'.slice(8));
      assert.equal(store.readOnly, true);
      const events = store.readAll();
      assert.deepEqual(
        events.map((e) => [e.globalPosition, e.streamId, e.streamVersion, e.type]),
        [
          [1, 'cart-1', 1, 'ItemAdded'],
          [2, 'cart-1', 2, 'ItemAdded'],
          [3, 'user-7', 1, 'UserCreated'],
          [5, 'cart-1', 4, 'CartConfirmed'],
          [6, 'cart-2', 1, 'ItemAdded'],
        ],
      );
      assert.deepEqual(events[0]!.data, { sku: 'pen', qty: 1 });
      assert.equal(events[1]!.metadata.correlationId, 'corr-1');
      assert.equal(events[1]!.metadata.causationId, 'cmd-1');
      assert.equal(events[1]!.eventId, events[1]!.metadata.messageId);
      assert.match(events[0]!.recordedAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/);
      assert.deepEqual(
        store.readCommands().map((c) => [c.globalPosition, c.streamId, c.type, c.data]),
        [[4, 'cart-1', 'ConfirmCart', { by: 'ada' }]],
      );
      assert.deepEqual(
        store.readStream('cart-1').map((e) => e.streamVersion),
        [1, 2, 4],
      );
      assert.equal(store.streamVersion('cart-1'), 4);
      assert.equal(store.readEvent(4), undefined, 'a command is not an event');
      assert.deepEqual(
        store.listStreams({ limit: 2 }).map((s) => [s.streamId, s.version, s.lastPosition]),
        [
          ['cart-1', 4, 5],
          ['cart-2', 1, 6],
        ],
      );
      assert.deepEqual(
        store.listStreams({ after: 'cart-2' }).map((s) => s.streamId),
        ['user-7'],
      );
      assert.deepEqual(store.findPositions({ correlationId: 'corr-1' }), [1, 2]);
      assert.deepEqual(store.findPositions({ text: 'PAD' }), [6]);
      const stats = store.stats();
      assert.deepEqual(
        { events: stats.events, streams: stats.streams, lastPosition: stats.lastPosition },
        { events: 5, streams: 3, lastPosition: 6 },
      );
      assert.deepEqual(stats.eventTypes, { CartConfirmed: 1, ItemAdded: 3, UserCreated: 1 });
      await store.close();
      assert.equal(fingerprint(renamed), before);
    });

    it('offers the documented query views over the copy', async () => {
      const store = await openEmmett(file);
      assert.deepEqual(
        store.sql.rows(
          'SELECT position, stream_id, category, stream_version, type, correlation_id FROM events ORDER BY position LIMIT 2',
        ),
        [
          [1, 'cart-1', 'cart', 1, 'ItemAdded', 'corr-1'],
          [2, 'cart-1', 'cart', 2, 'ItemAdded', 'corr-1'],
        ],
      );
      assert.deepEqual(
        store.sql.rows('SELECT stream_id, category, version, last_position FROM streams ORDER BY stream_id'),
        [
          ['cart-1', 'cart', 4, 5],
          ['cart-2', 'cart', 1, 6],
          ['user-7', 'user', 1, 3],
        ],
      );
      assert.throws(() => store.sql.rows('DELETE FROM emt_messages'), /readonly|query_only|attempt to write/i);
    });

    it('has read models without a domain: categories, event types, latest event per stream, checkpoints with lag', async () => {
      const store = await openEmmett(file);
      const models = await buildGenericReadModels(store);
      assert.deepEqual(models.categories, [
        { category: 'cart', streams: 2, events: 4, lastPosition: 6 },
        { category: 'user', streams: 1, events: 1, lastPosition: 3 },
      ]);
      assert.deepEqual(
        models.eventTypes.map((t) => [t.type, t.count, t.firstPosition, t.lastPosition]),
        [
          ['CartConfirmed', 1, 5, 5],
          ['ItemAdded', 3, 1, 6],
          ['UserCreated', 1, 3, 3],
        ],
      );
      assert.deepEqual(models.eventTypes[1]!.sample, { sku: 'pen', qty: 1 });
      assert.deepEqual(
        models.latestPerStream.map((l) => [l.streamId, l.event.globalPosition]),
        [
          ['cart-1', 5],
          ['cart-2', 6],
          ['user-7', 3],
        ],
      );
      assert.deepEqual(
        models.checkpoints.map((c) => [c.processorId, c.raw, c.position, c.lag, c.state]),
        [
          ['cart-totals', '0000000000000000006', 6, 0, 'caught up'],
          ['mailer', '0000000000000000002', 2, 3, 'behind'],
        ],
      );
    });

    it('copies into a store of ours: ids, times, data and metadata kept; renumbered events keep their original positions', async () => {
      const store = await openEmmett(file);
      const dest = path.join(copies, 'sandbox.db');
      const before = fingerprint(file);
      const result = await copyToNativeStore(store, dest);
      assert.equal(fingerprint(file), before);
      assert.deepEqual(
        {
          events: result.events,
          streams: result.streams,
          positionsKept: result.positionsKept,
          renumbered: result.renumbered,
        },
        { events: 5, streams: 3, positionsKept: false, renumbered: 2 },
      );
      const native = await SqlJsEventStore.open({ path: dest });
      try {
        const source = store.readAll();
        const copied = native.readAll();
        assert.deepEqual(
          copied.map((e) => [e.eventId, e.type, e.recordedAt]),
          source.map((e) => [e.eventId, e.type, e.recordedAt]),
        );
        assert.deepEqual(
          copied.map((e) => e.data),
          source.map((e) => e.data),
        );
        assert.deepEqual(copied[0]!.metadata, source[0]!.metadata, 'a kept position keeps the metadata as it was');
        assert.deepEqual(copied[3]!.metadata.source, {
          store: `Emmett SQLite ${file}`,
          globalPosition: 5,
          streamVersion: 4,
        });
        // The sandbox is writable: the write model works on the copied stream.
        await native.append('cart-1', [{ type: 'ItemAdded', data: { sku: 'cap', qty: 1 } }], { expectedVersion: 3 });
      } finally {
        await native.close();
      }
    });

    it('copies keeping every position when the store holds only events', async () => {
      const only = path.join(dir, 'events-only.db');
      await writeClosedStore(only, '0.42', async (w) => {
        await w.append('order-1', [
          { type: 'Placed', data: { n: 1 } },
          { type: 'Paid', data: { n: 2 } },
        ]);
        await w.append('order-2', [{ type: 'Placed', data: { n: 3 } }]);
      });
      const store = await openEmmett(only);
      const result = await copyToNativeStore(store, path.join(copies, 'copy.db'));
      assert.equal(result.positionsKept, true);
      const native = await SqlJsEventStore.open({ path: path.join(copies, 'copy.db'), readOnly: true });
      try {
        assert.deepEqual(native.readAll(), store.readAll());
      } finally {
        await native.close();
      }
      await assert.rejects(copyToNativeStore(store, path.join(copies, 'copy.db')), /would overwrite/);
    });
  });

  describe('every schema generation a published version writes', () => {
    it('0.38.5: emt_messages with emt_subscriptions (integer checkpoints)', async () => {
      const file = path.join(dir, 'old.db');
      await writeClosedStore(file, '0.38', (w) => writeShop(w, '0.38'));
      const store = await openEmmett(file);
      assert.equal(store.format.generation, 'emt_messages + emt_subscriptions (0.38 to 0.41)');
      assert.deepEqual(
        store.readAll().map((e) => [e.globalPosition, e.streamId, e.streamVersion, e.type]),
        [
          [1, 'cart-1', 1, 'ItemAdded'],
          [2, 'cart-1', 2, 'ItemAdded'],
          [3, 'user-7', 1, 'UserCreated'],
          [4, 'cart-1', 3, 'CartConfirmed'],
          [5, 'cart-2', 1, 'ItemAdded'],
        ],
      );
      assert.deepEqual(
        store.checkpoints().map((c) => [c.processorId, c.position, c.lag, c.state]),
        [
          ['cart-totals', 5, 0, 'caught up'],
          ['mailer', 2, 3, 'behind'],
        ],
      );
    });

    it('0.38.5 store migrated by 0.42.4: checkpoints moved to emt_processors as zero-padded text', async () => {
      const file = path.join(dir, 'migrated.db');
      await writeClosedStore(file, '0.38', (w) => writeShop(w, '0.38'));
      await writeClosedStore(file, '0.42', (w) =>
        w.append('cart-3', [{ type: 'ItemAdded', data: { sku: 'new' } }]).then(() => undefined),
      );
      const store = await openEmmett(file);
      assert.equal(store.format.generation, 'emt_messages + emt_processors (0.42 and later)');
      assert.equal(store.lastPosition(), 6);
      assert.deepEqual(
        store.checkpoints().map((c) => [c.processorId, c.raw, c.lag]),
        [
          ['cart-totals', '0000000000000000005', 1],
          ['mailer', '0000000000000000002', 4],
        ],
      );
    });
  });

  describe('the emt_events generation (no published version that writes it could be installed)', () => {
    it('reads a 0.42 store with its table and columns renamed to the old names, as the nearest stand-in', async () => {
      const file = path.join(dir, 'renamed.db');
      await writeClosedStore(file, '0.42', (w) => writeShop(w, '0.42'));
      const db = new Database(file);
      db.exec(`DELETE FROM emt_messages WHERE message_kind = 'C';
        ALTER TABLE emt_messages DROP COLUMN message_kind;
        ALTER TABLE emt_messages RENAME TO emt_events;
        ${['data', 'metadata', 'schema_version', 'type', 'id'].map((c) => `ALTER TABLE emt_events RENAME COLUMN message_${c} TO event_${c};`).join('\n')}`);
      db.close();
      const store = await openEmmett(file);
      assert.equal(store.format.generation, 'emt_events (before 0.38)');
      assert.deepEqual(
        store.readAll().map((e) => [e.globalPosition, e.type]),
        [
          [1, 'ItemAdded'],
          [2, 'ItemAdded'],
          [3, 'UserCreated'],
          [5, 'CartConfirmed'],
          [6, 'ItemAdded'],
        ],
      );
      assert.deepEqual(
        only(checkEmmettStore(store), 'position-gap').map((f) => f.position),
        [4],
      );
    });
  });

  describe('a live store: the writer keeps its connection open, automatic checkpoints off', () => {
    it('shows events that are only in the WAL, picks up new ones on refresh, and changes no file', async () => {
      const file = path.join(dir, 'live.db');
      const writer = await startWriter(file);
      await writer.append('cart-1', [{ type: 'ItemAdded', data: { sku: 'pen' } }]);
      assert.ok(fs.statSync(`${file}-wal`).size > 0, 'the events are in the WAL');
      let before = fingerprint(file);
      const store = await openEmmett(file);
      assert.equal(fingerprint(file), before, 'opening changed nothing');
      assert.deepEqual(
        store.readAll().map((e) => e.type),
        ['ItemAdded'],
      );
      assert.ok(store.walInfo.wal.committedFrames > 0);

      await writer.append('cart-1', [{ type: 'ItemRemoved', data: { sku: 'pen' } }]);
      before = fingerprint(file);
      assert.deepEqual(
        store.refresh().map((e) => [e.globalPosition, e.type]),
        [[2, 'ItemRemoved']],
      );
      assert.deepEqual(store.refresh(), [], 'nothing new, nothing returned');
      checkEmmettStore(store);
      await copyToNativeStore(store, path.join(copies, 'sandbox.db'));
      assert.equal(fingerprint(file), before, 'refresh, verify and copy changed nothing');

      // The writer appends continuously while the inspector refreshes; every event arrives once, in order.
      const appending = writer.bulk(3000, { streams: 20 });
      const seen: number[] = [2];
      let done = false;
      void appending.then(() => (done = true));
      while (!done) {
        for (const e of store.refresh()) seen.push(e.globalPosition);
        await new Promise((resolve) => setImmediate(resolve));
      }
      await appending;
      for (const e of store.refresh()) seen.push(e.globalPosition);
      assert.deepEqual(
        seen,
        Array.from({ length: 3001 }, (_, i) => i + 2),
      );
      before = fingerprint(file);
      store.refresh();
      store.readAll({ after: 2990 });
      assert.equal(fingerprint(file), before);
    });

    it('reads the committed state while the writer holds a transaction open, and says so', async () => {
      const file = path.join(dir, 'busy.db');
      const writer = await startWriter(file);
      await writer.append('cart-1', [{ type: 'ItemAdded', data: { sku: 'pen' } }]);
      await writer.beginAndHold(300);
      const before = fingerprint(file);
      const store = await openEmmett(file);
      assert.deepEqual(
        store.readAll().map((e) => e.streamId),
        ['cart-1'],
      );
      assert.match(store.notes().join(' '), /A writer has a transaction in progress \(\d+ uncommitted page writes/);
      assert.equal(fingerprint(file), before);
      await writer.rollback();
    });

    it('reads what a crashed writer left in the WAL', async () => {
      const file = path.join(dir, 'crashed.db');
      const writer = await startWriter(file);
      await writer.append('cart-1', [
        { type: 'ItemAdded', data: { sku: 'pen' } },
        { type: 'ItemAdded', data: { sku: 'ink' } },
      ]);
      await writer.kill();
      const before = fingerprint(file);
      const store = await openEmmett(file);
      assert.equal(store.readAll().length, 2);
      assert.equal(fingerprint(file), before);
    });
  });

  describe('a session over a live Emmett store (what the views, the replay and the commands use)', () => {
    it('replays the events, steps over commands, refuses commands with the reason, picks up appends, writes no file', async () => {
      const file = path.join(dir, 'live.db');
      const writer = await startWriter(file);
      await writeShop(writer, '0.42');
      const before = fingerprint(file);
      const session = await StoreSession.open({ path: file });
      open.push(session);
      assert.equal(session.store.readOnly, true);
      const replay = session.replay;
      assert.equal(replay.total, 6);
      assert.equal(replay.step(2).event!.type, 'ItemAdded');
      const command = replay.step(4);
      assert.equal(command.event, undefined);
      assert.match(command.explanation, /Position 4 holds no event \(a command/);
      assert.equal(replay.step(5).event!.type, 'CartConfirmed');
      await assert.rejects(
        session.execute({ type: 'CreateUser', data: { userId: 'u1', name: 'Ada' } }),
        (e: unknown) => ReadOnlyStoreError.is(e) && /Emmett SQLite store, opened read-only/.test(e.message),
      );
      assert.equal(fingerprint(file), before);

      await writer.append('cart-2', [{ type: 'ItemRemoved', data: { sku: 'pad' } }]);
      const arrived = await session.refresh();
      assert.deepEqual(
        arrived.map((e) => [e.globalPosition, e.type]),
        [[7, 'ItemRemoved']],
      );
      assert.equal(session.replay.step(7).event!.streamId, 'cart-2');
      const after = fingerprint(file);
      await session.close();
      open.splice(open.indexOf(session), 1);
      assert.equal(fingerprint(file), after, 'closing wrote no read models or command log beside it');
    });
  });

  describe('verify: each defect named with its stream and position', () => {
    let file: string;
    beforeEach(async () => {
      file = path.join(dir, 'shop.db');
      await writeClosedStore(file, '0.42', (w) => writeShop(w, '0.42'));
    });

    /** Edits the store the real library wrote (on disk, like a damaged file), then checks it. */
    async function defect(sql: string): Promise<ReturnType<typeof checkEmmettStore>> {
      const db = new Database(file);
      db.exec(sql);
      db.close();
      const store = await openEmmett(file);
      const before = fingerprint(file);
      const report = checkEmmettStore(store);
      assert.equal(fingerprint(file), before);
      return report;
    }

    it("reports Emmett 0.42's own quirk: '[object Object]' as the partition of every stream", async () => {
      const report = checkEmmettStore(await openEmmett(file));
      assert.deepEqual(
        only(report, 'odd-partition').map((f) => f.streamId),
        ['cart-1', 'cart-2', 'user-7'],
      );
      assert.match(only(report, 'odd-partition')[0]!.message, /"\[object Object\]"/);
      assert.deepEqual(
        report.findings.filter((f) => f.check !== 'odd-partition'),
        [],
        'otherwise sound',
      );
    });

    it('a store from 0.38.5 has the same quirk; with its partitions repaired it is sound', async () => {
      const old = path.join(dir, 'old.db');
      await writeClosedStore(old, '0.38', (w) => writeShop(w, '0.38'));
      const quirky = checkEmmettStore(await openEmmett(old));
      assert.deepEqual(new Set(quirky.findings.map((f) => f.check)), new Set(['odd-partition']));
      const db = new Database(old);
      db.exec("UPDATE emt_streams SET partition = 'global'");
      db.close();
      const report = checkEmmettStore(await openEmmett(old));
      assert.deepEqual(report.findings, []);
      assert.equal(report.ok, true);
    });

    it('a gap in the global positions', async () => {
      const [f] = only(await defect('DELETE FROM emt_messages WHERE global_position = 3'), 'position-gap');
      assert.equal(f!.position, 3);
      assert.match(f!.message, /Global position 3 is missing \(after position 2, before 4\)/);
    });

    it('a duplicate stream position (another partition) and a missing one', async () => {
      const report = await defect(`
        INSERT INTO emt_messages (stream_id, stream_position, partition, message_kind, message_data, message_metadata, message_schema_version, message_type, message_id)
          VALUES ('cart-2', 1, 'other', 'E', '{}', '{}', '0', 'ItemAdded', 'dup-1');
        UPDATE emt_messages SET stream_position = 5 WHERE global_position = 5;`);
      const [dup] = only(report, 'duplicate-stream-position');
      assert.deepEqual([dup!.streamId, dup!.streamPosition, dup!.position], ['cart-2', 1, 7]);
      const [missing] = only(report, 'missing-stream-position');
      assert.deepEqual([missing!.streamId, missing!.streamPosition, missing!.position], ['cart-1', 4, 5]);
    });

    it('a stream version that is not its message count', async () => {
      const [f] = only(
        await defect("UPDATE emt_streams SET stream_position = 9 WHERE stream_id = 'user-7'"),
        'stream-version-mismatch',
      );
      assert.deepEqual([f!.streamId, f!.streamPosition, f!.position], ['user-7', 9, 3]);
    });

    it('unparsable JSON in data and in metadata', async () => {
      const report = await defect(
        "UPDATE emt_messages SET message_data = '{\"sku\":' WHERE global_position = 2; UPDATE emt_messages SET message_metadata = 'nope' WHERE global_position = 6;",
      );
      assert.deepEqual(
        only(report, 'unparsable-json').map((f) => [
          f.streamId,
          f.position,
          f.message.startsWith('The data') ? 'data' : 'metadata',
        ]),
        [
          ['cart-1', 2, 'data'],
          ['cart-2', 6, 'metadata'],
        ],
      );
      const store = await openEmmett(file);
      assert.equal(store.readEvent(2)!.data, '{"sku":', 'unparsable data is shown as the text it is');
    });

    it('metadata that disagrees with the columns', async () => {
      const [f] = only(
        await defect("UPDATE emt_messages SET message_id = 'other-id' WHERE global_position = 3"),
        'metadata-mismatch',
      );
      assert.deepEqual([f!.streamId, f!.position], ['user-7', 3]);
      assert.match(f!.message, /messageId .* the message_id column "other-id"/);
    });

    it('an odd partition on a message', async () => {
      const found = only(
        await defect("UPDATE emt_messages SET partition = '[object Object]' WHERE global_position = 1"),
        'odd-partition',
      ).filter((f) => f.position !== undefined);
      assert.deepEqual(
        found.map((f) => [f.streamId, f.position]),
        [['cart-1', 1]],
      );
    });

    it('a processor checkpoint beyond the last position', async () => {
      const [f] = only(
        await defect(
          "UPDATE emt_processors SET last_processed_checkpoint = '0000000000000000042' WHERE processor_id = 'mailer'",
        ),
        'checkpoint-beyond-last-position',
      );
      assert.match(f!.message, /Processor "mailer" .* checkpoint 42, beyond the last position 6/);
    });
  });
});
