import * as vscode from 'vscode';
import { registerCommands } from './ui/commands/index';
import { DomainModuleController } from './ui/domainModule';
import { EVENT_SCHEME, EventDocumentProvider } from './ui/eventDocument';
import { registerLearningViews } from './ui/learning';
import { createLog } from './ui/log';
import { ReadModelsTree } from './ui/readModelsTree';
import { REPLAY_VIEW_TYPE, ReplayPanel } from './ui/replayPanel';
import { StoreStatusBar } from './ui/statusBar';
import { StoreController } from './ui/storeController';
import { StoreFormatViews } from './ui/storeFormatViews';
import { StreamsTree } from './ui/streamsTree';

let controller: StoreController | undefined;

/** What the extension exposes to other extensions and to its integration tests. */
export interface EventStoreApi {
  readonly controller: StoreController;
  readonly readModelsTree: ReadModelsTree;
  readonly streamsTree: StreamsTree;
}

/** The composition root: wires the core to the VS Code surfaces, nothing else. */
export function activate(context: vscode.ExtensionContext): EventStoreApi {
  const log = createLog();
  controller = new StoreController(context, log);
  const readModelsTree = new ReadModelsTree(controller);
  const streamsTree = new StreamsTree(controller);
  // Before the store is first opened, so the workspace domain is part of the first session.
  const domain = new DomainModuleController(context, controller, log);
  const views = [
    vscode.window.createTreeView('eventStore.readModels', { treeDataProvider: readModelsTree, showCollapseAll: true }),
    vscode.window.createTreeView('eventStore.streams', { treeDataProvider: streamsTree, showCollapseAll: true }),
  ];
  streamsTree.attach(views[1]!);
  context.subscriptions.push(
    log,
    controller,
    domain,
    readModelsTree,
    streamsTree,
    new StoreStatusBar(controller),
    ...views,
    new StoreFormatViews(controller, views),
    vscode.workspace.registerTextDocumentContentProvider(EVENT_SCHEME, new EventDocumentProvider(controller)),
    vscode.window.registerWebviewPanelSerializer(REPLAY_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state) => ReplayPanel.revive(panel, context, controller!, log, state),
    }),
    ...registerLearningViews({ controller, domain }),
    ...registerCommands({ context, controller, log, streamsTree, domain }),
  );
  void controller.get().catch(() => undefined);
  return { controller, readModelsTree, streamsTree };
}

export async function deactivate(): Promise<void> {
  await controller?.shutdown();
  controller = undefined;
}
