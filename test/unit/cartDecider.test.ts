import { cartDecider, type CartEvent } from '../../src/core/domain/cart';
import { given } from '../builders/givenWhenThen';

const added = (productId: string, quantity: number, unitPrice: number): CartEvent => ({
  type: 'ItemAdded',
  data: { cartId: 'c1', productId, quantity, unitPrice },
});
const books = added('book', 2, 12.5);
const pens = added('pen', 3, 1.2);
const confirmed: CartEvent = { type: 'CartConfirmed', data: { cartId: 'c1', total: 28.6, items: 5 } };
const cancelled: CartEvent = { type: 'CartCancelled', data: { cartId: 'c1' } };
const removedAllBooks: CartEvent = { type: 'ItemRemoved', data: { cartId: 'c1', productId: 'book', quantity: 2 } };

describe('Cart decider', () => {
  describe('AddItem', () => {
    it('opens a cart with its first item', () =>
      given(cartDecider)
        .when({ type: 'AddItem', data: { cartId: 'c1', productId: 'book', quantity: 2, unitPrice: 12.5 } })
        .then([books]));
    it('adds more of a product already in the cart at the same price', () =>
      given(cartDecider, [books])
        .when({ type: 'AddItem', data: { cartId: 'c1', productId: 'book', quantity: 1, unitPrice: 12.5 } })
        .then([added('book', 1, 12.5)]));
    it('rejects a product already in the cart at another price', () =>
      given(cartDecider, [books])
        .when({ type: 'AddItem', data: { cartId: 'c1', productId: 'book', quantity: 1, unitPrice: 10 } })
        .thenRejects('IllegalStateError', /already has book at 12\.50/));
    it('rejects adding to a confirmed cart', () =>
      given(cartDecider, [books, confirmed])
        .when({ type: 'AddItem', data: { cartId: 'c1', productId: 'pen', quantity: 1, unitPrice: 1 } })
        .thenRejects('IllegalStateError', /already confirmed/));
    it('rejects adding to a cancelled cart', () =>
      given(cartDecider, [books, cancelled])
        .when({ type: 'AddItem', data: { cartId: 'c1', productId: 'pen', quantity: 1, unitPrice: 1 } })
        .thenRejects('IllegalStateError', /was cancelled/));
    it('rejects a quantity that is not a whole number from 1 to 999', () => {
      for (const quantity of [0, -1, 1.5, 1000]) {
        given(cartDecider)
          .when({ type: 'AddItem', data: { cartId: 'c1', productId: 'book', quantity, unitPrice: 1 } })
          .thenRejects('ValidationError', /quantity must be a whole number from 1 to 999/);
      }
    });
    it('rejects a negative price or one with more than 2 decimals', () => {
      for (const unitPrice of [-1, 1.234]) {
        given(cartDecider)
          .when({ type: 'AddItem', data: { cartId: 'c1', productId: 'book', quantity: 1, unitPrice } })
          .thenRejects('ValidationError', /unit price/);
      }
    });
    it('rejects a malformed product id', () =>
      given(cartDecider)
        .when({ type: 'AddItem', data: { cartId: 'c1', productId: 'a b', quantity: 1, unitPrice: 1 } })
        .thenRejects('ValidationError', /product id "a b" is not valid/));
    it('rejects more than 999 units of one product in a cart', () =>
      given(cartDecider, [added('book', 999, 1)])
        .when({ type: 'AddItem', data: { cartId: 'c1', productId: 'book', quantity: 1, unitPrice: 1 } })
        .thenRejects('IllegalStateError', /at most 999/));
  });

  describe('RemoveItem', () => {
    it('removes some units of a product in the cart', () =>
      given(cartDecider, [books, pens])
        .when({ type: 'RemoveItem', data: { cartId: 'c1', productId: 'pen', quantity: 1 } })
        .then([{ type: 'ItemRemoved', data: { cartId: 'c1', productId: 'pen', quantity: 1 } }]));
    it('removes every unit when no quantity is given', () =>
      given(cartDecider, [books])
        .when({ type: 'RemoveItem', data: { cartId: 'c1', productId: 'book' } })
        .then([removedAllBooks]));
    it('rejects removing a product that is not in the cart', () =>
      given(cartDecider, [books])
        .when({ type: 'RemoveItem', data: { cartId: 'c1', productId: 'pen' } })
        .thenRejects('IllegalStateError', /has no pen to remove/));
    it('rejects removing a product that was already removed', () =>
      given(cartDecider, [books, removedAllBooks])
        .when({ type: 'RemoveItem', data: { cartId: 'c1', productId: 'book' } })
        .thenRejects('IllegalStateError', /has no book to remove/));
    it('rejects removing more units than the cart holds', () =>
      given(cartDecider, [books])
        .when({ type: 'RemoveItem', data: { cartId: 'c1', productId: 'book', quantity: 3 } })
        .thenRejects('IllegalStateError', /only 2 × book; cannot remove 3/));
    it('rejects removing from a cart that does not exist', () =>
      given(cartDecider)
        .when({ type: 'RemoveItem', data: { cartId: 'c1', productId: 'book' } })
        .thenRejects('IllegalStateError', /does not exist/));
    it('rejects removing from a confirmed cart', () =>
      given(cartDecider, [books, confirmed])
        .when({ type: 'RemoveItem', data: { cartId: 'c1', productId: 'book' } })
        .thenRejects('IllegalStateError', /already confirmed/));
    it('rejects removing from a cancelled cart', () =>
      given(cartDecider, [books, cancelled])
        .when({ type: 'RemoveItem', data: { cartId: 'c1', productId: 'book' } })
        .thenRejects('IllegalStateError', /was cancelled/));
  });

  describe('ConfirmCart', () => {
    it('confirms a cart with items, recording its total and item count', () =>
      given(cartDecider, [books, pens])
        .when({ type: 'ConfirmCart', data: { cartId: 'c1' } })
        .then([confirmed]));
    it('sums money to the cent', () =>
      given(cartDecider, [added('a', 1, 0.1), added('b', 1, 0.2)])
        .when({ type: 'ConfirmCart', data: { cartId: 'c1' } })
        .then([{ type: 'CartConfirmed', data: { cartId: 'c1', total: 0.3, items: 2 } }]));
    it('rejects confirming an empty cart (every item removed)', () =>
      given(cartDecider, [books, removedAllBooks])
        .when({ type: 'ConfirmCart', data: { cartId: 'c1' } })
        .thenRejects('IllegalStateError', /empty cart cannot be confirmed/));
    it('rejects confirming a cart that does not exist', () =>
      given(cartDecider)
        .when({ type: 'ConfirmCart', data: { cartId: 'c1' } })
        .thenRejects('IllegalStateError', /does not exist/));
    it('rejects confirming twice', () =>
      given(cartDecider, [books, confirmed])
        .when({ type: 'ConfirmCart', data: { cartId: 'c1' } })
        .thenRejects('IllegalStateError', /already confirmed/));
    it('rejects confirming a cancelled cart', () =>
      given(cartDecider, [books, cancelled])
        .when({ type: 'ConfirmCart', data: { cartId: 'c1' } })
        .thenRejects('IllegalStateError', /was cancelled/));
  });

  describe('CancelCart', () => {
    it('cancels an open cart, keeping a reason', () =>
      given(cartDecider, [books])
        .when({ type: 'CancelCart', data: { cartId: 'c1', reason: ' too dear ' } })
        .then([{ type: 'CartCancelled', data: { cartId: 'c1', reason: 'too dear' } }]));
    it('cancels a cart whose items were all removed', () =>
      given(cartDecider, [books, removedAllBooks])
        .when({ type: 'CancelCart', data: { cartId: 'c1' } })
        .then([cancelled]));
    it('rejects cancelling a confirmed cart', () =>
      given(cartDecider, [books, confirmed])
        .when({ type: 'CancelCart', data: { cartId: 'c1' } })
        .thenRejects('IllegalStateError', /already confirmed/));
    it('rejects cancelling twice', () =>
      given(cartDecider, [books, cancelled])
        .when({ type: 'CancelCart', data: { cartId: 'c1' } })
        .thenRejects('IllegalStateError', /was cancelled/));
    it('rejects cancelling a cart that does not exist', () =>
      given(cartDecider)
        .when({ type: 'CancelCart', data: { cartId: 'c1' } })
        .thenRejects('IllegalStateError', /does not exist/));
    it('rejects a malformed cart id', () =>
      given(cartDecider)
        .when({ type: 'CancelCart', data: { cartId: '' } })
        .thenRejects('ValidationError', /cart id "" is not valid/));
  });
});
