import { cents, fromCents, type CartEvent, type CartLine } from '../domain/cart';
import type { Projection } from './projection';

export interface ProductTotal {
  /** Units in carts that are still open. */
  inOpenCarts: number;
  /** Units in confirmed carts. */
  sold: number;
  /** What the sold units brought in. */
  revenue: number;
  /** How many carts ever had this product. */
  carts: number;
}

export interface ProductTotalsState {
  products: Record<string, ProductTotal>;
  /** The lines of each open cart: needed to move its units to "sold" or back when it closes. */
  openCarts: Record<string, Record<string, CartLine>>;
}

// Events of another store may share a type name without its fields: an amount that is not a number is shown as such.
const money = (amount: number): string => (typeof amount === 'number' ? amount.toFixed(2) : String(amount));
const blank = (): ProductTotal => ({ inOpenCarts: 0, sold: 0, revenue: 0, carts: 0 });

/**
 * Totals per product across every cart: a cross-stream read model. It folds the same events as
 * Cart details, keyed by product instead of by cart.
 */
export const productTotals: Projection<ProductTotalsState, CartEvent> = {
  name: 'productTotals',
  title: 'Totals per product',
  description:
    'Answers "how much of each product is in carts, and how much was sold?": summed across every cart stream, keyed by product.',
  eventTypes: ['ItemAdded', 'ItemRemoved', 'CartConfirmed', 'CartCancelled'],
  initialState: () => ({ products: {}, openCarts: {} }),
  evolve(state, event) {
    const { cartId } = event.data;
    switch (event.type) {
      case 'ItemAdded': {
        const lines = (state.openCarts[cartId] ??= {});
        const product = (state.products[event.data.productId] ??= blank());
        if (!lines[event.data.productId]) product.carts += 1;
        const line = lines[event.data.productId];
        lines[event.data.productId] = {
          quantity: (line?.quantity ?? 0) + event.data.quantity,
          unitPrice: event.data.unitPrice,
        };
        product.inOpenCarts += event.data.quantity;
        break;
      }
      case 'ItemRemoved': {
        const lines = state.openCarts[cartId];
        const line = lines?.[event.data.productId];
        const product = state.products[event.data.productId];
        if (!lines || !line || !product) break;
        const removed = Math.min(line.quantity, event.data.quantity);
        product.inOpenCarts -= removed;
        if (line.quantity > removed) lines[event.data.productId] = { ...line, quantity: line.quantity - removed };
        else delete lines[event.data.productId];
        break;
      }
      case 'CartConfirmed':
      case 'CartCancelled': {
        const lines = state.openCarts[cartId];
        if (!lines) break;
        for (const [productId, line] of Object.entries(lines)) {
          const product = (state.products[productId] ??= blank());
          product.inOpenCarts -= line.quantity;
          if (event.type === 'CartConfirmed') {
            product.sold += line.quantity;
            product.revenue = fromCents(cents(product.revenue) + line.quantity * cents(line.unitPrice));
          }
        }
        delete state.openCarts[cartId];
        break;
      }
    }
    return state;
  },
  view(state) {
    return Object.entries(state.products)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([productId, p]) => ({
        label: productId,
        description: `${p.sold} sold (${money(p.revenue)}) · ${p.inOpenCarts} in open carts`,
        tooltip: `${productId}: ${p.sold} units sold in confirmed carts for ${money(p.revenue)}; ${p.inOpenCarts} units in carts that are still open; in ${p.carts} cart${p.carts === 1 ? '' : 's'} so far.`,
        icon: 'tag',
        path: ['products', productId],
      }));
  },
  queries: [
    {
      name: 'productSales',
      title: 'Sales of a product',
      parameter: {
        name: 'productId',
        prompt: 'Which product?',
        suggestions: (state) => Object.keys(state.products).sort(),
      },
      run(state, productId) {
        const p = state.products[productId ?? ''];
        if (!p) return { answer: `No cart ever had ${JSON.stringify(productId)}.`, found: false };
        return {
          answer: `${productId}: ${p.sold} sold for ${money(p.revenue)}, ${p.inOpenCarts} in open carts, in ${p.carts} cart${p.carts === 1 ? '' : 's'} so far.`,
          found: true,
          value: p,
        };
      },
    },
  ],
};
