import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { appendedEvents } from '../../core/application/commandHandler';
import { branchFileName, branchStore, checkBranchPosition, type BranchResult } from '../../core/application/branch';
import { seedDemoData } from '../../core/application/demoData';
import { settingPathFor } from '../workspacePaths';
import { boundary, registerCommand, type CommandContext } from './boundary';

/** Points the workspace at another store file; the controller reopens on the setting change. */
async function switchStoreTo(ctx: CommandContext, file: string): Promise<void> {
  const { controller } = ctx;
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
  const target = vscode.workspace.workspaceFolders?.[0]
    ? vscode.ConfigurationTarget.Workspace
    : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration('eventStore').update('storePath', settingPathFor(file), target);
  // The controller reopens on the setting change; wait for it so the caller sees the new store.
  await opened;
  ctx.log.info(`Switched the store to ${file}.`);
  void vscode.window.showInformationMessage(
    `Now using ${path.basename(file)}. Switch back with "Event Store: Switch Store…".`,
  );
}

async function askBranchPosition(last: number): Promise<number | undefined> {
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
  return typed === undefined ? undefined : Number(typed.trim());
}

/** Copies the events up to a position into a new store beside this one; this store is left as it is. */
async function branch(
  ctx: CommandContext,
  position: unknown,
  options?: { switchTo?: unknown },
): Promise<BranchResult | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage(
      'Branch Store Here writes a new store file into the workspace: trust the workspace first (Restricted Mode only inspects).',
    );
    return undefined;
  }
  const session = await ctx.controller.get();
  const last = session.store.lastPosition();
  if (last === 0 && (position === undefined || position === null)) {
    void vscode.window.showInformationMessage(
      'The store is empty: there is nothing to branch yet. Issue a command or run "Event Store: Seed Demo Data" first.',
    );
    return undefined;
  }
  const at =
    position === undefined || position === null ? await askBranchPosition(last) : checkBranchPosition(position, last);
  if (at === undefined) return undefined;
  const storePath = session.store.path;
  if (!storePath) throw new Error('This store lives in memory: there is no folder to write a branch to.');
  if (ctx.controller.postgresSource)
    throw new Error(
      'A branch is a store file beside the store, and a PostgreSQL store has no folder: "Copy into a Workspace Store" makes a file of it to branch.',
    );
  const target = path.join(path.dirname(storePath), branchFileName(at));
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Branching the store at position ${at}…` },
    () => branchStore(session.store, at, target),
  );
  const name = path.basename(result.path);
  ctx.log.info(
    `Branched ${storePath} at position ${at} into ${result.path}: ${result.events} events in ${result.streams} streams.`,
  );
  const message =
    `Branched at position ${at}: ${name} holds events 1–${at} (${result.events} events, ${result.streams} streams). ` +
    'The original store is untouched.';
  if (options?.switchTo === true) await switchStoreTo(ctx, result.path);
  else if (options?.switchTo !== false) {
    void vscode.window
      .showInformationMessage(message, 'Switch to Branch')
      .then((action) => action && switchStoreTo(ctx, result.path));
  }
  return result;
}

async function switchStore(ctx: CommandContext, file: unknown): Promise<string | undefined> {
  const current = ctx.controller.storePath;
  let target = typeof file === 'string' ? file : undefined;
  if (!target) {
    const dir = path.dirname(current);
    const stores = fs.existsSync(dir)
      ? fs
          .readdirSync(dir)
          .filter((n) => n.endsWith('.db'))
          .sort()
      : [];
    const describe = (n: string) => {
      const cut = /^branch-(\d+)-/.exec(n);
      return path.join(dir, n) === current ? 'open now' : cut ? `branch cut at position ${cut[1]}` : undefined;
    };
    const picked = await vscode.window.showQuickPick(
      stores.map((n) => ({ label: n, description: describe(n), file: path.join(dir, n) })),
      {
        title: 'Switch Store',
        placeHolder: 'Which store should the views, the commands and the replay use?',
        ignoreFocusOut: true,
      },
    );
    if (!picked) return undefined;
    target = picked.file;
  }
  await switchStoreTo(ctx, target);
  return target;
}

/**
 * Seeds the demo story. On a store that already has events it asks first (unless `mix` is true):
 * the demo's users and carts would sit among the person's own events for good.
 */
async function seed(ctx: CommandContext, options?: { mix?: unknown }) {
  const session = await ctx.controller.get();
  const existing = session.store.lastPosition();
  if (existing > 0 && options?.mix !== true) {
    const add = 'Add the Demo Data';
    const choice = await vscode.window.showWarningMessage(
      `The store already has ${existing} event${existing === 1 ? '' : 's'}. Seeding adds the demo's five users, three products in stock and four carts ` +
        'among them, as commands through the write model (what is already there is skipped); nothing is removed, and ' +
        'what is appended stays. You can also try the walkthrough on the events you have.',
      { modal: true },
      add,
    );
    if (choice !== add) return undefined;
  }
  const results = await seedDemoData(session.handler, 'palette');
  const count = results.reduce((n, r) => n + appendedEvents(r).length, 0);
  const reacted = results.reduce((n, r) => n + (r.reactions?.length ?? 0), 0);
  const message =
    count === 0
      ? 'The demo data is already there: nothing was appended.'
      : `Seeded demo data: ${results.length} commands and ${reacted} commands of reactions appended ${count} events.`;
  ctx.log.info(message);
  void vscode.window.showInformationMessage(message);
  return results;
}

/** The commands on whole stores: seed one, branch it at a position, switch to another. */
export function registerStoreCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    registerCommand('eventStore.seedDemoData', (options?: { mix?: unknown }) =>
      boundary(ctx, 'Seed Demo Data', () => seed(ctx, options)),
    ),
    registerCommand('eventStore.branchStore', (position?: unknown, options?: { switchTo?: unknown }) =>
      boundary(ctx, 'Branch Store Here', () => branch(ctx, position, options)),
    ),
    registerCommand('eventStore.switchStore', (file?: unknown) =>
      boundary(ctx, 'Switch Store', () => switchStore(ctx, file)),
    ),
  ];
}
