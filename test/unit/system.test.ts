import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { StoreSession } from '../../src/core/application/session';
import { EmmettSqliteStore } from '../../src/core/formats/emmettSqlite/emmettSqliteStore';
import { openAnyStore } from '../../src/core/formats/openStore';
import { builtInProjections } from '../../src/core/projections/builtIn';
import { buildCausalityGraph, causalityOf } from '../../src/core/system/causality';
import { deriveEventModel, modelArrows, NO_COMMAND, type EventModel } from '../../src/core/system/eventModel';
import {
  CarefulReader,
  classifyMissingPositions,
  NaiveReader,
  SimulatedLog,
  simulateInFlightCommits,
} from '../../src/core/system/inFlight';
import { compareModel, parseModelFile, toMarkdown, toMermaid } from '../../src/core/system/modelFile';
import { EmmettWriter } from '../builders/emmettWriter';
import { tempDirPerTest } from '../builders/tempDir';

/** A small shop: stock short of pens, one cart confirmed (its reservation refused and compensated), one refusal by hand. */
async function shop(): Promise<StoreSession> {
  const s = await StoreSession.open();
  const by = { source: 'test' };
  await s.execute({ type: 'RestockProduct', data: { productId: 'book', quantity: 5 }, metadata: by });
  await s.execute({ type: 'RestockProduct', data: { productId: 'pen', quantity: 1 }, metadata: by });
  const order = { ...by, correlationId: 'order-c1' };
  await s.execute({
    type: 'AddItem',
    data: { cartId: 'c1', productId: 'book', quantity: 2, unitPrice: 3 },
    metadata: order,
  });
  await s.execute({
    type: 'AddItem',
    data: { cartId: 'c1', productId: 'pen', quantity: 2, unitPrice: 1 },
    metadata: order,
  });
  await s.execute({ type: 'ConfirmCart', data: { cartId: 'c1' }, metadata: order });
  await assert.rejects(
    s.execute({
      type: 'AddItem',
      data: { cartId: 'c1', productId: 'pen', quantity: 1, unitPrice: 1 },
      metadata: order,
    }),
    /already confirmed/,
  );
  return s;
}

const model = (s: StoreSession): EventModel =>
  deriveEventModel({ events: s.store.readAll(), log: s.commandLog.entries(), projections: builtInProjections });

describe('Causality graph', () => {
  let s: StoreSession;
  afterEach(() => s?.close());

  it('follows one correlation across three streams: commands, events, the reaction and its refused command', async () => {
    s = await shop();
    const confirmed = s.store.readAll().find((e) => e.type === 'CartConfirmed')!;
    const graph = (await causalityOf(s.store, { position: confirmed.globalPosition }, s.commandLog.entries()))!;
    assert.equal(graph.correlationId, 'order-c1');
    assert.deepEqual(graph.streams, ['cart-c1', 'stock-book', 'stock-pen', 'notice-c1']);
    assert.deepEqual(
      graph.nodes.map(
        (n) =>
          `${'  '.repeat(n.depth)}${n.kind} ${n.type}${n.outcome && n.outcome !== 'accepted' ? ` (${n.outcome})` : ''}`,
      ),
      [
        'command AddItem',
        '  event ItemAdded',
        'command AddItem',
        '  event ItemAdded',
        'command ConfirmCart',
        '  event CartConfirmed',
        '    command ReserveStock',
        '      event StockReserved',
        '    command ReserveStock (rejected)',
        '      command ReleaseStock',
        '        event StockReleased',
        '      command NotifyCustomer',
        '        event CustomerNotified',
        'command AddItem (rejected)',
      ],
    );
    assert.equal(graph.refused, 2);
    const refused = graph.nodes.find((n) => n.outcome === 'rejected' && n.type === 'ReserveStock')!;
    assert.deepEqual([refused.streamId, refused.reaction], ['stock-pen', 'Stock reservation']);
    assert.match(refused.reason ?? '', /Only 1 × pen left/);
    // Starting from a command gives the same graph.
    const fromCommand = (await causalityOf(s.store, { commandId: refused.id }, s.commandLog.entries()))!;
    assert.deepEqual(fromCommand.nodes, graph.nodes);
  });

  it('infers a command from its events when the log does not hold it', async () => {
    s = await shop();
    const graph = buildCausalityGraph('order-c1', s.store.readAll(), []);
    assert.deepEqual(
      graph.nodes.filter((n) => n.kind === 'command').map((n) => [n.type, n.inferred, n.depth]),
      [
        ['AddItem', true, 0],
        ['AddItem', true, 0],
        ['ConfirmCart', true, 0],
        ['ReserveStock', true, 2],
        ['ReleaseStock', true, 0],
        ['NotifyCustomer', true, 0],
      ],
      'a compensation caused by a refused command the log lost starts a tree of its own',
    );
  });

  describe('on an Emmett SQLite store, from its metadata and its command messages', () => {
    const tmp = tempDirPerTest('esi-causality-');
    it('links a stored command, its events and an event in another stream caused by one of them', async () => {
      const file = path.join(tmp.dir, 'emmett.db');
      const writer = await EmmettWriter.start(file);
      try {
        const meta = (causationId: string) => ({ correlationId: 'corr-9', causationId });
        await writer.append('cart-1', [
          { type: 'ConfirmCart', data: {}, metadata: { messageId: 'cmd-1', ...meta('http-1') }, kind: 'Command' },
        ]);
        await writer.append('cart-1', [
          { type: 'CartConfirmed', data: {}, metadata: { messageId: 'ev-1', ...meta('cmd-1') } },
        ]);
        await writer.append('shipment-1', [
          { type: 'ShipmentPlanned', data: {}, metadata: { messageId: 'ev-2', ...meta('ev-1') } },
        ]);
        await writer.append('invoice-1', [
          { type: 'InvoiceRaised', data: {}, metadata: { messageId: 'ev-3', ...meta('ev-1') } },
        ]);
        await writer.append('other', [{ type: 'Unrelated', data: {}, metadata: { correlationId: 'corr-0' } }]);
      } finally {
        await writer.close();
      }
      const store = await openAnyStore({ path: file });
      try {
        assert.ok(store instanceof EmmettSqliteStore);
        const first = store.readAll().find((e) => e.type === 'CartConfirmed')!;
        const graph = (await causalityOf(store, { position: first.globalPosition }, []))!;
        assert.deepEqual(
          graph.nodes.map((n) => [n.depth, n.kind, n.type, n.streamId]),
          [
            [0, 'command', 'ConfirmCart', 'cart-1'],
            [1, 'event', 'CartConfirmed', 'cart-1'],
            [2, 'event', 'ShipmentPlanned', 'shipment-1'],
            [2, 'event', 'InvoiceRaised', 'invoice-1'],
          ],
        );
        assert.deepEqual(graph.streams, ['cart-1', 'shipment-1', 'invoice-1']);
      } finally {
        await store.close();
      }
    });
  });
});

