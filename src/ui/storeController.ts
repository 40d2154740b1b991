import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { StoreSession } from '../core/application/session';
import { builtInAggregates, type AggregateDefinition } from '../core/domain/aggregates';
import { builtInReactions, type ReactionDefinition } from '../core/domain/reactions';
import { builtInProjections } from '../core/projections/builtIn';
import type { Projection } from '../core/projections/projection';
import type { RecordedEvent } from '../core/eventStore/types';
import { EmmettSqliteStore } from '../core/formats/emmettSqlite/emmettSqliteStore';
import { isForeignStore } from '../core/formats/storeReader';
import { Disposable } from './disposable';
import { storeNotOpened, type MessageNode } from './messageNode';
import { openPostgresSource, type PostgresSource } from './postgresSession';
import { resolveInWorkspace } from './workspacePaths';

/** The saved PostgreSQL connection this workspace showed last, to open again after a reload. */
export const OPEN_CONNECTION_KEY = 'eventStore.postgres.open';

/** Stores above this size open with a progress notification. */
const LARGE_STORE_BYTES = 20 * 1024 * 1024;

/** Resolves where the store lives: the setting, relative to the first workspace folder, else global storage. */
export function resolveStorePath(context: vscode.ExtensionContext): string {
  const configured =
    vscode.workspace.getConfiguration('eventStore').get<string>('storePath') || '.eventstore/events.db';
  return resolveInWorkspace(configured) ?? path.join(context.globalStorageUri.fsPath, 'events.db');
}

/**
 * Owns the open store session: opens it (read-only in Restricted Mode), watches its file for
 * appends by other processes, and tells the views when events arrive or the store is replaced.
 */
