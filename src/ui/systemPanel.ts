import * as path from 'node:path';
import * as vscode from 'vscode';
import type { StoreSession } from '../core/application/session';
import { WalkCancelledError, type WalkOptions } from '../core/eventStore/slicedRead';
import { causalityOf, type CausalityStart } from '../core/system/causality';
import { eventModelOfStore, type EventModel } from '../core/system/eventModel';
import { compareModel, MAX_MODEL_FILE_CHARS, parseModelFile, toMarkdown, toMermaid } from '../core/system/modelFile';
import {
  MAX_CAUSAL_NODES,
  MAX_SLICES,
  parseSystemToHost,
  type CausalityView,
  type ComparisonView,
  type HostToSystem,
  type ModelExportFormat,
  type ModelView,
  type SystemToHost,
} from '../shared/systemProtocol';
import { Disposable } from './disposable';
import type { StoreController } from './storeController';
import { withWalkProgress } from './walkProgress';
import { templatePage } from './webviewPage';

export const EVENT_MODEL_VIEW_TYPE = 'eventStore.eventModel';
/** Above this many events the Event Model is derived again on request (Refresh), not after every append. */
export const AUTO_REFRESH_MAX_EVENTS = 100_000;
export const CAUSALITY_VIEW_TYPE = 'eventStore.causality';

/** The event model of an open store, from its events (read in slices), its command log and its projections. */
export const eventModelOf = (session: StoreSession, walk: WalkOptions = {}): Promise<EventModel> =>
  eventModelOfStore(session.store, session.commandLog.entries(), session.projections, walk);

const DERIVING = 'Deriving the event model from every event';

const storeLabel = (session: StoreSession) => (session.store.path ? path.basename(session.store.path) : 'in memory');

/** One webview panel of the system views: the event model, or the causality of one conversation. */
abstract class SystemPanel extends Disposable {
  protected ready = false;
  /** The last message: a webview that was hidden comes back empty and says `ready` again. */
  private last: HostToSystem | undefined;

  protected constructor(
    protected readonly panel: vscode.WebviewPanel,
    protected readonly context: vscode.ExtensionContext,
    protected readonly controller: StoreController,
    protected readonly log: vscode.LogOutputChannel,
  ) {
    super();
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'event-store.svg');
    panel.webview.html = this.html();
    this.register(panel.onDidDispose(() => this.dispose()));
    this.register(panel.webview.onDidReceiveMessage((raw: unknown) => void this.receive(raw)));
  }

  protected static options(context: vscode.ExtensionContext): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
      enableScripts: true,
      localResourceRoots: [
        vscode.Uri.joinPath(context.extensionUri, 'dist'),
        vscode.Uri.joinPath(context.extensionUri, 'media'),
      ],
    };
  }

  /** Sends now, or once the webview says it is ready (only the latest message matters). */
  protected post(message: HostToSystem): void {
    this.last = message;
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  private async receive(raw: unknown): Promise<void> {
    const message = parseSystemToHost(raw);
    if (!message) {
      this.log.warn(
        `${this.panel.title}: a message from the webview was dropped: ${JSON.stringify(raw)?.slice(0, 200)}`,
      );
      return;
    }
    if (message.type === 'ready') {
      this.ready = true;
      if (this.last) void this.panel.webview.postMessage(this.last);
      return;
    }
    if (message.type === 'openReplay') {
      await vscode.commands.executeCommand('eventStore.openReplay', message.position);
      return;
    }
    try {
      await this.handle(message);
    } catch (e) {
      this.log.error(`${this.panel.title}: ${(e as Error).stack ?? String(e)}`);
      this.post({ type: 'error', message: (e as Error).message });
    }
  }

  protected abstract handle(message: SystemToHost): Promise<void>;

  private html(): string {
    return templatePage(
      this.panel.webview,
      this.context.extensionUri,
      { html: 'system.html', css: 'system.css', script: 'system.js' },
      { title: this.panel.title },
    );
  }
}

/** Names and reasons are untrusted and unbounded: the webview gets at most this many characters of each. */
const MAX_SHOWN_CHARS = 500;
const clip = (s: string) => (s.length > MAX_SHOWN_CHARS ? `${s.slice(0, MAX_SHOWN_CHARS - 1)}…` : s);
const clipCounts = (list: readonly { name: string; count: number }[]) =>
  list.slice(0, 200).map((c) => ({ name: clip(c.name), count: c.count }));

