import * as vscode from 'vscode';
import type { StoreSession } from '../core/application/session';
import type { Projection, ViewNode } from '../core/projections/projection';
import { Disposable } from './disposable';
import { messageNode, messageTreeItem, type MessageNode } from './messageNode';
import type { StoreController } from './storeController';

type Node = { kind: 'readModel'; projection: Projection } | { kind: 'row'; row: ViewNode; id: string } | MessageNode;

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
    const session = await this.controller.sessionOrRows(node);
    if (Array.isArray(session)) return session;
    if (!node) return session.projections.map((projection) => ({ kind: 'readModel', projection }));
    if (node.kind === 'readModel') {
      const rows = node.projection.view(session.projector.stateOf(node.projection));
      if (rows.length === 0) return [messageNode('Empty', emptyDetail(node.projection))];
      return rows.map((row, i) => ({ kind: 'row', row, id: `${node.projection.name}/${i}:${row.label}` }));
    }
    if (node.kind === 'row')
      return (node.row.children ?? []).map((row, i) => ({ kind: 'row', row, id: `${node.id}/${i}:${row.label}` }));
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'readModel': {
        const checkpoint = this.controller.session?.projector.checkpoint ?? 0;
        const item = new vscode.TreeItem(node.projection.title, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `readModel:${node.projection.name}`;
        item.description = `at position ${checkpoint}`;
        item.tooltip = readModelTooltip(node.projection, checkpoint, this.controller.session);
        item.iconPath = new vscode.ThemeIcon('table');
        item.contextValue = 'readModel';
        return item;
      }
      case 'row': {
        const item = new vscode.TreeItem(
          node.row.label,
          node.row.children?.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
        );
        item.id = node.id;
        item.description = node.row.description;
        item.tooltip = node.row.tooltip;
        if (node.row.icon) item.iconPath = new vscode.ThemeIcon(node.row.icon);
        return item;
      }
      case 'message':
        return messageTreeItem(node);
    }
  }
}

/** What a read model is, where its data comes from and how far it got: for newcomers, where they look. */
function readModelTooltip(
  projection: Projection,
  checkpoint: number,
  session: StoreSession | undefined,
): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendMarkdown('**');
  md.appendText(projection.title);
  md.appendMarkdown('** — a read model (a projection).\n\n');
  md.appendText(`${projection.description}\n\n`);
  const types = projection.eventTypes.length ? projection.eventTypes.join(', ') : 'every event type';
  const sources = session
    ? [
        ...new Set(
          session.aggregates
            .filter(
              (a) => projection.eventTypes.length === 0 || a.eventTypes.some((t) => projection.eventTypes.includes(t)),
            )
            .map((a) => a.name),
        ),
      ]
    : [];
  md.appendText(
    `Where it comes from: it folds ${types}${sources.length ? `, from the ${sources.join(' and ')} streams` : ''}, in global order, delivered by the event bus. ` +
      'It is derived data: the events are the truth, and it can be thrown away and rebuilt at any time.\n\n',
  );
  md.appendText(
    `Checkpoint: it has applied every event up to position ${checkpoint}${session ? ` of ${session.store.lastPosition()}` : ''}.`,
  );
  md.appendMarkdown('\n\nRebuild it from position 0 with *Event Store: Rebuild Read Models*');
  if (projection.queries?.length) {
    md.appendMarkdown('; ask it a question with *Event Store: Query Read Model…* (');
    md.appendText(projection.queries.map((q) => q.title).join(', '));
    md.appendMarkdown(')');
  }
  md.appendMarkdown('.');
  return md;
}

/** The command that produces the first event a read model applies, by event type (built-in domain). */
const FIRST_COMMAND: Readonly<Record<string, string>> = {
  UserCreated: 'Event Store: Create User',
  ItemAdded: 'Event Store: Add Item to Cart',
};

/** Why a read model is empty, and the command that feeds it (never one that does not). */
function emptyDetail(projection: Projection): string {
  if (projection.eventTypes.length === 0) return 'No event in the store yet.';
  const first = projection.eventTypes.map((t) => FIRST_COMMAND[t]).find((c) => c !== undefined);
  return first ? `Try "${first}"` : `No ${projection.eventTypes.join(', ')} event yet.`;
}