describe('Event model from traffic', () => {
  let s: StoreSession;
  afterEach(() => s?.close());

  it('derives exact slices: command, events, read models, reactions with their refusals', async () => {
    s = await shop();
    const m = model(s);
    assert.deepEqual(m.totals, { commands: 10, refused: 2, events: 8 });
    const slice = (command: string) => m.slices.find((x) => x.command === command)!;
    assert.deepEqual(
      m.slices.map((x) => [x.command, x.accepted, x.refused]),
      [
        ['RestockProduct', 2, 0],
        ['AddItem', 2, 1],
        ['ConfirmCart', 1, 0],
        ['ReserveStock', 1, 1],
        ['ReleaseStock', 1, 0],
        ['NotifyCustomer', 1, 0],
      ],
    );
    assert.deepEqual(slice('AddItem'), {
      command: 'AddItem',
      issuedBy: [{ name: 'test', count: 3 }],
      accepted: 2,
      refused: 1,
      refusals: [{ name: 'Cart c1 is already confirmed: it cannot change any more.', count: 1 }],
      events: [{ name: 'ItemAdded', count: 2 }],
      readModels: [
        { name: 'summary', eventTypes: ['ItemAdded'] },
        { name: 'cartDetails', eventTypes: ['ItemAdded'] },
        { name: 'productTotals', eventTypes: ['ItemAdded'] },
      ],
      reactions: [],
    });
    assert.deepEqual(slice('ConfirmCart').reactions, [
      {
        reaction: 'Stock reservation',
        on: 'CartConfirmed',
        commands: [
          { type: 'ReserveStock', accepted: 1, refused: 1 },
          { type: 'ReleaseStock', accepted: 1, refused: 0 },
          { type: 'NotifyCustomer', accepted: 1, refused: 0 },
        ],
      },
    ]);
    assert.deepEqual(slice('ReserveStock').issuedBy, [{ name: 'reaction: Stock reservation', count: 2 }]);
    assert.deepEqual(slice('ReserveStock').refusals, [
      { name: 'Only 1 × pen left in stock; cart c1 asks for 2.', count: 1 },
    ]);
  });

  it('without a command log, slices come from the events metadata alone (refusals unknown)', async () => {
    s = await shop();
    const m = deriveEventModel({ events: s.store.readAll(), log: [], projections: [] });
    assert.deepEqual(
      m.slices.map((x) => [x.command, x.accepted, x.refused, x.events.map((e) => `${e.name}×${e.count}`).join(' ')]),
      [
        ['RestockProduct', 2, 0, 'ProductRestocked×2'],
        ['AddItem', 2, 0, 'ItemAdded×2'],
        ['ConfirmCart', 1, 0, 'CartConfirmed×1'],
        ['ReserveStock', 1, 0, 'StockReserved×1'],
        ['ReleaseStock', 1, 0, 'StockReleased×1'],
        ['NotifyCustomer', 1, 0, 'CustomerNotified×1'],
      ],
    );
    const foreign = deriveEventModel({
      events: [{ eventId: 'e1', globalPosition: 1, streamId: 'x-1', type: 'Happened', metadata: {} }],
      log: [],
      projections: [],
    });
    assert.deepEqual(
      foreign.slices.map((x) => [x.command, x.events]),
      [[NO_COMMAND, [{ name: 'Happened', count: 1 }]]],
    );
  });

  it('exports Mermaid and Markdown that read back to the arrows of the traffic', async () => {
    s = await shop();
    const m = model(s);
    const mermaid = toMermaid(m);
    assert.match(mermaid, /^flowchart LR\n/);
    assert.match(mermaid, /\{\{"Stock reservation"\}\}:::reaction/);
    assert.match(mermaid, /\["ReserveStock"\]:::refused/);
    assert.match(mermaid, /-->\|"1 accepted, 1 refused"\|/);
    const back = parseModelFile(mermaid);
    assert.deepEqual(back.problems, []);
    assert.deepEqual(compareModel(m, back.arrows), { unused: [], missing: [], matched: modelArrows(m).length });
    const markdown = toMarkdown(m, 'Shop');
    assert.match(markdown, /^# Shop\n\n10 commands \(2 refused\), 8 events, 6 slices\./);
    assert.match(markdown, /\| Only 1 × pen left in stock; cart c1 asks for 2\. \| 1 \|/);
    assert.deepEqual(compareModel(m, parseModelFile(markdown).arrows).missing, []);
  });

  it('compares with a model file: arrows the traffic never used, traffic the model lacks, bad lines named', async () => {
    s = await shop();
    const written = parseModelFile(
      [
        '# what the team drew',
        'AddItem -> ItemAdded',
        'ConfirmCart -> CartConfirmed',
        'CartConfirmed -> Stock reservation',
        'Stock reservation -> ReserveStock',
        'ReserveStock -> StockReserved',
        'CancelCart -> CartCancelled',
        'c1["RemoveItem"] --> e1["ItemRemoved"]',
        'this is [not -> an arrow',
      ].join('\n'),
    );
    assert.deepEqual(written.problems, ['Line 9 is not an arrow this reader understands: this is [not -> an arrow']);
    const diff = compareModel(model(s), written.arrows);
    assert.deepEqual(diff.unused, [
      { from: 'CancelCart', to: 'CartCancelled' },
      { from: 'RemoveItem', to: 'ItemRemoved' },
    ]);
    assert.equal(diff.matched, 5);
    const missing = diff.missing.map((a) => `${a.from} -> ${a.to}`);
    assert.ok(missing.includes('Stock reservation -> ReleaseStock'), missing.join('; '));
    assert.ok(missing.includes('Stock reservation -> NotifyCustomer'));
    assert.ok(missing.includes('ItemAdded -> cartDetails'));
    assert.ok(!missing.includes('AddItem -> ItemAdded'));
  });
});

describe('In-flight commits', () => {
  it('the naive reader loses 41 when 42 commits first; the careful reader gets both', () => {
    const result = simulateInFlightCommits(41);
    assert.deepEqual(result.naiveLost, [41]);
    assert.deepEqual(result.carefulLost, []);
    const b = result.steps.find((x) => x.title === 'B commits 42 first')!;
    assert.deepEqual([b.committed, b.inFlight], [[40, 42], [41]]);
    assert.deepEqual(b.naive, { got: [42], lastSeen: 42 });
    assert.deepEqual(b.careful, { got: [], lastSeen: 40 });
    const a = result.steps.find((x) => x.title === 'A commits 41')!;
    assert.deepEqual(a.naive, { got: [], lastSeen: 42 });
    assert.deepEqual(a.careful, { got: [41, 42], lastSeen: 42 });
  });

  it('readers on the same log: only the order of commits decides what the naive one misses', () => {
    const log = new SimulatedLog(1);
    const naive = new NaiveReader();
    const careful = new CarefulReader();
    log.begin('a');
    log.begin('b');
    log.begin('c');
    log.commit('c');
    naive.poll(log);
    careful.poll(log);
    log.commit('a');
    log.commit('b');
    naive.poll(log);
    careful.poll(log);
    assert.deepEqual(naive.seen, [3]);
    assert.deepEqual(careful.seen, [1, 2, 3]);
  });

  it('classifies missing positions: in flight while a transaction may commit them, gaps otherwise', () => {
    const read = [1, 2, 4, 7];
    assert.deepEqual(classifyMissingPositions(read, { openTransactions: 0 }), { inFlight: [], gaps: [3, 5, 6] });
    assert.deepEqual(classifyMissingPositions(read, { openTransactions: 2 }), { inFlight: [3, 5, 6], gaps: [] });
    assert.deepEqual(classifyMissingPositions(read, { openTransactions: 1, settledBelow: 5 }), {
      inFlight: [5, 6],
      gaps: [3],
    });
    assert.deepEqual(classifyMissingPositions(read, { openTransactions: 1, heldPositions: [6] }), {
      inFlight: [6],
      gaps: [3, 5],
    });
    assert.deepEqual(classifyMissingPositions(read, { openTransactions: 1, heldPositions: [9] }, { to: 9 }), {
      inFlight: [9],
      gaps: [3, 5, 6, 8],
    });
  });
});
