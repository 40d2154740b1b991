import * as path from 'node:path';
import * as vscode from 'vscode';
import { verifyStore } from '../../core/eventStore/verify';
import { copyToNativeStore } from '../../core/formats/copyToNative';
import { EmmettSqliteStore } from '../../core/formats/emmettSqlite/emmettSqliteStore';
import { checkEmmettStore, type Finding } from '../../core/formats/emmettSqlite/integrity';
import { checkPostgresStore } from '../../core/formats/postgres/integrity';
import { PostgresStore } from '../../core/formats/postgres/postgresStore';
import { formatOf } from '../../core/formats/storeReader';
import { CheckReportDocuments } from '../checkReportDocument';
import { settingPathFor } from '../workspacePaths';
import { boundary, registerCommand, type CommandContext } from './boundary';
import { savedConnectionItems } from './postgres';

/** Points `eventStore.storePath` at a file and waits until the controller has (re)opened it. */
async function useStore(ctx: CommandContext, file: string | undefined): Promise<void> {
  const { controller } = ctx;
  const opened = new Promise<void>((resolve) => {
    const sub = controller.onDidOpen(() => {
      sub.dispose();
      resolve();
    });
  });
  const target = vscode.workspace.workspaceFolders?.[0]
    ? vscode.ConfigurationTarget.Workspace
    : vscode.ConfigurationTarget.Global;
  const before = controller.storePath;
  // A PostgreSQL store open now gives way to the file (the reopen below, when the setting does not change).
  controller.leavePostgres();
  await vscode.workspace
    .getConfiguration('eventStore')
    .update('storePath', file === undefined ? undefined : settingPathFor(file), target);
  // The controller reopens on the setting change; when the path did not change, nothing fires.
  if (path.resolve(controller.storePath) !== path.resolve(before)) await opened;
  else await controller.reopen();
}

/** Open Store… (palette) and Open in Event Store Inspector (Explorer): any store file, found by its schema. */
async function openStore(ctx: CommandContext, uri: unknown): Promise<string | undefined> {
  let file = uri instanceof vscode.Uri ? uri.fsPath : typeof uri === 'string' ? uri : undefined;
  if (!file) {
    // Saved PostgreSQL connections are stores to choose too.
    const saved = savedConnectionItems(ctx);
    if (vscode.workspace.isTrusted) {
      const picked = await vscode.window.showQuickPick(
        [
          { label: '$(file) Store File…', description: 'SQLite: ours or Emmett SQLite' },
          ...saved,
          { label: '$(plug) Connect to PostgreSQL…', description: 'Emmett PostgreSQL, Message DB, Marten' },
        ],
        { title: 'Open Store', placeHolder: 'A store file, or a store on a PostgreSQL server', ignoreFocusOut: true },
      );
      if (!picked) return undefined;
      if ('connectionId' in picked) {
        await vscode.commands.executeCommand('eventStore.connectPostgres', { connectionId: picked.connectionId });
        return undefined;
      }
      if (picked.label.startsWith('$(plug)')) {
        await vscode.commands.executeCommand('eventStore.connectPostgres');
        return undefined;
      }
    }
    const picked = await vscode.window.showOpenDialog({
      title: 'Open Store',
      openLabel: 'Open Store',
      canSelectMany: false,
      filters: { 'Event stores (SQLite)': ['db', 'sqlite', 'sqlite3'], 'All files': ['*'] },
    });
    file = picked?.[0]?.fsPath;
    if (!file) return undefined;
  }
  await useStore(ctx, file);
  const session = ctx.controller.session;
  if (!session) throw ctx.controller.error ?? new Error(`The store ${file} could not be opened.`);
  const format = formatOf(session.store);
  const message = `Opened ${path.basename(file)}: ${format.name}${format.id === 'native' ? '' : ` (${format.generation})`}, ${session.store.readOnly ? 'read-only' : 'writable'}.`;
  ctx.log.info(message);
  void vscode.window.showInformationMessage(message);
  return file;
}

