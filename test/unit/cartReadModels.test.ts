import * as assert from 'node:assert/strict';
import { cartDetails, type CartDetailsState } from '../../src/core/projections/cartDetails';
import { productTotals, type ProductTotalsState } from '../../src/core/projections/productTotals';
import type { Projection } from '../../src/core/projections/projection';
import type { RecordedEvent } from '../../src/core/eventStore/types';
import { recorded, resetPositions } from '../builders/events';

const run = <S>(p: Projection<S>, events: RecordedEvent[]): S =>
  events
    .filter((e) => p.eventTypes.length === 0 || p.eventTypes.includes(e.type))
    .reduce((s, e) => p.evolve(s, e), p.initialState());

describe('Cart read models', () => {
  let events: RecordedEvent[];
  beforeEach(() => {
    resetPositions();
    events = [
      recorded('cart-a', 1, 'ItemAdded', { cartId: 'a', productId: 'book', quantity: 2, unitPrice: 12.5 }),
      recorded('cart-b', 1, 'ItemAdded', { cartId: 'b', productId: 'book', quantity: 1, unitPrice: 12.5 }),
      recorded('cart-a', 2, 'ItemAdded', { cartId: 'a', productId: 'pen', quantity: 3, unitPrice: 1.2 }),
      recorded('cart-a', 3, 'ItemRemoved', { cartId: 'a', productId: 'pen', quantity: 1 }),
      recorded('cart-c', 1, 'ItemAdded', { cartId: 'c', productId: 'pen', quantity: 5, unitPrice: 1.2 }),
      recorded('cart-a', 4, 'CartConfirmed', { cartId: 'a', total: 27.4, items: 4 }),
      recorded('cart-b', 2, 'CartCancelled', { cartId: 'b', reason: 'changed mind' }),
    ];
  });

  it('Cart details: one entry per cart stream with lines, total and status', () => {
    const state = run<CartDetailsState>(cartDetails, events);
    assert.deepEqual(
      Object.values(state.carts).map((c) => [c.cartId, c.status, c.items, c.total]),
      [
        ['a', 'confirmed', 4, 27.4],
        ['b', 'cancelled', 1, 12.5],
        ['c', 'open', 5, 6],
      ],
    );
    assert.deepEqual(state.carts.a?.lines, {
      book: { quantity: 2, unitPrice: 12.5 },
      pen: { quantity: 2, unitPrice: 1.2 },
    });
    assert.equal(state.carts.b?.reason, 'changed mind');
  });

  it('Totals per product: summed across carts, moved to "sold" on confirm and out on cancel', () => {
    const state = run<ProductTotalsState>(productTotals, events);
    assert.deepEqual(state.products.book, { inOpenCarts: 0, sold: 2, revenue: 25, carts: 2 });
    assert.deepEqual(state.products.pen, { inOpenCarts: 5, sold: 2, revenue: 2.4, carts: 2 });
    assert.deepEqual(Object.keys(state.openCarts), ['c'], 'only the open cart is kept for later');
  });

  it('both are built from the same events, keyed differently', () => {
    const byCart = run<CartDetailsState>(cartDetails, events);
    const byProduct = run<ProductTotalsState>(productTotals, events);
    const openPensByCart = Object.values(byCart.carts)
      .filter((c) => c.status === 'open')
      .reduce((n, c) => n + (c.lines.pen?.quantity ?? 0), 0);
    assert.equal(byProduct.products.pen?.inOpenCarts, openPensByCart);
  });

  it('views show plain text rows', () => {
    const rows = cartDetails.view(run<CartDetailsState>(cartDetails, events));
    assert.deepEqual(
      rows.map((r) => [r.label, r.description]),
      [
        ['a', 'confirmed · 4 items · 27.40'],
        ['b', 'cancelled · 1 item · 12.50'],
        ['c', 'open · 5 items · 6.00'],
      ],
    );
    assert.deepEqual(
      rows[0]!.children?.map((r) => r.description),
      ['2 × 12.50 = 25.00', '2 × 1.20 = 2.40'],
    );
    const products = productTotals.view(run<ProductTotalsState>(productTotals, events));
    assert.deepEqual(
      products.map((r) => r.description),
      ['2 sold (25.00) · 0 in open carts', '2 sold (2.40) · 5 in open carts'],
    );
  });

  it("answers a cart's total, and says when there is no such cart", () => {
    const state = run<CartDetailsState>(cartDetails, events);
    const query = cartDetails.queries!.find((q) => q.name === 'cartTotal')!;
    assert.match(query.run(state, 'a').answer, /Cart a totals 27\.40 for 4 items \(confirmed\)/);
    assert.equal(query.run(state, 'zzz').found, false);
  });

  it('ignores events of carts it never saw opened', () => {
    const state = run<CartDetailsState>(cartDetails, [
      recorded('cart-x', 2, 'ItemRemoved', { cartId: 'x', productId: 'pen', quantity: 1 }),
    ]);
    assert.deepEqual(state.carts, {});
    const totals = run<ProductTotalsState>(productTotals, [
      recorded('cart-x', 2, 'CartConfirmed', { cartId: 'x', total: 0, items: 0 }),
    ]);
    assert.deepEqual(totals.products, {});
  });

  it('states are plain JSON that survive a save and load', () => {
    const state = run<ProductTotalsState>(productTotals, events);
    assert.deepEqual(JSON.parse(JSON.stringify(state)), state);
  });
});
