import * as vscode from 'vscode';
import type { CommandEnvelope, CommandResult } from '../../core/application/commandHandler';
import type { CommandLogEntry } from '../../core/application/commandLog';
import { canHandle, type Projection } from '../../core/projections/projection';
import { DomainError } from '../../core/domain/errors';
import { DomainModuleError } from '../../core/workspaceDomain/moduleErrors';
import { EventStoreError, StoreUnreadableError } from '../../core/eventStore/errors';
import { WalkCancelledError } from '../../core/eventStore/slicedRead';
import { commandEntryUri } from '../commandLogTree';
import { resolveDomainModulePath, type DomainModuleController } from '../domainModule';
import type { StoreController } from '../storeController';
import type { StreamsTree } from '../streamsTree';
import { markDone, WalkthroughDone } from '../walkthroughProgress';

/** What every palette command may use. */
export interface CommandContext {
  readonly context: vscode.ExtensionContext;
  readonly controller: StoreController;
  readonly log: vscode.LogOutputChannel;
  readonly streamsTree: StreamsTree;
  readonly domain: DomainModuleController;
}

export const EXPLAIN = 'Explain';
export const SHOW_LOG = 'Show Log';

export const registerCommand = (id: string, handler: (...args: never[]) => unknown): vscode.Disposable =>
  vscode.commands.registerCommand(id, handler);

/**
 * Opens the explanation of a command log entry (what was decided, appended, delivered) rendered,
 * beside what is open (the walkthrough stays in sight).
 */
export async function showEntry(entry: CommandLogEntry): Promise<void> {
  await vscode.commands.executeCommand('markdown.showPreviewToSide', commandEntryUri(entry));
  markDone(WalkthroughDone.commandExplained);
}

/** A message with "Explain" (when there is a command log entry to explain) and "Show Log". */
function withActions(
  ctx: CommandContext,
  show: (message: string, ...items: string[]) => Thenable<string | undefined>,
  message: string,
  entry: CommandLogEntry | undefined,
): void {
  void show(message, ...(entry ? [EXPLAIN] : []), SHOW_LOG).then((action) => {
    if (action === EXPLAIN && entry) void showEntry(entry);
    if (action === SHOW_LOG) ctx.log.show();
  });
}

function showDomainModuleFailure(ctx: CommandContext, title: string, e: DomainModuleError): void {
  const where = e.location ? ` at ${e.location}` : '';
  ctx.log.error(`${title}: the workspace domain failed (${e.kind}${where}): ${e.message}`);
  const file = resolveDomainModulePath();
  const message = `${title}: the workspace domain failed: ${e.message}${e.location ? ` (${e.location})` : ''}. Nothing was appended.`;
  void vscode.window.showErrorMessage(message, 'Open Domain Module', SHOW_LOG).then((action) => {
    if (action === 'Open Domain Module' && file) void vscode.window.showTextDocument(vscode.Uri.file(file));
    if (action === SHOW_LOG) ctx.log.show();
  });
}

/**
 * The boundary every command goes through: a refusal by the domain or the store is a warning with
 * its reason, a broken workspace domain an error that says where, anything unexpected goes to the
 * log with detail and a short error to the user. Refusals offer "Explain" for the command they
 * recorded, and every failure offers the log.
 */
