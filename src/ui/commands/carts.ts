import * as vscode from 'vscode';
import type { StoreSession } from '../../core/application/session';
import { cartAggregate, commandSchemaFor } from '../../core/domain/aggregates';
import { MAX_QUANTITY } from '../../core/domain/cart';
import { parseFieldInput, type FieldSchema } from '../../core/domain/commandSchema';
import { cartDetails, type CartDetailsState } from '../../core/projections/cartDetails';
import { newInstanceId, pickOrType } from '../commandInput';
import { boundary, issue, registerCommand, type CommandContext } from './boundary';

type CartArgs = { cartId?: unknown; productId?: unknown; quantity?: unknown; unitPrice?: unknown; reason?: unknown };

interface CartPick extends vscode.QuickPickItem {
  readonly cartId?: string;
  readonly isNew?: boolean;
}

/** The carts of the Cart details read model. */
export function carts(session: StoreSession): CartDetailsState['carts'] {
  return session.projector.stateOf(cartDetails).carts;
}

const cartField = (name: string, command = 'AddItem'): FieldSchema =>
  commandSchemaFor(cartAggregate, command)!.fields.find((f) => f.name === name)!;

const fieldError = (field: FieldSchema) => (text: string) => {
  const result = parseFieldInput(field, text);
  return 'error' in result ? result.error : undefined;
};

/** Asks for one value in an input box checked by its field schema; undefined when dismissed, `{ value: undefined }` when left empty. */
async function askField<T = string>(
  field: FieldSchema,
  title: string,
  value?: string,
  prompt?: string,
): Promise<{ value: T | undefined } | undefined> {
  const typed = await vscode.window.showInputBox({
    title,
    prompt: prompt ?? field.description ?? field.title ?? field.name,
    value,
    ignoreFocusOut: true,
    validateInput: fieldError(field),
  });
  if (typed === undefined) return undefined;
  const result = parseFieldInput(field, typed);
  return { value: ('value' in result ? result.value : typed) as T | undefined };
}

function cartPicks(session: StoreSession, allowNew: boolean): CartPick[] {
  const all = Object.values(carts(session)).sort(
    (a, b) => Number(b.status === 'open') - Number(a.status === 'open') || b.updatedAt.localeCompare(a.updatedAt),
  );
  const items: CartPick[] = [];
  if (allowNew) items.push({ label: '$(add) New cart…', description: 'a new cart id', isNew: true });
  for (const cart of all) {
    items.push({
      label: cart.cartId,
      description: `${cart.status} · ${cart.items} item${cart.items === 1 ? '' : 's'} · ${cart.total.toFixed(2)}`,
      detail: cart.status === 'open' ? undefined : `$(lock) ${cart.status}: the Cart aggregate will reject any change`,
      cartId: cart.cartId,
    });
  }
  return items;
}

/** Carts from the Cart details read model: open ones first; closed ones too, so a person can see a change refused. */
async function pickCart(session: StoreSession, title: string, allowNew: boolean): Promise<string | undefined> {
  const items = cartPicks(session, allowNew);
  if (items.length === 0) {
    void vscode.window.showInformationMessage(
      'There is no cart yet. Add an item with "Event Store: Add Item to Cart", or run "Event Store: Seed Demo Data".',
    );
    return undefined;
  }
  const placeHolder = 'Which cart? (from the Cart details read model)';
  const picked = await vscode.window.showQuickPick(items, {
    title,
    placeHolder,
    ignoreFocusOut: true,
    matchOnDescription: true,
  });
  if (!picked) return undefined;
  if (!picked.isNew) return picked.cartId;
  const prompt = 'Id of the new cart (its stream is cart-<id>)';
  return (await askField(cartField('cartId'), title, newInstanceId(), prompt))?.value;
}

/** The cart given as an argument, or the one the person picks. */
async function givenOrPickedCart(session: StoreSession, args: CartArgs | undefined, title: string, allowNew = false) {
  return typeof args?.cartId === 'string' ? args.cartId : pickCart(session, title, allowNew);
}

/** The product given as an argument, or the one the person picks or types (checked by the command's schema). */
async function givenOrPickedProduct(
  args: CartArgs | undefined,
  title: string,
  command: 'AddItem' | 'RemoveItem',
  pick: { placeholder: string; items: vscode.QuickPickItem[] },
): Promise<string | undefined> {
  if (typeof args?.productId === 'string') return args.productId;
  return pickOrType({ title: `${title}: product`, ...pick, validate: fieldError(cartField('productId', command)) });
}

/** The last price each product was added at, across every cart. */
function knownPrices(session: StoreSession): Map<string, number> {
  const prices = new Map<string, { price: number; at: string }>();
  for (const cart of Object.values(carts(session))) {
    for (const [productId, line] of Object.entries(cart.lines)) {
      const known = prices.get(productId);
      if (!known || known.at < cart.updatedAt) prices.set(productId, { price: line.unitPrice, at: cart.updatedAt });
    }
  }
  return new Map([...prices].map(([k, v]) => [k, v.price]));
}

