import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { CommandEnvelope, CommandResult } from '../core/application/commandHandler';
import { seedDemoData } from '../core/application/demoData';
import type { StoreSession } from '../core/application/session';
import { DomainError } from '../core/domain/errors';
import { validateUserName } from '../core/domain/user';
import { EventStoreError, StoreUnreadableError } from '../core/eventStore/errors';
import type { UsersDirectoryState } from '../core/projections/usersDirectory';
import { eventUri } from './eventDocument';
import { ReplayPanel } from './replayPanel';
import type { StoreController } from './storeController';
import type { StreamsTree } from './streamsTree';

export interface CommandContext {
  readonly context: vscode.ExtensionContext;
  readonly controller: StoreController;
  readonly log: vscode.LogOutputChannel;
  readonly streamsTree: StreamsTree;
}

/**
 * Each command catches at its boundary: a rejection by the domain or the store is a warning with
 * its reason; anything unexpected goes to the log with detail and a short error to the user.
 */
async function guarded<T>(log: vscode.LogOutputChannel, title: string, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (e) {
    if (DomainError.is(e)) {
      log.info(`${title} rejected: ${e.message}`);
      void vscode.window.showWarningMessage(`${title} rejected: ${e.message} Nothing was appended.`);
    } else if (e instanceof EventStoreError && !StoreUnreadableError.is(e)) {
      log.warn(`${title}: ${e.message}`);
      void vscode.window.showWarningMessage(`${title}: ${e.message}`);
    } else {
      log.error(`${title} failed: ${(e as Error)?.stack ?? String(e)}`);
      void vscode.window.showErrorMessage(`${title} failed: ${(e as Error)?.message ?? String(e)} (details in the "Event Store" output).`);
    }
    return undefined;
  }
}

function describe(result: CommandResult): string {
  const events = result.events.map((e) => `${e.type} at position ${e.globalPosition}`).join(', ');
  const deliveredTo = result.deliveries.filter((d) => !d.error).map((d) => d.subscriber);
  return `${events} in ${result.streamId}${deliveredTo.length ? `; delivered to ${deliveredTo.join(', ')}` : ''}.`;
}

async function issue(ctx: CommandContext, title: string, command: CommandEnvelope): Promise<CommandResult | undefined> {
  return guarded(ctx.log, title, async () => {
    const session = await ctx.controller.get();
    const result = await session.execute({ ...command, metadata: { source: 'palette', ...command.metadata } });
    ctx.log.info(`${command.type} ${JSON.stringify(command.data)} → ${describe(result)}`);
    return result;
  });
}

interface UserPick extends vscode.QuickPickItem {
  readonly userId: string;
  readonly name: string;
}

async function pickUser(session: StoreSession, placeHolder: string): Promise<UserPick | undefined> {
  const state = session.projector.stateOf('usersDirectory') as UsersDirectoryState;
  const items: UserPick[] = Object.values(state.users)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((u) => ({ label: u.name, description: u.userId, detail: u.status === 'active' ? undefined : `$(circle-slash) ${u.status}`, userId: u.userId, name: u.name }));
  if (items.length === 0) {
    void vscode.window.showInformationMessage('There are no users yet. Create one with "Event Store: Create User".');
    return undefined;
  }
  return vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true, title: 'Users (from the Users directory read model)' });
}

