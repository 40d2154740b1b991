import * as assert from 'node:assert/strict';
import { parseHostMessage, parsePlace, parseWebviewMessage } from '../../src/shared/protocol';

describe('Replay panel protocol', () => {
  it('accepts the webview messages the host understands', () => {
    const good = [
      { type: 'ready' },
      { type: 'seek', position: 12 },
      { type: 'seekIndex', index: 0 },
      { type: 'move', to: 'next' },
      { type: 'rows', offset: 100, limit: 100 },
      { type: 'filter', filter: { streamId: 'user-1', text: 'Ada' } },
      { type: 'skip', position: 3, skipped: true },
      { type: 'clearSkips' },
      { type: 'export', format: 'test' },
      { type: 'branch' },
      { type: 'move', to: 'prev', count: 7, seq: 3 },
      { type: 'seekIndex', index: 40, seq: 4 },
      { type: 'filter', filter: {}, seq: 5 },
      { type: 'history', target: { readModel: 'usersDirectory' } },
      { type: 'history', target: { streamId: 'user-ada' } },
      { type: 'endComparison' },
    ];
    for (const m of good) assert.deepEqual(parseWebviewMessage(m), m, JSON.stringify(m));
  });

  it('drops anything else from the webview: unknown types, wrong types, out-of-range values, extra keys', () => {
    const bad = [
      null,
      'seek',
      [],
      { type: 'eval', code: 'x' },
      { type: 'seek' },
      { type: 'seek', position: -1 },
      { type: 'seek', position: 1.5 },
      { type: 'seek', position: '3' },
      { type: 'seek', position: 2 ** 60 },
      { type: 'seek', position: 1, extra: true },
      { type: 'ready', x: 1 },
      { type: 'move', to: 'sideways' },
      { type: 'rows', offset: 0, limit: 501 },
      { type: 'filter', filter: { text: 'x'.repeat(201) } },
      { type: 'filter', filter: { sql: 'DROP TABLE events' } },
      { type: 'filter', filter: { text: 42 } },
      { type: 'skip', position: 3, skipped: 'yes' },
      { type: 'export', format: 'exe' },
      { type: 'move', to: 'prev', count: 0 },
      { type: 'move', to: 'prev', count: 10_001 },
      { type: 'seek', position: 1, seq: -1 },
      { type: 'export', format: 'test', seq: 1 },
      { type: 'ready', seq: 1 },
      { type: 'history' },
      { type: 'history', target: {} },
      { type: 'history', target: { readModel: '' } },
      { type: 'history', target: { readModel: 'a', streamId: 'b' } },
      { type: 'history', target: { readModel: 'a', path: '__proto__' } },
      { type: 'history', target: { streamId: 7 } },
      { type: 'history', target: { streamId: 'x' }, extra: 1 },
      { type: 'endComparison', seq: 2 },
    ];
    for (const m of bad) assert.equal(parseWebviewMessage(m), undefined, JSON.stringify(m));
  });

  it('a place saved across reloads is a position, a filter and skipped positions, nothing else', () => {
    const place = { position: 9, filter: { eventType: 'UserRenamed' }, whatIf: [2, 5] };
    assert.deepEqual(parsePlace(place), place);
    assert.deepEqual(parsePlace({ position: 4 }), { position: 4, filter: {}, whatIf: [] });
    assert.deepEqual(parsePlace({ ...place, onlyChanges: false }), place);
    for (const bad of [
      undefined,
      3,
      { position: 'end' },
      { position: 1, filter: { sql: 'x' } },
      { position: 1, whatIf: Array.from({ length: 1001 }, (_, i) => i + 1) },
      { position: 1, whatIf: [-2] },
      { position: 1, extra: 1 },
    ]) {
      assert.equal(parsePlace(bad), undefined, JSON.stringify(bad));
    }
  });

  it('the webview checks what the host sends too', () => {
    const step = {
      position: 1,
      total: 2,
      index: 1,
      count: 2,
      event: null,
      skipped: false,
      stream: null,
      readModels: [],
      explanation: 'x',
      whatIf: [],
      filter: {},
      rejections: [],
      refusedTotal: 0,
    };
    assert.deepEqual(parseHostMessage({ type: 'step', step }), { type: 'step', step });
    assert.equal(parseHostMessage({ type: 'step', step: { ...step, position: 3 } }), undefined);
    assert.equal(parseHostMessage({ type: 'step', step: { ...step, index: 3 } }), undefined);
    assert.equal(parseHostMessage({ type: 'step', step: { ...step, rejections: [{ type: 'X' }] } }), undefined);
    assert.equal(parseHostMessage({ type: 'html', html: '<b>' }), undefined);
    const timing = {
      seq: 1,
      receivedAt: 1e12,
      hostMs: 3.5,
      serializeMs: 0.2,
      bytes: 2048,
      sentAt: 1e12 + 4,
      loopDelayMaxMs: 12,
    };
    assert.deepEqual(parseHostMessage({ type: 'step', step, timing }), { type: 'step', step, timing });
    assert.equal(parseHostMessage({ type: 'step', step, timing: { ...timing, hostMs: -1 } }), undefined);
    const same = { name: 'summary', title: 'Summary', description: 'd', handled: true, changes: [], same: true };
    assert.ok(parseHostMessage({ type: 'step', step: { ...step, readModels: [same] } }));
    assert.equal(
      parseHostMessage({ type: 'step', step: { ...step, readModels: [{ ...same, same: 'yes' }] } }),
      undefined,
    );
    const fault = { position: 3, eventType: 'UserRenamed', streamId: 'user-1', error: 'TypeError: x' };
    assert.ok(parseHostMessage({ type: 'step', step: { ...step, readModels: [{ ...same, fault }] } }));
    const previous = { state: { a: 1 }, differences: [{ path: ['a'], kind: 'changed', before: 2, after: 1 }] };
    assert.ok(parseHostMessage({ type: 'step', step: { ...step, readModels: [{ ...same, previous }] } }));
    assert.equal(
      parseHostMessage({ type: 'step', step: { ...step, readModels: [{ ...same, previous: { state: 1 } }] } }),
      undefined,
    );
    for (const bad of [{ ...fault, position: -1 }, { ...fault, error: 3 }, 'faulted'])
      assert.equal(
        parseHostMessage({ type: 'step', step: { ...step, readModels: [{ ...same, fault: bad }] } }),
        undefined,
      );
    const row = {
      position: 1,
      type: 'UserCreated',
      streamId: 'user-1',
      streamVersion: 1,
      recordedAt: 't',
      skipped: false,
      rejected: 0,
    };
    assert.ok(parseHostMessage({ type: 'rows', offset: 0, rows: [row], count: 1 }));
    assert.equal(parseHostMessage({ type: 'rows', offset: 0, rows: [{ ...row, position: 'x' }], count: 1 }), undefined);
  });
});
