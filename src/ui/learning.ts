import * as vscode from 'vscode';
import { COMMAND_SCHEME, CommandEntryDocumentProvider, CommandLogTree } from './commandLogTree';
import type { DomainModuleController } from './domainModule';
import { DomainTree } from './domainTree';
import type { StoreController } from './storeController';

/** The learning views: the Command Log and the Domain, and the documents that explain a command. */
export function registerLearningViews(options: {
  controller: StoreController;
  domain: DomainModuleController;
}): vscode.Disposable[] {
  const { controller, domain } = options;
  const commandLogTree = new CommandLogTree(controller);
  const domainTree = new DomainTree(controller, domain);
  return [
    commandLogTree,
    domainTree,
    vscode.window.createTreeView('eventStore.commandLog', { treeDataProvider: commandLogTree }),
    vscode.window.createTreeView('eventStore.domain', { treeDataProvider: domainTree, showCollapseAll: true }),
    vscode.workspace.registerTextDocumentContentProvider(COMMAND_SCHEME, new CommandEntryDocumentProvider(controller)),
  ];
}