async function addItemToCart(ctx: CommandContext, args?: CartArgs) {
  const session = await ctx.controller.get();
  const title = 'Add Item to Cart';
  const cartId = await givenOrPickedCart(session, args, title, true);
  if (cartId === undefined) return undefined;
  const prices = knownPrices(session);
  const productId = await givenOrPickedProduct(args, title, 'AddItem', {
    placeholder: 'Pick a product or type a new product id',
    items: [...prices].map(([p, price]) => ({ label: p, description: `last added at ${price.toFixed(2)}` })),
  });
  if (productId === undefined) return undefined;
  const howMany = `How many? (a whole number from 1 to ${MAX_QUANTITY})`;
  const quantity =
    args?.quantity !== undefined
      ? args.quantity
      : (await askField<number>(cartField('quantity'), `${title}: quantity of ${productId}`, '1', howMany))?.value;
  if (quantity === undefined) return undefined;
  const inCart = carts(session)[cartId]?.lines[productId]?.unitPrice ?? prices.get(productId);
  const unitPrice =
    args?.unitPrice !== undefined
      ? args.unitPrice
      : (
          await askField<number>(
            cartField('unitPrice'),
            `${title}: unit price of ${productId}`,
            inCart === undefined ? '' : String(inCart),
            'Price of one unit (e.g. 12.50)',
          )
        )?.value;
  if (unitPrice === undefined) return undefined;
  return issue(ctx, title, { type: 'AddItem', data: { cartId, productId, quantity, unitPrice } });
}

async function removeItemFromCart(ctx: CommandContext, args?: CartArgs) {
  const session = await ctx.controller.get();
  const title = 'Remove Item from Cart';
  const cartId = await givenOrPickedCart(session, args, title);
  if (cartId === undefined) return undefined;
  const lines = carts(session)[cartId]?.lines ?? {};
  const productId = await givenOrPickedProduct(args, title, 'RemoveItem', {
    placeholder: 'Pick a product in the cart (or type another one to see the cart refuse it)',
    items: Object.entries(lines).map(([p, l]) => ({
      label: p,
      description: `${l.quantity} × ${l.unitPrice.toFixed(2)} in the cart`,
    })),
  });
  if (productId === undefined) return undefined;
  let quantity = args?.quantity;
  if (typeof args?.productId !== 'string') {
    const prompt = 'How many to remove? Leave empty to remove them all.';
    const asked = await askField<number>(
      cartField('quantity', 'RemoveItem'),
      `${title}: how many ${productId}?`,
      '',
      prompt,
    );
    if (!asked) return undefined;
    quantity = asked.value;
  }
  const data: Record<string, unknown> = { cartId, productId };
  if (quantity !== undefined) data.quantity = quantity;
  return issue(ctx, title, { type: 'RemoveItem', data });
}

async function confirmCart(ctx: CommandContext, args?: CartArgs) {
  const cartId = await givenOrPickedCart(await ctx.controller.get(), args, 'Confirm Cart');
  if (cartId === undefined) return undefined;
  return issue(ctx, 'Confirm Cart', { type: 'ConfirmCart', data: { cartId } });
}

async function cancelCart(ctx: CommandContext, args?: CartArgs) {
  const cartId = await givenOrPickedCart(await ctx.controller.get(), args, 'Cancel Cart');
  if (cartId === undefined) return undefined;
  let reason = typeof args?.reason === 'string' ? args.reason : undefined;
  if (typeof args?.cartId !== 'string') {
    const typed = await vscode.window.showInputBox({
      title: `Cancel Cart ${cartId}`,
      prompt: 'Why? (optional)',
      ignoreFocusOut: true,
      validateInput: fieldError(cartField('reason', 'CancelCart')),
    });
    if (typed === undefined) return undefined;
    reason = typed.trim() || undefined;
  }
  return issue(ctx, 'Cancel Cart', { type: 'CancelCart', data: reason ? { cartId, reason } : { cartId } });
}

export function registerCartCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    registerCommand('eventStore.addItemToCart', (args?: CartArgs) =>
      boundary(ctx, 'Add Item to Cart', () => addItemToCart(ctx, args)),
    ),
    registerCommand('eventStore.removeItemFromCart', (args?: CartArgs) =>
      boundary(ctx, 'Remove Item from Cart', () => removeItemFromCart(ctx, args)),
    ),
    registerCommand('eventStore.confirmCart', (args?: CartArgs) =>
      boundary(ctx, 'Confirm Cart', () => confirmCart(ctx, args)),
    ),
    registerCommand('eventStore.cancelCart', (args?: CartArgs) =>
      boundary(ctx, 'Cancel Cart', () => cancelCart(ctx, args)),
    ),
  ];
}
