import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT } from '../../src/cli';
import { runCli } from '../builders/cliInProcess';
import { fingerprint, writeClosedStore } from '../builders/emmettWriter';
import { tempDirPerTest } from '../builders/tempDir';

const DOMAIN = `
module.exports = {
  aggregates: [],
  projections: [{
    name: 'orderTotals',
    title: 'Order totals',
    eventTypes: ['Placed', 'Paid'],
    initialState: { orders: {} },
    evolve(state, event) {
      const id = event.streamId;
      if (event.type === 'Placed') state.orders[id] = { total: event.data.total, paid: false };
      if (event.type === 'Paid') {
        if (event.data.total > 100) throw new RangeError('too much to pay');
        state.orders[id].paid = true;
      }
      return state;
    },
  }],
};
`;

describe('CLI blame', () => {
  const tmp = tempDirPerTest('esi-cli-blame-');

  it('on a store of ours: one NDJSON line per change of a read-model value, newest first, with globalPosition', async () => {
    const store = path.join(tmp.dir, 'events.db');
    for (const command of [
      { type: 'CreateUser', data: { userId: 'ada', name: 'Ada' } },
      { type: 'CreateUser', data: { userId: 'bob', name: 'Bob' } },
      { type: 'RenameUser', data: { userId: 'ada', name: 'Ada Lovelace' } },
      { type: 'RenameUser', data: { userId: 'ada', name: 'Ada' } },
    ]) {
      const r = await runCli(['exec', '--store', store, '--command', JSON.stringify(command)]);
      assert.equal(r.code, EXIT.ok, r.stderr);
    }
    const r = await runCli(['blame', '--store', store, '--read-model', 'usersDirectory', '--path', 'users.ada.name']);
    assert.equal(r.code, EXIT.ok, r.stderr);
    assert.deepEqual(
      r.lines.map((l) => [l.path, l.globalPosition, l.type, l.streamId, l.kind, l.before, l.after]),
      [
        ['users.ada.name', 4, 'UserRenamed', 'user-ada', 'changed', 'Ada Lovelace', 'Ada'],
        ['users.ada.name', 3, 'UserRenamed', 'user-ada', 'changed', 'Ada', 'Ada Lovelace'],
        ['users.ada.name', 1, 'UserCreated', 'user-ada', 'added', undefined, 'Ada'],
      ],
    );
    const stream = await runCli(['blame', '--store', store, '--stream', 'user-ada', '--path', 'name', '--to', '3']);
    assert.equal(stream.code, EXIT.ok, stream.stderr);
    assert.deepEqual(
      stream.lines.map((l) => [l.globalPosition, l.after]),
      [
        [3, 'Ada Lovelace'],
        [1, 'Ada'],
      ],
    );
  });

  it('bad usage: one sentence and exit 1', async () => {
    const store = path.join(tmp.dir, 'events.db');
    await runCli(['exec', '--store', store, '--command', '{"type":"CreateUser","data":{"userId":"a","name":"A"}}']);
    for (const [args, message] of [
      [['--path', 'x'], /either --read-model NAME or --stream ID/],
      [['--read-model', 'nope', '--path', 'x'], /no read model named "nope"; the read models are usersDirectory/],
      [['--read-model', 'summary', '--path', 'a..b'], /empty key/],
      [['--stream', 'order-1', '--path', 'x'], /No aggregate owns the stream "order-1"/],
    ] as const) {
      const r = await runCli(['blame', '--store', store, ...args]);
      assert.equal(r.code, EXIT.usage, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
  });

  it('on an Emmett SQLite store, with a domain.js read model: the history, and a fault loud with exit 7; the file untouched', async () => {
    const file = path.join(tmp.dir, 'app.sqlite');
    await writeClosedStore(file, '0.42', async (w) => {
      await w.append('order-1', [{ type: 'Placed', data: { total: 12 } }]);
      await w.append('order-2', [{ type: 'Placed', data: { total: 300 } }]);
      await w.append('order-1', [{ type: 'Paid', data: { total: 12 } }]);
      await w.append('order-2', [{ type: 'Paid', data: { total: 300 } }]);
    });
    const domain = path.join(tmp.dir, 'domain.js');
    fs.writeFileSync(domain, DOMAIN);
    const before = fingerprint(file);
    const args = ['blame', '--store', file, '--domain', domain, '--read-model', 'orderTotals'];
    const paid = await runCli([...args, '--path', 'orders["order-1"].paid', '--to', '3']);
    assert.equal(paid.code, EXIT.ok, paid.stderr);
    assert.deepEqual(
      paid.lines.map((l) => [l.path, l.globalPosition, l.type, l.before, l.after]),
      [
        ['orders.order-1.paid', 3, 'Paid', false, true],
        ['orders.order-1.paid', 1, 'Placed', undefined, false],
      ],
    );
    const faulted = await runCli([...args, '--path', 'orders["order-2"]']);
    assert.equal(faulted.code, EXIT.faulted);
    assert.deepEqual(
      faulted.lines.map((l) => l.globalPosition),
      [2],
    );
    assert.match(faulted.stderr, /^Order totals is faulted at 4: Paid of order-2 threw RangeError: too much to pay\./);
    const summary = await runCli(['blame', '--store', file, '--read-model', 'summary', '--path', 'eventsByType.Paid']);
    assert.deepEqual(
      summary.lines.map((l) => [l.globalPosition, l.after]),
      [
        [4, 2],
        [3, 1],
      ],
    );
    assert.equal(fingerprint(file), before);
  });
});