const nameValidation = (value: string): string | undefined => {
  try {
    validateUserName(value);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
};

export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  const { context, controller, log } = ctx;
  const register = (id: string, handler: (...args: never[]) => unknown) => vscode.commands.registerCommand(id, handler);

  return [
    // Each user command also takes its data as an argument (keybindings, scripts, tests); without it, it asks.
    register('eventStore.createUser', async (args?: { name?: unknown }) => {
      const name = typeof args?.name === 'string' ? args.name : await vscode.window.showInputBox({
        title: 'Create User',
        prompt: 'Name of the new user (its id is generated)',
        placeHolder: 'e.g. Ada Lovelace',
        validateInput: nameValidation,
        ignoreFocusOut: true,
      });
      if (name === undefined) return undefined;
      const userId = randomUUID().slice(0, 8);
      const result = await issue(ctx, 'Create User', { type: 'CreateUser', data: { userId, name: name.trim() } });
      if (result) void vscode.window.showInformationMessage(`Created ${name.trim()} (${userId}): ${describe(result)}`);
      return result;
    }),

    register('eventStore.renameUser', async (args?: { userId?: unknown; name?: unknown }) => {
      const session = await guarded(log, 'Rename User', () => controller.get());
      if (!session) return undefined;
      const user = typeof args?.userId === 'string' ? { userId: args.userId, name: args.userId } : await pickUser(session, 'Pick the user to rename');
      if (!user) return undefined;
      const name = typeof args?.name === 'string' ? args.name : await vscode.window.showInputBox({ title: `Rename ${user.name}`, prompt: 'New name', value: user.name, validateInput: nameValidation, ignoreFocusOut: true });
      if (name === undefined) return undefined;
      const result = await issue(ctx, 'Rename User', { type: 'RenameUser', data: { userId: user.userId, name: name.trim() } });
      if (result) void vscode.window.showInformationMessage(`Renamed ${user.name} to ${name.trim()}: ${describe(result)}`);
      return result;
    }),

    register('eventStore.deactivateUser', async (args?: { userId?: unknown }) => {
      const session = await guarded(log, 'Deactivate User', () => controller.get());
      if (!session) return undefined;
      const user = typeof args?.userId === 'string' ? { userId: args.userId, name: args.userId } : await pickUser(session, 'Pick the user to deactivate');
      if (!user) return undefined;
      const result = await issue(ctx, 'Deactivate User', { type: 'DeactivateUser', data: { userId: user.userId } });
      if (result) void vscode.window.showInformationMessage(`Deactivated ${user.name}: ${describe(result)}`);
      return result;
    }),

    register('eventStore.openReplay', (position?: unknown) => {
      ReplayPanel.show(context, controller, log, typeof position === 'number' ? position : undefined);
    }),

    register('eventStore.replayFromHere', (node?: { event?: { globalPosition?: unknown } }) => {
      const position = node?.event?.globalPosition;
      ReplayPanel.show(context, controller, log, typeof position === 'number' ? position : undefined);
    }),

    register('eventStore.rebuildReadModels', () =>
      guarded(log, 'Rebuild Read Models', async () => {
        const session = await controller.get();
        const position = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Rebuilding read models from position 0…' }, async () =>
          session.rebuildReadModels(),
        );
        const message = `Rebuilt ${session.projections.length} read models from position 0 by replaying ${position} events.`;
        log.info(message);
        void vscode.window.showInformationMessage(message);
        return position;
      }),
    ),

    register('eventStore.seedDemoData', () =>
      guarded(log, 'Seed Demo Data', async () => {
        const session = await controller.get();
        const results = await seedDemoData(session.handler, 'palette');
        const count = results.reduce((n, r) => n + r.events.length, 0);
        const message = count === 0 ? 'The demo data is already there: nothing was appended.' : `Seeded demo data: ${results.length} commands appended ${count} events.`;
        log.info(message);
        void vscode.window.showInformationMessage(message);
        return results;
      }),
    ),

    register('eventStore.openEvent', (position?: unknown) =>
      guarded(log, 'Open Event', async () => {
        if (typeof position !== 'number') return;
        const session = await controller.get();
        const event = session.store.readEvent(position);
        if (!event) throw new Error(`There is no event at position ${position}.`);
        const doc = await vscode.workspace.openTextDocument(eventUri(event.streamId, event.streamVersion, event.globalPosition));
        await vscode.languages.setTextDocumentLanguage(doc, 'json');
        await vscode.window.showTextDocument(doc, { preview: true });
      }),
    ),

    register('eventStore.loadMore', (node?: { parent?: unknown }) => {
      if (node && typeof node.parent === 'string') ctx.streamsTree.loadMore({ parent: node.parent });
    }),

    register('eventStore.refresh', () =>
      guarded(log, 'Refresh', async () => {
        await (await controller.get()).refresh();
        ctx.streamsTree.refresh();
      }),
    ),

    register('eventStore.showLog', () => log.show()),
  ];
}
