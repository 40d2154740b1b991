import * as vscode from 'vscode';
import { formatResult } from '../core/query/resultFormat';
import {
  parseQueryWebviewMessage,
  sortedOrder,
  type QueryHostToWebview,
  type QueryResultView,
  type QueryWebviewToHost,
} from '../shared/queryProtocol';
import { Disposable } from './disposable';
import { templatePage } from './webviewPage';

export const QUERY_RESULTS_VIEW_TYPE = 'eventStore.queryResults';

/** What the panel asks of whoever runs the queries. */
export interface QueryResultsActions {
  cancel(): void;
  openReplay(position: number): void;
}

/** The "Query Results" panel: a grid of the last query's rows. One per window, kept while hidden. */
export class QueryResultsPanel extends Disposable {
  private static current: QueryResultsPanel | undefined;
  private ready = false;
  private readonly outbox: QueryHostToWebview[] = [];
  private last: QueryResultView | undefined;

  static show(
    context: vscode.ExtensionContext,
    log: vscode.LogOutputChannel,
    actions: QueryResultsActions,
  ): QueryResultsPanel {
    if (QueryResultsPanel.current) {
      QueryResultsPanel.current.actions = actions;
      QueryResultsPanel.current.panel.reveal(undefined, true);
      return QueryResultsPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(
      QUERY_RESULTS_VIEW_TYPE,
      'Query Results',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      {
        enableScripts: true,
        retainContextWhenHidden: true,
        localResourceRoots: [
          vscode.Uri.joinPath(context.extensionUri, 'dist'),
          vscode.Uri.joinPath(context.extensionUri, 'media'),
        ],
      },
    );
    return (QueryResultsPanel.current = new QueryResultsPanel(panel, context, log, actions));
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private actions: QueryResultsActions,
  ) {
    super();
    this.panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'event-store.svg');
    this.panel.webview.html = this.html();
    this.register(this.panel.onDidDispose(() => this.dispose()));
    this.register(this.panel.webview.onDidReceiveMessage((raw: unknown) => void this.receive(raw)));
  }

  override dispose(): void {
    if (QueryResultsPanel.current === this) QueryResultsPanel.current = undefined;
    super.dispose();
    this.panel.dispose();
  }

  running(title: string): void {
    this.post({ type: 'running', title });
  }

  result(view: QueryResultView): void {
    this.last = view;
    this.post({ type: 'result', ...view });
  }

  failed(message: string, cancelled: boolean): void {
    this.post({ type: 'failed', message, cancelled });
  }

  private post(message: QueryHostToWebview): void {
    if (this.ready) void this.panel.webview.postMessage(message);
    else this.outbox.push(message);
  }

  private async receive(raw: unknown): Promise<void> {
    const message = parseQueryWebviewMessage(raw);
    if (!message) {
      this.log.warn(
        `Query Results: ignored a message the panel should not send: ${JSON.stringify(raw)?.slice(0, 200)}`,
      );
      return;
    }
    try {
      await this.handle(message);
    } catch (e) {
      this.log.error(`Query Results: ${message.type} failed: ${(e as Error)?.stack ?? String(e)}`);
      void vscode.window.showErrorMessage(
        `Query Results: ${message.type} failed: ${(e as Error)?.message ?? String(e)}`,
      );
    }
  }

  private async handle(message: QueryWebviewToHost): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        for (const m of this.outbox.splice(0)) void this.panel.webview.postMessage(m);
        return;
      case 'cancel':
        this.actions.cancel();
        return;
      case 'copy':
        await vscode.env.clipboard.writeText(message.text);
        vscode.window.setStatusBarMessage(`Copied the ${message.what} to the clipboard.`, 3000);
        return;
      case 'openReplay':
        this.actions.openReplay(message.position);
        return;
      case 'export': {
        const last = this.last;
        if (!last) return;
        if (message.sort && message.sort.column >= last.columns.length) return;
        const rows = sortedOrder(last.rows, message.sort).map((i) => last.rows[i]!);
        const content = formatResult({ columns: last.columns, rows }, message.format).join('');
        const doc = await vscode.workspace.openTextDocument({
          language: message.format === 'csv' ? 'plaintext' : 'jsonl',
          content,
        });
        await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Active, preview: false });
        return;
      }
    }
  }

  private html(): string {
    return templatePage(this.panel.webview, this.context.extensionUri, {
      html: 'queryResults.html',
      css: 'queryResults.css',
      script: 'queryGrid.js',
    });
  }
}
