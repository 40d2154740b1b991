import * as vscode from 'vscode';
import type { CommandEnvelope, CommandResult } from '../../core/application/commandHandler';
import {
  retryAfterConflict,
  simulateConcurrentUpdate,
  type ConcurrentUpdateOutcome,
} from '../../core/application/concurrency';
import type { StoreSession } from '../../core/application/session';
import { DomainError, ValidationError } from '../../core/domain/errors';
import { usersDirectory } from '../../core/projections/usersDirectory';
import { isRecord } from '../../shared/json';
import { boundary, describeResult, EXPLAIN, registerCommand, showEntry, type CommandContext } from './boundary';
import { newInstanceId } from '../commandInput';
import { markDone, WalkthroughDone } from '../walkthroughProgress';
import { carts } from './carts';

type ConcurrencyArgs = { first?: unknown; second?: unknown; retry?: unknown };
/** The two commands that race; `scratch` names the stream made for the simulation, if any. */
type CommandPair = { first: CommandEnvelope; second: CommandEnvelope; scratch?: string };
type ConflictOutcome = Extract<ConcurrentUpdateOutcome, { kind: 'conflict' }>;
type Report = { outcome: ConcurrentUpdateOutcome; retry?: CommandResult | { rejected: string } };

const RETRY = 'Retry';
const TITLE = 'Simulate Concurrent Update';

interface Scenario extends vscode.QuickPickItem {
  readonly build: (session: StoreSession) => Promise<CommandPair | undefined>;
}

const stripTag = (name: string): string => name.replace(/ \((A|B)\)$/, '');

/** A scratch stream gets a name that says what it is for. */
const scratchId = () => `sim-${newInstanceId()}`;

/**
 * Asks before a simulation writes to the person's own data, saying exactly what it appends there:
 * the store is append-only, so the winner's event stays for good.
 */
async function confirmOnOwnData(streamId: string, appended: string, refused: string): Promise<boolean> {
  const append = `Append to ${streamId}`;
  const choice = await vscode.window.showWarningMessage(
    `This simulation writes to your own stream ${streamId}: it appends ${appended} for good (events are never removed), ` +
      `and ${refused} is refused with a conflict. A scratch stream shows the same without touching your data.`,
    { modal: true },
    append,
  );
  return choice === append;
}

interface StreamPick extends vscode.QuickPickItem {
  readonly id?: string;
}

const scratchPick = (what: string, stream: string): StreamPick => ({
  label: `$(beaker) A scratch ${what}`,
  description: `a new stream ${stream}-sim-…: your own data stays as it is`,
});

async function cartScenario(session: StoreSession): Promise<CommandPair | undefined> {
  const open = Object.values(carts(session)).filter((c) => c.status === 'open' && c.items > 0);
  const picked = await vscode.window.showQuickPick<StreamPick>(
    [
      scratchPick('cart', 'cart'),
      ...open.map((c) => ({
        label: c.cartId,
        description: `${c.items} items · ${c.total.toFixed(2)} · your cart: it will be confirmed`,
        id: c.cartId,
      })),
    ],
    { title: TITLE, placeHolder: 'Which cart do both windows have open?', ignoreFocusOut: true },
  );
  if (!picked) return undefined;
  if (!picked.id) {
    const cartId = scratchId();
    await session.execute({
      type: 'AddItem',
      data: { cartId, productId: 'book', quantity: 1, unitPrice: 12.5 },
      metadata: { source: 'simulation (setup)' },
    });
    return {
      first: { type: 'ConfirmCart', data: { cartId } },
      second: { type: 'AddItem', data: { cartId, productId: 'pen', quantity: 1, unitPrice: 1.2 } },
      scratch: `cart-${cartId}`,
    };
  }
  const cart = carts(session)[picked.id]!;
  const [productId, line] = Object.entries(cart.lines)[0]!;
  if (!(await confirmOnOwnData(`cart-${cart.cartId}`, 'CartConfirmed (window A confirms it)', "window B's AddItem")))
    return undefined;
  return {
    first: { type: 'ConfirmCart', data: { cartId: cart.cartId } },
    second: { type: 'AddItem', data: { cartId: cart.cartId, productId, quantity: 1, unitPrice: line.unitPrice } },
  };
}

async function userScenario(session: StoreSession): Promise<CommandPair | undefined> {
  const users = Object.values(session.projector.stateOf(usersDirectory).users).filter((u) => u.status === 'active');
  const picked = await vscode.window.showQuickPick<StreamPick>(
    [
      scratchPick('user', 'user'),
      ...users.map((u) => ({
        label: u.name,
        description: `${u.userId} · your user: renamed to "… (A)"`,
        id: u.userId,
      })),
    ],
    { title: TITLE, placeHolder: 'Which user do both people rename?', ignoreFocusOut: true, matchOnDescription: true },
  );
  if (!picked) return undefined;
  if (!picked.id) {
    const userId = scratchId();
    await session.execute({
      type: 'CreateUser',
      data: { userId, name: 'Sam Scratch' },
      metadata: { source: 'simulation (setup)' },
    });
    return {
      first: { type: 'RenameUser', data: { userId, name: 'Sam Scratch (A)' } },
      second: { type: 'RenameUser', data: { userId, name: 'Sam Scratch (B)' } },
      scratch: `user-${userId}`,
    };
  }
  const base = stripTag(picked.label);
  if (!(await confirmOnOwnData(`user-${picked.id}`, `UserRenamed to "${base} (A)"`, 'the other rename')))
    return undefined;
  return {
    first: { type: 'RenameUser', data: { userId: picked.id, name: `${base} (A)` } },
    second: { type: 'RenameUser', data: { userId: picked.id, name: `${base} (B)` } },
  };
}