function toModelView(session: StoreSession, model: EventModel, comparison: ComparisonView | null): ModelView {
  return {
    store: storeLabel(session),
    slices: model.slices.slice(0, MAX_SLICES).map((s) => ({
      command: clip(s.command),
      issuedBy: clipCounts(s.issuedBy),
      accepted: s.accepted,
      refused: s.refused,
      refusals: clipCounts(s.refusals),
      events: clipCounts(s.events),
      readModels: s.readModels.slice(0, 200).map((r) => clip(r.name)),
      reactions: s.reactions.slice(0, 200).map((r) => ({
        reaction: clip(r.reaction),
        on: clip(r.on),
        commands: r.commands.slice(0, 200).map((c) => ({ ...c, type: clip(c.type) })),
      })),
    })),
    totals: model.totals,
    comparison,
    autoRefresh: session.store.lastPosition() <= AUTO_REFRESH_MAX_EVENTS,
  };
}

/** "Event Model": slices drawn from traffic, with export and the comparison with a model file. */
export class EventModelPanel extends SystemPanel {
  private static current: EventModelPanel | undefined;
  private comparison: ComparisonView | null = null;
  private refreshQueued = false;
  private model: EventModel | undefined;
  /** Counts refreshes: only the latest one shows its model. */
  private generation = 0;

  static show(
    context: vscode.ExtensionContext,
    controller: StoreController,
    log: vscode.LogOutputChannel,
  ): EventModelPanel {
    if (EventModelPanel.current) {
      EventModelPanel.current.panel.reveal();
      void EventModelPanel.current.refresh();
      return EventModelPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(
      EVENT_MODEL_VIEW_TYPE,
      'Event Model',
      vscode.ViewColumn.Active,
      SystemPanel.options(context),
    );
    return (EventModelPanel.current = new EventModelPanel(panel, context, controller, log));
  }

  static get open(): EventModelPanel | undefined {
    return EventModelPanel.current;
  }

  private constructor(
    panel: vscode.WebviewPanel,
    context: vscode.ExtensionContext,
    controller: StoreController,
    log: vscode.LogOutputChannel,
  ) {
    super(panel, context, controller, log);
    this.register({ dispose: () => (EventModelPanel.current = undefined) });
    this.register(controller.onDidAppend(() => this.refreshSoon()));
    this.register(controller.onDidOpen(() => void this.refresh()));
    void this.refresh();
  }

  /**
   * After appends: once for a burst, and only on stores small enough to derive in a moment (the
   * derivation reads every event on the extension host); larger ones refresh on request.
   */
  private refreshSoon(): void {
    if (this.refreshQueued) return;
    const events = this.controller.session?.store.lastPosition() ?? 0;
    if (events > AUTO_REFRESH_MAX_EVENTS) return;
    this.refreshQueued = true;
    setTimeout(() => {
      this.refreshQueued = false;
      void this.refresh(false).catch((e: Error) => this.log.warn(`Event Model: ${e.message}`));
    }, 0);
  }

  /**
   * Derives the model again and shows it; on request (`progress`) in a cancellable notification
   * when it takes a while. A cancelled refresh keeps the model shown and returns it (undefined
   * when there was none); a refresh overtaken by a later one shows nothing.
   */
  async refresh(progress = true): Promise<EventModel | undefined> {
    const session = await this.controller.get();
    const generation = ++this.generation;
    let model: EventModel;
    try {
      model = progress
        ? await withWalkProgress(DERIVING, (walk) => eventModelOf(session, walk))
        : await eventModelOf(session);
    } catch (e) {
      if (!WalkCancelledError.is(e)) throw e;
      this.log.info('Event Model: cancelled; the model shown is the one derived before.');
      return this.model;
    }
    if (generation !== this.generation) return this.model ?? model;
    this.model = model;
    this.post({ type: 'model', model: toModelView(session, this.model, this.comparison) });
    return this.model;
  }

  /** Reads a model file and shows what traffic never used and what the model lacks. */
  async compareWith(file: vscode.Uri): Promise<ComparisonView | undefined> {
    const bytes = await vscode.workspace.fs.readFile(file);
    if (bytes.byteLength > MAX_MODEL_FILE_CHARS * 4)
      throw new Error(
        `${path.basename(file.fsPath)} has ${bytes.byteLength} bytes; a model file has at most ${MAX_MODEL_FILE_CHARS}.`,
      );
    const parsed = parseModelFile(new TextDecoder().decode(bytes));
    const model = this.model ?? (await this.refresh());
    if (!model) return undefined;
    const diff = compareModel(model, parsed.arrows);
    const arrows = (list: readonly { from: string; to: string }[]) =>
      list.slice(0, 500).map((a) => ({ from: clip(a.from), to: clip(a.to) }));
    this.comparison = {
      file: clip(path.basename(file.fsPath)),
      unused: arrows(diff.unused),
      missing: arrows(diff.missing),
      matched: diff.matched,
      problems: parsed.problems.slice(0, 100).map(clip),
    };
    await this.refresh();
    return this.comparison;
  }

  protected async handle(message: SystemToHost): Promise<void> {
    switch (message.type) {
      case 'refresh':
        await this.refresh();
        return;
      case 'export':
        await vscode.commands.executeCommand('eventStore.exportEventModel', message.format);
        return;
      case 'compare':
        await vscode.commands.executeCommand('eventStore.compareEventModel');
        return;
    }
  }
}

/** Opens the export of the event model as a new untitled document. */
export async function exportEventModel(session: StoreSession, format: ModelExportFormat): Promise<vscode.TextDocument> {
  const model = await withWalkProgress(DERIVING, (walk) => eventModelOf(session, walk));
  const content = format === 'mermaid' ? toMermaid(model) : toMarkdown(model, `Event model of ${storeLabel(session)}`);
  const document = await vscode.workspace.openTextDocument({
    content,
    language: format === 'markdown' ? 'markdown' : 'plaintext',
  });
  await vscode.window.showTextDocument(document, { preview: false, viewColumn: vscode.ViewColumn.Beside });
  return document;
}

/** "Causality": the conversation of one event or command, cause by cause, across streams. */
export class CausalityPanel extends SystemPanel {
  private static current: CausalityPanel | undefined;

