import * as path from 'node:path';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { builtInAggregates } from '../core/domain/aggregates';
import { builtInReactions } from '../core/domain/reactions';
import { loadDomainModule, type LoadedDomain } from '../core/workspaceDomain/loadDomainModule';
import { DomainModuleError, type DomainProblem } from '../core/workspaceDomain/moduleErrors';
import { reservedNames } from '../core/workspaceDomain/moduleShape';
import { builtInProjections } from '../core/projections/builtIn';
import { Disposable } from './disposable';
import type { StoreController } from './storeController';
import { resolveInWorkspace } from './workspacePaths';

export const DEFAULT_DOMAIN_MODULE = '.eventstore/domain.js';

export type DomainModuleState =
  | { readonly status: 'none'; readonly file: string | undefined }
  | { readonly status: 'untrusted'; readonly file: string }
  | { readonly status: 'loaded'; readonly file: string; readonly domain: LoadedDomain }
  | { readonly status: 'error'; readonly file: string; readonly error: DomainModuleError };

export const UNTRUSTED_REASON =
  'this workspace is not trusted (Restricted Mode). The domain module is code, and code from a workspace runs only once you trust it; until then the store is open read-only for inspection.';

/** Resolves the module path: the setting, relative to the first workspace folder; none without a folder. */
export function resolveDomainModulePath(): string | undefined {
  const configured =
    vscode.workspace.getConfiguration('eventStore').get<string>('domainModule') ?? DEFAULT_DOMAIN_MODULE;
  if (!configured.trim()) return undefined;
  return resolveInWorkspace(configured);
}

/**
 * The workspace's own domain (`.eventstore/domain.js`): loaded only in a trusted workspace, reloaded
 * when the file changes, its errors shown without taking the store down (the built-in domain stays).
 * The store session is reopened with its aggregates and projections whenever it changes.
 */
