import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { branchFileName, branchStore } from '../../src/core/application/branch';
import { seedDemoData } from '../../src/core/application/demoData';
import { StoreSession } from '../../src/core/application/session';
import type { RecordedEvent } from '../../src/core/eventStore/types';
import { tempDirPerTest } from '../builders/tempDir';

const comparable = (events: RecordedEvent[]) => events.map(({ recordedAt: _at, ...rest }) => rest);

describe('Branching a store', () => {
  let file: string;
  let s: StoreSession;
  // Registered first: the store is closed before its folder is removed.
  afterEach(() => s.close());
  const tmp = tempDirPerTest('esi-branch-');
  beforeEach(async () => {
    file = path.join(tmp.dir, 'events.db');
    s = await StoreSession.open({ path: file });
    await seedDemoData(s.handler);
  });

  it('copies the events up to a position into a new store: same ids, order, positions and versions', async () => {
    const cut = 9;
    const target = path.join(tmp.dir, branchFileName(cut, new Date('2026-03-04T05:06:07.891Z')));
    assert.equal(path.basename(target), 'branch-9-20260304-050607.db');
    const result = await branchStore(s.store, cut, target);
    assert.equal(result.events, cut);
    const branch = await StoreSession.open({ path: target });
    assert.deepEqual(comparable(branch.store.readAll()), comparable(s.store.readAll({ limit: cut })));
    assert.equal(result.streams, branch.store.stats().streams);
    await branch.close();
  });

  it('leaves the original untouched, and the branch goes its own way', async () => {
    const original = fs.readFileSync(file);
    const total = s.store.lastPosition();
    const target = path.join(tmp.dir, 'branch-3.db');
    await branchStore(s.store, 3, target);
    assert.deepEqual(fs.readFileSync(file), original);
    const branch = await StoreSession.open({ path: target });
    await branch.execute({ type: 'CreateUser', data: { userId: 'newcomer', name: 'Only In The Branch' } });
    assert.equal(branch.store.lastPosition(), 4);
    assert.equal(s.store.lastPosition(), total);
    assert.equal(s.store.streamVersion('user-newcomer'), 0);
    await branch.close();
  });

  it('read models of the branch are those of the original at that position', async () => {
    const target = path.join(tmp.dir, 'branch-6.db');
    await branchStore(s.store, 6, target);
    const branch = await StoreSession.open({ path: target });
    for (const [name, state] of s.replay.statesAt(6)) assert.deepEqual(branch.projector.stateOf(name), state, name);
    await branch.close();
  });

  it('refuses a position outside the store, and never overwrites a file', async () => {
    await assert.rejects(branchStore(s.store, s.store.lastPosition() + 1, path.join(tmp.dir, 'x.db')), /from 0 to/);
    await assert.rejects(branchStore(s.store, 1.5, path.join(tmp.dir, 'x.db')), /from 0 to/);
    fs.writeFileSync(path.join(tmp.dir, 'taken.db'), 'mine');
    await assert.rejects(branchStore(s.store, 1, path.join(tmp.dir, 'taken.db')), /already exists/);
    assert.equal(fs.readFileSync(path.join(tmp.dir, 'taken.db'), 'utf8'), 'mine');
    assert.equal(fs.existsSync(path.join(tmp.dir, 'x.db')), false);
  });

  it('a branch at 0 is an empty store', async () => {
    const target = path.join(tmp.dir, 'branch-0.db');
    assert.equal((await branchStore(s.store, 0, target)).events, 0);
    const branch = await StoreSession.open({ path: target });
    assert.equal(branch.store.lastPosition(), 0);
    await branch.close();
  });
});
