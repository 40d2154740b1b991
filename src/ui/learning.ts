import * as vscode from 'vscode';
import { COMMAND_SCHEME, CommandEntryDocumentProvider, CommandLogTree } from './commandLogTree';
import { DomainModuleController } from './domainModule';
import { DomainTree } from './domainTree';
import { registerLearningCommands } from './learningCommands';
import type { StoreController } from './storeController';

/**
 * The learning surfaces: the workspace domain module, the Command Log and Domain views, and the
 * commands of the walkthrough (carts, Execute Command…, queries, the concurrency simulation, branches).
 * Called before the store is first opened, so the workspace domain is part of the first session.
 */
export function registerLearning(options: { context: vscode.ExtensionContext; controller: StoreController; log: vscode.LogOutputChannel }): vscode.Disposable[] {
  const { context, controller, log } = options;
  const domain = new DomainModuleController(context, controller, log);
  const commandLogTree = new CommandLogTree(controller);
  const domainTree = new DomainTree(controller, domain);
  return [
    domain,
    commandLogTree,
    domainTree,
    vscode.window.createTreeView('eventStore.commandLog', { treeDataProvider: commandLogTree }),
    vscode.window.createTreeView('eventStore.domain', { treeDataProvider: domainTree, showCollapseAll: true }),
    vscode.workspace.registerTextDocumentContentProvider(COMMAND_SCHEME, new CommandEntryDocumentProvider(controller)),
    ...registerLearningCommands({ context, controller, log, domain }),
  ];
}
