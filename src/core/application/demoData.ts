import type { CommandHandler, CommandResult } from './commandHandler';

/** A small story that shows every user event type: people join, one is renamed, one leaves. */
export const DEMO_USERS: readonly { readonly userId: string; readonly name: string }[] = [
  { userId: 'ada', name: 'Ada Lovelace' },
  { userId: 'grace', name: 'Grace Hopper' },
  { userId: 'alan', name: 'Alan Turing' },
  { userId: 'margaret', name: 'Margaret Hamilton' },
  { userId: 'edsger', name: 'Edsger Dijkstra' },
];

/** Every conversation of the demo seeding starts with this correlation id prefix. */
export const DEMO_CORRELATION_PREFIX = 'demo-seed-';

/** A command of the demo seeding (its reactions included), however it was started: palette, CLI. */
export const isDemoSeeding = (entry: { readonly correlationId?: string }): boolean =>
  entry.correlationId?.startsWith(DEMO_CORRELATION_PREFIX) ?? false;

type DemoCommand = { readonly type: string; readonly data: Record<string, unknown> };

/** The stock the shop starts with: short of pens, so one confirmed cart cannot be served. */
export const DEMO_STOCK: readonly { readonly productId: string; readonly quantity: number }[] = [
  { productId: 'book', quantity: 3 },
  { productId: 'pen', quantity: 1 },
  { productId: 'notebook', quantity: 5 },
];

/**
 * Four carts: two confirmed, one cancelled, one still open; the same products in several carts.
 * Confirming a cart makes the stock reservation react: ada-1 asks for more pens than are left, so
 * its book is released again and its customer told; margaret-1 is reserved.
 */
export const DEMO_CARTS: readonly { readonly cartId: string; readonly commands: readonly DemoCommand[] }[] = [
  {
    cartId: 'ada-1',
    commands: [
      { type: 'AddItem', data: { cartId: 'ada-1', productId: 'book', quantity: 2, unitPrice: 12.5 } },
      { type: 'AddItem', data: { cartId: 'ada-1', productId: 'pen', quantity: 3, unitPrice: 1.2 } },
      { type: 'RemoveItem', data: { cartId: 'ada-1', productId: 'pen', quantity: 1 } },
      { type: 'ConfirmCart', data: { cartId: 'ada-1' } },
    ],
  },
  {
    cartId: 'grace-1',
    commands: [
      { type: 'AddItem', data: { cartId: 'grace-1', productId: 'notebook', quantity: 1, unitPrice: 4.75 } },
      { type: 'AddItem', data: { cartId: 'grace-1', productId: 'book', quantity: 1, unitPrice: 12.5 } },
      { type: 'CancelCart', data: { cartId: 'grace-1', reason: 'Changed her mind' } },
    ],
  },
  {
    cartId: 'alan-1',
    commands: [
      { type: 'AddItem', data: { cartId: 'alan-1', productId: 'pen', quantity: 2, unitPrice: 1.2 } },
      { type: 'AddItem', data: { cartId: 'alan-1', productId: 'notebook', quantity: 2, unitPrice: 4.75 } },
    ],
  },
  {
    cartId: 'margaret-1',
    commands: [
      { type: 'AddItem', data: { cartId: 'margaret-1', productId: 'notebook', quantity: 1, unitPrice: 4.75 } },
      { type: 'ConfirmCart', data: { cartId: 'margaret-1' } },
    ],
  },
];

/**
 * Issues the demo commands through the write model, like a person would. Each step is skipped when
 * the store already shows it happened, so seeding twice adds nothing twice (and logs no rejection).
 */
export async function seedDemoData(handler: CommandHandler, source = 'demo'): Promise<CommandResult[]> {
  const results: CommandResult[] = [];
  // One conversation per story, so the causality of a cart is that cart's, not the whole seed's.
  let correlationId = `${DEMO_CORRELATION_PREFIX}users`;
  const run = async (command: DemoCommand) => {
    results.push(await handler.execute({ ...command, metadata: { correlationId, source } }));
  };
  const user = (userId: string) =>
    handler.stateOf(`user-${userId}`)?.state as { status: string; name?: string } | undefined;

  for (const demo of DEMO_USERS)
    if (user(demo.userId)?.status === 'none') await run({ type: 'CreateUser', data: demo });
  if (user('grace')?.name === 'Grace Hopper' && user('grace')?.status === 'active')
    await run({ type: 'RenameUser', data: { userId: 'grace', name: 'Rear Admiral Grace Hopper' } });
  if (user('edsger')?.status === 'active')
    await run({ type: 'DeactivateUser', data: { userId: 'edsger', reason: 'Left the team' } });
  if (user('margaret')?.name === 'Margaret Hamilton' && user('margaret')?.status === 'active')
    await run({ type: 'RenameUser', data: { userId: 'margaret', name: 'Margaret H. Hamilton' } });
  correlationId = `${DEMO_CORRELATION_PREFIX}stock`;
  for (const stock of DEMO_STOCK)
    if (!handler.stateOf(`stock-${stock.productId}`)?.version) await run({ type: 'RestockProduct', data: stock });
  for (const cart of DEMO_CARTS) {
    if (handler.stateOf(`cart-${cart.cartId}`)?.version) continue;
    correlationId = `${DEMO_CORRELATION_PREFIX}cart-${cart.cartId}`;
    for (const command of cart.commands) await run(command);
  }
  return results;
}
