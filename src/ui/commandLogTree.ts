import * as vscode from 'vscode';
import type { CommandLogEntry } from '../core/application/commandLog';
import type { StoreSession } from '../core/application/session';
import { isForeignStore, type ForeignStore, type RecordedCommand } from '../core/formats/storeReader';
import { canHandle } from '../core/projections/projection';
import { Disposable } from './disposable';
import { messageNode, messageTreeItem, type MessageNode } from './messageNode';
import type { StoreController } from './storeController';

/** Rows shown at most: the log itself keeps more (see CommandLog). */
const SHOWN = 200;

type Node =
  | { kind: 'entry'; entry: CommandLogEntry }
  | { kind: 'event'; entry: CommandLogEntry; position: number }
  | { kind: 'detail'; entry: CommandLogEntry; text: string; tooltip?: string }
  | { kind: 'stored'; command: RecordedCommand }
  | MessageNode;

/** Where a stored command sits: its stream and position there, and its global position. */
export function storedCommandLabel(c: RecordedCommand): { label: string; description: string } {
  return {
    label: c.type,
    description: `command in ${c.streamId} at position ${c.streamPosition} · #${c.globalPosition}${c.recordedAt ? ` · ${time(c.recordedAt)}` : ''}`,
  };
}

const time = (iso: string): string => iso.replace('T', ' ').slice(11, 19);

export function outcomeLabel(entry: CommandLogEntry): string {
  switch (entry.outcome) {
    case 'accepted': {
      const n = entry.eventPositions?.length ?? 0;
      return n === 0
        ? 'accepted · no event'
        : `accepted · ${n} event${n === 1 ? '' : 's'} at #${entry.eventPositions!.join(', #')}`;
    }
    case 'rejected':
      return `rejected · ${entry.reason ?? ''}`;
    case 'conflict':
      return `conflict · ${entry.reason ?? ''}`;
  }
}

