import { builtInAggregates, type AggregateDefinition } from '../domain/aggregates';
import { builtInReactions, type ReactionDefinition } from '../domain/reactions';
import { SqlJsEventStore } from '../eventStore/sqlJsEventStore';
import { openForeignStore } from '../formats/openStore';
import { isForeignStore } from '../formats/storeReader';
import type { EventStore, OpenProgress, RecordedEvent } from '../eventStore/types';
import { builtInProjections } from '../projections/builtIn';
import type { Projection } from '../projections/projection';
import { ReplayEngine, replaySnapshotInterval } from '../replay/replayEngine';
import { CommandHandler, type CommandEnvelope, type CommandResult, type ExecuteOptions } from './commandHandler';
import { CommandLog, commandLogFileFor } from './commandLog';
import { EventBus } from './eventBus';
import { Projector } from './projector';

export interface SessionOptions {
  readonly path?: string;
  readonly readOnly?: boolean;
  readonly readOnlyReason?: string;
  readonly aggregates?: readonly AggregateDefinition[];
  readonly projections?: readonly Projection[];
  /** Reactions to events (process managers); by default the built-in ones. */
  readonly reactions?: readonly ReactionDefinition[];
  readonly log?: (message: string) => void;
  /** Reports the phases of opening a large store (reading, checking, replaying its journal). */
  /** Check an unsealed store's rows on a worker thread; writes wait for it (see OpenStoreOptions). */
  readonly deferChecks?: boolean;
  readonly onProgress?: (progress: OpenProgress) => void;
  /** Where commands and their outcomes are recorded; by default `<store>.commands.ndjson` (in memory without a file). */
  readonly commandLog?: CommandLog;
  /**
   * False for a session that only executes commands (the CLI): its read models are neither built
   * nor saved, so a command costs the same on a store of any size, and the read models saved beside
   * the store catch up at the next full open. Default true.
   */
  readonly readModels?: boolean;
}

/** Where the read models of a store are saved: beside it, as derived data that can always be rebuilt. */
export const readModelsFileFor = (storePath: string): string => `${storePath}.readmodels.json`;

/**
 * One open store with everything around it: the write model (command handler), the event bus,
 * the read models (projector), the command log and the replay engine. The extension opens one per
 * store; the CLI executes its commands (exec, seed) through one without read models, so they reach
 * the same command log. The CLI's other commands (append, import, export…) read and write the
 * store directly.
 */
export class StoreSession {
  readonly bus: EventBus;
  readonly handler: CommandHandler;
  readonly projector: Projector;
  readonly aggregates: readonly AggregateDefinition[];
  readonly projections: readonly Projection[];
  readonly reactions: readonly ReactionDefinition[];
  /** Every command executed here, accepted or rejected: rejections leave no event, so they are kept here. */
  readonly commandLog: CommandLog;
  private replayEngine: ReplayEngine | undefined;
  /** How the read models started: loaded from their saved checkpoint, and how many events they caught up on. */
  startup: { readonly loaded: boolean; readonly caughtUp: number } = { loaded: false, caughtUp: 0 };

  private constructor(
    readonly store: EventStore,
    options: SessionOptions,
  ) {
    const log = options.log ?? (() => undefined);
    this.aggregates = options.aggregates ?? builtInAggregates;
    this.projections = options.projections ?? builtInProjections;
    this.reactions = options.reactions ?? builtInReactions;
    this.bus = new EventBus((subscriber, error) =>
      log(`Subscriber "${subscriber}" failed: ${error.stack ?? error.message}`),
    );
    // Nothing is ever written beside a store of another application: its command log and read models live in memory.
    const beside = store.path && !isForeignStore(store) ? store.path : undefined;
    this.commandLog =
      options.commandLog ??
      CommandLog.open(beside ? commandLogFileFor(beside) : undefined, { readOnly: store.readOnly, log });
    this.handler = new CommandHandler(store, this.bus, this.aggregates, {
      recorder: this.commandLog,
      reactions: this.reactions,
    });
    const keepReadModels = options.readModels ?? true;
    this.projector = new Projector(
      store,
      keepReadModels ? this.projections : [],
      keepReadModels && beside ? readModelsFileFor(beside) : undefined,
      {
        log,
        snapshotEvery: replaySnapshotInterval(store.lastPosition()),
      },
    );
    if (keepReadModels) this.bus.subscribe('read models', (events) => this.projector.handle(events));
  }

  static async open(options: SessionOptions = {}): Promise<StoreSession> {
    // A store of another application (found from its schema) opens read-only; any other path is ours.
    const foreign = options.path ? await openForeignStore(options.path) : undefined;
    if (foreign) return StoreSession.over(foreign, options);
    const store = await SqlJsEventStore.open({
      path: options.path,
      readOnly: options.readOnly,
      readOnlyReason: options.readOnlyReason,
      onProgress: options.onProgress,
      onWarning: options.log,
      deferChecks: options.deferChecks,
    });
    if (store.unsound)
      options.log?.(
        `The event store ${store.path ?? ''} is not sound (${store.unsound}): it was opened read-only and left untouched.`,
      );
    return StoreSession.over(store, options);
  }

  /** A session over a store opened by the caller (with its own options: lock timeout, compaction). */
  static over(store: EventStore, options: SessionOptions = {}): StoreSession {
    const session = new StoreSession(store, options);
    if (options.readModels ?? true) session.startup = session.projector.start();
    return session;
  }

  execute(command: CommandEnvelope, options?: ExecuteOptions): Promise<CommandResult> {
    return this.handler.execute(command, options);
  }

  get replay(): ReplayEngine {
    if (!this.replayEngine) {
      // The live read models hand the replay their copies, so it opens near the end without folding the whole stream.
      const engine = new ReplayEngine(this.store, this.projections, this.aggregates, this.projector.snapshotEvery);
      for (const fault of this.projector.faults) engine.noteFault(fault);
      for (const base of this.projector.replayBases) engine.addSnapshot(base.position, base.states);
      this.projector.onReplayBase((position, states) => engine.addSnapshot(position, states));
      this.replayEngine = engine;
    }
    return this.replayEngine;
  }

  /** Picks up events other processes appended and publishes them on the bus. */
  async refresh(): Promise<readonly RecordedEvent[]> {
    const fresh = this.store.refresh?.() ?? [];
    if (fresh.length > 0) await this.bus.publish(fresh);
    return fresh;
  }

  rebuildReadModels(): number {
    return this.projector.rebuild();
  }

  /** The same, in slices that leave the event loop free between them (the palette's Rebuild Read Models). */
  rebuildReadModelsInSlices(): Promise<number> {
    return this.projector.rebuildInSlices();
  }

  async close(): Promise<void> {
    this.projector.dispose();
    await this.store.close();
  }
}