  static async show(
    context: vscode.ExtensionContext,
    controller: StoreController,
    log: vscode.LogOutputChannel,
    start: CausalityStart,
  ): Promise<CausalityView | undefined> {
    const session = await controller.get();
    const graph = await withWalkProgress('Following the conversation through the events', (walk) =>
      causalityOf(session.store, start, session.commandLog.entries(), walk),
    );
    if (!graph) return undefined;
    if (!CausalityPanel.current) {
      const panel = vscode.window.createWebviewPanel(
        CAUSALITY_VIEW_TYPE,
        'Causality',
        vscode.ViewColumn.Active,
        SystemPanel.options(context),
      );
      CausalityPanel.current = new CausalityPanel(panel, context, controller, log);
    } else CausalityPanel.current.panel.reveal();
    const view: CausalityView = {
      store: storeLabel(session),
      correlationId: clip(graph.correlationId),
      streams: graph.streams.slice(0, 1000).map(clip),
      refused: graph.refused,
      omitted: Math.max(0, graph.nodes.length - MAX_CAUSAL_NODES),
      nodes: graph.nodes.slice(0, MAX_CAUSAL_NODES).map((n) => ({
        id: clip(n.id),
        kind: n.kind,
        type: clip(n.type),
        streamId: n.streamId === undefined ? null : clip(n.streamId),
        position: n.position ?? null,
        outcome: n.outcome ?? null,
        reason: n.reason === undefined ? null : clip(n.reason),
        reaction: n.reaction === undefined ? null : clip(n.reaction),
        inferred: n.inferred ?? false,
        depth: n.depth,
      })),
    };
    CausalityPanel.current.post({ type: 'causality', graph: view });
    return view;
  }

  private constructor(
    panel: vscode.WebviewPanel,
    context: vscode.ExtensionContext,
    controller: StoreController,
    log: vscode.LogOutputChannel,
  ) {
    super(panel, context, controller, log);
    this.register({ dispose: () => (CausalityPanel.current = undefined) });
  }

  protected handle(): Promise<void> {
    return Promise.resolve();
  }
}
