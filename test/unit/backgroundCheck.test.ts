import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ReadOnlyStoreError } from '../../src/core/eventStore/errors';
import { loadSqlJs } from '../../src/core/eventStore/sqlJs';
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import { storeFiles } from '../../src/core/eventStore/storeFiles';
import { tempDirPerTest } from '../builders/tempDir';

/** Every file of the folder by name, hashed: a check that changed nothing leaves this equal. */
function filesIn(dir: string): Map<string, string> {
  return new Map(
    fs
      .readdirSync(dir)
      .sort()
      .map((name) => [
        name,
        createHash('sha256')
          .update(fs.readFileSync(path.join(dir, name)))
          .digest('hex'),
      ]),
  );
}

describe('The full check of an unsealed store on a worker thread (deferChecks)', function () {
  this.timeout(60_000);
  const tmp = tempDirPerTest('esi-bgcheck-');
  const fileIn = () => path.join(tmp.dir, 'events.db');

  /** A sound store of `count` events, copied without its journal: unsealed, as a store from another machine. */
  async function copiedStore(count: number, sql?: string): Promise<string> {
    const file = fileIn();
    const store = await SqlJsEventStore.open({ path: file });
    await store.importEvents(
      Array.from({ length: count }, (_, i) => ({ streamId: `s-${i % 5}`, type: 'T', data: { i } })),
    );
    await store.close();
    fs.rmSync(storeFiles(file).journal);
    if (sql) {
      const SQL = await loadSqlJs();
      const db = new SQL.Database(fs.readFileSync(file));
      db.exec(sql);
      fs.writeFileSync(file, db.export());
      db.close();
    }
    return file;
  }

  it('a sound store is readable at once; the first write waits for the check, which then seals it', async () => {
    const file = await copiedStore(50);
    const store = await SqlJsEventStore.open({ path: file, deferChecks: true });
    assert.deepEqual(store.openReport, { checked: 'deferred', sealedNow: false });
    assert.equal(store.lastPosition(), 50, 'read before the check is done');
    assert.equal(store.readOnly, false);
    const appended = await store.append('s-0', [{ type: 'T', data: { after: true } }]);
    assert.equal(appended.lastPosition, 51);
    assert.deepEqual(await store.checked, { checked: 'full', sealedNow: true });
    await store.close();
    const again = await SqlJsEventStore.open({ path: file, deferChecks: true });
    assert.deepEqual(again.openReport, { checked: 'seal', sealedNow: false }, 'the next open goes by the seal');
    assert.equal(again.lastPosition(), 51);
    await again.close();
  });

  const unsound = [
    {
      name: 'data that is not JSON',
      sql: "UPDATE events SET data = '{oops' WHERE global_position = 3",
      finding: /the event at position 3: its data is not valid JSON/,
    },
    {
      name: 'a streams row that lies',
      sql: "UPDATE streams SET version = 2 WHERE stream_id = 's-1'",
      finding: /the streams table says stream "s-1" is at version 2/,
    },
  ];
  for (const c of unsound) {
    it(`an unsound store (${c.name}): opened, read, every write refused with the finding, no byte changed`, async () => {
      const file = await copiedStore(20, c.sql);
      const before = filesIn(tmp.dir);
      const warnings: string[] = [];
      const store = await SqlJsEventStore.open({ path: file, deferChecks: true, onWarning: (m) => warnings.push(m) });
      assert.equal(store.lastPosition(), 20);
      await assert.rejects(
        store.append('s-0', [{ type: 'T', data: {} }]),
        (e: unknown) =>
          ReadOnlyStoreError.is(e) && /the store is not sound/.test(e.message) && c.finding.test(e.message),
      );
      assert.match(store.unsound ?? '', c.finding);
      assert.ok(
        warnings.some((w) => c.finding.test(w)),
        `a warning names the finding: ${warnings.join(' | ')}`,
      );
      await store.close();
      assert.deepEqual(filesIn(tmp.dir), before, 'no byte of any file changed, no file created');
    });
  }

  it('a damaged page found by the background scan: writes refused, nothing changed', async () => {
    const file = await copiedStore(2000);
    const bytes = fs.readFileSync(file);
    const pageSize = bytes.readUInt16BE(16);
    randomBytes(pageSize).copy(bytes, pageSize * 10); // a whole page of the events table
    fs.writeFileSync(file, bytes);
    const before = filesIn(tmp.dir);
    const store = await SqlJsEventStore.open({ path: file, deferChecks: true });
    await assert.rejects(
      store.append('s-0', [{ type: 'T', data: {} }]),
      (e: unknown) => ReadOnlyStoreError.is(e) && /the integrity check found damage|malformed/.test(e.message),
    );
    await store.close();
    assert.deepEqual(filesIn(tmp.dir), before);
  });

  it('closing while the check runs stops it and leaves the store unsealed and unchanged', async () => {
    const file = await copiedStore(3000);
    const before = filesIn(tmp.dir);
    const store = await SqlJsEventStore.open({ path: file, deferChecks: true });
    await store.close();
    assert.deepEqual(filesIn(tmp.dir), before, 'not sealed, not compacted');
    const plain = await SqlJsEventStore.open({ path: file });
    assert.deepEqual(plain.openReport, { checked: 'full', sealedNow: true }, 'the next open checks it in full');
    await plain.close();
  });

  it('a read-only open is unchanged: structure and integrity scan before it returns', async () => {
    const file = await copiedStore(20);
    const store = await SqlJsEventStore.open({ path: file, readOnly: true, deferChecks: true });
    assert.equal(store.openReport.checked, 'structure');
    await store.close();
  });
});
