import * as vscode from 'vscode';
import type { StoreSession } from '../core/application/session';
import type { Projection, ViewNode } from '../core/projections/projection';
import { Disposable } from './disposable';
import type { StoreController } from './storeController';

type Node = { kind: 'readModel'; projection: Projection } | { kind: 'row'; row: ViewNode; id: string } | { kind: 'message'; text: string; detail?: string };

/** The "Read Models" view: each projection, its rows, and where it is in the stream. */
export class ReadModelsTree extends Disposable implements vscode.TreeDataProvider<Node> {
  private readonly changed = this.register(new vscode.EventEmitter<Node | undefined>());
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly controller: StoreController) {
    super();
    this.register(controller.onDidAppend(() => this.changed.fire(undefined)));
    this.register(controller.onDidOpen(() => this.changed.fire(undefined)));
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  async getChildren(node?: Node): Promise<Node[]> {
    let session: StoreSession;
    try {
      session = await this.controller.get();
    } catch (e) {
      return node ? [] : [{ kind: 'message', text: 'The event store could not be opened', detail: (e as Error).message }];
    }
    if (!node) return session.projections.map((projection) => ({ kind: 'readModel', projection }));
    if (node.kind === 'readModel') {
      const rows = node.projection.view(session.projector.stateOf(node.projection.name) as never);
      if (rows.length === 0) return [{ kind: 'message', text: 'Empty', detail: 'No events for this read model yet: try "Event Store: Create User".' }];
      return rows.map((row, i) => ({ kind: 'row', row, id: `${node.projection.name}/${i}:${row.label}` }));
    }
    if (node.kind === 'row') return (node.row.children ?? []).map((row, i) => ({ kind: 'row', row, id: `${node.id}/${i}:${row.label}` }));
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'readModel': {
        const checkpoint = this.controller.session?.projector.checkpoint ?? 0;
        const item = new vscode.TreeItem(node.projection.title, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `readModel:${node.projection.name}`;
        item.description = `at position ${checkpoint}`;
        item.tooltip = new vscode.MarkdownString(
          `**${node.projection.title}** — a read model.\n\n${node.projection.description}\n\nBuilt by folding the events it handles (${
            node.projection.eventTypes.length ? node.projection.eventTypes.join(', ') : 'all event types'
          }); it has applied every event up to position ${checkpoint}. Rebuild it from position 0 with *Event Store: Rebuild Read Models*.`,
        );
        item.iconPath = new vscode.ThemeIcon('table');
        item.contextValue = 'readModel';
        return item;
      }
      case 'row': {
        const item = new vscode.TreeItem(node.row.label, node.row.children?.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        item.description = node.row.description;
        item.tooltip = node.row.tooltip;
        if (node.row.icon) item.iconPath = new vscode.ThemeIcon(node.row.icon);
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.tooltip = node.detail;
        item.description = node.detail;
        item.iconPath = new vscode.ThemeIcon('info');
        return item;
      }
    }
  }
}
