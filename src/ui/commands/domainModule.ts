import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { resolveDomainModulePath } from '../domainModule';
import { markDone, WalkthroughDone } from '../walkthroughProgress';
import { boundary, registerCommand, type CommandContext } from './boundary';

/** Creates the workspace domain module from the example (when there is none yet) and opens it. */
async function createDomainModule(ctx: CommandContext): Promise<string> {
  const file = resolveDomainModulePath();
  if (!file)
    throw new Error('Open a folder first: the domain module lives in the workspace (setting eventStore.domainModule).');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const example = vscode.Uri.joinPath(ctx.context.extensionUri, 'media', 'domain', 'domain.example.js').fsPath;
    fs.copyFileSync(example, file, fs.constants.COPYFILE_EXCL);
    ctx.log.info(`Created the example workspace domain ${file}.`);
  }
  await vscode.window.showTextDocument(vscode.Uri.file(file));
  await ctx.domain.reload();
  markDone(WalkthroughDone.domainModuleCreated);
  void vscode.window.showInformationMessage(
    `Your domain lives in ${vscode.workspace.asRelativePath(file, false)}: edit and save it, and it is reloaded. ` +
      'Try its commands with "Event Store: Execute Command…".',
  );
  return file;
}

export function registerDomainModuleCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    registerCommand('eventStore.createDomainModule', () =>
      boundary(ctx, 'Create Domain Module', () => createDomainModule(ctx)),
    ),
    registerCommand('eventStore.reloadDomainModule', () =>
      boundary(ctx, 'Reload Domain Module', () => ctx.domain.reload(true)),
    ),
  ];
}
