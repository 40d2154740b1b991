import type { Decider, Message } from './decider';
import { IllegalStateError, ValidationError } from './errors';
import { validateId } from './identifiers';

export const MAX_QUANTITY = 999;
export const MAX_PRICE = 1_000_000;
export const MAX_CART_LINES = 100;

export type AddItem = Message<
  'AddItem',
  { readonly cartId: string; readonly productId: string; readonly quantity: number; readonly unitPrice: number }
>;
/** Removes `quantity` units of a product (all of them when absent). */
export type RemoveItem = Message<
  'RemoveItem',
  { readonly cartId: string; readonly productId: string; readonly quantity?: number }
>;
export type ConfirmCart = Message<'ConfirmCart', { readonly cartId: string }>;
export type CancelCart = Message<'CancelCart', { readonly cartId: string; readonly reason?: string }>;
export type CartCommand = AddItem | RemoveItem | ConfirmCart | CancelCart;

export type ItemAdded = Message<
  'ItemAdded',
  { readonly cartId: string; readonly productId: string; readonly quantity: number; readonly unitPrice: number }
>;
export type ItemRemoved = Message<
  'ItemRemoved',
  { readonly cartId: string; readonly productId: string; readonly quantity: number }
>;
export type CartConfirmed = Message<
  'CartConfirmed',
  { readonly cartId: string; readonly total: number; readonly items: number }
>;
export type CartCancelled = Message<'CartCancelled', { readonly cartId: string; readonly reason?: string }>;
export type CartEvent = ItemAdded | ItemRemoved | CartConfirmed | CartCancelled;

export interface CartLine {
  readonly quantity: number;
  readonly unitPrice: number;
}

/** `none`: nothing was ever added. A cart opens with its first item and ends confirmed or cancelled. */
export interface CartState {
  readonly status: 'none' | 'open' | 'confirmed' | 'cancelled';
  readonly lines: Readonly<Record<string, CartLine>>;
}

export const cartStreamId = (cartId: string): string => `cart-${cartId}`;

/** Money is kept to the cent: sums are done in cents so 0.1 + 0.2 stays 0.3. */
export const cents = (amount: number): number => Math.round(amount * 100);
export const fromCents = (amountInCents: number): number => amountInCents / 100;

export function cartTotal(lines: Readonly<Record<string, CartLine>>): number {
  return fromCents(Object.values(lines).reduce((sum, line) => sum + line.quantity * cents(line.unitPrice), 0));
}

export const cartItemCount = (lines: Readonly<Record<string, CartLine>>): number =>
  Object.values(lines).reduce((n, line) => n + line.quantity, 0);

function validateQuantity(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_QUANTITY) {
    throw new ValidationError(
      `The quantity must be a whole number from 1 to ${MAX_QUANTITY}; got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

function validatePrice(value: unknown): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    value > MAX_PRICE ||
    Math.abs(cents(value) - value * 100) > 1e-6
  ) {
    throw new ValidationError(
      `The unit price must be an amount from 0 to ${MAX_PRICE} with at most 2 decimals; got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/** The invariant every change shares: a confirmed or cancelled cart is closed for good. */
function assertOpenForChanges(cartId: string, state: CartState): void {
  if (state.status === 'confirmed')
    throw new IllegalStateError(`Cart ${cartId} is already confirmed: it cannot change any more.`);
  if (state.status === 'cancelled')
    throw new IllegalStateError(`Cart ${cartId} was cancelled: it cannot change any more.`);
}

const describeAmount = (amount: number): string => amount.toFixed(2);

export const cartDecider: Decider<CartCommand, CartEvent, CartState> = {
  initialState: () => ({ status: 'none', lines: {} }),

  decide(command, state) {
    const cartId = validateId(command.data.cartId, 'cart id');
    switch (command.type) {
      case 'AddItem': {
        const productId = validateId(command.data.productId, 'product id');
        const quantity = validateQuantity(command.data.quantity);
        const unitPrice = validatePrice(command.data.unitPrice);
        assertOpenForChanges(cartId, state);
        const line = state.lines[productId];
        if (line && cents(line.unitPrice) !== cents(unitPrice)) {
          throw new IllegalStateError(
            `Cart ${cartId} already has ${productId} at ${describeAmount(line.unitPrice)} each; remove it first to change its price.`,
          );
        }
        if (line && line.quantity + quantity > MAX_QUANTITY)
          throw new IllegalStateError(
            `Cart ${cartId} would hold ${line.quantity + quantity} × ${productId}; at most ${MAX_QUANTITY}.`,
          );
        if (!line && Object.keys(state.lines).length >= MAX_CART_LINES)
          throw new IllegalStateError(`Cart ${cartId} already has ${MAX_CART_LINES} different products.`);
        return [{ type: 'ItemAdded', data: { cartId, productId, quantity, unitPrice } }];
      }
      case 'RemoveItem': {
        const productId = validateId(command.data.productId, 'product id');
        const requested = command.data.quantity === undefined ? undefined : validateQuantity(command.data.quantity);
        if (state.status === 'none')
          throw new IllegalStateError(`Cart ${cartId} does not exist: there is nothing to remove.`);
        assertOpenForChanges(cartId, state);
        const line = state.lines[productId];
        if (!line) throw new IllegalStateError(`Cart ${cartId} has no ${productId} to remove.`);
        if (requested !== undefined && requested > line.quantity)
          throw new IllegalStateError(
            `Cart ${cartId} has only ${line.quantity} × ${productId}; cannot remove ${requested}.`,
          );
        return [{ type: 'ItemRemoved', data: { cartId, productId, quantity: requested ?? line.quantity } }];
      }
      case 'ConfirmCart': {
        if (state.status === 'none') throw new IllegalStateError(`Cart ${cartId} does not exist: add an item first.`);
        assertOpenForChanges(cartId, state);
        const items = cartItemCount(state.lines);
        if (items === 0) throw new IllegalStateError(`Cart ${cartId} is empty: an empty cart cannot be confirmed.`);
        return [{ type: 'CartConfirmed', data: { cartId, total: cartTotal(state.lines), items } }];
      }
      case 'CancelCart': {
        if (state.status === 'none') throw new IllegalStateError(`Cart ${cartId} does not exist.`);
        assertOpenForChanges(cartId, state);
        const reason = typeof command.data.reason === 'string' ? command.data.reason.trim() : '';
        return [{ type: 'CartCancelled', data: reason ? { cartId, reason } : { cartId } }];
      }
      default: {
        const unknown: never = command;
        throw new ValidationError(`Unknown cart command ${JSON.stringify((unknown as Message).type)}.`);
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'ItemAdded': {
        const line = state.lines[event.data.productId];
        const quantity = (line?.quantity ?? 0) + event.data.quantity;
        return {
          status: 'open',
          lines: { ...state.lines, [event.data.productId]: { quantity, unitPrice: event.data.unitPrice } },
        };
      }
      case 'ItemRemoved': {
        const line = state.lines[event.data.productId];
        if (!line) return state;
        const lines = { ...state.lines };
        const quantity = line.quantity - event.data.quantity;
        if (quantity > 0) lines[event.data.productId] = { ...line, quantity };
        else delete lines[event.data.productId];
        return { ...state, lines };
      }
      case 'CartConfirmed':
        return { ...state, status: 'confirmed' };
      case 'CartCancelled':
        return { ...state, status: 'cancelled' };
      default:
        return state;
    }
  },
};