export class StoreController extends Disposable {
  private current: StoreSession | undefined;
  private opening: Promise<StoreSession> | undefined;
  private readonly didAppend = this.register(new vscode.EventEmitter<readonly RecordedEvent[]>());
  private readonly didOpen = this.register(new vscode.EventEmitter<StoreSession | undefined>());
  /** Events appended (by a command here or another process), after the read models applied them. */
  readonly onDidAppend = this.didAppend.event;
  /** A store was opened (or failed to open: undefined). */
  readonly onDidOpen = this.didOpen.event;
  private readonly didRefresh = this.register(new vscode.EventEmitter<StoreSession>());
  /** The open store was read again after its files changed (with or without new events: commands, checkpoints). */
  readonly onDidRefresh = this.didRefresh.event;
  private openError: Error | undefined;
  /** What lives as long as the open session: its watcher and listeners. */
  private sessionDisposables: vscode.Disposable[] = [];
  /** Aggregates and projections beside the built-in ones (the workspace's own domain, when loaded). */
  /** A PostgreSQL store opened instead of the store file, until the store is closed. */
  private postgres: PostgresSource | undefined;
  private extraDomain: () => {
    readonly aggregates: readonly AggregateDefinition[];
    readonly projections: readonly Projection[];
    readonly reactions?: readonly ReactionDefinition[];
  } = () => ({ aggregates: [], projections: [] });

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.register(vscode.workspace.onDidGrantWorkspaceTrust(() => void this.reopen()));
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('eventStore.storePath')) return;
        this.leavePostgres();
        void this.reopen();
      }),
    );
  }

  /** Where the workspace domain comes from; takes effect at the next (re)open. */
  setDomainSource(
    source: () => {
      readonly aggregates: readonly AggregateDefinition[];
      readonly projections: readonly Projection[];
      readonly reactions?: readonly ReactionDefinition[];
    },
  ): void {
    this.extraDomain = source;
  }

  get storePath(): string {
    return resolveStorePath(this.context);
  }

  /** Which store the views show, for people: the store file, or the PostgreSQL schema and server (no password). */
  get storeLabel(): string {
    return this.postgres?.label ?? this.storePath;
  }

  /** The PostgreSQL store the views show, when it is one (not the store file). */
  get postgresSource(): PostgresSource | undefined {
    return this.postgres;
  }

  /** Opens a PostgreSQL store in place of the store shown; when it cannot, throws and leaves that one shown. */
  async openPostgres(source: PostgresSource): Promise<StoreSession> {
    const previous = this.postgres;
    this.postgres = source;
    try {
      // The store shown now stays until the new one is open: a failure leaves the window as it was.
      const session = await this.startPostgresSession(source);
      this.log.info(
        `Opened ${source.label}: ${session.store.stats().events} events${session.store.readOnly ? ', read-only' : ', team store (read and write)'}.`,
      );
      // The window opens it again after a reload (by the saved connection, its password from the secret storage).
      await this.context.workspaceState.update(OPEN_CONNECTION_KEY, source.connectionId);
      this.didOpen.fire(session);
      return session;
    } catch (e) {
      if (this.postgres === source) this.postgres = previous;
      this.log.warn(`Could not open ${source.label}: ${(e as Error).message}`);
      throw e;
    }
  }

  /** Back to the store file of the setting at the next (re)open; true when a PostgreSQL store was in use. */
  leavePostgres(): boolean {
    const was = this.postgres !== undefined;
    this.postgres = undefined;
    if (was) void this.context.workspaceState.update(OPEN_CONNECTION_KEY, undefined);
    return was;
  }

  get session(): StoreSession | undefined {
    return this.current;
  }

  get error(): Error | undefined {
    return this.openError;
  }

  /**
   * For tree views: the open session, or, at the root, one row saying why the store could not be
   * opened, and nothing below it.
   */
  async sessionOrRows(node: unknown): Promise<StoreSession | MessageNode[]> {
    try {
      return await this.get();
    } catch (e) {
      return node ? [] : [storeNotOpened((e as Error).message)];
    }
  }

  /** The open session, opening it on first use. Throws the store's own error when it cannot be opened. */
  async get(): Promise<StoreSession> {
    if (this.current) return this.current;
    this.opening ??= this.open().finally(() => (this.opening = undefined));
    return this.opening;
  }

  async reopen(): Promise<StoreSession | undefined> {
    // An open already under way read the domain module and settings of before: let it end, and close
    // its session too, rather than hand it out as the reopened one.
    await this.opening?.catch(() => undefined);
    await this.closeSession();
    try {
      return await this.get();
    } catch {
      return undefined;
    }
  }

  private async open(): Promise<StoreSession> {
    if (this.postgres) return this.openPostgresSession(this.postgres);
    const file = this.storePath;
    const trusted = vscode.workspace.isTrusted;
    const extra = this.extraDomain();
    try {
      // A large store takes a while to read and check: show where it is, as a notification.
      const large = fs.existsSync(file) && fs.statSync(file).size > LARGE_STORE_BYTES;
      const session = await vscode.window.withProgress(
        {
          location: large ? vscode.ProgressLocation.Notification : vscode.ProgressLocation.Window,
          title: `Opening event store ${path.basename(file)}`,
        },
        (progress) => {
          let reported = 0;
          return StoreSession.open({
            path: file,
            readOnly: !trusted,
            readOnlyReason: 'this workspace is not trusted (Restricted Mode); trust it to issue commands',
            // The window stays responsive: a store that needs its full check gets it on a worker thread.
            deferChecks: true,
            log: (m) => this.log.warn(m),
            aggregates: [...builtInAggregates, ...extra.aggregates],
            projections: [...builtInProjections, ...extra.projections],
            reactions: [...builtInReactions, ...(extra.reactions ?? [])],
            onProgress: (p) => {
              const phase = { reading: 'reading', checking: 'checking integrity', replaying: 'replaying the journal' }[
                p.phase
              ];
              const percent = p.total > 0 ? Math.floor((p.done / p.total) * 100) : 0;
              const increment = p.phase === 'reading' ? Math.max(0, percent - reported) : 0;
              reported += increment;
              progress.report({ message: `${phase}${p.total > 1 ? ` ${percent}%` : ''}`, increment });
            },
          });
        },
      );
      this.current = session;
      this.openError = undefined;
      this.sessionDisposables.push(session.projector.onDidChange((events) => this.didAppend.fire(events)));
      this.watch(file, session);
      this.log.info(
        `Opened ${file}${trusted ? '' : ' read-only (Restricted Mode)'}: ${session.store.lastPosition()} events.`,
      );
      this.didOpen.fire(session);
      return session;
    } catch (e) {
      this.openError = e as Error;
      this.log.error(`Could not open ${file}: ${(e as Error).stack ?? String(e)}`);
      this.didOpen.fire(undefined);
      throw e;
    }
  }

  private async openPostgresSession(source: PostgresSource): Promise<StoreSession> {
    try {
      const session = await this.startPostgresSession(source);
      this.log.info(
        `Opened ${source.label}: ${session.store.stats().events} events${session.store.readOnly ? ', read-only' : ', team store (read and write)'}.`,
      );
      this.didOpen.fire(session);
      return session;
    } catch (e) {
      this.openError = e as Error;
      this.log.error(`Could not open ${source.label}: ${(e as Error).message}`);
      this.didOpen.fire(undefined);
      throw e;
    }
  }

  /** Opens the store with its session and live updates, and makes it the current one. */
  private async startPostgresSession(source: PostgresSource, quiet = false): Promise<StoreSession> {
    const extra = this.extraDomain();
    const { session, live } = await openPostgresSource(source, {
      quiet,
      log: this.log,
      aggregates: [...builtInAggregates, ...extra.aggregates],
      projections: [...builtInProjections, ...extra.projections],
      isCurrent: (s) => this.current === s,
      onShown: (events) => this.didAppend.fire(events),
      reconnect: () => this.reconnectPostgres(source),
    });
    if (this.postgres !== source) {
      // Closed or replaced while it opened.
      live.dispose();
      await session.close();
      throw new Error(`${source.label} was closed while it opened.`);
    }
    const previous = this.current;
    for (const d of this.sessionDisposables.splice(0)) d.dispose();
    this.current = session;
    this.openError = undefined;
    this.sessionDisposables.push(
      session.projector.onDidChange((events) => this.didAppend.fire(events)),
      live,
    );
    if (previous) await previous.close().catch(() => undefined);
    return session;
  }

  /**
   * After the connection was lost: a new connection and session, swapped in once they are there,
   * so that the views keep what they show until then. False when the server does not answer yet.
   */
  private async reconnectPostgres(source: PostgresSource): Promise<boolean> {
    if (this.postgres !== source || this.opening) return false;
    try {
      const session = await this.startPostgresSession(source, true);
      this.log.info(`Reconnected to ${source.label}: ${session.store.stats().events} events.`);
      void vscode.window.showInformationMessage(`The connection to ${source.label} is back.`);
      this.didOpen.fire(session);
      return true;
    } catch (e) {
      this.log.info(`${source.label} does not answer yet: ${(e as Error).message}`);
      return false;
    }
  }

  /** Another process (the CLI, a second window) may append: pick those events up when the files change. */
  private watch(file: string, session: StoreSession): void {
    const pattern = new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), `${path.basename(file)}*`);
    const watcher = vscode.workspace.createFileSystemWatcher(pattern);
    let timer: NodeJS.Timeout | undefined;
    const onChange = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        if (this.current !== session) return;
        session
          .refresh()
          .then(() => {
            const how = session.store instanceof EmmettSqliteStore ? session.store.lastRefresh : undefined;
            if (how?.kind === 'reloaded') this.log.info(`Reloaded ${file} whole: ${how.reason}.`);
            if (how && how.kind !== 'unchanged') this.didRefresh.fire(session);
          })
          .catch((e: unknown) => this.log.error(`Could not read new events: ${(e as Error).message}`));
      }, 150);
    };
    this.sessionDisposables.push(watcher.onDidChange(onChange), watcher.onDidCreate(onChange), watcher, {
      dispose: () => timer && clearTimeout(timer),
    });
    if (isForeignStore(session.store)) {
      // Another application's store usually lives outside the workspace, where the workbench may not
      // watch: Node's watcher on its folder sees the main file and its -wal change as well.
      try {
        const base = path.basename(file);
        const nodeWatcher = fs.watch(path.dirname(file), (_event, name) => {
          if (name && name.toString().startsWith(base)) onChange();
        });
        nodeWatcher.on('error', (e) => this.log.warn(`Watching ${file} failed: ${e.message}`));
        this.sessionDisposables.push({ dispose: () => nodeWatcher.close() });
      } catch (e) {
        this.log.warn(`Watching ${file} failed: ${(e as Error).message}`);
      }
    }
  }

  private async closeSession(): Promise<void> {
    const session = this.current;
    this.current = undefined;
    for (const d of this.sessionDisposables.splice(0)) d.dispose();
    if (session) await session.close();
  }

  /** Closes the store, saving the read models; awaited on deactivate. */
  async shutdown(): Promise<void> {
    await this.closeSession();
    this.dispose();
  }
}
