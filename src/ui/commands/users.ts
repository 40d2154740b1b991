import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { StoreSession } from '../../core/application/session';
import { validateUserName } from '../../core/domain/user';
import { usersDirectory } from '../../core/projections/usersDirectory';
import { boundary, describeResult, issue, registerCommand, type CommandContext } from './boundary';

interface UserPick extends vscode.QuickPickItem {
  readonly userId: string;
  readonly name: string;
}

async function pickUser(session: StoreSession, placeHolder: string): Promise<UserPick | undefined> {
  const state = session.projector.stateOf(usersDirectory);
  const items: UserPick[] = Object.values(state.users)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((u) => ({
      label: u.name,
      description: u.userId,
      detail: u.status === 'active' ? undefined : `$(circle-slash) ${u.status}`,
      userId: u.userId,
      name: u.name,
    }));
  if (items.length === 0) {
    void vscode.window.showInformationMessage('There are no users yet. Create one with "Event Store: Create User".');
    return undefined;
  }
  const title = 'Users (from the Users directory read model)';
  return vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true, title });
}

/** The user given as an argument, or the one the person picks. */
async function givenOrPickedUser(ctx: CommandContext, userId: unknown, placeHolder: string) {
  if (typeof userId === 'string') return { userId, name: userId };
  return pickUser(await ctx.controller.get(), placeHolder);
}

const nameValidation = (value: string): string | undefined => {
  try {
    validateUserName(value);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
};

async function createUser(ctx: CommandContext, args?: { name?: unknown }) {
  const name =
    typeof args?.name === 'string'
      ? args.name
      : await vscode.window.showInputBox({
          title: 'Create User',
          prompt: 'Name of the new user (its id is generated)',
          placeHolder: 'e.g. Ada Lovelace',
          validateInput: nameValidation,
          ignoreFocusOut: true,
        });
  if (name === undefined) return undefined;
  const userId = randomUUID().slice(0, 8);
  return issue(
    ctx,
    'Create User',
    { type: 'CreateUser', data: { userId, name: name.trim() } },
    (result) => `Created ${name.trim()} (${userId}): ${describeResult(result, ctx.controller.session?.projections)}`,
  );
}

async function renameUser(ctx: CommandContext, args?: { userId?: unknown; name?: unknown }) {
  const user = await givenOrPickedUser(ctx, args?.userId, 'Pick the user to rename');
  if (!user) return undefined;
  const name =
    typeof args?.name === 'string'
      ? args.name
      : await vscode.window.showInputBox({
          title: `Rename ${user.name}`,
          prompt: 'New name',
          value: user.name,
          validateInput: nameValidation,
          ignoreFocusOut: true,
        });
  if (name === undefined) return undefined;
  return issue(
    ctx,
    'Rename User',
    { type: 'RenameUser', data: { userId: user.userId, name: name.trim() } },
    (result) =>
      `Renamed ${user.name} to ${name.trim()}: ${describeResult(result, ctx.controller.session?.projections)}`,
  );
}

async function deactivateUser(ctx: CommandContext, args?: { userId?: unknown }) {
  const user = await givenOrPickedUser(ctx, args?.userId, 'Pick the user to deactivate');
  if (!user) return undefined;
  return issue(
    ctx,
    'Deactivate User',
    { type: 'DeactivateUser', data: { userId: user.userId } },
    (result) => `Deactivated ${user.name}: ${describeResult(result, ctx.controller.session?.projections)}`,
  );
}

// Each user command also takes its data as an argument (keybindings, scripts, tests); without it, it asks.
export function registerUserCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    registerCommand('eventStore.createUser', (args?: { name?: unknown }) =>
      boundary(ctx, 'Create User', () => createUser(ctx, args)),
    ),
    registerCommand('eventStore.renameUser', (args?: { userId?: unknown; name?: unknown }) =>
      boundary(ctx, 'Rename User', () => renameUser(ctx, args)),
    ),
    registerCommand('eventStore.deactivateUser', (args?: { userId?: unknown }) =>
      boundary(ctx, 'Deactivate User', () => deactivateUser(ctx, args)),
    ),
  ];
}
