import * as vscode from 'vscode';
import { computeStatistics } from '../core/statistics/storeStatistics';
import {
  parseStatsWebviewMessage,
  type StatsHostToWebview,
  type StatsWebviewToHost,
} from '../shared/statisticsProtocol';
import { Disposable } from './disposable';
import type { StoreController } from './storeController';
import { webviewPage } from './webviewPage';

export const STATISTICS_VIEW_TYPE = 'eventStore.statistics';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * "Store Statistics": events over time, per type and category, the longest streams, the largest
 * events and the appends of the last hour, as charts and as tables. Computed from the store a slice
 * at a time (the window stays responsive at a million events); one panel per window.
 */
export class StatisticsPanel extends Disposable {
  private static current: StatisticsPanel | undefined;
  private computing: Promise<void> | undefined;
  private again = false;

  static show(context: vscode.ExtensionContext, controller: StoreController, log: vscode.LogOutputChannel): void {
    if (StatisticsPanel.current) {
      StatisticsPanel.current.panel.reveal();
      void StatisticsPanel.current.compute();
      return;
    }
    const panel = vscode.window.createWebviewPanel(STATISTICS_VIEW_TYPE, 'Store Statistics', vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [
        vscode.Uri.joinPath(context.extensionUri, 'dist'),
        vscode.Uri.joinPath(context.extensionUri, 'media'),
      ],
    });
    StatisticsPanel.current = new StatisticsPanel(panel, context, controller, log);
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly context: vscode.ExtensionContext,
    private readonly controller: StoreController,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'event-store.svg');
    panel.webview.html = this.html();
    this.register(panel.onDidDispose(() => this.dispose()));
    this.register(panel.webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)));
    this.register(controller.onDidOpen(() => void this.compute()));
  }

  private receive(raw: unknown): void {
    const message: StatsWebviewToHost | undefined = parseStatsWebviewMessage(raw);
    if (!message) {
      this.log.warn(`Statistics panel: ignored an unexpected message ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    if (message.type === 'openEvent') void vscode.commands.executeCommand('eventStore.openReplay', message.position);
    else void this.compute();
  }

  /** Computes the statistics again; a request while computing runs once more after it. */
  private compute(): Promise<void> {
    if (this.computing) {
      this.again = true;
      return this.computing;
    }
    this.computing = this.run().finally(() => {
      this.computing = undefined;
      if (this.again) {
        this.again = false;
        void this.compute();
      }
    });
    return this.computing;
  }

  private async run(): Promise<void> {
    try {
      const session = await this.controller.get();
      const t0 = performance.now();
      let lastPost = 0;
      const stats = await computeStatistics(session.store, {
        pause: turn,
        onProgress: (done, total) => {
          const at = performance.now();
          if (at - lastPost < 100) return;
          lastPost = at;
          this.post({ type: 'progress', done, total });
        },
      });
      this.post({ type: 'statistics', storeLabel: this.controller.storePath, stats, ms: performance.now() - t0 });
    } catch (e) {
      this.log.error(`Store statistics: ${(e as Error).stack ?? String(e)}`);
      this.post({ type: 'error', message: `The statistics could not be computed: ${(e as Error).message}` });
    }
  }

  private post(message: StatsHostToWebview): void {
    void this.panel.webview.postMessage(message);
  }

  private html(): string {
    const { nonce, csp, asset } = webviewPage(this.panel.webview, this.context.extensionUri);
    return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <meta http-equiv="Content-Security-Policy" content="${csp}" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />
    <link rel="stylesheet" href="${asset('media', 'base.css')}" />
    <link rel="stylesheet" href="${asset('media', 'statistics.css')}" />
    <title>Store Statistics</title>
  </head>
  <body>
    <main id="root" aria-busy="true">
      <header class="head">
        <h1>Store Statistics</h1>
        <span id="store-label" class="muted"></span>
        <button id="refresh" type="button">Refresh</button>
      </header>
      <p id="status" role="status">Computing…</p>
      <div id="content"></div>
    </main>
    <script nonce="${nonce}" src="${asset('dist', 'statistics.js')}"></script>
  </body>
</html>`;
  }

  override dispose(): void {
    if (StatisticsPanel.current === this) StatisticsPanel.current = undefined;
    super.dispose();
    this.panel.dispose();
  }
}