/** The "Command Log" view: every command executed, newest first, with its events or the reason it was refused. */
export class CommandLogTree extends Disposable implements vscode.TreeDataProvider<Node> {
  private readonly changed = this.register(new vscode.EventEmitter<Node | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  private sessionListener: { dispose(): void } | undefined;
  /** Commands a foreign store keeps (Emmett's 'C' messages), read once and then only after the last position read. */
  private stored: { store: ForeignStore; commands: RecordedCommand[]; after: number } | undefined;

  constructor(private readonly controller: StoreController) {
    super();
    this.register(controller.onDidOpen((session) => this.follow(session)));
    // Events appended by another process may come with lines another process logged.
    this.register(controller.onDidAppend(() => this.changed.fire(undefined)));
    // A foreign store's application may store commands without events: they show on any refresh.
    this.register(controller.onDidRefresh(() => this.changed.fire(undefined)));
    this.register({ dispose: () => this.sessionListener?.dispose() });
    if (controller.session) this.follow(controller.session);
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  private follow(session: StoreSession | undefined): void {
    this.sessionListener?.dispose();
    this.sessionListener = session?.commandLog.onDidRecord(() => this.changed.fire(undefined));
    this.changed.fire(undefined);
  }

  async getChildren(node?: Node): Promise<Node[]> {
    const session = await this.controller.sessionOrRows(node);
    if (Array.isArray(session)) return session;
    if (!this.sessionListener) this.follow(session);
    if (!node) {
      const entries = session.commandLog.entries();
      const rows: Node[] = entries
        .slice(-SHOWN)
        .reverse()
        .map((entry) => ({ kind: 'entry', entry }));
      if (isForeignStore(session.store)) rows.push(...this.storedCommands(session.store));
      if (entries.length > SHOWN)
        rows.push(
          messageNode(
            `${entries.length - SHOWN} older entries not shown`,
            `They are kept in ${session.commandLog.file ?? 'memory'}.`,
          ),
        );
      return rows;
    }
    if (node.kind === 'stored') return [];
    if (node.kind !== 'entry') return [];
    const { entry } = node;
    if (entry.outcome === 'accepted') {
      const events: Node[] = (entry.eventPositions ?? []).map((position) => ({ kind: 'event', entry, position }));
      if (entry.deliveredTo?.length)
        events.push({
          kind: 'detail',
          entry,
          text: `Delivered by the event bus to ${entry.deliveredTo.join(', ')}`,
          tooltip: 'Subscribers of the event bus that received these events.',
        });
      return events;
    }
    return [
      { kind: 'detail', entry, text: entry.reason ?? 'No reason given', tooltip: entry.reason },
      {
        kind: 'detail',
        entry,
        text: `Nothing appended: the store stayed at position ${entry.positionBefore}`,
        tooltip: 'A refused command leaves no event; it is only recorded here, beside the store.',
      },
    ];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'entry': {
        const { entry } = node;
        const expandable = entry.outcome !== 'accepted' || (entry.eventPositions?.length ?? 0) > 0;
        const item = new vscode.TreeItem(
          entry.command.type,
          expandable ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
        );
        item.id = `command:${entry.id}:${entry.at}`;
        item.description = `${outcomeLabel(entry)} · ${time(entry.at)}`;
        item.iconPath =
          entry.outcome === 'accepted'
            ? new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'))
            : entry.outcome === 'rejected'
              ? new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'))
              : new vscode.ThemeIcon('git-compare', new vscode.ThemeColor('list.warningForeground'));
        item.tooltip = entryTooltip(entry);
        item.contextValue = `commandLogEntry.${entry.outcome}`;
        item.command = { command: 'eventStore.showCommandLogEntry', title: 'Explain Command', arguments: [entry.id] };
        item.accessibilityInformation = {
          label: `${entry.command.type}, ${outcomeLabel(entry)}, at ${time(entry.at)}`,
        };
        return item;
      }
      case 'event': {
        const event = this.controller.session?.store.readEvent(node.position);
        const item = new vscode.TreeItem(
          event ? event.type : `Position ${node.position}`,
          vscode.TreeItemCollapsibleState.None,
        );
        item.id = `command:${node.entry.id}:${node.entry.at}:event:${node.position}`;
        item.description = event
          ? `#${node.position} · ${event.streamId} v${event.streamVersion}`
          : `#${node.position} (not in this store)`;
        item.tooltip = 'An event this command appended. Click to open it.';
        item.iconPath = new vscode.ThemeIcon('symbol-event');
        item.command = { command: 'eventStore.openEvent', title: 'Open Event', arguments: [node.position] };
        return item;
      }
      case 'detail': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.tooltip = node.tooltip;
        item.iconPath = new vscode.ThemeIcon(node.entry.outcome === 'accepted' ? 'broadcast' : 'info');
        return item;
      }
      case 'stored': {
        const { command } = node;
        const { label, description } = storedCommandLabel(command);
        const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
        item.id = `stored-command:${command.globalPosition}`;
        item.description = description;
        // Plain text: the command's type and data come from the store.
        item.tooltip = `${command.type}, a command the application stored in ${command.streamId} at position ${command.streamPosition} (global position ${command.globalPosition})${command.recordedAt ? `, ${command.recordedAt}` : ''}.\n\n${JSON.stringify(command.data, null, 2) ?? ''}`;
        item.iconPath = new vscode.ThemeIcon('symbol-method');
        item.contextValue = 'storedCommand';
        item.accessibilityInformation = { label: `${label}, ${description}` };
        return item;
      }
      case 'message':
        return messageTreeItem(node);
    }
  }

  /** The store's own commands, newest first (at most SHOWN), below the commands issued here. */
  private storedCommands(store: ForeignStore): Node[] {
    if (this.stored?.store !== store) this.stored = { store, commands: [], after: 0 };
    const cache = this.stored;
    const last = store.lastPosition();
    if (last < cache.after) cache.commands = []; // reloaded smaller: read again
    if (last !== cache.after) {
      cache.commands.push(...store.readCommands({ after: last < cache.after ? 0 : cache.after }));
      cache.after = last;
    }
    const rows: Node[] = cache.commands
      .slice(-SHOWN)
      .reverse()
      .map((command) => ({ kind: 'stored', command }));
    if (cache.commands.length > SHOWN)
      rows.push(
        messageNode(`${cache.commands.length - SHOWN} older stored commands not shown`, 'Query the store for them.'),
      );
    return rows;
  }
}

function entryTooltip(entry: CommandLogEntry): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendMarkdown(
    `**${entry.outcome === 'accepted' ? 'Accepted' : entry.outcome === 'rejected' ? 'Rejected' : 'Concurrency conflict'}** — `,
  );
  md.appendText(
    `${entry.command.type} at ${entry.at}${entry.source ? ` from ${entry.source}` : ''}, when the store was at position ${entry.positionBefore}.\n\n`,
  );
  if (entry.outcome === 'accepted')
    md.appendText(
      entry.eventPositions?.length
        ? `Appended events at positions ${entry.eventPositions.join(', ')}${entry.streamId ? ` to ${entry.streamId}` : ''}.`
        : 'It decided no event.',
    );
  else
    md.appendText(
      `${entry.reason ?? ''}\nNothing was appended: a refused command is not an event, so it is kept in this log beside the store.`,
    );
  md.appendMarkdown('\n\n');
  md.appendCodeblock(JSON.stringify(entry.command.data, null, 2) ?? '', 'json');
  return md;
}

