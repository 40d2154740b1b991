import * as assert from 'node:assert/strict';
import { parseHostToSystem, parseSystemToHost, MAX_CAUSAL_NODES } from '../../src/shared/systemProtocol';

const slice = {
  command: 'ConfirmCart',
  issuedBy: [{ name: 'palette', count: 1 }],
  accepted: 1,
  refused: 0,
  refusals: [],
  events: [{ name: 'CartConfirmed', count: 1 }],
  readModels: ['cartDetails'],
  reactions: [
    {
      reaction: 'Stock reservation',
      on: 'CartConfirmed',
      commands: [{ type: 'ReserveStock', accepted: 1, refused: 1 }],
    },
  ],
};
const model = {
  store: 'events.db',
  slices: [slice],
  totals: { commands: 1, refused: 0, events: 1 },
  comparison: null,
  autoRefresh: true,
};
const node = {
  id: 'c1',
  kind: 'command',
  type: 'ReserveStock',
  streamId: 'stock-pen',
  position: 4,
  outcome: 'rejected',
  reason: 'Only 1 × pen left.',
  reaction: 'Stock reservation',
  inferred: false,
  depth: 2,
};
const graph = { store: 'events.db', correlationId: 'x', nodes: [node], streams: ['stock-pen'], refused: 1, omitted: 0 };

describe('System views protocol', () => {
  it('the webview accepts a well-formed model and causality graph, and drops anything malformed', () => {
    assert.deepEqual(parseHostToSystem({ type: 'model', model }), { type: 'model', model });
    assert.deepEqual(parseHostToSystem({ type: 'causality', graph }), { type: 'causality', graph });
    assert.equal(
      parseHostToSystem({ type: 'model', model: { ...model, slices: [{ ...slice, accepted: -1 }] } }),
      undefined,
    );
    assert.equal(
      parseHostToSystem({ type: 'model', model: { ...model, slices: [{ ...slice, command: 7 }] } }),
      undefined,
    );
    assert.equal(
      parseHostToSystem({ type: 'causality', graph: { ...graph, nodes: [{ ...node, kind: 'script' }] } }),
      undefined,
    );
    assert.equal(
      parseHostToSystem({ type: 'causality', graph: { ...graph, nodes: [{ ...node, outcome: 'maybe' }] } }),
      undefined,
    );
    const many = Array.from({ length: MAX_CAUSAL_NODES + 1 }, () => node);
    assert.equal(parseHostToSystem({ type: 'causality', graph: { ...graph, nodes: many } }), undefined);
    assert.equal(parseHostToSystem({ type: 'html', html: '<script>' }), undefined);
    assert.deepEqual(parseHostToSystem({ type: 'error', message: 'No store.' }), {
      type: 'error',
      message: 'No store.',
    });
  });

  it('the host accepts only the messages it understands, each field checked', () => {
    assert.deepEqual(parseSystemToHost({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parseSystemToHost({ type: 'export', format: 'mermaid' }), { type: 'export', format: 'mermaid' });
    assert.deepEqual(parseSystemToHost({ type: 'openReplay', position: 12 }), { type: 'openReplay', position: 12 });
    assert.equal(parseSystemToHost({ type: 'export', format: 'html' }), undefined);
    assert.equal(parseSystemToHost({ type: 'openReplay', position: -1 }), undefined);
    assert.equal(parseSystemToHost({ type: 'openReplay', position: 1.5 }), undefined);
    assert.equal(parseSystemToHost({ type: 'ready', extra: 1 }), undefined);
    assert.equal(parseSystemToHost({ type: 'runCommand', id: 'workbench.action.terminal.new' }), undefined);
    assert.equal(parseSystemToHost(null), undefined);
  });
});
