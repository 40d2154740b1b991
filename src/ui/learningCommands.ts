import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { branchFileName, branchStore, checkBranchPosition, type BranchResult } from '../core/application/branch';
import type { CommandEnvelope, CommandResult } from '../core/application/commandHandler';
import type { CommandLogEntry } from '../core/application/commandLog';
import { retryAfterConflict, simulateConcurrentUpdate, type ConcurrentUpdateOutcome } from '../core/application/concurrency';
import type { StoreSession } from '../core/application/session';
import { aggregateForCommand, cartAggregate, commandSchemaFor, type AggregateDefinition } from '../core/domain/aggregates';
import { parseFieldInput, type FieldSchema } from '../core/domain/commandSchema';
import { DomainError } from '../core/domain/errors';
import { DomainModuleError } from '../core/domain/workspaceDomain';
import { EventStoreError, StoreUnreadableError } from '../core/eventStore/errors';
import type { CartDetailsState } from '../core/projections/cartDetails';
import type { Projection, QueryAnswer, ReadModelQuery } from '../core/projections/projection';
import type { UsersDirectoryState } from '../core/projections/usersDirectory';
import { askForCommandData, newInstanceId, pickOrType } from './commandInput';
import { commandEntryUri } from './commandLogTree';
import { resolveDomainModulePath, type DomainModuleController } from './domainModule';
import type { StoreController } from './storeController';

export interface LearningContext {
  readonly context: vscode.ExtensionContext;
  readonly controller: StoreController;
  readonly log: vscode.LogOutputChannel;
  readonly domain: DomainModuleController;
}

export const WALKTHROUGH_ID = 'learn';
/** Context keys the walkthrough completes its steps on. */
export const REJECTION_SEEN = 'eventStore.rejectedCommandSeen';

const EXPLAIN = 'Explain';

/** Opens the explanation of a command log entry (what was decided, appended, delivered). */
async function showEntry(entry: CommandLogEntry): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(commandEntryUri(entry));
  await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
  await vscode.window.showTextDocument(doc, { preview: true, preserveFocus: false });
}

function offerExplain(show: Thenable<string | undefined>, entry: CommandLogEntry | undefined): void {
  void show.then((action) => {
    if (action === EXPLAIN && entry) void showEntry(entry);
  });
}

/**
 * The boundary of each command: a rejection is a warning with its reason, a broken workspace domain
 * an error that says where, anything unexpected goes to the log with detail.
 */
async function boundary<T>(ctx: LearningContext, title: string, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (e) {
    const entry = ctx.controller.session?.commandLog.last();
    if (DomainError.is(e)) {
      ctx.log.info(`${title} rejected: ${e.message}`);
      offerExplain(vscode.window.showWarningMessage(`${title} rejected: ${e.message} Nothing was appended.`, EXPLAIN), entry);
    } else if (DomainModuleError.is(e)) {
      ctx.log.error(`${title}: the workspace domain failed (${e.kind}${e.location ? ` at ${e.location}` : ''}): ${e.message}`);
      const file = resolveDomainModulePath();
      void vscode.window.showErrorMessage(`${title}: the workspace domain failed: ${e.message}${e.location ? ` (${e.location})` : ''}. Nothing was appended.`, 'Open Domain Module').then((action) => {
        if (action && file) void vscode.window.showTextDocument(vscode.Uri.file(file));
      });
    } else if (e instanceof EventStoreError && !StoreUnreadableError.is(e)) {
      ctx.log.warn(`${title}: ${e.message}`);
      offerExplain(vscode.window.showWarningMessage(`${title}: ${e.message}`, EXPLAIN), entry);
    } else {
      ctx.log.error(`${title} failed: ${(e as Error)?.stack ?? String(e)}`);
      void vscode.window.showErrorMessage(`${title} failed: ${(e as Error)?.message ?? String(e)} (details in the "Event Store" output).`);
    }
    return undefined;
  }
}

export function describeResult(result: CommandResult): string {
  if (result.events.length === 0) return `${result.aggregate} decided no event: nothing was appended.`;
  const events = result.events.map((e) => `${e.type} at position ${e.globalPosition} (version ${e.streamVersion} of ${e.streamId})`).join(', ');
  const deliveredTo = result.deliveries.filter((d) => !d.error).map((d) => d.subscriber);
  return `${events}${deliveredTo.length ? `; the event bus delivered it to ${deliveredTo.join(', ')}` : ''}.`;
}