/** A read-only Markdown page that walks through one command: decided, appended, delivered, projected. */
export function explainEntry(session: StoreSession, entry: CommandLogEntry): string {
  const lines: string[] = [];
  const verdict =
    entry.outcome === 'accepted'
      ? 'accepted'
      : entry.outcome === 'rejected'
        ? 'rejected'
        : 'refused: concurrency conflict';
  lines.push(`# ${entry.command.type} — ${verdict}`, '');
  lines.push(
    `Issued ${entry.at}${entry.source ? ` from the ${entry.source}` : ''}, when the store was at global position ${entry.positionBefore}. Command id \`${entry.id}\`.`,
    '',
  );
  lines.push(
    '## The command',
    '',
    'A command asks for a change. It can be refused; it returns no data.',
    '',
    '```json',
    JSON.stringify(entry.command.data, null, 2) ?? 'null',
    '```',
    '',
  );
  const aggregate = entry.aggregate ? `The ${entry.aggregate} aggregate` : 'Its aggregate';
  if (entry.outcome !== 'accepted') {
    lines.push('## 1. The write model decided: no', '');
    if (entry.outcome === 'conflict') {
      lines.push(
        `${aggregate} decided on the version of ${entry.streamId ?? 'the stream'} it had read, but another command appended to that stream first. The store checks the expected version on every append (optimistic concurrency) and refused this one:`,
        '',
        `> ${entry.reason ?? ''}`,
        '',
        'Retrying reads the stream again, folds it into the new state and decides again: the command may then succeed, or be rejected by a rule that applies now.',
      );
    } else {
      lines.push(`${entry.errorName ? `${entry.errorName}: ` : ''}${entry.reason ?? ''}`, '');
    }
    lines.push(
      '',
      '## 2. Nothing was appended',
      '',
      `The store stayed at position ${entry.positionBefore}. A refused command is not an event: it is recorded only in this command log, beside the store.`,
    );
    return lines.join('\n');
  }
  lines.push(
    '## 1. The write model decided',
    '',
    `${aggregate} read the events of ${entry.streamId ?? 'its stream'}, folded them into its current state with \`evolve\`, and \`decide\` returned the events below.`,
    '',
  );
  const events = (entry.eventPositions ?? []).map((p) => session.store.readEvent(p));
  lines.push('## 2. The store appended', '');
  if (events.length === 0) lines.push('It decided no event: nothing to append.');
  for (const [i, event] of events.entries()) {
    if (!event)
      lines.push(
        `- position ${entry.eventPositions![i]}: not in this store (the log may belong to the store this one was branched from)`,
      );
    else
      lines.push(
        `- **${event.type}** at global position ${event.globalPosition}, version ${event.streamVersion} of \`${event.streamId}\`, recorded ${event.recordedAt}`,
      );
  }
  lines.push('', '## 3. The event bus delivered', '');
  lines.push(
    `The bus published the new events to its subscribers: ${entry.deliveredTo?.length ? entry.deliveredTo.join(', ') : '(none)'}. The read models took what they handle:`,
    '',
  );
  for (const projection of session.projections) {
    const handled = events.filter((e) => e && canHandle(projection, e)).map((e) => e!.type);
    lines.push(
      `- ${projection.title}: ${handled.length ? `applied ${[...new Set(handled)].join(', ')}` : 'ignores these event types'}`,
    );
  }
  lines.push(
    '',
    '## 4. Read models now',
    '',
    `Every read model has applied the events up to position ${session.projector.checkpoint}. Queries answer from them without touching the store.`,
  );
  return lines.join('\n');
}

export const COMMAND_SCHEME = 'eventstore-command';

export function commandEntryUri(entry: CommandLogEntry): vscode.Uri {
  return vscode.Uri.from({
    scheme: COMMAND_SCHEME,
    path: `/${entry.command.type.replace(/[^\w-]/g, '_')} ${time(entry.at).replace(/:/g, '.')}.md`,
    query: entry.id,
  });
}

/** Serves the explanation of a command log entry as a read-only Markdown document. */
export class CommandEntryDocumentProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly controller: StoreController) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const session = await this.controller.get();
    const entry = session.commandLog.find(uri.query);
    return entry ? explainEntry(session, entry) : `No command ${uri.query} in the command log of this store.`;
  }
}
