import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { StoreSession } from '../core/application/session';
import { writeChunks } from '../core/eventStore/exportNdjson';
import type { Projection } from '../core/projections/projection';
import { diffJson, previewJson } from '../core/replay/diff';
import { givenWhenThenTest } from '../core/replay/exportTest';
import { ReplayEngine, type ReplayStep } from '../core/replay/replayEngine';
import { ReplayView } from '../core/replay/replayView';
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import {
  MAX_STEP_BYTES,
  parsePlace,
  parseWebviewMessage,
  type ChangeView,
  type HostToWebview,
  type ReplayPlace,
  type StepTiming,
  type StepView,
  type WebviewToHost,
} from '../shared/protocol';
import { Disposable } from './disposable';
import { EventSearch } from './eventSearch';
import type { StoreController } from './storeController';
import { markDone, WalkthroughDone } from './walkthroughProgress';
import { templatePage } from './webviewPage';

export const REPLAY_VIEW_TYPE = 'eventStore.replay';
const MAX_CHANGES = 200;
/** Up to this many events an NDJSON export opens as a document; more go straight to a file. */
const EXPORT_TO_EDITOR_LIMIT = 10_000;

const boundChanges = (changes: readonly ChangeView[], max = MAX_CHANGES): ChangeView[] =>
  changes.slice(0, max).map((c) => ({
    path: c.path,
    kind: c.kind,
    before: previewJson(c.before, 20, 200),
    after: previewJson(c.after, 20, 200),
  }));
/** How much of each value a step shows: the default, and the smaller one for a step that would be too large to send. */
export interface PreviewLimits {
  readonly entries: number;
  readonly chars: number;
  readonly changes: number;
}
const FULL: PreviewLimits = { entries: 200, chars: 2000, changes: MAX_CHANGES };
const SMALL: PreviewLimits = { entries: 20, chars: 200, changes: 20 };
/** Wall-clock milliseconds with sub-millisecond precision, comparable with the webview's. */
const wallClock = () => performance.timeOrigin + performance.now();
const idOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** What the webview receives: bounded copies, so one huge state or payload cannot flood it. */
export function toStepView(step: ReplayStep, view: ReplayView, limits: PreviewLimits = FULL): StepView {
  const preview = (v: unknown) => previewJson(v, limits.entries, limits.chars);
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
      ...(c.reaction ? { reaction: c.reaction } : {}),
    })),
    event: step.event
      ? {
          globalPosition: step.event.globalPosition,
          streamId: step.event.streamId,
          streamVersion: step.event.streamVersion,
          eventId: step.event.eventId,
          type: step.event.type,
          recordedAt: step.event.recordedAt,
          data: preview(step.event.data),
          metadata: preview(step.event.metadata),
          correlationId: idOrNull(step.event.metadata.correlationId),
          causationId: idOrNull(step.event.metadata.causationId),
        }
      : null,
    stream: step.stream
      ? {
          streamId: step.stream.streamId,
          aggregate: step.stream.aggregate ?? null,
          version: step.stream.version,
          before: preview(step.stream.before),
          after: preview(step.stream.after),
          changes: boundChanges(step.stream.changes, limits.changes),
        }
      : null,
    readModels: step.readModels.map((r) => ({
      name: r.name,
      title: r.title,
      description: r.description,
      handled: r.handled,
      state: preview(r.state),
      changes: boundChanges(r.changes, limits.changes),
      ...(r.fault
        ? {
            fault: {
              position: r.fault.position,
              eventType: r.fault.eventType,
              streamId: r.fault.streamId,
              error: r.fault.error.slice(0, 2000),
            },
          }
        : {}),
    })),
  };
}

/** The "Event Replay" panel: steps through the global stream like a debugger. One per window. */
export class ReplayPanel extends Disposable {
  private static current: ReplayPanel | undefined;
  /** The previous version of the domain module's read models, shown beside this one at every step. */
  private static comparison:
    | { readonly projections: readonly Projection[]; folded?: { session: StoreSession; engine: ReplayEngine } }
    | undefined;

  /** Shows the replay at `position` with the previous version's read models beside the current ones. */
  static compare(
    context: vscode.ExtensionContext,
    controller: StoreController,
    log: vscode.LogOutputChannel,
    previous: readonly Projection[],
    position: number,
  ): void {
    ReplayPanel.comparison = { projections: previous };
    const existing = ReplayPanel.current;
    ReplayPanel.show(context, controller, log, position);
    // An open panel at that position already would send no new step: send it with the comparison.
    if (existing?.ready) {
      existing.sentStates.clear();
      existing.postStep();
    }
  }
  private view: ReplayView | undefined;
  private viewSession: StoreSession | undefined;
  private ready = false;
  /** Requests are handled one at a time, in order; a burst of seeks collapses into the latest. */
  private queue: { message: WebviewToHost; receivedAt: number }[] = [];
  private busy = false;
  /** Where to go once the store is open: a reload's saved place, or "Replay from here". */
  private pending: ReplayPlace | undefined;
  private logSubscription: { dispose(): void } | undefined;
  /** The number of events in the last step sent: the end the person saw. */
  private shownTotal: number | undefined;
  /** Each read model's state as last sent: an unchanged one is not sent again. */
  private sentStates = new Map<string, string>();
  /** The host's event-loop delay, measured when EVENT_STORE_MEASURE=1 (the bench sets it); the webview then measures too. */
  private readonly loopDelay: IntervalHistogram | undefined;