/** Executes a command from the palette and says what happened; rejections surface at the boundary. */
async function issue(ctx: LearningContext, title: string, command: CommandEnvelope): Promise<CommandResult> {
  const session = await ctx.controller.get();
  const result = await session.execute({ ...command, metadata: { source: 'palette', ...command.metadata } });
  ctx.log.info(`${command.type} ${JSON.stringify(command.data)} → ${describeResult(result)}`);
  offerExplain(vscode.window.showInformationMessage(`${title}: ${describeResult(result)}`, EXPLAIN), session.commandLog.find(result.commandId));
  return result;
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

// ---------------------------------------------------------------------------------------------
// Carts

interface CartPick extends vscode.QuickPickItem {
  readonly cartId?: string;
  readonly isNew?: boolean;
}

function carts(session: StoreSession): CartDetailsState['carts'] {
  return (session.projector.stateOf('cartDetails') as CartDetailsState | undefined)?.carts ?? {};
}

/** Carts from the Cart details read model: open ones first; closed ones too, so a person can see a change refused. */
async function pickCart(session: StoreSession, title: string, allowNew: boolean): Promise<string | undefined> {
  const all = Object.values(carts(session)).sort((a, b) => Number(b.status === 'open') - Number(a.status === 'open') || b.updatedAt.localeCompare(a.updatedAt));
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
  if (items.length === 0) {
    void vscode.window.showInformationMessage('There is no cart yet. Add an item with "Event Store: Add Item to Cart", or run "Event Store: Seed Demo Data".');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(items, { title, placeHolder: 'Which cart? (from the Cart details read model)', ignoreFocusOut: true, matchOnDescription: true });
  if (!picked) return undefined;
  if (!picked.isNew) return picked.cartId;
  return (await askField(cartField('cartId'), title, newInstanceId(), 'Id of the new cart (its stream is cart-<id>)'))?.value;
}

const cartField = (name: string, command = 'AddItem'): FieldSchema => commandSchemaFor(cartAggregate as unknown as AggregateDefinition, command)!.fields.find((f) => f.name === name)!;

/** Asks for one value in an input box checked by its field schema; undefined when dismissed, `{ value: undefined }` when left empty. */
async function askField<T = string>(field: FieldSchema, title: string, value?: string, prompt?: string): Promise<{ value: T | undefined } | undefined> {
  const typed = await vscode.window.showInputBox({ title, prompt: prompt ?? field.description ?? field.title ?? field.name, value, ignoreFocusOut: true, validateInput: fieldError(field) });
  if (typed === undefined) return undefined;
  const result = parseFieldInput(field, typed);
  return { value: ('value' in result ? result.value : typed) as T | undefined };
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

const fieldError = (field: FieldSchema) => (text: string) => {
  const result = parseFieldInput(field, text);
  return 'error' in result ? result.error : undefined;
};

// ---------------------------------------------------------------------------------------------
// Queries

interface QueryPick extends vscode.QuickPickItem {
  readonly projection: Projection;
  readonly query: ReadModelQuery;
}

export interface QueryReport {
  readonly readModel: string;
  readonly query: string;
  readonly argument?: string;
  readonly answer: QueryAnswer;
  /** The read model's checkpoint: it answered as of this position. */
  readonly position: number;
  readonly eventsBefore: number;
  readonly eventsAfter: number;
}

// ---------------------------------------------------------------------------------------------
// Concurrency scenarios

interface Scenario extends vscode.QuickPickItem {
  readonly build: (session: StoreSession) => Promise<{ first: CommandEnvelope; second: CommandEnvelope } | undefined>;
}

const stripTag = (name: string): string => name.replace(/ \((A|B)\)$/, '');

function scenarios(): Scenario[] {
  return [
    {
      label: 'A cart is confirmed while someone else adds an item to it',
      detail: 'Two windows read the same cart. One confirms it, the other adds an item. Retrying the loser shows why a retry must decide again.',
      build: async (session) => {
        const open = Object.values(carts(session)).filter((c) => c.status === 'open' && c.items > 0);
        if (open.length === 0) {
          void vscode.window.showInformationMessage('No open cart with items: add an item with "Event Store: Add Item to Cart" (or seed the demo data) first.');
          return undefined;
        }
        const picked = await vscode.window.showQuickPick(
          open.map((c) => ({ label: c.cartId, description: `${c.items} items · ${c.total.toFixed(2)}` })),
          { title: 'Simulate Concurrent Update', placeHolder: 'Which cart do both windows have open?', ignoreFocusOut: true },
        );
        if (!picked) return undefined;
        const cart = carts(session)[picked.label]!;
        const [productId, line] = Object.entries(cart.lines)[0]!;
        return {
          first: { type: 'ConfirmCart', data: { cartId: cart.cartId } },
          second: { type: 'AddItem', data: { cartId: cart.cartId, productId, quantity: 1, unitPrice: line.unitPrice } },
        };
      },
    },
    {
      label: 'Two people rename the same user at the same time',
      detail: 'Both read the user at the same version and rename it. Retrying the loser renames from the winner’s name.',
      build: async (session) => {
        const users = Object.values((session.projector.stateOf('usersDirectory') as UsersDirectoryState | undefined)?.users ?? {}).filter((u) => u.status === 'active');
        if (users.length === 0) {
          void vscode.window.showInformationMessage('No active user: create one with "Event Store: Create User" (or seed the demo data) first.');
          return undefined;
        }
        const picked = await vscode.window.showQuickPick(
          users.map((u) => ({ label: u.name, description: u.userId, userId: u.userId })),
          { title: 'Simulate Concurrent Update', placeHolder: 'Which user do both people rename?', ignoreFocusOut: true, matchOnDescription: true },
        );
        if (!picked) return undefined;
        const base = stripTag(picked.label);
        return {
          first: { type: 'RenameUser', data: { userId: picked.userId, name: `${base} (A)` } },
          second: { type: 'RenameUser', data: { userId: picked.userId, name: `${base} (B)` } },
        };
      },
    },
  ];
}

const RETRY = 'Retry';

// ---------------------------------------------------------------------------------------------

export function registerLearningCommands(ctx: LearningContext): vscode.Disposable[] {
  const { context, controller, log } = ctx;
  const register = (id: string, handler: (...args: never[]) => unknown) => vscode.commands.registerCommand(id, handler);
  const disposables: vscode.Disposable[] = [];

  // The walkthrough's "rejected command" step completes on the first refusal the person sees.
  let logListener: { dispose(): void } | undefined;
  const follow = (session: StoreSession | undefined) => {
    logListener?.dispose();
    logListener = session?.commandLog.onDidRecord((entry) => {
      if (entry.outcome !== 'accepted') void vscode.commands.executeCommand('setContext', REJECTION_SEEN, true);
    });
  };
  disposables.push(controller.onDidOpen(follow), { dispose: () => logListener?.dispose() });
  if (controller.session) follow(controller.session);

  const executeCommand = async (args?: { type?: unknown; aggregate?: unknown; data?: unknown }) =>
    boundary(ctx, 'Execute Command', async () => {
      const session = await controller.get();
      let aggregate: AggregateDefinition | undefined;
      let type = typeof args?.type === 'string' ? args.type : undefined;
      if (type) aggregate = aggregateForCommand(session.aggregates, type);
      if (!aggregate && typeof args?.aggregate === 'string') aggregate = session.aggregates.find((a) => a.name === args.aggregate);
      if (!aggregate && type && isRecord(args?.data)) {
        // Unknown type with data: let the write model refuse it, so it is logged like any refusal.
        return issue(ctx, type, { type, data: args.data });
      }
      if (!aggregate) {
        const picked = await vscode.window.showQuickPick(
          session.aggregates.map((a) => ({ label: a.name, description: `${a.commandTypes.length} commands · ${a.streamPrefix}… streams`, detail: a.description, aggregate: a })),
          { title: 'Execute Command (1/2): aggregate', placeHolder: 'Which aggregate receives the command?', ignoreFocusOut: true },
        );
        if (!picked) return undefined;
        aggregate = picked.aggregate;
      }
      if (!type || !aggregate.commandTypes.includes(type)) {
        const chosen = aggregate;
        const picked = await vscode.window.showQuickPick(
          chosen.commandTypes.map((t) => {
            const schema = commandSchemaFor(chosen, t);
            return { label: t, description: schema?.fields.map((f) => (f.optional ? `${f.name}?` : f.name)).join(', '), detail: schema?.description };
          }),
          { title: `Execute Command (2/2): ${chosen.name} command`, placeHolder: `Which command for ${chosen.name}?`, ignoreFocusOut: true },
        );
        if (!picked) return undefined;
        type = picked.label;
      }
      const schema = commandSchemaFor(aggregate, type);
      let data: Record<string, unknown> | undefined;
      if (isRecord(args?.data)) data = args.data; // given whole: the write model checks it
      else if (schema) data = await askForCommandData(session, aggregate, schema);
      else {
        const typed = await vscode.window.showInputBox({
          title: `${type}: data`,
          prompt: `${type} has no schema: type its data as a JSON object`,
          value: '{}',
          ignoreFocusOut: true,
          validateInput: (text) => {
            try {
              return isRecord(JSON.parse(text)) ? undefined : 'The data must be a JSON object.';
            } catch (e) {
              return `Not JSON: ${(e as Error).message}`;
            }
          },
        });
        data = typed === undefined ? undefined : (JSON.parse(typed) as Record<string, unknown>);
      }
      if (!data) return undefined;
      return issue(ctx, type, { type, data });
    });

  disposables.push(
    register('eventStore.executeCommand', executeCommand),

    register('eventStore.addItemToCart', async (args?: { cartId?: unknown; productId?: unknown; quantity?: unknown; unitPrice?: unknown }) =>
      boundary(ctx, 'Add Item to Cart', async () => {
        const session = await controller.get();
        const title = 'Add Item to Cart';
        const cartId = typeof args?.cartId === 'string' ? args.cartId : await pickCart(session, title, true);
        if (cartId === undefined) return undefined;
        const prices = knownPrices(session);
        const productId =
          typeof args?.productId === 'string'
            ? args.productId
            : await pickOrType({
                title: `${title}: product`,
                placeholder: 'Pick a product or type a new product id',
                items: [...prices].map(([p, price]) => ({ label: p, description: `last added at ${price.toFixed(2)}` })),
                validate: fieldError(cartField('productId')),
              });
        if (productId === undefined) return undefined;
        const quantity = args?.quantity !== undefined ? args.quantity : (await askField<number>(cartField('quantity'), `${title}: quantity of ${productId}`, '1', 'How many? (a whole number from 1 to 999)'))?.value;
        if (quantity === undefined) return undefined;
        const inCart = carts(session)[cartId]?.lines[productId]?.unitPrice ?? prices.get(productId);
        const unitPrice =
          args?.unitPrice !== undefined
            ? args.unitPrice
            : (await askField<number>(cartField('unitPrice'), `${title}: unit price of ${productId}`, inCart === undefined ? '' : String(inCart), 'Price of one unit (e.g. 12.50)'))?.value;
        if (unitPrice === undefined) return undefined;
        return issue(ctx, title, { type: 'AddItem', data: { cartId, productId, quantity, unitPrice } });
      }),
    ),

    register('eventStore.removeItemFromCart', async (args?: { cartId?: unknown; productId?: unknown; quantity?: unknown }) =>
      boundary(ctx, 'Remove Item from Cart', async () => {
        const session = await controller.get();
        const title = 'Remove Item from Cart';
        const cartId = typeof args?.cartId === 'string' ? args.cartId : await pickCart(session, title, false);
        if (cartId === undefined) return undefined;
        const lines = carts(session)[cartId]?.lines ?? {};
        const productId =
          typeof args?.productId === 'string'
            ? args.productId
            : await pickOrType({
                title: `${title}: product`,
                placeholder: 'Pick a product in the cart (or type another one to see the cart refuse it)',
                items: Object.entries(lines).map(([p, l]) => ({ label: p, description: `${l.quantity} × ${l.unitPrice.toFixed(2)} in the cart` })),
                validate: fieldError(cartField('productId', 'RemoveItem')),
              });
        if (productId === undefined) return undefined;
        let quantity = args?.quantity;
        if (typeof args?.productId !== 'string') {
          const asked = await askField<number>(cartField('quantity', 'RemoveItem'), `${title}: how many ${productId}?`, '', 'How many to remove? Leave empty to remove them all.');
          if (!asked) return undefined;
          quantity = asked.value;
        }
        const data: Record<string, unknown> = { cartId, productId };
        if (quantity !== undefined) data.quantity = quantity;
        return issue(ctx, title, { type: 'RemoveItem', data });
      }),
    ),

    register('eventStore.confirmCart', async (args?: { cartId?: unknown }) =>
      boundary(ctx, 'Confirm Cart', async () => {
        const session = await controller.get();
        const cartId = typeof args?.cartId === 'string' ? args.cartId : await pickCart(session, 'Confirm Cart', false);
        if (cartId === undefined) return undefined;
        return issue(ctx, 'Confirm Cart', { type: 'ConfirmCart', data: { cartId } });
      }),
    ),

    register('eventStore.cancelCart', async (args?: { cartId?: unknown; reason?: unknown }) =>
      boundary(ctx, 'Cancel Cart', async () => {
        const session = await controller.get();
        const cartId = typeof args?.cartId === 'string' ? args.cartId : await pickCart(session, 'Cancel Cart', false);
        if (cartId === undefined) return undefined;
        let reason = typeof args?.reason === 'string' ? args.reason : undefined;
        if (typeof args?.cartId !== 'string') {
          const typed = await vscode.window.showInputBox({ title: `Cancel Cart ${cartId}`, prompt: 'Why? (optional)', ignoreFocusOut: true, validateInput: fieldError(cartField('reason', 'CancelCart')) });
          if (typed === undefined) return undefined;
          reason = typed.trim() || undefined;
        }
        return issue(ctx, 'Cancel Cart', { type: 'CancelCart', data: reason ? { cartId, reason } : { cartId } });
      }),
    ),

    register('eventStore.queryReadModel', async (args?: { readModel?: unknown; query?: unknown; argument?: unknown }) =>
      boundary(ctx, 'Query Read Model', async (): Promise<QueryReport | undefined> => {
        const session = await controller.get();
        const all: QueryPick[] = session.projections.flatMap((projection) =>
          (projection.queries ?? []).map((query) => ({ label: query.title, description: projection.title, detail: projection.description, projection, query })),
        );
        let chosen = all.find((q) => q.projection.name === args?.readModel && q.query.name === args?.query);
        if (!chosen) {
          chosen = await vscode.window.showQuickPick(all, { title: 'Query Read Model', placeHolder: 'What do you want to know? (answered from a read model, never from the store)', matchOnDescription: true, ignoreFocusOut: true });
        }
        if (!chosen) return undefined;
        const { projection, query } = chosen;
        // A copy: a query only reads, and must not be able to change the read model it asks.
        const state = structuredClone(session.projector.stateOf(projection.name));
        let argument = typeof args?.argument === 'string' ? args.argument : undefined;
        if (query.parameter && argument === undefined) {
          argument = await pickOrType({ title: `${query.title} (${projection.title})`, placeholder: query.parameter.prompt, items: (query.parameter.suggestions?.(state) ?? []).slice(0, 500).map((label) => ({ label })) });
          if (argument === undefined) return undefined;
        }
        const eventsBefore = session.store.lastPosition();
        const position = session.projector.checkpoint;
        const answer = query.run(state, argument);
        const eventsAfter = session.store.lastPosition();
        const unchanged =
          eventsAfter === eventsBefore
            ? `the store still has ${eventsAfter} event${eventsAfter === 1 ? '' : 's'}: asking did not change it`
            : `the store now has ${eventsAfter} events, appended meanwhile by others, not by this query`;
        const message = `${answer.answer} (Answered from ${projection.title} at position ${position}; ${unchanged}.)`;
        log.info(`Query ${query.title}${argument !== undefined ? ` ${JSON.stringify(argument)}` : ''}: ${message}`);
        void vscode.window.showInformationMessage(message);
        return { readModel: projection.name, query: query.name, ...(argument !== undefined ? { argument } : {}), answer, position, eventsBefore, eventsAfter };
      }),
    ),

    register('eventStore.simulateConcurrentUpdate', async (args?: { first?: unknown; second?: unknown; retry?: unknown }) =>
      boundary(ctx, 'Simulate Concurrent Update', async () => {
        const session = await controller.get();
        let pair: { first: CommandEnvelope; second: CommandEnvelope } | undefined;
        if (isRecord(args?.first) && isRecord(args?.second)) pair = { first: args.first as unknown as CommandEnvelope, second: args.second as unknown as CommandEnvelope };
        else {
          const scenario = await vscode.window.showQuickPick(scenarios(), { title: 'Simulate Concurrent Update', placeHolder: 'Two writers decide on the same version of a stream: which story?', ignoreFocusOut: true });
          if (!scenario) return undefined;
          pair = await scenario.build(session);
        }
        if (!pair) return undefined;
        const tag = (c: CommandEnvelope, who: string): CommandEnvelope => ({ ...c, metadata: { source: `simulation (${who})`, ...c.metadata } });
        const outcome = await simulateConcurrentUpdate(session.handler, session.store, session.aggregates, tag(pair.first, 'window A'), tag(pair.second, 'window B'));
        log.info(`Simulated concurrent update: ${outcome.explanation}`);
        const report: { outcome: ConcurrentUpdateOutcome; retry?: CommandResult | { rejected: string } } = { outcome };
        if (outcome.kind === 'no-conflict') {
          void vscode.window.showInformationMessage(`No conflict this time: ${outcome.explanation}`);
          return report;
        }
        const summary =
          `Concurrency conflict on ${outcome.streamId}: both read version ${outcome.expectedVersion}. ` +
          `${outcome.winner.command.type} won (${outcome.winner.result.events.map((e) => `${e.type} at position ${e.globalPosition}`).join(', ')}). ` +
          `${outcome.loser.command.type} lost: it expected version ${outcome.expectedVersion} but the stream was at ${outcome.loser.error.actual}, so the store refused it and nothing of it was appended. ` +
          'Retry re-reads the stream and decides again.';
        const retry = async () => {
          try {
            const result = await retryAfterConflict(session.handler, { ...outcome.loser.command, metadata: { source: 'simulation (retry)' } });
            void vscode.window.showInformationMessage(`Retried ${outcome.loser.command.type} on the new state: accepted. ${describeResult(result)}`);
            return result;
          } catch (e) {
            if (!DomainError.is(e)) throw e;
            void vscode.window.showWarningMessage(`Retried ${outcome.loser.command.type} on the new state: rejected. ${e.message} Deciding again is what keeps the rule: a blind re-append would have broken it.`);
            return { rejected: e.message };
          }
        };
        if (args?.retry === true) {
          report.retry = await retry();
          return report;
        }
        void vscode.window.showWarningMessage(summary, RETRY, EXPLAIN).then(async (action) => {
          if (action === RETRY) await boundary(ctx, 'Retry', retry);
          if (action === EXPLAIN) {
            const entry = session.commandLog.entries().reverse().find((e) => e.outcome === 'conflict');
            if (entry) await showEntry(entry);
          }
        });
        return report;
      }),
    ),

    register('eventStore.branchStore', async (position?: unknown, options?: { switchTo?: unknown }) =>
      boundary(ctx, 'Branch Store Here', async (): Promise<BranchResult | undefined> => {
        if (!vscode.workspace.isTrusted) {
          void vscode.window.showWarningMessage('Branch Store Here writes a new store file into the workspace: trust the workspace first (Restricted Mode only inspects).');
          return undefined;
        }
        const session = await controller.get();
        const last = session.store.lastPosition();
        let at: number;
        if (position === undefined || position === null) {
          const typed = await vscode.window.showInputBox({
            title: 'Branch Store Here',
            prompt: `Copy the events up to this global position (0 to ${last}) into a new store; this store is left as it is.`,
            value: String(last),
            ignoreFocusOut: true,
            validateInput: (text) => {
              try {
                checkBranchPosition(/^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN, last);
                return undefined;
              } catch (e) {
                return (e as Error).message;
              }
            },
          });
          if (typed === undefined) return undefined;
          at = Number(typed.trim());
        } else at = checkBranchPosition(position, last);
        const storePath = session.store.path;
        if (!storePath) throw new Error('This store lives in memory: there is no folder to write a branch to.');
        const target = path.join(path.dirname(storePath), branchFileName(at));
        const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Branching the store at position ${at}…` }, () => branchStore(session.store, at, target));
        const name = path.basename(result.path);
        log.info(`Branched ${storePath} at position ${at} into ${result.path}: ${result.events} events in ${result.streams} streams.`);
        const message = `Branched at position ${at}: ${name} holds events 1–${at} (${result.events} events, ${result.streams} streams). The original store is untouched.`;
        if (options?.switchTo === true) await switchStoreTo(result.path);
        else if (options?.switchTo !== false) {
          void vscode.window.showInformationMessage(message, 'Switch to Branch').then((action) => action && switchStoreTo(result.path));
        }
        return result;
      }),
    ),

    register('eventStore.switchStore', async (file?: unknown) =>
      boundary(ctx, 'Switch Store', async () => {
        const current = controller.storePath;
        let target = typeof file === 'string' ? file : undefined;
        if (!target) {
          const dir = path.dirname(current);
          const stores = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.db')).sort() : [];
          const picked = await vscode.window.showQuickPick(
            stores.map((n) => ({ label: n, description: path.join(dir, n) === current ? 'open now' : /^branch-(\d+)-/.test(n) ? `branch cut at position ${/^branch-(\d+)-/.exec(n)![1]}` : undefined, file: path.join(dir, n) })),
            { title: 'Switch Store', placeHolder: 'Which store should the views, the commands and the replay use?', ignoreFocusOut: true },
          );
          if (!picked) return undefined;
          target = picked.file;
        }
        await switchStoreTo(target);
        return target;
      }),
    ),

    register('eventStore.showCommandLogEntry', async (id?: unknown) =>
      boundary(ctx, 'Explain Command', async () => {
        const session = await controller.get();
        const entry = typeof id === 'string' ? session.commandLog.find(id) : session.commandLog.last();
        if (!entry) {
          void vscode.window.showInformationMessage('No command yet: issue one (for example "Event Store: Add Item to Cart") and it shows up in the Command Log.');
          return undefined;
        }
        await showEntry(entry);
        return entry;
      }),
    ),

    register('eventStore.createDomainModule', async () =>
      boundary(ctx, 'Create Domain Module', async () => {
        const file = resolveDomainModulePath();
        if (!file) throw new Error('Open a folder first: the domain module lives in the workspace (setting eventStore.domainModule).');
        if (!fs.existsSync(file)) {
          fs.mkdirSync(path.dirname(file), { recursive: true });
          fs.copyFileSync(vscode.Uri.joinPath(context.extensionUri, 'media', 'domain', 'domain.example.js').fsPath, file, fs.constants.COPYFILE_EXCL);
          log.info(`Created the example workspace domain ${file}.`);
        }
        await vscode.window.showTextDocument(vscode.Uri.file(file));
        await ctx.domain.reload();
        void vscode.window.showInformationMessage(
          `Your domain lives in ${vscode.workspace.asRelativePath(file, false)}: edit and save it, and it is reloaded. Try its commands with "Event Store: Execute Command…".`,
        );
        return file;
      }),
    ),

    register('eventStore.reloadDomainModule', async () => boundary(ctx, 'Reload Domain Module', () => ctx.domain.reload(true))),

    register('eventStore.openWalkthrough', () => vscode.commands.executeCommand('workbench.action.openWalkthrough', `${context.extension.id}#${WALKTHROUGH_ID}`, false)),
  );
  return disposables;

  /** Points the workspace at another store file; the controller reopens on the setting change. */
  async function switchStoreTo(file: string): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    const inFolder = folder && folder.uri.scheme === 'file' && !path.relative(folder.uri.fsPath, file).startsWith('..');
    const value = inFolder ? path.relative(folder.uri.fsPath, file).split(path.sep).join('/') : file;
    const opened = new Promise<void>((resolve) => {
      const timer = setTimeout(() => done(), 15_000);
      const sub = controller.onDidOpen(() => {
        if (path.resolve(controller.storePath) === path.resolve(file)) done();
      });
      function done() {
        clearTimeout(timer);
        sub.dispose();
        resolve();
      }
    });
    await vscode.workspace.getConfiguration('eventStore').update('storePath', value, folder ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
    // The controller reopens on the setting change; wait for it so the caller sees the new store.
    await opened;
    log.info(`Switched the store to ${file}.`);
    void vscode.window.showInformationMessage(`Now using ${path.basename(file)}. Switch back with "Event Store: Switch Store…".`);
  }
}
