import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EmmettSqliteStore } from '../../src/core/formats/emmettSqlite/emmettSqliteStore';
import { decodeRecord, readVarint } from '../../src/core/formats/sqlitePages';
import { EmmettWriter, fingerprint } from '../builders/emmettWriter';

/** Every row of the tables a refresh follows, as SQL sees them in the inspector's copy. */
function tables(store: EmmettSqliteStore): unknown {
  const rows = (sql: string) => store.sql.rows(sql).map((r) => r.map((v) => (v instanceof Uint8Array ? [...v] : v)));
  return {
    messages: rows('SELECT rowid, * FROM emt_messages ORDER BY rowid'),
    streams: rows('SELECT rowid, * FROM emt_streams ORDER BY rowid'),
    checkpoints: rows(`SELECT rowid, * FROM ${store.schema.checkpoints!.table} ORDER BY rowid`),
    integrity: rows('PRAGMA integrity_check'),
  };
}

describe('Refreshing a live Emmett store from its new WAL frames', function () {
  this.timeout(120_000);
  let dir: string;
  let writer: EmmettWriter | undefined;
  const stores: EmmettSqliteStore[] = [];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esi-emmett-follow-'));
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    await writer?.kill();
    writer = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function open(file: string): Promise<EmmettSqliteStore> {
    const store = await EmmettSqliteStore.open({ path: file });
    stores.push(store);
    return store;
  }

  /** The followed copy holds exactly what a fresh open of the same files holds. */
  async function assertSameAsFreshOpen(store: EmmettSqliteStore, file: string): Promise<void> {
    const fresh = await open(file);
    assert.deepEqual(tables(store), tables(fresh));
    assert.deepEqual(store.stats(), fresh.stats());
    assert.deepEqual(store.checkpoints(), fresh.checkpoints());
  }

  it('applies appends, commands, large payloads, page splits and checkpoint updates without a reload', async () => {
    const file = path.join(dir, 'app.db');
    writer = await EmmettWriter.start(file);
    await writer.append('cart-1', [{ type: 'ItemAdded', data: { sku: 'pen' } }]);
    await writer.checkpoint('totals', 1);
    const store = await open(file);

    await writer.append('cart-1', [
      { type: 'ItemAdded', data: { sku: 'ink' }, metadata: { correlationId: 'c-1' } },
      { type: 'ConfirmCart', data: { by: 'ada' }, kind: 'Command' },
    ]);
    assert.deepEqual(
      store.refresh().map((e) => [e.globalPosition, e.type]),
      [[2, 'ItemAdded']],
    );
    assert.equal(store.lastRefresh.kind, 'followed');
    assert.deepEqual(
      store.readCommands().map((c) => [c.globalPosition, c.type, c.streamId, c.streamPosition]),
      [[3, 'ConfirmCart', 'cart-1', 3]],
    );

    // A payload larger than a page goes to overflow pages; thousands of events split leaves and interior pages.
    await writer.append('doc-1', [{ type: 'DocumentWritten', data: { text: 'é'.repeat(20_000) } }]);
    await writer.bulk(3000, { streams: 50, payloadBytes: 300 });
    await writer.checkpoint('totals', 3000, 1);
    const arrived = store.refresh();
    assert.equal(store.lastRefresh.kind, 'followed', JSON.stringify(store.lastRefresh));
    assert.equal(arrived.length, 3001);
    assert.equal((arrived[0]!.data as { text: string }).text.length, 20_000);
    const info = store.lastRefresh as { frames: number; inserted: number; updated: number };
    assert.ok(info.inserted >= 3001 && info.updated >= 1, JSON.stringify(info));
    await assertSameAsFreshOpen(store, file);
  });

  it('keeps a 0.38 store (emt_subscriptions) right, though 0.38 checkpoints as each append closes its connection', async () => {
    const file = path.join(dir, 'old.db');
    writer = await EmmettWriter.start(file, '0.38');
    await writer.append('cart-1', [{ type: 'ItemAdded', data: { sku: 'pen' } }]);
    const store = await open(file);
    assert.equal(store.schema.checkpoints?.table, 'emt_subscriptions');
    for (let i = 0; i < 3; i++) {
      await writer.bulk(100, { streams: 20, payloadBytes: 200, prefix: `round${i}` });
      assert.equal(store.refresh().length, 100);
      const how = store.lastRefresh;
      // Whether the WAL was still there depends on when 0.38's connection closed: either way is read right.
      if (how.kind === 'reloaded') assert.match(how.reason, /checkpointed|-wal file/);
      else assert.equal(how.kind, 'followed');
      await assertSameAsFreshOpen(store, file);
    }
  });

  it('leaves the files as they are while following', async () => {
    const file = path.join(dir, 'app.db');
    writer = await EmmettWriter.start(file);
    await writer.append('cart-1', [{ type: 'ItemAdded', data: { sku: 'pen' } }]);
    const store = await open(file);
    await writer.bulk(500, { streams: 5 });
    const before = fingerprint(file);
    assert.equal(store.refresh().length, 500);
    assert.equal(store.lastRefresh.kind, 'followed');
    assert.equal(fingerprint(file), before);
  });

  const reloads: [string, string, RegExp][] = [
    [
      'a message changed in place',
      'UPDATE emt_messages SET message_data = \'{"sku":"ink"}\' WHERE global_position = 1',
      /emt_messages was changed/,
    ],
    ['a message deleted', 'DELETE FROM emt_messages WHERE global_position = 2', /deleted|freed/],
    ['the schema changed', 'CREATE TABLE audit(x)', /the schema changed/],
    [
      'a table not followed changed',
      "INSERT INTO emt_projections (name, type, kind, status) VALUES ('p', 'i', 'k', 's')",
      /none of the tables followed/,
    ],
  ];
  for (const [what, sql, reason] of reloads) {
    it(`reloads, and says why, when ${what}`, async () => {
      const file = path.join(dir, 'app.db');
      writer = await EmmettWriter.start(file);
      await writer.bulk(200, { streams: 4 });
      const store = await open(file);
      await writer.sql(sql);
      await writer.append('cart-9', [{ type: 'ItemAdded', data: { sku: 'pad' } }]);
      store.refresh();
      assert.equal(store.lastRefresh.kind, 'reloaded');
      assert.match((store.lastRefresh as { reason: string }).reason, reason);
      await assertSameAsFreshOpen(store, file);
    });
  }

  it('reloads after the writer checkpoints its WAL into the database file', async () => {
    const file = path.join(dir, 'app.db');
    writer = await EmmettWriter.start(file);
    await writer.bulk(100, { streams: 4 });
    const store = await open(file);
    await writer.walCheckpoint();
    await writer.bulk(10, { streams: 4, prefix: 'late' });
    assert.equal(store.refresh().length, 10);
    assert.equal(store.lastRefresh.kind, 'reloaded');
    assert.match((store.lastRefresh as { reason: string }).reason, /checkpointed|restarted/);
    // And follows again from there.
    await writer.bulk(10, { streams: 4, prefix: 'later' });
    assert.equal(store.refresh().length, 10);
    assert.equal(store.lastRefresh.kind, 'followed');
    await assertSameAsFreshOpen(store, file);
  });

  it('decodes varints and records as SQLite documents them', () => {
    assert.deepEqual(readVarint(Uint8Array.from([0x7f]), 0), [127, 1]);
    assert.deepEqual(readVarint(Uint8Array.from([0x81, 0x00]), 0), [128, 2]);
    assert.deepEqual(readVarint(Uint8Array.from([0x81, 0x80, 0x00]), 0), [16384, 3]);
    // header: size 7; NULL, int8, 0, 1, text of 2 bytes (17), float (7)
    const record = Uint8Array.from([
      7, 0, 1, 8, 9, 17, 7, 0xfe, 0x68, 0x69, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18,
    ]);
    assert.deepEqual(decodeRecord(record), [null, -2, 0, 1, 'hi', Math.PI]);
  });
});
