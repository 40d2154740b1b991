import * as vscode from 'vscode';
import type { RecordedEvent, StreamInfo } from '../core/eventStore/types';
import type { StoreReader } from '../core/formats/storeReader';
import type { CategoryInfo } from '../core/search/findStreams';
import { StreamIndex } from '../core/search/streamIndex';
import { parseStreamPattern, type StreamPattern } from '../core/search/streamPattern';
import { Disposable } from './disposable';
import { messageNode, messageTreeItem, type MessageNode } from './messageNode';
import type { StoreController } from './storeController';

/** Very wide trees stall VS Code and it has no paging API: rows come in pages with a "Load more" row. */
export const PAGE_SIZE = 200;

type Node =
  | { kind: 'stream'; stream: StreamInfo }
  | { kind: 'event'; event: RecordedEvent }
  | { kind: 'more'; parent: string; shown: number; total: number | undefined }
  | MessageNode;

const ROOT = '';

/** The "Streams" view: every stream, and its events loaded lazily, a page at a time. */
export class StreamsTree extends Disposable implements vscode.TreeDataProvider<Node> {
  private readonly changed = this.register(new vscode.EventEmitter<Node | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  /** How many rows are shown under each parent (ROOT or a stream id). */
  private readonly shown = new Map<string, number>();
  /** The stream filter (`user-*`, `category:cart`, text in the id); `all` shows every stream. */
  private pattern: StreamPattern = parseStreamPattern('');
  private view: { description?: string | undefined } | undefined;
  /** The open store's stream ids, matched at each keystroke of a filter instead of paging through the store. */
  private index: { readonly store: object; readonly index: StreamIndex } | undefined;

  constructor(private readonly controller: StoreController) {
    super();
    this.register(controller.onDidAppend(() => this.changed.fire(undefined)));
    this.register(
      controller.onDidOpen(() => {
        this.shown.clear();
        this.changed.fire(undefined);
      }),
    );
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  /** The view this tree fills: it shows the filter in its description. */
  attach(view: { description?: string | undefined }): void {
    this.view = view;
  }

  get filter(): string {
    return this.pattern.source;
  }

  /** Shows only the streams the filter matches (an empty filter shows all); throws StreamPatternError for a bad one. */
  setFilter(filter: string): void {
    this.pattern = parseStreamPattern(filter);
    this.shown.delete(ROOT);
    const active = this.pattern.kind !== 'all';
    if (this.view) this.view.description = active ? `Filter: ${this.pattern.source}` : undefined;
    void vscode.commands.executeCommand('setContext', 'eventStore.streamFilterActive', active);
    this.changed.fire(undefined);
  }

  /** The stream index of this store, brought up to its last event. */
  private async indexOf(store: Pick<StoreReader, 'listStreams' | 'forEach' | 'lastPosition'>): Promise<StreamIndex> {
    if (this.index?.store !== store) this.index = { store, index: new StreamIndex() };
    const { index } = this.index;
    await index.update(store);
    return index;
  }

  /** The categories of the open store's streams with their number of streams, largest first. */
  async categories(store: Pick<StoreReader, 'listStreams' | 'forEach' | 'lastPosition'>): Promise<CategoryInfo[]> {
    return (await this.indexOf(store)).categories();
  }

  /** Shows the next page under the parent of a "Load more" row. */
  loadMore(node: { parent: string }): void {
    this.shown.set(node.parent, (this.shown.get(node.parent) ?? PAGE_SIZE) + PAGE_SIZE);
    this.changed.fire(undefined);
  }

  async getChildren(node?: Node): Promise<Node[]> {
    const session = await this.controller.sessionOrRows(node);
    if (Array.isArray(session)) return session;
    if (!node && this.pattern.kind !== 'all') {
      const limit = this.shown.get(ROOT) ?? PAGE_SIZE;
      const pattern = this.pattern;
      const found = await (await this.indexOf(session.store)).find(pattern, { limit });
      if (found.streams.length === 0)
        return [messageNode(`No stream matches "${pattern.source}"`, 'Clear the filter in the title bar', 'filter')];
      const rows: Node[] = found.streams.map((stream) => ({ kind: 'stream', stream }));
      if (found.more) rows.push({ kind: 'more', parent: ROOT, shown: limit, total: undefined });
      return rows;
    }
    if (!node) {
      const limit = this.shown.get(ROOT) ?? PAGE_SIZE;
      const streams = session.store.listStreams({ limit });
      if (streams.length === 0) return [];
      const rows: Node[] = streams.map((stream) => ({ kind: 'stream', stream }));
      if (streams.length === limit) {
        const total = session.store.stats().streams;
        if (total > limit) rows.push({ kind: 'more', parent: ROOT, shown: limit, total });
      }
      return rows;
    }
    if (node.kind === 'stream') {
      const limit = this.shown.get(node.stream.streamId) ?? PAGE_SIZE;
      const events = session.store.readStream(node.stream.streamId, { limit });
      const rows: Node[] = events.map((event) => ({ kind: 'event', event }));
      const total = session.store.streamVersion(node.stream.streamId);
      if (total > limit) rows.push({ kind: 'more', parent: node.stream.streamId, shown: limit, total });
      return rows;
    }
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'stream': {
        const item = new vscode.TreeItem(node.stream.streamId, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `stream:${node.stream.streamId}`;
        item.description = `${node.stream.version} event${node.stream.version === 1 ? '' : 's'}`;
        item.tooltip = `Stream ${node.stream.streamId}: the history of one aggregate, ${node.stream.version} events, last at global position ${node.stream.lastPosition}.`;
        item.iconPath = new vscode.ThemeIcon('git-commit');
        item.contextValue = 'stream';
        return item;
      }
      case 'event': {
        const e = node.event;
        const item = new vscode.TreeItem(e.type, vscode.TreeItemCollapsibleState.None);
        item.id = `event:${e.globalPosition}`;
        item.description = `v${e.streamVersion} · #${e.globalPosition} · ${e.recordedAt.replace('T', ' ').slice(0, 19)}`;
        item.tooltip = new vscode.MarkdownString()
          .appendText(`${e.type}, version ${e.streamVersion} of ${e.streamId}, global position ${e.globalPosition}\n`)
          .appendCodeblock(JSON.stringify(e.data, null, 2), 'json');
        item.iconPath = new vscode.ThemeIcon('symbol-event');
        item.contextValue = 'event';
        item.command = { command: 'eventStore.openEvent', title: 'Open Event', arguments: [e.globalPosition] };
        return item;
      }
      case 'more': {
        const item = new vscode.TreeItem(
          node.total === undefined
            ? `Load more… (${node.shown} shown)`
            : `Load more… (${node.shown} of ${node.total} shown)`,
          vscode.TreeItemCollapsibleState.None,
        );
        item.id = `more:${node.parent}:${node.shown}`;
        item.iconPath = new vscode.ThemeIcon('ellipsis');
        item.command = { command: 'eventStore.loadMore', title: 'Load More', arguments: [{ parent: node.parent }] };
        return item;
      }
      case 'message':
        return messageTreeItem(node);
    }
  }
}

export type StreamsTreeNode = Node;
