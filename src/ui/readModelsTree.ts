import * as vscode from 'vscode';
import type { StoreSession } from '../core/application/session';
import { describeFault, type ProjectionFault } from '../core/projections/fault';
import type { Projection, ViewNode } from '../core/projections/projection';
import { Disposable } from './disposable';
import { messageNode, messageTreeItem, type MessageNode } from './messageNode';
import type { StoreController } from './storeController';

type Node =
  | { kind: 'readModel'; projection: Projection }
  | { kind: 'row'; row: ViewNode; id: string; projection: Projection }
  | { kind: 'fault'; projection: Projection; fault: ProjectionFault }
  | MessageNode;

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
      const projection = node.projection;
      const fault = session.projector.faultOf(projection.name);
      // A faulted read model says so first: its rows are the state before the failing event.
      const head: Node[] = fault ? [{ kind: 'fault', projection, fault }] : [];
      const rows = projection.view(session.projector.stateOf(projection));
      if (rows.length === 0) return [...head, messageNode('Empty', emptyDetail(projection))];
      return [
        ...head,
        ...rows.map((row, i): Node => ({ kind: 'row', row, id: `${projection.name}/${i}:${row.label}`, projection })),
      ];
    }
    if (node.kind === 'row')
      return (node.row.children ?? []).map((row, i) => ({
        kind: 'row',
        row,
        id: `${node.id}/${i}:${row.label}`,
        projection: node.projection,
      }));
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'readModel': {
        const projector = this.controller.session?.projector;
        const checkpoint = projector?.checkpoint ?? 0;
        const fault = projector?.faultOf(node.projection.name);
        const range = projector?.rebuiltRange;
        const item = new vscode.TreeItem(node.projection.title, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `readModel:${node.projection.name}`;
        item.description = fault
          ? `faulted at ${fault.position}`
          : range
            ? `rebuilt from ${range.from} to ${checkpoint}`
            : `at position ${checkpoint}`;
        item.tooltip = readModelTooltip(node.projection, checkpoint, this.controller.session);
        item.iconPath = fault
          ? new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'))
          : new vscode.ThemeIcon('table');
        item.contextValue = fault ? 'readModelFaulted' : 'readModel';
        return item;
      }
      case 'fault': {
        const f = node.fault;
        const item = new vscode.TreeItem(`Faulted at ${f.position}: ${f.error}`, vscode.TreeItemCollapsibleState.None);
        item.id = `fault:${node.projection.name}`;
        item.description = `${f.eventType} of ${f.streamId}`;
        const md = new vscode.MarkdownString();
        md.appendText(`${describeFault(f, node.projection.title)} It shows the state before that event.\n\n`);
        if (f.stack) md.appendCodeblock(f.stack, 'text');
        item.tooltip = md;
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
        item.contextValue = 'readModelFault';
        item.command = {
          command: 'eventStore.replayToFailingEvent',
          title: 'Replay to the Failing Event',
          arguments: [node],
        };
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
        item.contextValue = node.row.path ? 'readModelValue' : 'readModelRow';
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
