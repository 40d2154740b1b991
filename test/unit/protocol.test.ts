import * as assert from 'node:assert/strict';
import { parseHostMessage, parseWebviewMessage } from '../../src/shared/protocol';

describe('Replay panel protocol', () => {
  it('accepts the webview messages the host understands', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parseWebviewMessage({ type: 'seek', position: 12 }), { type: 'seek', position: 12 });
  });
  it('drops anything else from the webview', () => {
    for (const bad of [null, 'seek', [], { type: 'eval', code: 'x' }, { type: 'seek' }, { type: 'seek', position: -1 }, { type: 'seek', position: 1.5 }, { type: 'seek', position: '3' }, { type: 'seek', position: 2 ** 60 }, { type: 'seek', position: 1, extra: true }, { type: 'ready', x: 1 }]) {
      assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad));
    }
  });
  it('the webview checks what the host sends too', () => {
    const step = { position: 1, total: 2, event: null, stream: null, readModels: [], explanation: 'x' };
    assert.deepEqual(parseHostMessage({ type: 'step', step }), { type: 'step', step });
    assert.equal(parseHostMessage({ type: 'step', step: { ...step, position: 3 } }), undefined);
    assert.equal(parseHostMessage({ type: 'html', html: '<b>' }), undefined);
  });
});
