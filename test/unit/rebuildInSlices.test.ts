import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Projector } from '../../src/core/application/projector';
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import { builtInProjections } from '../../src/core/projections/builtIn';

/** Users created and renamed, and carts with items, interleaved over many streams. */
async function storeWith(events: number): Promise<SqlJsEventStore> {
  const store = await SqlJsEventStore.open();
  const batch = [];
  for (let i = 0; i < events; i++) {
    const user = i % 97;
    batch.push({
      streamId: i % 3 === 0 ? `cart-${user}` : `user-${user}`,
      type: i % 3 === 0 ? 'ItemAdded' : i < 97 * 3 ? 'UserCreated' : 'UserRenamed',
      data:
        i % 3 === 0
          ? { cartId: `cart-${user}`, productId: `p-${i % 7}`, quantity: 1 + (i % 4), unitPrice: 2.5 }
          : { userId: `u${user}`, name: `Name ${i}`, oldName: `Name ${i - 1}` },
    });
  }
  for (let i = 0; i < batch.length; i += 1000) await store.importEvents(batch.slice(i, i + 1000));
  return store;
}

describe('Rebuilding read models in slices', () => {
  it('ends in the same states and checkpoint as the rebuild in one go', async () => {
    const store = await storeWith(12_000);
    const whole = new Projector(store, builtInProjections, undefined);
    const sliced = new Projector(store, builtInProjections, undefined);
    assert.equal(whole.rebuild(), 12_000);
    assert.equal(await sliced.rebuildInSlices(1), 12_000);
    for (const p of builtInProjections) assert.deepEqual(sliced.stateOf(p.name), whole.stateOf(p.name), p.name);
    assert.deepEqual(
      sliced.replayBases.map((b) => b.position),
      whole.replayBases.map((b) => b.position),
    );
    await store.close();
  });

  it('gives the event loop turns between slices, and takes in events appended meanwhile', async () => {
    const store = await storeWith(12_000);
    const projector = new Projector(store, builtInProjections, undefined);
    let turns = 0;
    let late: Promise<void> | undefined;
    const timer = setInterval(() => {
      turns += 1;
      // Delivered by the bus while the rebuild may still run: then the rebuild reads it from the store.
      late ??= store
        .append('cart-late', [
          { type: 'ItemAdded', data: { cartId: 'cart-late', productId: 'x', quantity: 1, unitPrice: 1 } },
        ])
        .then((r) => projector.handle(r.events));
    }, 0);
    try {
      await projector.rebuildInSlices(1);
      assert.ok(turns > 1, `timers ran during the rebuild (${turns})`);
    } finally {
      clearInterval(timer);
    }
    await late;
    assert.equal(projector.checkpoint, 12_001);
    const whole = new Projector(store, builtInProjections, undefined);
    whole.rebuild();
    for (const p of builtInProjections) assert.deepEqual(projector.stateOf(p.name), whole.stateOf(p.name), p.name);
    await store.close();
  });

  it('saves the read models it rebuilt, the same file as the rebuild in one go', async () => {
    const store = await storeWith(12_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esi-rebuild-save-'));
    try {
      const whole = new Projector(store, builtInProjections, path.join(dir, 'whole.json'));
      const sliced = new Projector(store, builtInProjections, path.join(dir, 'sliced.json'));
      whole.rebuild();
      await sliced.rebuildInSlices(1);
      const body = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8').split('\n').slice(1).join('\n');
      assert.ok(body('sliced.json').length > 1000);
      assert.equal(body('sliced.json'), body('whole.json'));
      // And a projector that starts from it has the same read models without a rebuild.
      const restarted = new Projector(store, builtInProjections, path.join(dir, 'sliced.json'));
      assert.deepEqual(restarted.start(), { loaded: true, caughtUp: 0 });
      for (const p of builtInProjections) assert.deepEqual(restarted.stateOf(p.name), whole.stateOf(p.name), p.name);
      whole.dispose();
      sliced.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await store.close();
    }
  });
  describe('a large save after appends', () => {
    const late = { type: 'ItemAdded', data: { cartId: 'cart-late', productId: 'x', quantity: 1, unitPrice: 1 } };
    const savedCheckpoint = (file: string) =>
      (JSON.parse(fs.readFileSync(file, 'utf8').split('\n').slice(1).join('\n')) as { checkpoint: number }).checkpoint;

    /** A store of 12,000 events, a projector that saves every time in slices (caught up), and its file's folder. */
    async function heldSave(
      test: (s: { store: SqlJsEventStore; projector: Projector; file: string; dir: string }) => Promise<void>,
    ): Promise<void> {
      const store = await storeWith(12_000);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esi-held-save-'));
      try {
        const file = path.join(dir, 'read-models.json');
        const projector = new Projector(store, builtInProjections, file, { slicedSaveBytes: 0, saveSliceMs: 0 });
        projector.start();
        await test({ store, projector, file, dir });
        projector.dispose();
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
        await store.close();
      }
    }

    it('holds the states still while their JSON is made in slices, then applies what came meanwhile', () =>
      heldSave(async ({ store, projector, file }) => {
        const appended = await store.append('cart-late', [late]);
        let turns = 0;
        const timer = setInterval(() => (turns += 1), 0);
        try {
          const saving = projector.save();
          projector.handle(appended.events);
          assert.equal(projector.checkpoint, 12_000, 'the event waits in the store while the JSON is made');
          await saving;
        } finally {
          clearInterval(timer);
        }
        assert.ok(turns > 1, `timers ran while the JSON was made (${turns})`);
        assert.equal(projector.checkpoint, 12_001, 'applied as soon as the JSON was made');
        assert.equal(savedCheckpoint(file), 12_000);
        const at12000 = new Projector(store, builtInProjections, file);
        assert.deepEqual(at12000.start(), { loaded: true, caughtUp: 1 });
        const whole = new Projector(store, builtInProjections, undefined);
        whole.rebuild();
        for (const p of builtInProjections) {
          assert.deepEqual(at12000.stateOf(p.name), whole.stateOf(p.name), p.name);
          assert.deepEqual(projector.stateOf(p.name), whole.stateOf(p.name), p.name);
        }
      }));

    it("is dropped when a rebuild throws its states away meanwhile: the rebuild's save stays", () =>
      heldSave(async ({ store, projector, file, dir }) => {
        await store.append('cart-late', [late]);
        const saving = projector.save();
        assert.equal(projector.rebuild(), 12_001, 'a rebuild during the save folds at once');
        await saving;
        assert.equal(savedCheckpoint(file), 12_001);
        assert.equal(fs.readdirSync(dir).length, 1, 'no temporary file left');
      }));
  });
});
