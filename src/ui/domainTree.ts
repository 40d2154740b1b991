import * as vscode from 'vscode';
import { builtInAggregates, commandSchemaFor, type AggregateDefinition } from '../core/domain/aggregates';
import { describeField } from '../core/domain/commandSchema';
import { Disposable } from './disposable';
import { UNTRUSTED_REASON, type DomainModuleController } from './domainModule';
import type { StoreController } from './storeController';

type Node =
  | { kind: 'module' }
  | { kind: 'problem'; text: string; detail: string }
  | { kind: 'aggregate'; aggregate: AggregateDefinition; fromModule: boolean }
  | { kind: 'group'; aggregate: AggregateDefinition; what: 'commands' | 'events' }
  | { kind: 'command'; aggregate: AggregateDefinition; type: string }
  | { kind: 'event'; aggregate: AggregateDefinition; type: string };

/**
 * The "Domain" view: the write side. Each aggregate with the commands it accepts (click to execute
 * one) and the events it emits, and the state of the workspace's own domain module.
 */
export class DomainTree extends Disposable implements vscode.TreeDataProvider<Node> {
  private readonly changed = this.register(new vscode.EventEmitter<Node | undefined>());
  readonly onDidChangeTreeData = this.changed.event;

  constructor(
    private readonly controller: StoreController,
    private readonly domain: DomainModuleController,
  ) {
    super();
    this.register(controller.onDidOpen(() => this.changed.fire(undefined)));
    this.register(domain.onDidChange(() => this.changed.fire(undefined)));
  }

  private aggregates(): { aggregate: AggregateDefinition; fromModule: boolean }[] {
    const state = this.domain.state;
    const fromModule = state.status === 'loaded' ? state.domain.aggregates : [];
    const all = this.controller.session?.aggregates ?? [...builtInAggregates, ...fromModule];
    return all.map((aggregate) => ({ aggregate, fromModule: !builtInAggregates.includes(aggregate) }));
  }