export class DomainModuleController extends Disposable {
  private current: DomainModuleState = { status: 'none', file: undefined };
  /** The version loaded before the current one (kept in memory only), for "Compare with the Previous Version". */
  private previousDomain: LoadedDomain | undefined;
  private readonly changed = this.register(new vscode.EventEmitter<DomainModuleState>());
  readonly onDidChange = this.changed.event;
  private watcher: vscode.Disposable[] = [];
  private reloadTimer: NodeJS.Timeout | undefined;
  private problemsOfLoad: DomainProblem[] = [];
  private lastShown = '';

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly controller: StoreController,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    controller.setDomainSource(() =>
      this.current.status === 'loaded' ? this.current.domain : { aggregates: [], projections: [], reactions: [] },
    );
    this.register(vscode.workspace.onDidGrantWorkspaceTrust(() => void this.reload(true)));
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('eventStore.domainModule')) {
          this.watch();
          void this.reload(true);
        }
      }),
    );
    this.register(controller.onDidOpen((session) => session && this.afterOpen()));
    this.register({ dispose: () => this.unwatch() });
    this.watch();
    this.load();
  }

  get state(): DomainModuleState {
    return this.current;
  }

  get previous(): LoadedDomain | undefined {
    return this.previousDomain;
  }

  /** Runtime problems of the loaded module (a read model that failed on an event), newest last. */
  get problems(): readonly DomainProblem[] {
    return this.problemsOfLoad;
  }

  /** Reads the module again and reopens the store with it when anything changed (or when forced). */
  async reload(force = false): Promise<DomainModuleState> {
    const before = this.current;
    this.load();
    const after = this.current;
    const same =
      before.status === after.status &&
      before.file === after.file &&
      (before.status !== 'loaded' || (after.status === 'loaded' && before.domain.hash === after.domain.hash));
    if (force || !same) await this.controller.reopen();
    return after;
  }

  private load(): void {
    const file = resolveDomainModulePath();
    this.problemsOfLoad = [];
    if (!file || !fs.existsSync(file)) {
      this.set({ status: 'none', file });
      return;
    }
    if (!vscode.workspace.isTrusted) {
      // Not even read: a file in an untrusted workspace is input, and this one would be run.
      this.set({ status: 'untrusted', file });
      this.log.info(`The workspace domain ${file} was not loaded: ${UNTRUSTED_REASON}`);
      this.notify(`untrusted:${file}`, () =>
        vscode.window
          .showInformationMessage(
            `The workspace domain ${this.relative(file)} was not loaded: ${UNTRUSTED_REASON}`,
            'Manage Workspace Trust',
          )
          .then((action) => {
            if (action) void vscode.commands.executeCommand('workbench.trust.manage');
          }),
      );
      return;
    }
    try {
      const domain = loadDomainModule(file, {
        reserved: reservedNames(builtInAggregates, builtInProjections, builtInReactions),
        onProblem: (problem) => this.problem(problem),
      });
      this.set({ status: 'loaded', file, domain });
      this.lastShown = '';
      this.log.info(
        `Loaded the workspace domain ${file}: aggregates ${domain.aggregates.map((a) => a.name).join(', ') || '(none)'}; read models ${domain.projections.map((p) => p.title).join(', ') || '(none)'}.`,
      );
    } catch (e) {
      const error = DomainModuleError.is(e) ? e : new DomainModuleError('load', (e as Error)?.message ?? String(e));
      this.set({ status: 'error', file, error });
      this.log.error(
        `The workspace domain ${file} was not loaded (${error.kind}${error.location ? ` at ${error.location}` : ''}): ${error.message}`,
      );
      this.notify(`error:${error.message}`, () =>
        vscode.window
          .showErrorMessage(
            `The workspace domain ${this.relative(file)} was not loaded: ${oneLine(error.message)}${error.location ? ` (${error.location})` : ''}. The store stays open with the built-in domain.`,
            'Open Domain Module',
            'Show Log',
          )
          .then((action) => {
            if (action === 'Open Domain Module') void vscode.window.showTextDocument(vscode.Uri.file(file));
            if (action === 'Show Log') this.log.show();
          }),
      );
    }
  }

  private set(state: DomainModuleState): void {
    const before = this.current;
    if (before.status === 'loaded' && (state.status !== 'loaded' || state.domain.hash !== before.domain.hash))
      this.previousDomain = before.domain;
    this.current = state;
    this.changed.fire(state);
  }

  /** Shows a message once per distinct cause, not at every reload. */
  private notify(key: string, show: () => Thenable<unknown>): void {
    if (this.lastShown === key) return;
    this.lastShown = key;
    void show();
  }

  private problem(problem: DomainProblem): void {
    this.problemsOfLoad = [...this.problemsOfLoad.slice(-19), problem];
    this.log.warn(
      `Workspace domain: ${problem.at} failed: ${problem.message}${problem.location ? ` (${problem.location})` : ''}. The read model is faulted there: it stops before that event.`,
    );
    if (this.problemsOfLoad.length === 1) {
      void vscode.window
        .showWarningMessage(
          `Workspace domain: ${problem.at} failed: ${problem.message}${problem.location ? ` (${problem.location})` : ''}. The read model is faulted there (it stops before that event); the store is fine.`,
          'Show Log',
        )
        .then((action) => action && this.log.show());
    }
    this.changed.fire(this.current);
  }

  /** A changed module means changed read models: rebuild them from position 0 once per version of the module. */
  private afterOpen(): void {
    const session = this.controller.session;
    if (!session || this.current.status !== 'loaded' || session.store.readOnly) return;
    const key = `eventStore.domainHash:${session.store.path ?? 'memory'}`;
    const hash = this.current.domain.hash;
    if (this.context.workspaceState.get<string>(key) === hash) return;
    const position = session.rebuildReadModels();
    void this.context.workspaceState.update(key, hash);
    this.log.info(`The workspace domain changed: rebuilt the read models from position 0 (${position} events).`);
  }

  private watch(): void {
    this.unwatch();
    const file = resolveDomainModulePath();
    if (!file) return;
    const watcher = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), path.basename(file)),
    );
    const onChange = () => {
      if (this.reloadTimer) clearTimeout(this.reloadTimer);
      this.reloadTimer = setTimeout(() => void this.reload(), 200);
    };
    this.watcher = [
      watcher,
      watcher.onDidChange(onChange),
      watcher.onDidCreate(onChange),
      watcher.onDidDelete(onChange),
    ];
  }

  private unwatch(): void {
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    for (const d of this.watcher.splice(0)) d.dispose();
  }

  private relative(file: string): string {
    return vscode.workspace.asRelativePath(file, false);
  }
}

/** A multi-line message (a list of shape problems) as one line for a notification. */
const oneLine = (text: string): string =>
  text.replace(/:\n- /, ': ').replace(/\n- /g, '; ').replace(/\n/g, ' ').replace(/[.:]$/, '');