export async function boundary<T>(ctx: CommandContext, title: string, run: () => Promise<T>): Promise<T | undefined> {
  const before = ctx.controller.session?.commandLog.last()?.id;
  try {
    return await run();
  } catch (e) {
    const last = ctx.controller.session?.commandLog.last();
    // Only an entry this command recorded is worth explaining.
    const entry = last && last.id !== before ? last : undefined;
    if (WalkCancelledError.is(e)) {
      ctx.log.info(`${title}: cancelled.`);
    } else if (DomainError.is(e)) {
      ctx.log.info(`${title} rejected: ${e.message}`);
      withActions(
        ctx,
        vscode.window.showWarningMessage,
        `${title} rejected: ${e.message} Nothing was appended.`,
        entry,
      );
    } else if (DomainModuleError.is(e)) {
      showDomainModuleFailure(ctx, title, e);
    } else if (e instanceof EventStoreError && !StoreUnreadableError.is(e)) {
      ctx.log.warn(`${title}: ${e.message}`);
      withActions(ctx, vscode.window.showWarningMessage, `${title}: ${e.message}`, entry);
    } else {
      ctx.log.error(`${title} failed: ${(e as Error)?.stack ?? String(e)}`);
      const message = `${title} failed: ${(e as Error)?.message ?? String(e)} (details in the "Event Store" output).`;
      withActions(ctx, vscode.window.showErrorMessage, message, undefined);
    }
    return undefined;
  }
}

/**
 * One sentence on what a command did: its events, where they went, and which read models applied
 * them (when the projections are given) or which subscribers received them.
 */
export function describeResult(result: CommandResult, projections?: readonly Projection[]): string {
  if (result.events.length === 0) return `${result.aggregate} decided no event: nothing was appended.`;
  const events = result.events
    .map((e) => `${e.type} at position ${e.globalPosition} (version ${e.streamVersion} of ${e.streamId})`)
    .join(', ');
  if (projections) {
    const applied = projections.filter((p) => result.events.some((e) => canHandle(p, e))).map((p) => p.title);
    const ignored = projections.length - applied.length;
    const them = result.events.length === 1 ? 'it' : 'them';
    const rest =
      ignored > 0
        ? ` (${ignored} other${ignored === 1 ? ' ignores' : 's ignore'} ${result.events.length === 1 ? 'its type' : 'their types'})`
        : '';
    return applied.length
      ? `${events}; the event bus delivered ${them} and ${applied.join(', ')} applied ${them}${rest}.`
      : `${events}; no read model handles ${result.events.length === 1 ? 'this type' : 'these types'}.`;
  }
  const deliveredTo = result.deliveries.filter((d) => !d.error).map((d) => d.subscriber);
  return `${events}${deliveredTo.length ? `; the event bus delivered it to ${deliveredTo.join(', ')}` : ''}.`;
}

/** One sentence per reaction that answered the command's events: what it issued and what became of each. */
export function describeReactions(result: CommandResult): string {
  const byReaction = new Map<string, string[]>();
  for (const r of result.reactions ?? []) {
    const what =
      r.outcome === 'accepted'
        ? `${r.command.type} accepted (${r.events.map((e) => e.type).join(', ') || 'no event'})`
        : `${r.command.type} refused: ${r.reason ?? 'no reason given'}`;
    byReaction.set(r.reaction, [...(byReaction.get(r.reaction) ?? []), what]);
  }
  return [...byReaction].map(([name, outcomes]) => ` The reaction ${name} answered: ${outcomes.join('; ')}.`).join('');
}

/**
 * Executes a command from the palette and says what happened, with "Explain"; refusals throw and
 * surface at the boundary. `announce` words the success (by default: the title and the result).
 */
export async function issue(
  ctx: CommandContext,
  title: string,
  command: CommandEnvelope,
  announce?: (result: CommandResult) => string,
): Promise<CommandResult> {
  const session = await ctx.controller.get();
  const result = await session.execute({ ...command, metadata: { source: 'palette', ...command.metadata } });
  ctx.log.info(`${command.type} ${JSON.stringify(command.data)} → ${describeResult(result)}`);
  if (result.events.length > 0) markDone(WalkthroughDone.commandAccepted);
  announce ??= (r) => `${title}: ${describeResult(r, session.projections)}${describeReactions(r)}`;
  const entry = session.commandLog.find(result.commandId);
  void vscode.window.showInformationMessage(announce(result), EXPLAIN).then((action) => {
    if (action === EXPLAIN && entry) void showEntry(entry);
  });
  return result;
}
