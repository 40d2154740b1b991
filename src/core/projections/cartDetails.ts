import { cartItemCount, cartTotal, type CartEvent, type CartLine } from '../domain/cart';
import type { Projection } from './projection';

export interface CartEntry {
  readonly cartId: string;
  readonly status: 'open' | 'confirmed' | 'cancelled';
  readonly lines: Record<string, CartLine>;
  readonly total: number;
  readonly items: number;
  readonly openedAt: string;
  readonly updatedAt: string;
  readonly reason?: string;
}

export interface CartDetailsState {
  carts: Record<string, CartEntry>;
}

// Events of another store may share a type name without its fields: an amount that is not a number is shown as such.
const money = (amount: number): string => (typeof amount === 'number' ? amount.toFixed(2) : String(amount));

/** One row per cart: what is in it, what it costs, and whether it is still open. Fed by one stream per cart. */
export const cartDetails: Projection<CartDetailsState, CartEvent> = {
  name: 'cartDetails',
  title: 'Cart details',
  description:
    'Answers "what is in this cart and what does it cost?": one entry per cart stream, with its lines, total and status.',
  eventTypes: ['ItemAdded', 'ItemRemoved', 'CartConfirmed', 'CartCancelled'],
  initialState: () => ({ carts: {} }),
  evolve(state, event) {
    const { cartId } = event.data;
    const existing = state.carts[cartId];
    const at = event.recordedAt;
    switch (event.type) {
      case 'ItemAdded': {
        const cart = existing ?? { cartId, status: 'open', lines: {}, total: 0, items: 0, openedAt: at, updatedAt: at };
        const line = cart.lines[event.data.productId];
        const lines = {
          ...cart.lines,
          [event.data.productId]: {
            quantity: (line?.quantity ?? 0) + event.data.quantity,
            unitPrice: event.data.unitPrice,
          },
        };
        state.carts[cartId] = { ...cart, lines, total: cartTotal(lines), items: cartItemCount(lines), updatedAt: at };
        break;
      }
      case 'ItemRemoved': {
        const line = existing?.lines[event.data.productId];
        if (!existing || !line) break;
        const lines = { ...existing.lines };
        if (line.quantity > event.data.quantity)
          lines[event.data.productId] = { ...line, quantity: line.quantity - event.data.quantity };
        else delete lines[event.data.productId];
        state.carts[cartId] = {
          ...existing,
          lines,
          total: cartTotal(lines),
          items: cartItemCount(lines),
          updatedAt: at,
        };
        break;
      }
      case 'CartConfirmed':
        if (existing) state.carts[cartId] = { ...existing, status: 'confirmed', updatedAt: at };
        break;
      case 'CartCancelled':
        if (existing)
          state.carts[cartId] = {
            ...existing,
            status: 'cancelled',
            updatedAt: at,
            ...(event.data.reason ? { reason: event.data.reason } : {}),
          };
        break;
    }
    return state;
  },
  view(state) {
    return Object.values(state.carts)
      .sort((a, b) => a.cartId.localeCompare(b.cartId))
      .map((cart) => ({
        label: cart.cartId,
        description: `${cart.status} · ${cart.items} item${cart.items === 1 ? '' : 's'} · ${money(cart.total)}`,
        tooltip: `Cart ${cart.cartId}: ${cart.status}, ${cart.items} items, total ${money(cart.total)}; opened ${cart.openedAt}, last changed ${cart.updatedAt}${cart.reason ? `; cancelled because: ${cart.reason}` : ''}.`,
        icon: cart.status === 'open' ? 'package' : cart.status === 'confirmed' ? 'pass' : 'circle-slash',
        path: ['carts', cart.cartId],
        children: Object.entries(cart.lines)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([productId, line]) => ({
            label: productId,
            description: `${line.quantity} × ${money(line.unitPrice)} = ${money((line.quantity * Math.round(line.unitPrice * 100)) / 100)}`,
            icon: 'tag',
            path: ['carts', cart.cartId, 'lines', productId],
          })),
      }));
  },
  queries: [
    {
      name: 'cartTotal',
      title: "A cart's total",
      parameter: { name: 'cartId', prompt: 'Which cart?', suggestions: (state) => Object.keys(state.carts).sort() },
      run(state, cartId) {
        const cart = state.carts[cartId ?? ''];
        if (!cart) return { answer: `There is no cart ${JSON.stringify(cartId)} in Cart details.`, found: false };
        const lines = Object.entries(cart.lines).map(
          ([productId, l]) => `${l.quantity} × ${productId} at ${money(l.unitPrice)}`,
        );
        return {
          answer: `Cart ${cart.cartId} totals ${money(cart.total)} for ${cart.items} item${cart.items === 1 ? '' : 's'} (${cart.status})${lines.length ? `: ${lines.join(', ')}` : ''}.`,
          found: true,
          value: cart,
        };
      },
    },
    {
      name: 'openCarts',
      title: 'Open carts',
      run(state) {
        const open = Object.values(state.carts).filter((c) => c.status === 'open');
        return {
          answer:
            open.length === 0
              ? 'No cart is open.'
              : `${open.length} open cart${open.length === 1 ? '' : 's'}: ${open.map((c) => `${c.cartId} (${money(c.total)})`).join(', ')}.`,
          found: open.length > 0,
          value: open,
        };
      },
    },
  ],
};
