import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidEventError, StoreUnreadableError } from '../../src/core/eventStore/errors';
import { APPLICATION_ID, SCHEMA_SQL, SCHEMA_VERSION } from '../../src/core/eventStore/schema';
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import { storeFiles } from '../../src/core/eventStore/storeFiles';
import type { NewEvent } from '../../src/core/eventStore/types';
import { MAX_EVENT_BYTES } from '../../src/core/eventStore/validation';
import { verifyStore } from '../../src/core/eventStore/verify';
import { tempDirPerTest } from '../builders/tempDir';

/** better-sqlite3 (a dev dependency without bundled types): only what these tests use. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require('better-sqlite3') as new (file: string) => { exec(sql: string): void; close(): void };

/** Every file beside the store, with its bytes: to prove a refused file was not touched. */
function filesIn(dir: string): Map<string, string> {
  return new Map(fs.readdirSync(dir).map((name) => [name, fs.readFileSync(path.join(dir, name)).toString('base64')]));
}

describe('SqlJsEventStore with bad files and bad input', () => {
  const tmp = tempDirPerTest('esi-bad-');
  let file: string;

  beforeEach(() => {
    file = path.join(tmp.dir, 'events.db');
  });

  async function storeWithEvents(count: number): Promise<void> {
    const store = await SqlJsEventStore.open({ path: file });
    await store.importEvents(
      Array.from({ length: count }, (_, i) => ({
        streamId: `s-${i % 10}`,
        type: 'T',
        data: { i, text: 'some text to fill pages' },
      })),
    );
    await store.close();
  }

  /** Opening must fail with `reason`, leave every file as it was, and create none. */
  async function refusedToOpen(reason: RegExp): Promise<void> {
    const before = filesIn(tmp.dir);
    for (const readOnly of [false, true]) {
      await assert.rejects(SqlJsEventStore.open({ path: file, readOnly }), (e: unknown) => {
        assert.ok(StoreUnreadableError.is(e), `expected StoreUnreadableError, got ${String(e)}`);
        assert.match(e.message, reason);
        assert.match(e.message, /it was left untouched\.$/);
        return true;
      });
    }
    assert.deepEqual(filesIn(tmp.dir), before, 'nothing written, nothing created');
    const report = await verifyStore(file);
    assert.equal(report.ok, false);
  }

  describe('files that are not a sound store of ours', () => {
    it('a truncated store', async () => {
      await storeWithEvents(500);
      const bytes = fs.readFileSync(file);
      fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2) + 100));
      await refusedToOpen(/it is truncated \(\d+ of \d+ bytes\)/);
    });

    it('a store cut at a page boundary', async () => {
      await storeWithEvents(500);
      const bytes = fs.readFileSync(file);
      fs.writeFileSync(file, bytes.subarray(0, 4096 * 3));
      await refusedToOpen(/truncated/);
    });

    it('random bytes', async () => {
      fs.writeFileSync(file, randomBytes(8192));
      await refusedToOpen(/it is not a SQLite database/);
    });

    it('an empty file', async () => {
      fs.writeFileSync(file, '');
      await refusedToOpen(/it is empty \(0 bytes\)/);
    });

    it('a damaged page inside the database', async () => {
      await storeWithEvents(2000);
      const bytes = fs.readFileSync(file);
      const pageSize = bytes.readUInt16BE(16);
      randomBytes(pageSize - 200).copy(bytes, pageSize * 4 + 100); // an interior page, header and cells
      fs.writeFileSync(file, bytes);
      await refusedToOpen(/integrity check found damage|malformed|not a database/);
    });

    it('a SQLite database of another application (made with better-sqlite3)', () => {
      const db = new Database(file);
      db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL); INSERT INTO orders (total) VALUES (9.5);');
      db.close();
      return refusedToOpen(/it is a SQLite database of another application \(tables: orders\)/);
    });

    it('an empty SQLite database', () => {
      const db = new Database(file);
      db.exec('VACUUM');
      db.close();
      return refusedToOpen(/empty SQLite database that was not created as an event store/);
    });

    it('a store written by a newer version (schema version above ours)', () => {
      const db = new Database(file);
      db.exec(`PRAGMA application_id = ${APPLICATION_ID}; PRAGMA user_version = ${SCHEMA_VERSION + 1};`);
      db.exec(SCHEMA_SQL);
      db.close();
      return refusedToOpen(
        new RegExp(
          `its schema version ${SCHEMA_VERSION + 1} is newer than this version understands \\(${SCHEMA_VERSION}\\)`,
        ),
      );
    });

    it('our id and version but a schema that is not ours (a trigger, an extra table)', async () => {
      const db = new Database(file);
      db.exec(`PRAGMA application_id = ${APPLICATION_ID}; PRAGMA user_version = ${SCHEMA_VERSION};`);
      db.exec(SCHEMA_SQL);
      db.exec(
        'CREATE TABLE notes (x); CREATE TRIGGER spy AFTER INSERT ON events BEGIN INSERT INTO notes VALUES (new.data); END;',
      );
      db.close();
      await refusedToOpen(
        /its schema is not the event store schema \(unexpected: table notes on notes, trigger spy on events\)/,
      );
    });

    it('a damaged journal header', async () => {
      await storeWithEvents(10);
      fs.writeFileSync(storeFiles(file).journal, 'this is not a journal at all'.padEnd(200, '.'));
      await refusedToOpen(/the journal is damaged/);
    });
  });

  describe('events the store refuses, writing nothing', () => {
    const cases: { name: string; streamId: string; event: NewEvent; error: RegExp }[] = [
      {
        name: 'an empty stream id',
        streamId: '',
        event: { type: 'T', data: {} },
        error: /A stream id must be a non-empty string/,
      },
      {
        name: 'a stream id with surrounding space',
        streamId: ' s ',
        event: { type: 'T', data: {} },
        error: /starts or ends with white space/,
      },
      {
        name: 'a stream id with a line break',
        streamId: 'a\nb',
        event: { type: 'T', data: {} },
        error: /may not contain control characters or line breaks/,
      },
      {
        name: 'a stream id too long',
        streamId: 's'.repeat(201),
        event: { type: 'T', data: {} },
        error: /at most 200 characters; got 201/,
      },
      { name: 'an empty type', streamId: 's', event: { type: '', data: {} }, error: /The event type "" is not valid/ },
      {
        name: 'a type with spaces',
        streamId: 's',
        event: { type: 'User Created', data: {} },
        error: /The event type "User Created" is not valid/,
      },
      {
        name: 'a type starting with a digit',
        streamId: 's',
        event: { type: '1st', data: {} },
        error: /must start with a letter/,
      },
      {
        name: 'data with NaN',
        streamId: 's',
        event: { type: 'T', data: { n: Number.NaN } },
        error: /holds a number JSON cannot store \(NaN\)/,
      },
      { name: 'data with Infinity', streamId: 's', event: { type: 'T', data: [Infinity] }, error: /\(Infinity\)/ },
      {
        name: 'data with a function',
        streamId: 's',
        event: { type: 'T', data: { f: () => 1 } },
        error: /holds a function/,
      },
      { name: 'data with a bigint', streamId: 's', event: { type: 'T', data: { n: 10n } }, error: /holds a bigint/ },
      {
        name: 'metadata that is an array',
        streamId: 's',
        event: { type: 'T', data: {}, metadata: [] as never },
        error: /metadata of event #1 \(T\) must be a JSON object/,
      },
      {
        name: 'an empty event id',
        streamId: 's',
        event: { eventId: '', type: 'T', data: {} },
        error: /The event id of event #1 is not valid/,
      },
      {
        name: 'an oversize payload',
        streamId: 's',
        event: { type: 'T', data: { blob: 'x'.repeat(MAX_EVENT_BYTES) } },
        error: new RegExp(
          `holds ${MAX_EVENT_BYTES + 13} bytes of data and metadata; the limit is ${MAX_EVENT_BYTES} bytes \\(1 MiB\\) per event`,
        ),
      },
    ];

    it('each bad input gets its error; the store and its files are as before', async () => {
      await storeWithEvents(20);
      const store = await SqlJsEventStore.open({ path: file, compaction: { onClose: 'never' } });
      const before = store.readAll();
      const filesBefore = filesIn(tmp.dir);
      for (const c of cases) {
        await assert.rejects(
          store.append(c.streamId, [c.event]),
          (e: unknown) => InvalidEventError.is(e) && c.error.test(e.message),
          c.name,
        );
        await assert.rejects(
          store.importEvents([
            { streamId: 'ok', type: 'T', data: {} },
            { ...c.event, streamId: c.streamId },
          ]),
          (e: unknown) => InvalidEventError.is(e) && e.eventIndex === 1,
          `${c.name} (import)`,
        );
      }
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      await assert.rejects(
        store.append('s', [{ type: 'T', data: cyclic }]),
        /nested more than 256 levels deep, or refers to itself/,
      );
      await assert.rejects(store.append('s', []), /at least one event/);
      assert.deepEqual(store.readAll(), before);
      assert.deepEqual(filesIn(tmp.dir), filesBefore, 'no byte written');
      await store.append('s-0', [{ type: 'T', data: { after: true } }]);
      await store.close();
      const reopened = await SqlJsEventStore.open({ path: file, readOnly: true });
      assert.deepEqual(reopened.readAll().slice(0, before.length), before);
      assert.equal(reopened.lastPosition(), before.length + 1);
      await reopened.close();
      assert.ok((await verifyStore(file)).ok);
    });

    it('accepts an event of exactly the size limit', async () => {
      const store = await SqlJsEventStore.open({ path: file });
      const data = 'x'.repeat(MAX_EVENT_BYTES - 2 - 2); // "…" quotes, and "{}" metadata
      await store.append('s', [{ type: 'T', data }]);
      assert.equal((store.readEvent(1)!.data as string).length, data.length);
      await store.close();
    });
  });
});
