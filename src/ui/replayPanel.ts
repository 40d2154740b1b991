import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { StoreSession } from '../core/application/session';
import { writeChunks } from '../core/eventStore/exportNdjson';
import { previewJson } from '../core/replay/diff';
import { givenWhenThenTest } from '../core/replay/exportTest';
import type { ReplayStep } from '../core/replay/replayEngine';
import { ReplayView } from '../core/replay/replayView';
import { parseWebviewMessage, type ChangeView, type HostToWebview, type StepView, type WebviewToHost } from '../shared/protocol';
import { Disposable } from './disposable';
import type { StoreController } from './storeController';
import { markDone, WalkthroughDone } from './walkthroughProgress';

export const REPLAY_VIEW_TYPE = 'eventStore.replay';
const MAX_CHANGES = 200;
/** Up to this many events an NDJSON export opens as a document; more go straight to a file. */
const EXPORT_TO_EDITOR_LIMIT = 10_000;

const boundChanges = (changes: readonly ChangeView[]): ChangeView[] =>
  changes.slice(0, MAX_CHANGES).map((c) => ({ path: c.path, kind: c.kind, before: previewJson(c.before, 20, 200), after: previewJson(c.after, 20, 200) }));
const idOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** What the webview receives: bounded copies, so one huge state or payload cannot flood it. */
export function toStepView(step: ReplayStep, view: ReplayView): StepView {
  return {
    position: step.position,
    total: step.total,
    index: view.index,
    count: view.count,
    explanation: step.explanation,
    skipped: step.skipped,
    whatIf: view.skipped,
    filter: view.filter,
    refusedTotal: view.refusedTotal(),
    rejections: view.rejectionsHere().map((c) => ({
      type: c.command.type,
      outcome: c.outcome === 'conflict' ? 'conflict' : 'rejected',
      reason: c.reason ?? 'no reason was recorded',
      at: c.at,
      data: previewJson(c.command.data, 20, 200),
    })),
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
          correlationId: idOrNull(step.event.metadata.correlationId),
          causationId: idOrNull(step.event.metadata.causationId),
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
  private view: ReplayView | undefined;
  private viewSession: StoreSession | undefined;
  private ready = false;
  /** Requests are handled one at a time, in order; a burst of seeks collapses into the latest. */
  private queue: WebviewToHost[] = [];
  private busy = false;
  private initialPosition: number | undefined;
  private logSubscription: { dispose(): void } | undefined;

  static show(context: vscode.ExtensionContext, controller: StoreController, log: vscode.LogOutputChannel, position?: number): ReplayPanel {
    if (ReplayPanel.current) {
      ReplayPanel.current.panel.reveal();
      if (position !== undefined) ReplayPanel.current.enqueue({ type: 'seek', position });
      return ReplayPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(REPLAY_VIEW_TYPE, 'Event Replay', vscode.ViewColumn.Active, ReplayPanel.options(context));
    return (ReplayPanel.current = new ReplayPanel(panel, context, controller, log, position));
  }

  /** Brings a panel back after a window reload, at the position it had. */
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
    this.initialPosition = initialPosition;
    this.panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'event-store.svg');
    this.panel.webview.html = this.html();
    this.register(this.panel.onDidDispose(() => this.dispose()));
    this.register(this.panel.webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)));
    this.register(
      controller.onDidAppend((events) => {
        const view = this.view;
        if (!this.ready || !view || this.viewSession !== controller.session) return;
        // Follow the stream when at its end, like a tail; otherwise keep the place and update the totals.
        const atEnd = view.position >= (events[0]?.globalPosition ?? view.total) - 1;
        view.appended(events);
        if (atEnd && view.skipped.length === 0) view.seek(view.total);
        this.postStep();
      }),
    );
    this.register(controller.onDidOpen(() => this.ready && this.enqueue({ type: 'ready' })));
    // A refused command appends nothing, so no event announces it: the command log does.
    const watchLog = (session: StoreSession | undefined) => {
      this.logSubscription?.dispose();
      this.logSubscription = session?.commandLog.onDidRecord((entry) => {
        if (entry.outcome !== 'accepted' && this.ready && this.viewSession === session) this.postStep();
      });
    };
    watchLog(controller.session);
    this.register(controller.onDidOpen((session) => watchLog(session)));
    this.register({ dispose: () => this.logSubscription?.dispose() });
  }

  private receive(raw: unknown): void {
    const message = parseWebviewMessage(raw);
    if (!message) {
      this.log.warn(`Replay panel: ignored an unexpected message ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    this.enqueue(message);
  }

  private enqueue(message: WebviewToHost): void {
    // Only the latest of consecutive seeks matters.
    const last = this.queue[this.queue.length - 1];
    if (last && (last.type === 'seek' || last.type === 'seekIndex') && (message.type === 'seek' || message.type === 'seekIndex')) this.queue.pop();
    this.queue.push(message);
    if (!this.busy) void this.drain();
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.queue.length > 0) {
        const message = this.queue.shift()!;
        try {
          await this.handle(message);
        } catch (e) {
          this.log.error(`Replay (${message.type}): ${(e as Error).stack ?? String(e)}`);
          this.post({ type: 'error', message: (e as Error).message });
        }
      }
    } finally {
      this.busy = false;
    }
  }

  private async currentView(): Promise<ReplayView> {
    const session = await this.controller.get();
    if (!this.view || this.viewSession !== session) {
      this.viewSession = session;
      this.view = new ReplayView(session.store, session.replay, session.commandLog);
    }
    return this.view;
  }

  private async handle(message: WebviewToHost): Promise<void> {
    const view = await this.currentView();
    switch (message.type) {
      case 'ready': {
        this.ready = true;
        const playIntervalMs = vscode.workspace.getConfiguration('eventStore').get<number>('replay.playIntervalMs') ?? 600;
        const commands = await vscode.commands.getCommands(true);
        this.post({
          type: 'config',
          playIntervalMs: Math.max(50, Math.min(5000, playIntervalMs)),
          storeLabel: this.controller.storePath,
          canBranch: commands.includes('eventStore.branchStore') && vscode.workspace.isTrusted,
        });
        if (this.initialPosition !== undefined) view.seek(this.initialPosition);
        this.initialPosition = undefined;
        this.postStep();
        return;
      }
      case 'seek':
      case 'seekIndex':
      case 'move': {
        const from = view.position;
        if (message.type === 'seek') view.seek(message.position);
        else if (message.type === 'seekIndex') view.seek(view.positionAtIndex(message.index));
        else view.move(message.to);
        if (view.position < from) markDone(WalkthroughDone.steppedBack);
        return this.postStep();
      }
      case 'rows':
        this.post({ type: 'rows', offset: message.offset, rows: view.rows(message.offset, message.limit), count: view.count });
        return;
      case 'filter':
        view.setFilter(message.filter);
        return this.postStep();
      case 'skip':
        view.setSkipped(message.position, message.skipped);
        return this.postStep();
      case 'clearSkips':
        view.clearSkipped();
        return this.postStep();
      case 'export':
        return this.export(view, message.format);
      case 'branch':
        await vscode.commands.executeCommand('eventStore.branchStore', view.position);
        return;
    }
  }

  private postStep(): void {
    const view = this.view;
    if (!view) return;
    const step = toStepView(view.step(), view);
    // The same event shaped into two read models or more: what the "read models" step is about.
    if (this.panel.visible && step.readModels.filter((r) => r.changes.length > 0).length >= 2) markDone(WalkthroughDone.readModelsCompared);
    this.post({ type: 'step', step });
  }

  private async export(view: ReplayView, format: 'ndjson' | 'test'): Promise<void> {
    const session = await this.controller.get();
    if (format === 'test') {
      const text = givenWhenThenTest(session.store, session.aggregates, view.position, (e) => view.commandFor(e.globalPosition)?.command);
      const doc = await vscode.workspace.openTextDocument({ language: 'typescript', content: text });
      await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: false });
      return;
    }
    if (view.position <= EXPORT_TO_EDITOR_LIMIT) {
      const doc = await vscode.workspace.openTextDocument({ language: 'jsonl', content: [...view.ndjson()].join('') });
      await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: false });
      return;
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      title: `Export ${view.position} events as NDJSON`,
      defaultUri: folder ? vscode.Uri.joinPath(folder, `events-1-${view.position}.ndjson`) : undefined,
      filters: { NDJSON: ['ndjson', 'jsonl'] },
    });
    if (!target) return;
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Exporting ${view.position} events…` }, async () => {
      const out = fs.createWriteStream(target.fsPath);
      await writeChunks(out, view.ndjson());
      await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    });
    void vscode.window.showInformationMessage(`Exported ${view.position} events to ${target.fsPath}.`);
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
    return fs
      .readFileSync(vscode.Uri.joinPath(this.context.extensionUri, 'media', 'replay.html').fsPath, 'utf8')
      .replaceAll('{{csp}}', csp)
      .replaceAll('{{nonce}}', nonce)
      .replaceAll('{{css}}', asset('media', 'replay.css'))
      .replaceAll('{{script}}', asset('dist', 'webview.js'));
  }

  override dispose(): void {
    if (ReplayPanel.current === this) ReplayPanel.current = undefined;
    super.dispose();
    this.panel.dispose();
  }
}