/** Close Store: back to the workspace's own store (the setting's default). */
async function closeStore(ctx: CommandContext): Promise<void> {
  await useStore(ctx, undefined);
  void vscode.window.showInformationMessage(`Back to the workspace store ${path.basename(ctx.controller.storePath)}.`);
}

/** Check Store: the integrity checks of the open store's format, as a report whose findings open their event in the replay. */
async function checkStore(ctx: CommandContext, reports: CheckReportDocuments): Promise<readonly (Finding | string)[]> {
  const session = await ctx.controller.get();
  const store = session.store;
  let findings: (Finding | string)[];
  if (store instanceof PostgresStore) findings = [...(await checkPostgresStore(store)).findings];
  else if (store instanceof EmmettSqliteStore) findings = [...checkEmmettStore(store).findings];
  else if (store.path) findings = (await verifyStore(store.path)).findings;
  else findings = [];
  const name = ctx.controller.postgresSource?.label ?? (store.path ? path.basename(store.path) : 'the store');
  ctx.log.info(
    `Check Store on ${store.path ?? '(in memory)'}: ${findings.length} finding${findings.length === 1 ? '' : 's'}.`,
  );
  for (const f of findings) ctx.log.info(`  ${typeof f === 'string' ? f : f.message}`);
  const format = formatOf(store);
  const uri = reports.add({
    storeName: name,
    describedAs: `${format.name}${format.id === 'native' ? '' : ` (${format.generation})`}, ${store.readOnly ? 'read-only' : 'writable'}`,
    findings,
    checkedAt: new Date().toISOString(),
  });
  await vscode.window.showTextDocument(uri, { preview: false });
  return findings;
}

/** Copy into a Workspace Store: a sandbox of ours with the same events, to branch and run commands in. */
async function copyStore(ctx: CommandContext, target: unknown): Promise<string | undefined> {
  const session = await ctx.controller.get();
  const source = session.store.path;
  if (!source) throw new Error('This store lives in memory: there is nothing to copy.');
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage(
      'Copying writes a new store file into the workspace: trust the workspace first (Restricted Mode only inspects).',
    );
    return undefined;
  }
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const dest =
    typeof target === 'string'
      ? target
      : (
          await vscode.window.showSaveDialog({
            title: 'Copy into a Workspace Store',
            defaultUri: vscode.Uri.file(
              path.join(folder ?? path.dirname(source), '.eventstore', `copy-of-${path.parse(source).name}.db`),
            ),
          })
        )?.fsPath;
  if (!dest) return undefined;
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Copying ${path.basename(source)}…` },
    () => copyToNativeStore(session.store, dest),
  );
  const kept = result.positionsKept
    ? 'positions kept'
    : `${result.renumbered} events renumbered (their original positions are in metadata.source)`;
  ctx.log.info(`Copied ${source} into ${dest}: ${result.events} events, ${result.streams} streams, ${kept}.`);
  void vscode.window
    .showInformationMessage(`Copied ${result.events} events into ${path.basename(dest)} (${kept}).`, 'Open the Copy')
    .then((action) => action && useStore(ctx, dest));
  return dest;
}

/** Opening, closing, checking and copying stores, of any format. */
export function registerForeignStoreCommands(ctx: CommandContext): vscode.Disposable[] {
  const reports = new CheckReportDocuments();
  return [
    ...reports.register(),
    registerCommand('eventStore.openStore', (uri?: unknown) => boundary(ctx, 'Open Store', () => openStore(ctx, uri))),
    registerCommand('eventStore.openInInspector', (uri?: unknown) =>
      boundary(ctx, 'Open in Event Store Inspector', () => openStore(ctx, uri)),
    ),
    registerCommand('eventStore.closeStore', () => boundary(ctx, 'Close Store', () => closeStore(ctx))),
    registerCommand('eventStore.checkStore', () => boundary(ctx, 'Check Store', () => checkStore(ctx, reports))),
    registerCommand('eventStore.copyStore', (target?: unknown) =>
      boundary(ctx, 'Copy into a Workspace Store', () => copyStore(ctx, target)),
    ),
  ];
}
