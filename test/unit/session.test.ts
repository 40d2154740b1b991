import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { seedDemoData } from '../../src/core/application/demoData';
import { readModelsFileFor, StoreSession } from '../../src/core/application/session';
import { DomainError } from '../../src/core/domain/errors';
import type { SummaryState } from '../../src/core/projections/summary';
import type { UsersDirectoryState } from '../../src/core/projections/usersDirectory';
import { tempDirPerTest } from '../builders/tempDir';

const users = (s: StoreSession) => (s.projector.stateOf('usersDirectory') as UsersDirectoryState).users;

describe('Command → store → bus → read models (StoreSession on real sql.js)', () => {
  const tmp = tempDirPerTest('esi-session-');
  let file: string;
  beforeEach(() => {
    file = path.join(tmp.dir, 'events.db');
  });

  it('a command appends its event, the bus delivers it and both read models apply it', async () => {
    const s = await StoreSession.open({ path: file });
    const seen: string[] = [];
    s.bus.subscribe('ui', (events) => void seen.push(...events.map((e) => e.type)));
    const result = await s.execute({
      type: 'CreateUser',
      data: { userId: 'u1', name: 'Ada' },
      metadata: { correlationId: 'c-1' },
    });
    assert.equal(result.events.length, 1);
    assert.equal(result.events[0]!.globalPosition, 1);
    assert.equal(result.events[0]!.streamId, 'user-u1');
    assert.equal(result.events[0]!.metadata.correlationId, 'c-1');
    assert.equal(result.events[0]!.metadata.causationId, result.commandId);
    assert.deepEqual(
      result.deliveries.map((d) => d.subscriber),
      ['read models', 'ui'],
    );
    assert.deepEqual(seen, ['UserCreated']);
    assert.equal(users(s).u1?.name, 'Ada');
    assert.equal((s.projector.stateOf('summary') as SummaryState).users.active, 1);
    await s.close();
  });

  it('a rejected command throws a domain error with its reason and appends nothing', async () => {
    const s = await StoreSession.open({ path: file });
    await s.execute({ type: 'CreateUser', data: { userId: 'u1', name: 'Ada' } });
    await assert.rejects(
      s.execute({ type: 'CreateUser', data: { userId: 'u1', name: 'Bob' } }),
      (e: unknown) => DomainError.is(e) && /already exists/.test(e.message),
    );
    await assert.rejects(s.execute({ type: 'RenameUser', data: { userId: 'nobody', name: 'X' } }), /does not exist/);
    await assert.rejects(s.execute({ type: 'LaunchRocket', data: {} }), /Unknown command "LaunchRocket"/);
    assert.equal(s.store.lastPosition(), 1);
    await s.close();
  });

  it('read models come back correct after a restart, and catch up from their checkpoint', async () => {
    let s = await StoreSession.open({ path: file });
    await seedDemoData(s.handler);
    const before = structuredClone(users(s));
    const count = s.store.lastPosition();
    await s.close();
    assert.ok(fs.existsSync(readModelsFileFor(file)));

    const savedAtCount = fs.readFileSync(readModelsFileFor(file));

    s = await StoreSession.open({ path: file });
    assert.equal(s.projector.checkpoint, count);
    assert.deepEqual(users(s), before);
    await s.execute({ type: 'CreateUser', data: { userId: 'late', name: 'Late Comer' } });
    await s.close();

    // The last save of the read models was lost: they load at their checkpoint and apply only what is new.
    fs.writeFileSync(readModelsFileFor(file), savedAtCount);
    s = await StoreSession.open({ path: file });
    assert.deepEqual(s.startup, { loaded: true, caughtUp: 1 });
    assert.equal(s.projector.checkpoint, count + 1);
    assert.equal(users(s).late?.name, 'Late Comer');
    assert.deepEqual({ ...users(s), late: undefined }, { ...before, late: undefined });
    await s.close();
  });

  it('saved read models from another history are thrown away and rebuilt', async () => {
    let s = await StoreSession.open({ path: file });
    await s.execute({ type: 'CreateUser', data: { userId: 'u1', name: 'Ada' } });
    await s.close();
    fs.writeFileSync(
      readModelsFileFor(file),
      JSON.stringify({
        format: 1,
        checkpoint: 1,
        checkpointEventId: 'someone-else',
        states: { usersDirectory: { users: { x: {} } }, summary: {} },
      }),
    );
    s = await StoreSession.open({ path: file });
    assert.deepEqual(Object.keys(users(s)), ['u1']);
    await s.close();
  });

  it('a corrupt read-model file costs only a rebuild', async () => {
    let s = await StoreSession.open({ path: file });
    await s.execute({ type: 'CreateUser', data: { userId: 'u1', name: 'Ada' } });
    await s.close();
    fs.writeFileSync(readModelsFileFor(file), '{ not json');
    const logged: string[] = [];
    s = await StoreSession.open({ path: file, log: (m) => logged.push(m) });
    assert.equal(users(s).u1?.name, 'Ada');
    assert.ok(logged.some((m) => /could not be read/.test(m)));
    await s.close();
  });

  it('Rebuild Read Models replays from position 0 and reaches the same state', async () => {
    const s = await StoreSession.open({ path: file });
    await seedDemoData(s.handler);
    const live = structuredClone([users(s), s.projector.stateOf('summary')]);
    assert.equal(s.rebuildReadModels(), s.store.lastPosition());
    assert.deepEqual([users(s), s.projector.stateOf('summary')], live);
    await s.close();
  });

  it('seeding twice appends nothing the second time', async () => {
    const s = await StoreSession.open({ path: file });
    const first = await seedDemoData(s.handler);
    const count = s.store.lastPosition();
    assert.ok(first.length >= 5);
    assert.deepEqual(await seedDemoData(s.handler), []);
    assert.equal(s.store.lastPosition(), count);
    await s.close();
  });

  it('a failing subscriber is reported and does not stop the others', async () => {
    const errors: string[] = [];
    const s = await StoreSession.open({ path: file, log: (m) => errors.push(m) });
    s.bus.subscribe('broken', () => {
      throw new Error('boom');
    });
    const result = await s.execute({ type: 'CreateUser', data: { userId: 'u1', name: 'Ada' } });
    assert.equal(result.deliveries.find((d) => d.subscriber === 'broken')?.error?.message, 'boom');
    assert.equal(users(s).u1?.name, 'Ada');
    assert.ok(errors.some((m) => m.includes('broken') && m.includes('boom')));
    await s.close();
  });

  it('retries the decision when another writer changed the stream first', async () => {
    const s = await StoreSession.open({ path: file });
    await s.execute({ type: 'CreateUser', data: { userId: 'u1', name: 'Ada' } });
    // Another writer slips an event in between our read and our append.
    const store = s.store;
    const original = store.readStream.bind(store);
    let raced = false;
    (store as { readStream: typeof store.readStream }).readStream = (id, opts) => {
      const events = original(id, opts);
      if (!raced) {
        raced = true;
        void store.append('user-u1', [{ type: 'UserRenamed', data: { userId: 'u1', oldName: 'Ada', name: 'Ada L.' } }]);
      }
      return events;
    };
    const result = await s.execute({ type: 'RenameUser', data: { userId: 'u1', name: 'Countess' } });
    assert.equal(result.retries, 1);
    assert.deepEqual(result.events[0]!.data, { userId: 'u1', oldName: 'Ada L.', name: 'Countess' });
    await s.close();
  });
});
