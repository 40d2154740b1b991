import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { previewJson } from '../core/replay/diff';
import type { ReplayStep } from '../core/replay/replayEngine';
import { parseWebviewMessage, type ChangeView, type HostToWebview, type StepView } from '../shared/protocol';
import { Disposable } from './disposable';
import type { StoreController } from './storeController';

export const REPLAY_VIEW_TYPE = 'eventStore.replay';
const MAX_CHANGES = 200;

const boundChanges = (changes: readonly ChangeView[]): ChangeView[] =>
  changes.slice(0, MAX_CHANGES).map((c) => ({ path: c.path, kind: c.kind, before: previewJson(c.before, 20, 200), after: previewJson(c.after, 20, 200) }));

/** What the webview receives: bounded copies, so one huge state or payload cannot flood it. */
export function toStepView(step: ReplayStep): StepView {
  return {
    position: step.position,
    total: step.total,
    explanation: step.explanation,
    event: step.event
      ? {
          globalPosition: step.event.globalPosition,
          streamId: step.event.streamId,
          streamVersion: step.event.streamVersion,
          eventId: step.event.eventId,
          type: step.event.type,
          recordedAt: step.event.recordedAt,
          data: previewJson(step.event.data),
          metadata: previewJson(step.event.metadata),
        }
      : null,
    stream: step.stream
      ? {
          streamId: step.stream.streamId,
          aggregate: step.stream.aggregate ?? null,
          version: step.stream.version,
          before: previewJson(step.stream.before),
          after: previewJson(step.stream.after),
          changes: boundChanges(step.stream.changes),
        }
      : null,
    readModels: step.readModels.map((r) => ({
      name: r.name,
      title: r.title,
      description: r.description,
      handled: r.handled,
      state: previewJson(r.state),
      changes: boundChanges(r.changes),
    })),
  };
}

/** The "Event Replay" panel: steps through the global stream like a debugger. One per window. */
export class ReplayPanel extends Disposable {
  private static current: ReplayPanel | undefined;
  private position: number | undefined;
  private ready = false;
  private pendingSeek: number | undefined;
  private seeking = false;

  static show(context: vscode.ExtensionContext, controller: StoreController, log: vscode.LogOutputChannel, position?: number): ReplayPanel {
    if (ReplayPanel.current) {
      ReplayPanel.current.panel.reveal();
      if (position !== undefined) ReplayPanel.current.seek(position);
      return ReplayPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(REPLAY_VIEW_TYPE, 'Event Replay', vscode.ViewColumn.Active, ReplayPanel.options(context));
    return (ReplayPanel.current = new ReplayPanel(panel, context, controller, log, position));
  }

  /** Brings a panel back after a window reload. */
  static revive(panel: vscode.WebviewPanel, context: vscode.ExtensionContext, controller: StoreController, log: vscode.LogOutputChannel, state: unknown): void {
    ReplayPanel.current?.dispose();
    const saved = (state as { position?: unknown } | undefined)?.position;
    panel.webview.options = ReplayPanel.options(context);
    ReplayPanel.current = new ReplayPanel(panel, context, controller, log, typeof saved === 'number' ? saved : undefined);
  }

  private static options(context: vscode.ExtensionContext): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist'), vscode.Uri.joinPath(context.extensionUri, 'media')],
    };
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly context: vscode.ExtensionContext,
    private readonly controller: StoreController,
    private readonly log: vscode.LogOutputChannel,
    initialPosition: number | undefined,
  ) {
    super();
    this.position = initialPosition;
    this.panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'event-store.svg');
    this.panel.webview.html = this.html();
    this.register(this.panel.onDidDispose(() => this.dispose()));
    this.register(this.panel.webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)));
    this.register(
      controller.onDidAppend(() => {
        // Follow the stream when at its end, like a tail; otherwise keep the place and update the total.
        const session = controller.session;
        if (!this.ready || !session) return;
        const atEnd = this.position === undefined || this.position >= session.replay.total - 1;
        this.seek(atEnd ? session.replay.total : (this.position ?? 0));
      }),
    );
    this.register(controller.onDidOpen(() => this.ready && this.seek(this.position ?? Number.MAX_SAFE_INTEGER)));
  }

  private receive(raw: unknown): void {
    const message = parseWebviewMessage(raw);
    if (!message) {
      this.log.warn(`Replay panel: ignored an unexpected message ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    switch (message.type) {
      case 'ready': {
        this.ready = true;
        const playIntervalMs = vscode.workspace.getConfiguration('eventStore').get<number>('replay.playIntervalMs') ?? 600;
        this.post({ type: 'config', playIntervalMs: Math.max(50, Math.min(5000, playIntervalMs)), storeLabel: this.controller.storePath });
        this.seek(this.position ?? Number.MAX_SAFE_INTEGER);
        break;
      }
      case 'seek':
        this.seek(message.position);
        break;
    }
  }

  /** Seeks to a position; while one seek is computed, only the latest request waits behind it. */
  seek(position: number): void {
    this.pendingSeek = position;
    if (this.seeking) return;
    this.seeking = true;
    void (async () => {
      try {
        while (this.pendingSeek !== undefined) {
          const target = this.pendingSeek;
          this.pendingSeek = undefined;
          const session = await this.controller.get();
          const step = session.replay.step(Math.min(target, session.replay.total));
          this.position = step.position;
          this.post({ type: 'step', step: toStepView(step) });
        }
      } catch (e) {
        this.log.error(`Replay: ${(e as Error).stack ?? String(e)}`);
        this.post({ type: 'error', message: `The replay could not show this position: ${(e as Error).message}` });
      } finally {
        this.seeking = false;
      }
    })();
  }

  private post(message: HostToWebview): void {
    void this.panel.webview.postMessage(message);
  }

  private html(): string {
    const webview = this.panel.webview;
    const nonce = randomBytes(18).toString('base64');
    const asset = (...p: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, ...p)).toString();
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
      `img-src ${webview.cspSource}`,
      `font-src ${webview.cspSource}`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${asset('media', 'replay.css')}">
<title>Event Replay</title>
</head>
<body>
<header>
  <h1>Event Replay <span id="store-label" class="muted"></span></h1>
  <div class="controls" role="toolbar" aria-label="Replay controls">
    <button id="first" aria-label="First event" title="First event (Home)">⏮</button>
    <button id="back" aria-label="Step back" title="Step back (Left)">◀</button>
    <button id="play" aria-label="Play" title="Play (Space)" aria-pressed="false">▶</button>
    <button id="forward" aria-label="Step forward" title="Step forward (Right)">▶|</button>
    <button id="last" aria-label="Last event" title="Last event (End)">⏭</button>
    <input id="position" type="range" min="0" max="0" value="0" step="1" aria-label="Position">
    <output id="position-label" aria-label="Replay position" aria-live="polite">0 / 0</output>
    <label class="toggle"><input id="only-changes" type="checkbox"> Only changes</label>
  </div>
  <p id="explanation" class="explanation" aria-live="polite"></p>
  <p id="error" class="error" role="alert" hidden></p>
</header>
<main>
  <section id="event" class="panel" aria-label="Current event"></section>
  <section id="stream" class="panel" aria-label="Write model state"></section>
  <section id="read-models" class="panel" aria-label="Read model state"></section>
</main>
<script nonce="${nonce}" src="${asset('dist', 'webview.js')}"></script>
</body>
</html>`;
  }

  override dispose(): void {
    if (ReplayPanel.current === this) ReplayPanel.current = undefined;
    super.dispose();
    this.panel.dispose();
  }
}