  getChildren(node?: Node): Node[] {
    if (!node) {
      const rows: Node[] = [];
      if (this.domain.state.status !== 'none') rows.push({ kind: 'module' });
      rows.push(
        ...this.aggregates().map(({ aggregate, fromModule }) => ({
          kind: 'aggregate' as const,
          aggregate,
          fromModule,
        })),
      );
      return rows;
    }
    switch (node.kind) {
      case 'module':
        return this.domain.problems.map((p) => ({
          kind: 'problem',
          text: p.at,
          detail: `${p.message}${p.location ? ` (${p.location})` : ''}`,
        }));
      case 'aggregate':
        return [
          { kind: 'group', aggregate: node.aggregate, what: 'commands' },
          { kind: 'group', aggregate: node.aggregate, what: 'events' },
        ];
      case 'group':
        return node.what === 'commands'
          ? node.aggregate.commandTypes.map((type) => ({ kind: 'command', aggregate: node.aggregate, type }))
          : node.aggregate.eventTypes.map((type) => ({ kind: 'event', aggregate: node.aggregate, type }));
      default:
        return [];
    }
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'module':
        return this.moduleItem();
      case 'problem': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.description = node.detail;
        item.tooltip = `${node.text} failed: ${node.detail}. The read model is faulted there (it stops before that event); the store is fine.`;
        item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
        return item;
      }
      case 'aggregate': {
        const a = node.aggregate;
        const item = new vscode.TreeItem(a.name, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `aggregate:${a.name}`;
        item.description = `${a.streamPrefix}… streams${node.fromModule ? ' · workspace domain' : ''}`;
        const md = new vscode.MarkdownString();
        md.appendMarkdown('**');
        md.appendText(a.name);
        md.appendMarkdown('** — an aggregate (write model).\n\n');
        if (a.description) md.appendText(`${a.description}\n\n`);
        md.appendText(
          `It decides: given the events of one ${a.streamPrefix}<id> stream (folded into its state) and a command, it emits new events or rejects the command with a reason. Commands: ${a.commandTypes.join(', ')}. Events: ${a.eventTypes.join(', ')}.`,
        );
        item.tooltip = md;
        item.iconPath = new vscode.ThemeIcon(node.fromModule ? 'symbol-class' : 'symbol-structure');
        return item;
      }
      case 'group': {
        const item = new vscode.TreeItem(
          node.what === 'commands' ? 'Commands' : 'Events',
          vscode.TreeItemCollapsibleState.Collapsed,
        );
        item.id = `aggregate:${node.aggregate.name}:${node.what}`;
        item.tooltip =
          node.what === 'commands'
            ? 'Commands ask for a change, in the imperative. The aggregate may refuse them; they return no data.'
            : 'Events say what happened, in the past tense. Once appended they are never changed or deleted.';
        item.iconPath = new vscode.ThemeIcon(node.what === 'commands' ? 'run' : 'symbol-event');
        return item;
      }
      case 'command': {
        const schema = commandSchemaFor(node.aggregate, node.type);
        const item = new vscode.TreeItem(node.type, vscode.TreeItemCollapsibleState.None);
        item.id = `aggregate:${node.aggregate.name}:command:${node.type}`;
        item.description = schema
          ? schema.fields.map((f) => (f.optional ? `${f.name}?` : f.name)).join(', ')
          : undefined;
        const md = new vscode.MarkdownString();
        md.appendText(`${node.type}${schema?.description ? `: ${schema.description}` : ''}\n\n`);
        if (schema) md.appendText(schema.fields.map((f) => `• ${describeField(f)}`).join('\n'));
        md.appendText('\n\nClick to execute it (Event Store: Execute Command…).');
        item.tooltip = md;
        item.iconPath = new vscode.ThemeIcon('symbol-method');
        item.command = {
          command: 'eventStore.executeCommand',
          title: 'Execute Command…',
          arguments: [{ type: node.type }],
        };
        item.contextValue = 'domainCommand';
        return item;
      }
      case 'event': {
        const item = new vscode.TreeItem(node.type, vscode.TreeItemCollapsibleState.None);
        item.id = `aggregate:${node.aggregate.name}:event:${node.type}`;
        item.iconPath = new vscode.ThemeIcon('symbol-event');
        item.tooltip = `${node.type}: an event of ${node.aggregate.name}, emitted by its decide and folded by its evolve.`;
        return item;
      }
    }
  }

  private moduleItem(): vscode.TreeItem {
    const state = this.domain.state;
    const file = state.file ? vscode.workspace.asRelativePath(state.file, false) : '';
    const problems = this.domain.problems.length;
    const item = new vscode.TreeItem(
      'Workspace domain',
      problems ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
    );
    item.id = 'workspaceDomain';
    switch (state.status) {
      case 'loaded':
        item.description = `loaded from ${file}${problems ? ` · ${problems} problem${problems === 1 ? '' : 's'}` : ''}`;
        item.tooltip = `${file}: ${state.domain.aggregates.length} aggregate(s), ${state.domain.projections.length} read model(s). Reloaded when the file changes.`;
        item.iconPath = new vscode.ThemeIcon(
          problems ? 'warning' : 'pass',
          new vscode.ThemeColor(problems ? 'list.warningForeground' : 'testing.iconPassed'),
        );
        break;
      case 'untrusted':
        item.description = 'not loaded: Restricted Mode';
        item.tooltip = `${file} was not loaded: ${UNTRUSTED_REASON}`;
        item.iconPath = new vscode.ThemeIcon('shield');
        break;
      case 'error':
        item.description = `failed: ${state.error.message.split('\n')[0]}`;
        item.tooltip = `${file} was not loaded${state.error.location ? ` (${state.error.location})` : ''}:\n${state.error.message}\n\nThe store stays open with the built-in domain. Fix the file and save: it is reloaded.`;
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
        break;
      case 'none':
        break;
    }
    if (state.file)
      item.command = { command: 'vscode.open', title: 'Open Domain Module', arguments: [vscode.Uri.file(state.file)] };
    return item;
  }
}
