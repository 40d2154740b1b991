import type { Decider, Message } from './decider';
import { IllegalStateError, ValidationError } from './errors';
import { validateId } from './identifiers';

export const MAX_STOCK = 1_000_000;

export type RestockProduct = Message<'RestockProduct', { readonly productId: string; readonly quantity: number }>;
/** Sets units of a product aside for a confirmed cart; refused when fewer are left. */
export type ReserveStock = Message<
  'ReserveStock',
  { readonly productId: string; readonly quantity: number; readonly cartId: string }
>;
/** Gives back what a cart had reserved (the compensation when the rest of its order could not be reserved). */
export type ReleaseStock = Message<'ReleaseStock', { readonly productId: string; readonly cartId: string }>;
export type InventoryCommand = RestockProduct | ReserveStock | ReleaseStock;

export type ProductRestocked = Message<'ProductRestocked', { readonly productId: string; readonly quantity: number }>;
export type StockReserved = Message<
  'StockReserved',
  { readonly productId: string; readonly quantity: number; readonly cartId: string }
>;
export type StockReleased = Message<
  'StockReleased',
  { readonly productId: string; readonly quantity: number; readonly cartId: string }
>;
export type InventoryEvent = ProductRestocked | StockReserved | StockReleased;

/** Units on hand that no cart has reserved, and what each cart holds. */
export interface InventoryState {
  readonly available: number;
  readonly reserved: Readonly<Record<string, number>>;
}

export const stockStreamId = (productId: string): string => `stock-${productId}`;

function validateUnits(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_STOCK) {
    throw new ValidationError(
      `The quantity must be a whole number from 1 to ${MAX_STOCK}; got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/** The stock of one product: it can be reserved only while enough is left, and released only by the cart that holds it. */
export const inventoryDecider: Decider<InventoryCommand, InventoryEvent, InventoryState> = {
  initialState: () => ({ available: 0, reserved: {} }),

  decide(command, state) {
    const productId = validateId(command.data.productId, 'product id');
    switch (command.type) {
      case 'RestockProduct': {
        const quantity = validateUnits(command.data.quantity);
        if (state.available + quantity > MAX_STOCK)
          throw new IllegalStateError(
            `Stock of ${productId} would reach ${state.available + quantity}; at most ${MAX_STOCK}.`,
          );
        return [{ type: 'ProductRestocked', data: { productId, quantity } }];
      }
      case 'ReserveStock': {
        const quantity = validateUnits(command.data.quantity);
        const cartId = validateId(command.data.cartId, 'cart id');
        if (state.reserved[cartId] !== undefined)
          throw new IllegalStateError(`Cart ${cartId} already holds ${state.reserved[cartId]} × ${productId}.`);
        if (quantity > state.available)
          throw new IllegalStateError(
            `Only ${state.available} × ${productId} left in stock; cart ${cartId} asks for ${quantity}.`,
          );
        return [{ type: 'StockReserved', data: { productId, quantity, cartId } }];
      }
      case 'ReleaseStock': {
        const cartId = validateId(command.data.cartId, 'cart id');
        const held = state.reserved[cartId];
        if (held === undefined) throw new IllegalStateError(`Cart ${cartId} holds no ${productId} to release.`);
        return [{ type: 'StockReleased', data: { productId, quantity: held, cartId } }];
      }
      default: {
        const unknown: never = command;
        throw new ValidationError(`Unknown inventory command ${JSON.stringify((unknown as Message).type)}.`);
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'ProductRestocked':
        return { ...state, available: state.available + event.data.quantity };
      case 'StockReserved':
        return {
          available: state.available - event.data.quantity,
          reserved: { ...state.reserved, [event.data.cartId]: event.data.quantity },
        };
      case 'StockReleased': {
        const reserved = { ...state.reserved };
        delete reserved[event.data.cartId];
        return { available: state.available + event.data.quantity, reserved };
      }
      default:
        return state;
    }
  },
};

export type NotifyCustomer = Message<'NotifyCustomer', { readonly cartId: string; readonly message: string }>;
export type CustomerNotified = Message<'CustomerNotified', { readonly cartId: string; readonly message: string }>;
export const MAX_NOTICE_LENGTH = 300;

/** What was said to the customer about one cart: said once, never taken back. */
export interface NoticeState {
  readonly sent: boolean;
}

export const noticeStreamId = (cartId: string): string => `notice-${cartId}`;

export const noticeDecider: Decider<NotifyCustomer, CustomerNotified, NoticeState> = {
  initialState: () => ({ sent: false }),
  decide(command, state) {
    const cartId = validateId(command.data.cartId, 'cart id');
    const message = typeof command.data.message === 'string' ? command.data.message.trim() : '';
    if (message === '' || message.length > MAX_NOTICE_LENGTH)
      throw new ValidationError(`The message must be 1 to ${MAX_NOTICE_LENGTH} characters.`);
    if (state.sent) throw new IllegalStateError(`The customer of cart ${cartId} was already notified.`);
    return [{ type: 'CustomerNotified', data: { cartId, message } }];
  },
  evolve: (state, event) => (event.type === 'CustomerNotified' ? { sent: true } : state),
};