const scenarios: readonly Scenario[] = [
  {
    label: 'A cart is confirmed while someone else adds an item to it',
    detail:
      'Two windows read the same cart. One confirms it, the other adds an item. ' +
      'Retrying the loser shows why a retry must decide again. Runs on a scratch cart unless you pick one of yours.',
    build: cartScenario,
  },
  {
    label: 'Two people rename the same user at the same time',
    detail:
      'Both read the user at the same version and rename it. Retrying the loser renames from the winner’s name. Runs on a scratch user unless you pick one of yours.',
    build: userScenario,
  },
];

/** A command given as an argument: a `type` and its `data` (the write model checks the data). */
function givenCommand(value: Record<string, unknown>, which: string): CommandEnvelope {
  const { type, data, metadata } = value;
  if (typeof type !== 'string') throw new ValidationError(`The ${which} command needs a "type" (a string).`);
  if (metadata !== undefined && !isRecord(metadata))
    throw new ValidationError(`The metadata of the ${which} command must be an object.`);
  return metadata === undefined ? { type, data } : { type, data, metadata };
}

async function commandPair(session: StoreSession, args?: ConcurrencyArgs): Promise<CommandPair | undefined> {
  if (isRecord(args?.first) && isRecord(args?.second)) {
    return { first: givenCommand(args.first, 'first'), second: givenCommand(args.second, 'second') };
  }
  const scenario = await vscode.window.showQuickPick(scenarios, {
    title: TITLE,
    placeHolder: 'Two writers decide on the same version of a stream: which story?',
    ignoreFocusOut: true,
  });
  return scenario?.build(session);
}

function conflictSummary(outcome: ConflictOutcome, scratch?: string): string {
  const where = scratch
    ? `the scratch stream ${scratch} (made for this simulation; your own data is untouched)`
    : outcome.streamId;
  const won = outcome.winner.result.events.map((e) => `${e.type} at position ${e.globalPosition}`).join(', ');
  return (
    `Concurrency conflict on ${where}: both read version ${outcome.expectedVersion}. ` +
    `${outcome.winner.command.type} won (${won}). ` +
    `${outcome.loser.command.type} lost: it expected version ${outcome.expectedVersion} but the stream was at ` +
    `${outcome.loser.error.actual}, so the store refused it and nothing of it was appended. ` +
    'Retry re-reads the stream and decides again.'
  );
}

/** Decides the losing command again on the new state: accepted, or rejected by the rule it would have broken. */
async function retryLoser(
  session: StoreSession,
  outcome: ConflictOutcome,
): Promise<CommandResult | { rejected: string }> {
  const type = outcome.loser.command.type;
  try {
    const result = await retryAfterConflict(session.handler, {
      ...outcome.loser.command,
      metadata: { source: 'simulation (retry)' },
    });
    void vscode.window.showInformationMessage(
      `Retried ${type} on the new state: accepted. ${describeResult(result, session.projections)}`,
    );
    return result;
  } catch (e) {
    if (!DomainError.is(e)) throw e;
    void vscode.window.showWarningMessage(
      `Retried ${type} on the new state: rejected. ${e.message} ` +
        'Deciding again is what keeps the rule: a blind re-append would have broken it.',
    );
    return { rejected: e.message };
  }
}

async function simulate(ctx: CommandContext, args?: ConcurrencyArgs): Promise<Report | undefined> {
  const session = await ctx.controller.get();
  const pair = await commandPair(session, args);
  if (!pair) return undefined;
  const tag = (c: CommandEnvelope, who: string): CommandEnvelope => ({
    ...c,
    metadata: { source: `simulation (${who})`, ...c.metadata },
  });
  const outcome = await simulateConcurrentUpdate(
    session.handler,
    session.store,
    session.aggregates,
    tag(pair.first, 'window A'),
    tag(pair.second, 'window B'),
  );
  ctx.log.info(`Simulated concurrent update${pair.scratch ? ` on ${pair.scratch}` : ''}: ${outcome.explanation}`);
  if (outcome.kind === 'conflict') markDone(WalkthroughDone.conflictSeen);
  const report: Report = { outcome };
  if (outcome.kind === 'no-conflict') {
    void vscode.window.showInformationMessage(`No conflict this time: ${outcome.explanation}`);
    return report;
  }
  if (args?.retry === true) {
    report.retry = await retryLoser(session, outcome);
    return report;
  }
  void vscode.window.showWarningMessage(conflictSummary(outcome, pair.scratch), RETRY, EXPLAIN).then(async (action) => {
    if (action === RETRY) await boundary(ctx, 'Retry', () => retryLoser(session, outcome));
    if (action === EXPLAIN) {
      const entry = session.commandLog
        .entries()
        .reverse()
        .find((e) => e.outcome === 'conflict');
      if (entry) await showEntry(entry);
    }
  });
  return report;
}

export function registerConcurrencyCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    registerCommand('eventStore.simulateConcurrentUpdate', (args?: ConcurrencyArgs) =>
      boundary(ctx, TITLE, () => simulate(ctx, args)),
    ),
  ];
}
