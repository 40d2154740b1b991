import * as assert from 'node:assert/strict';
import { appendedEvents, MAX_REACTION_DEPTH } from '../../src/core/application/commandHandler';
import { StoreSession } from '../../src/core/application/session';
import { builtInAggregates } from '../../src/core/domain/aggregates';
import { inventoryDecider } from '../../src/core/domain/inventory';
import { builtInReactions, type ReactionDefinition } from '../../src/core/domain/reactions';
import { compileDomain } from '../../src/core/workspaceDomain/loadDomainModule';
import { given } from '../builders/givenWhenThen';

const addItem = (cartId: string, productId: string, quantity: number) => ({
  type: 'AddItem',
  data: { cartId, productId, quantity, unitPrice: 2 },
});

describe('Inventory decider', () => {
  it('reserves while enough is left, and refuses with what is left when not', () => {
    const restocked = [{ type: 'ProductRestocked' as const, data: { productId: 'pen', quantity: 3 } }];
    given(inventoryDecider, restocked)
      .when({ type: 'ReserveStock', data: { productId: 'pen', quantity: 3, cartId: 'c1' } })
      .then([{ type: 'StockReserved', data: { productId: 'pen', quantity: 3, cartId: 'c1' } }]);
    given(inventoryDecider, restocked)
      .when({ type: 'ReserveStock', data: { productId: 'pen', quantity: 4, cartId: 'c1' } })
      .thenRejects('IllegalStateError', /Only 3 × pen left in stock; cart c1 asks for 4\./);
  });

  it('releases exactly what a cart holds, and only a cart that holds some', () => {
    const history = [
      { type: 'ProductRestocked' as const, data: { productId: 'pen', quantity: 3 } },
      { type: 'StockReserved' as const, data: { productId: 'pen', quantity: 2, cartId: 'c1' } },
    ];
    given(inventoryDecider, history)
      .when({ type: 'ReleaseStock', data: { productId: 'pen', cartId: 'c1' } })
      .then([{ type: 'StockReleased', data: { productId: 'pen', quantity: 2, cartId: 'c1' } }]);
    given(inventoryDecider, history)
      .when({ type: 'ReleaseStock', data: { productId: 'pen', cartId: 'c2' } })
      .thenRejects('IllegalStateError', /Cart c2 holds no pen to release/);
  });
});