  static show(
    context: vscode.ExtensionContext,
    controller: StoreController,
    log: vscode.LogOutputChannel,
    position?: number,
  ): ReplayPanel {
    if (ReplayPanel.current) {
      ReplayPanel.current.panel.reveal();
      if (position !== undefined) ReplayPanel.current.seekTo(position);
      return ReplayPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(
      REPLAY_VIEW_TYPE,
      'Event Replay',
      vscode.ViewColumn.Active,
      ReplayPanel.options(context),
    );
    return (ReplayPanel.current = new ReplayPanel(
      panel,
      context,
      controller,
      log,
      position === undefined ? undefined : { position, filter: {}, whatIf: [] },
    ));
  }

  /** Brings a panel back after a window reload, at the position it had. */
  static revive(
    panel: vscode.WebviewPanel,
    context: vscode.ExtensionContext,
    controller: StoreController,
    log: vscode.LogOutputChannel,
    state: unknown,
  ): void {
    ReplayPanel.current?.dispose();
    const place = parsePlace(state);
    if (state !== undefined && !place)
      log.warn(
        `Replay panel: the saved place could not be read, opening at the end: ${JSON.stringify(state)?.slice(0, 200)}`,
      );
    panel.webview.options = ReplayPanel.options(context);
    ReplayPanel.current = new ReplayPanel(panel, context, controller, log, place);
  }

  private static options(context: vscode.ExtensionContext): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [
        vscode.Uri.joinPath(context.extensionUri, 'dist'),
        vscode.Uri.joinPath(context.extensionUri, 'media'),
      ],
    };
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly context: vscode.ExtensionContext,
    private readonly controller: StoreController,
    private readonly log: vscode.LogOutputChannel,
    place: ReplayPlace | undefined,
  ) {
    super();
    this.pending = place;
    if (process.env.EVENT_STORE_MEASURE === '1') {
      const histogram = monitorEventLoopDelay({ resolution: 10 });
      histogram.enable();
      this.loopDelay = histogram;
      this.register({ dispose: () => histogram.disable() });
    }
    this.panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'event-store.svg');
    this.panel.webview.html = this.html();
    this.register(this.panel.onDidDispose(() => this.dispose()));
    this.register(this.panel.webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)));
    this.register(
      controller.onDidAppend((events) => {
        const view = this.view;
        // Until the saved place is restored, the position is not the person's: do not follow the tail.
        if (!this.ready || !view || this.viewSession !== controller.session || this.pending) return;
        // Follow the stream when at its end, like a tail; otherwise keep the place and update the totals.
        // "At the end" of what the person saw: an announcement may start before it (a catch-up after open).
        const atEnd = view.position >= (this.shownTotal ?? (events[0]?.globalPosition ?? view.total) - 1);
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
    // Answered at once, ahead of the queue: it measures the channel, not the replay.
    if (message.type === 'ping') return this.post({ type: 'pong', seq: message.seq });
    // Beside the queue: the first search builds the index, which must not hold up stepping.
    if (message.type === 'search') return void this.search(message.query, message.seq);
    this.enqueue(message, wallClock());
  }

  private enqueue(message: WebviewToHost, receivedAt = wallClock()): void {
    // The latest place wins: a jump replaces a waiting jump or move, and moves the same way add up.
    const last = this.queue[this.queue.length - 1]?.message;
    const absolute =
      message.type === 'seek' ||
      message.type === 'seekIndex' ||
      (message.type === 'move' && (message.to === 'first' || message.to === 'last'));
    const navigation = (m: WebviewToHost) => m.type === 'seek' || m.type === 'seekIndex' || m.type === 'move';
    if (last && navigation(last) && absolute) this.queue.pop();
    else if (last?.type === 'move' && message.type === 'move' && last.to === message.to) {
      this.queue.pop();
      message = { ...message, count: Math.min(10_000, (last.count ?? 1) + (message.count ?? 1)) };
    }
    this.queue.push({ message, receivedAt });
    if (!this.busy) void this.drain();
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.queue.length > 0) {
        const { message, receivedAt } = this.queue.shift()!;
        try {
          await this.handle(message, receivedAt);
        } catch (e) {
          this.log.error(`Replay (${message.type}): ${(e as Error).stack ?? String(e)}`);
          this.post({ type: 'error', message: (e as Error).message });
        }
      }
    } finally {
      this.busy = false;
    }
    this.warmWhenIdle();
  }

  private warmTimer: NodeJS.Timeout | undefined;
  private closed = false;

  /** Between requests, the engine folds the history a slice at a time: later seeks start near their target. */
  private warmWhenIdle(): void {
    if (this.warmTimer || !this.view || this.closed) return;
    const view = this.view;
    this.warmTimer = setTimeout(() => {
      this.warmTimer = undefined;
      if (this.closed || view !== this.view) return;
      if (this.busy || this.queue.length > 0) return; // drain() calls again when done
      // A slice of 1,000 events keeps each turn of the host's event loop short.
      if (!view.engine.warm(1000)) this.warmWhenIdle();
    }, 1);
  }

  private async currentView(): Promise<ReplayView> {
    const session = await this.controller.get();
    if (!this.view || this.viewSession !== session) {
      this.viewSession = session;
      this.view = new ReplayView(session.store, session.replay, session.commandLog);
    }
    return this.view;
  }

  private async handle(message: WebviewToHost, receivedAt: number): Promise<void> {
    const view = await this.currentView();
    const answer = (seq: number | undefined) => this.postStep(seq === undefined ? undefined : { seq, receivedAt });
    switch (message.type) {
      case 'ready': {
        this.ready = true;
        this.sentStates.clear();
        const playIntervalMs =
          vscode.workspace.getConfiguration('eventStore').get<number>('replay.playIntervalMs') ?? 600;
        const commands = await vscode.commands.getCommands(true);
        this.post({
          type: 'config',
          playIntervalMs: Math.max(50, Math.min(5000, playIntervalMs)),
          storeLabel: this.controller.storeLabel,
          canBranch: commands.includes('eventStore.branchStore') && vscode.workspace.isTrusted,
          ...(this.loopDelay ? { measure: true } : {}),
        });
        const place = this.pending;
        if (place) {
          await this.restore(view, place);
          // "Replay from here" while the filter was being restored: that place wins.
          if (this.pending && this.pending !== place) view.seek(this.pending.position);
        }
        this.pending = undefined;
        this.postStep();
        return;
      }
      case 'seek':
      case 'seekIndex':
      case 'move': {
        const from = view.position;
        if (message.type === 'seek') view.seek(message.position);
        else if (message.type === 'seekIndex') view.seek(view.positionAtIndex(message.index));
        else for (let i = 0; i < (message.count ?? 1); i++) view.move(message.to);
        if (view.position < from) markDone(WalkthroughDone.steppedBack);
        return answer(message.seq);
      }
      case 'rows':
        this.post({
          type: 'rows',
          offset: message.offset,
          rows: view.rows(message.offset, message.limit),
          count: view.count,
        });
        return;
      case 'filter':
        // In slices: a filter over a million events does not hold the host's event loop.
        await view.setFilterInSteps(message.filter);
        return answer(message.seq);
      case 'skip':
        view.setSkipped(message.position, message.skipped);
        return answer(message.seq);
      case 'clearSkips':
        view.clearSkipped();
        return answer(message.seq);
      case 'export':
        return this.export(view, message.format);
      case 'branch':
        await vscode.commands.executeCommand('eventStore.branchStore', view.position);
        return;
      case 'ping':
      case 'search':
        return;
      case 'history':
        await vscode.commands.executeCommand('eventStore.showValueHistory', message.target);
        return;
      case 'endComparison':
        ReplayPanel.comparison = undefined;
        this.sentStates.clear();
        this.postStep();
        return;
    }
  }

  private latestSearch = 0;

  /** Answers the latest search only: results of a query the person has typed past are dropped. */
  private async search(query: string, seq: number): Promise<void> {
    this.latestSearch = seq;
    let told = 0;
    try {
      const results = await EventSearch.for(this.controller).search(query, (indexed, total) => {
        if (seq !== this.latestSearch || performance.now() - told < 150) return;
        told = performance.now();
        this.post({ type: 'searchProgress', seq, indexed, total });
      });
      if (seq === this.latestSearch) this.post({ type: 'searchResults', seq, ...results });
    } catch (e) {
      this.log.error(`Replay search: ${(e as Error).stack ?? String(e)}`);
      if (seq === this.latestSearch)
        this.post({ type: 'searchResults', seq, streams: [], hits: [], more: false, problem: (e as Error).message });
    }
  }

  /** Puts the replay back where it was: filter, skipped events, then the position (clamped to the store). */
  private async restore(view: ReplayView, place: ReplayPlace): Promise<void> {
    await view.setFilterInSteps(place.filter);
    view.clearSkipped();
    for (const position of place.whatIf) {
      if (position >= 1 && position <= view.total) view.setSkipped(position, true);
    }
    view.seek(place.position);
  }

  /** Shows the replay at a position (used by "Replay from here"); before the first step, once the store is open. */
  seekTo(position: number): void {
    if (this.pending) this.pending = { ...this.pending, position };
    else this.enqueue({ type: 'seek', position });
  }

  private postStep(request?: { seq: number; receivedAt: number }): void {
    const view = this.view;
    if (!view) return;
    const step = view.step();
    this.shownTotal = step.total;
    // The same event shaped into two read models or more: what the "read models" step is about.
    if (this.panel.visible && step.readModels.filter((r) => r.changes.length > 0).length >= 2)
      markDone(WalkthroughDone.readModelsCompared);
    let stepView = this.unchangedLeftOut(this.withPrevious(step, toStepView(step, view)));
    const started = wallClock();
    let text = JSON.stringify(stepView);
    if (text.length > MAX_STEP_BYTES) {
      // Bounded, whatever the states hold: smaller previews, sent whole.
      this.sentStates.clear();
      stepView = this.unchangedLeftOut(this.withPrevious(step, toStepView(step, view, SMALL), SMALL));
      text = JSON.stringify(stepView);
    }
    const sentAt = wallClock();
    let timing: StepTiming | undefined;
    if (request) {
      timing = {
        seq: request.seq,
        receivedAt: request.receivedAt,
        hostMs: Math.max(0, started - request.receivedAt),
        serializeMs: sentAt - started,
        bytes: text.length,
        sentAt,
        ...(this.loopDelay ? { loopDelayMaxMs: this.loopDelay.max / 1e6 } : {}),
      };
      this.loopDelay?.reset();
    }
    this.post(timing ? { type: 'step', step: stepView, timing } : { type: 'step', step: stepView });
  }

  /** Adds the previous version's state of each read model it has, folded to the same position. */
  private withPrevious(step: ReplayStep, stepView: StepView, limits: PreviewLimits = FULL): StepView {
    const comparison = ReplayPanel.comparison;
    const session = this.viewSession;
    if (!comparison || !session) return stepView;
    if (comparison.folded?.session !== session)
      comparison.folded = {
        session,
        engine: new ReplayEngine(session.store, comparison.projections, session.aggregates),
      };
    const states = comparison.folded.engine.statesAt(step.position);
    return {
      ...stepView,
      readModels: stepView.readModels.map((r) => {
        if (!states.has(r.name)) return r;
        const previous = states.get(r.name);
        const current = step.readModels.find((m) => m.name === r.name)?.state;
        return {
          ...r,
          previous: {
            state: previewJson(previous, limits.entries, limits.chars),
            // From this version to the previous one: the previous column marks its lines with this version's value.
            differences: boundChanges(diffJson(current, previous), limits.changes),
          },
        };
      }),
    };
  }

  /** Leaves out the read-model states the webview already has (it keeps the last one of each). */
  private unchangedLeftOut(step: StepView): StepView {
    return {
      ...step,
      readModels: step.readModels.map((r) => {
        const json = JSON.stringify(r.state) ?? 'undefined';
        if (this.sentStates.get(r.name) === json)
          return {
            name: r.name,
            title: r.title,
            description: r.description,
            handled: r.handled,
            changes: r.changes,
            ...(r.fault ? { fault: r.fault } : {}),
            ...(r.previous ? { previous: r.previous } : {}),
            same: true,
          };
        this.sentStates.set(r.name, json);
        return r;
      }),
    };
  }

  private async export(view: ReplayView, format: 'ndjson' | 'test'): Promise<void> {
    const session = await this.controller.get();
    if (format === 'test') {
      const text = givenWhenThenTest(
        session.store,
        session.aggregates,
        view.position,
        (e) => view.commandFor(e.globalPosition)?.command,
      );
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
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Exporting ${view.position} events…` },
      async () => {
        const out = fs.createWriteStream(target.fsPath);
        await writeChunks(out, view.ndjson());
        await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
      },
    );
    void vscode.window.showInformationMessage(`Exported ${view.position} events to ${target.fsPath}.`);
  }

  private post(message: HostToWebview): void {
    void this.panel.webview.postMessage(message);
  }

  private html(): string {
    return templatePage(this.panel.webview, this.context.extensionUri, {
      html: 'replay.html',
      css: 'replay.css',
      script: 'webview.js',
    });
  }

  override dispose(): void {
    this.closed = true;
    clearTimeout(this.warmTimer);
    if (ReplayPanel.current === this) ReplayPanel.current = undefined;
    super.dispose();
    this.panel.dispose();
  }
}