describe('Reactions', () => {
  let s: StoreSession;
  afterEach(() => s?.close());

  async function shop(stock: Record<string, number>): Promise<StoreSession> {
    const session = await StoreSession.open();
    for (const [productId, quantity] of Object.entries(stock))
      await session.execute({ type: 'RestockProduct', data: { productId, quantity } });
    return session;
  }

  it('accepted: a confirmed cart reserves each product, in the conversation of the confirmation', async () => {
    s = await shop({ book: 5, pen: 5 });
    await s.execute(addItem('c1', 'pen', 2));
    await s.execute(addItem('c1', 'book', 1));
    const result = await s.execute({
      type: 'ConfirmCart',
      data: { cartId: 'c1' },
      metadata: { correlationId: 'order-1' },
    });
    const confirmed = result.events[0]!;
    assert.deepEqual(
      result.reactions?.map((r) => [r.reaction, r.command.type, r.command.data, r.outcome]),
      [
        ['Stock reservation', 'ReserveStock', { productId: 'book', quantity: 1, cartId: 'c1' }, 'accepted'],
        ['Stock reservation', 'ReserveStock', { productId: 'pen', quantity: 2, cartId: 'c1' }, 'accepted'],
      ],
    );
    const reserved = appendedEvents(result).slice(1);
    assert.deepEqual(
      reserved.map((e) => [e.streamId, e.type, e.metadata.correlationId, e.metadata.causationId, e.metadata.reaction]),
      [
        ['stock-book', 'StockReserved', 'order-1', confirmed.eventId, 'Stock reservation'],
        ['stock-pen', 'StockReserved', 'order-1', confirmed.eventId, 'Stock reservation'],
      ],
    );
    const logged = s.commandLog.entries().filter((e) => e.source === 'reaction');
    assert.deepEqual(
      logged.map((e) => [e.command.type, e.outcome, e.correlationId, e.causationId]),
      [
        ['ReserveStock', 'accepted', 'order-1', confirmed.eventId],
        ['ReserveStock', 'accepted', 'order-1', confirmed.eventId],
      ],
    );
    assert.deepEqual(s.handler.stateOf('stock-pen')?.state, { available: 3, reserved: { c1: 2 } });
  });

  it('refused and compensated: a short product releases what was reserved and the customer is told why', async () => {
    s = await shop({ book: 5, pen: 1 });
    await s.execute(addItem('c1', 'book', 2));
    await s.execute(addItem('c1', 'pen', 2));
    const result = await s.execute({ type: 'ConfirmCart', data: { cartId: 'c1' } });
    const [bookReserved, penRefused, release, notify] = result.reactions ?? [];
    assert.deepEqual(
      result.reactions?.map((r) => [r.command.type, r.outcome]),
      [
        ['ReserveStock', 'accepted'],
        ['ReserveStock', 'rejected'],
        ['ReleaseStock', 'accepted'],
        ['NotifyCustomer', 'accepted'],
      ],
    );
    assert.match(penRefused!.reason ?? '', /Only 1 × pen left in stock; cart c1 asks for 2\./);
    assert.equal(bookReserved!.events[0]!.metadata.causationId, result.events[0]!.eventId);
    // The compensation answers the refusal: its causation is the refused command.
    assert.equal(release!.events[0]!.metadata.causationId, penRefused!.commandId);
    assert.equal(notify!.events[0]!.metadata.causationId, penRefused!.commandId);
    assert.deepEqual(notify!.events[0]!.data, {
      cartId: 'c1',
      message: 'Your order could not be reserved: Only 1 × pen left in stock; cart c1 asks for 2.',
    });
    assert.deepEqual(s.handler.stateOf('stock-book')?.state, { available: 5, reserved: {} });
    assert.deepEqual(s.handler.stateOf('stock-pen')?.state, { available: 1, reserved: {} });
    // The confirmation itself stays accepted: a refused reaction is an outcome, not the command's failure.
    assert.equal(s.commandLog.find(result.commandId)?.outcome, 'accepted');
    const refused = s.commandLog.find(penRefused!.commandId)!;
    assert.deepEqual(
      [refused.outcome, refused.reaction, refused.streamId],
      ['rejected', 'Stock reservation', 'stock-pen'],
    );
  });

  it('a reaction answering its own events stops at the depth limit, logged as refused', async () => {
    const echo: ReactionDefinition = {
      name: 'Echo',
      eventTypes: ['ProductRestocked'],
      commandTypes: ['RestockProduct'],
      react: (event) => [{ type: 'RestockProduct', data: event.data }],
    };
    s = await StoreSession.open({ reactions: [echo] });
    const result = await s.execute({ type: 'RestockProduct', data: { productId: 'pen', quantity: 1 } });
    assert.equal(result.reactions?.length, MAX_REACTION_DEPTH + 1);
    assert.equal(s.store.lastPosition(), MAX_REACTION_DEPTH + 1);
    const last = result.reactions![MAX_REACTION_DEPTH]!;
    assert.equal(last.outcome, 'rejected');
    assert.match(last.reason ?? '', /8 levels deep: RestockProduct was not issued/);
    assert.equal(s.commandLog.last()?.outcome, 'rejected');
  });

  it('a workspace domain declares reactions; one that issues an undeclared command fails alone, named', async () => {
    const domain = compileDomain(
      {
        reactions: [
          {
            name: 'Thank you',
            eventTypes: ['CartConfirmed'],
            commandTypes: ['NotifyCustomer'],
            react: (event: { data: { cartId: string } }) => [
              { type: 'NotifyCustomer', data: { cartId: event.data.cartId, message: 'Thank you!' } },
            ],
          },
          {
            name: 'Rogue',
            eventTypes: ['CartConfirmed'],
            commandTypes: ['NotifyCustomer'],
            react: () => [{ type: 'DeactivateUser', data: { userId: 'ada' } }],
          },
        ],
      },
      '/ws/.eventstore/domain.js',
      'hash',
    );
    s = await StoreSession.open({
      aggregates: builtInAggregates,
      reactions: [...builtInReactions, ...domain.reactions],
    });
    await s.execute({ type: 'RestockProduct', data: { productId: 'pen', quantity: 5 } });
    await s.execute(addItem('c1', 'pen', 1));
    const result = await s.execute({ type: 'ConfirmCart', data: { cartId: 'c1' } });
    assert.deepEqual(
      result.reactions?.map((r) => [r.reaction, r.command.type, r.outcome]),
      [
        ['Stock reservation', 'ReserveStock', 'accepted'],
        ['Thank you', 'NotifyCustomer', 'accepted'],
        ['Rogue', '(none)', 'rejected'],
      ],
    );
    assert.match(
      result.reactions![2]!.reason ?? '',
      /reaction Rogue issued DeactivateUser, which its commandTypes do not list/,
    );
    assert.deepEqual(
      s.store.readStream('notice-c1').map((e) => e.data),
      [{ cartId: 'c1', message: 'Thank you!' }],
    );
  });

  it('a workspace domain with a malformed reaction is refused with every problem named', () => {
    assert.throws(
      () => compileDomain({ reactions: [{ name: 'Half', eventTypes: [], react: 1 }] }, '/ws/domain.js', 'h'),
      (e: Error) =>
        /eventTypes must list/.test(e.message) &&
        /commandTypes must list/.test(e.message) &&
        /react must be a function/.test(e.message),
    );
  });
});
