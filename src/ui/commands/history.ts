import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { StoreSession } from '../../core/application/session';
import { builtInAggregates } from '../../core/domain/aggregates';
import { blameReadModel, blameStream, type BlameResult, type ValueChange } from '../../core/history/blame';
import { compareVersions, type VersionComparison } from '../../core/history/compareVersions';
import { checkReadModels, type DriftReport } from '../../core/history/drift';
import { formatValuePath, MISSING, parseValuePath, valuePaths } from '../../core/history/valuePath';
import { builtInProjections } from '../../core/projections/builtIn';
import { describeFault, type ProjectionFault } from '../../core/projections/fault';
import type { Projection } from '../../core/projections/projection';
import type { Change } from '../../core/replay/diff';
import { compileDomain, evaluateModule, type LoadedDomain } from '../../core/workspaceDomain/loadDomainModule';
import { reservedNames } from '../../core/workspaceDomain/moduleShape';
import { ReplayPanel } from '../replayPanel';
import { withWalkProgress } from '../walkProgress';
import { boundary, registerCommand, type CommandContext } from './boundary';

export const SHOW_VALUE_HISTORY = 'Show History of This Value';

type Target =
  | { readonly kind: 'readModel'; readonly projection: Projection; readonly path?: readonly string[] }
  | { readonly kind: 'stream'; readonly streamId: string; readonly path?: readonly string[] };

interface PositionPick extends vscode.QuickPickItem {
  readonly position?: number;
}

/** A value in one short line for a list: JSON, cut at 80 characters; "(none)" where the path leads nowhere. */
export function shortValue(value: unknown): string {
  if (value === undefined || value === MISSING) return '(none)';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** What the command was invoked on: a Read Models row or read model, a stream, the replay's arguments, or nothing. */
function targetOf(session: StoreSession, arg: unknown): Target | undefined {
  if (arg === null || typeof arg !== 'object') return undefined;
  const a = arg as Record<string, unknown>;
  const pathOf = (v: unknown): string[] | undefined =>
    Array.isArray(v) && v.every((k) => typeof k === 'string') ? (v as string[]) : undefined;
  const byName = (name: unknown) => session.projections.find((p) => p.name === name);
  if ((a.kind === 'row' || a.kind === 'readModel') && a.projection) {
    const projection = byName((a.projection as Projection).name);
    const row = a.row as { path?: unknown } | undefined;
    return projection ? { kind: 'readModel', projection, path: pathOf(row?.path) } : undefined;
  }
  if (a.kind === 'stream' && typeof (a.stream as { streamId?: unknown })?.streamId === 'string')
    return { kind: 'stream', streamId: (a.stream as { streamId: string }).streamId };
  if (a.kind === 'event' && typeof (a.event as { streamId?: unknown })?.streamId === 'string')
    return { kind: 'stream', streamId: (a.event as { streamId: string }).streamId };
  if (typeof a.readModel === 'string') {
    const projection = byName(a.readModel);
    if (!projection) throw new Error(`There is no read model named ${JSON.stringify(a.readModel)}.`);
    return {
      kind: 'readModel',
      projection,
      path: pathOf(a.path) ?? (typeof a.path === 'string' ? parseValuePath(a.path) : undefined),
    };
  }
  if (typeof a.streamId === 'string')
    return {
      kind: 'stream',
      streamId: a.streamId,
      path: pathOf(a.path) ?? (typeof a.path === 'string' ? parseValuePath(a.path) : undefined),
    };
  return undefined;
}

async function pickTarget(session: StoreSession): Promise<Target | undefined> {
  const STREAM = '$(symbol-class) A stream’s write-model state…';
  const picked = await vscode.window.showQuickPick(
    [
      ...session.projections.map((p) => ({ label: `$(table) ${p.title}`, description: p.name, projection: p })),
      { label: STREAM, description: 'the state its decider folds', projection: undefined },
    ],
    {
      title: SHOW_VALUE_HISTORY,
      placeHolder: 'The history of a value of which read model or stream?',
      ignoreFocusOut: true,
    },
  );
  if (!picked) return undefined;
  if (picked.projection) return { kind: 'readModel', projection: picked.projection };
  const streams = session.store.listStreams({ limit: 500 }).map((s) => ({ label: s.streamId }));
  const stream = await vscode.window.showQuickPick(streams, {
    title: SHOW_VALUE_HISTORY,
    placeHolder: 'Which stream?',
  });
  return stream ? { kind: 'stream', streamId: stream.label } : undefined;
}

/** Asks which value: every path of the present state listed with its value, or one typed (users.ada.name). */
function pickPath(state: unknown, title: string): Promise<string[] | undefined> {
  const items = valuePaths(state).map(({ path: p, value }) => ({
    label: formatValuePath(p),
    description:
      value !== null && typeof value === 'object'
        ? Array.isArray(value)
          ? `list of ${value.length}`
          : plural(Object.keys(value).length, 'field')
        : shortValue(value),
    keys: p,
  }));
  return new Promise((resolve) => {
    const pick = vscode.window.createQuickPick<(typeof items)[number]>();
    pick.title = `${SHOW_VALUE_HISTORY}: ${title}`;
    pick.placeholder = 'Which value? Pick one, or type a path such as users.ada.name and press Enter';
    pick.items = items;
    pick.matchOnDescription = true;
    pick.ignoreFocusOut = true;
    let done = false;
    const finish = (value: string[] | undefined) => {
      if (done) return;
      done = true;
      resolve(value);
      pick.dispose();
    };
    pick.onDidAccept(() => {
      const chosen = pick.selectedItems[0] ?? pick.activeItems[0];
      if (chosen) return finish(chosen.keys);
      try {
        finish(parseValuePath(pick.value));
      } catch (e) {
        void vscode.window.showWarningMessage(`${SHOW_VALUE_HISTORY}: ${(e as Error).message}`);
      }
    });
    pick.onDidHide(() => finish(undefined));
    pick.show();
  });
}

function changeItem(c: ValueChange): PositionPick {
  const arrow =
    c.kind === 'added'
      ? `set to ${shortValue(c.after)}`
      : c.kind === 'removed'
        ? `removed (was ${shortValue(c.before)})`
        : `${shortValue(c.before)} → ${shortValue(c.after)}`;
  return {
    label: `$(history) ${c.globalPosition} · ${c.type}`,
    description: arrow,
    detail: `stream ${c.streamId}, version ${c.streamVersion} · ${c.recordedAt}`,
    position: c.globalPosition,
  };
}

function faultItem(fault: ProjectionFault, title: string): PositionPick {
  return {
    label: `$(error) Faulted at ${fault.position}: ${fault.error}`,
    description: 'Replay to the Failing Event',
    detail: `${describeFault(fault, title)} The history stops before it.`,
    position: fault.position,
  };
}

/** A list of positions to pick from; the picked one opens the replay there. Not awaited: the list stays open on its own. */
function showPositions(
  title: string,
  placeHolder: string,
  items: readonly PositionPick[],
  open: (position: number) => void = (position) =>
    void vscode.commands.executeCommand('eventStore.openReplay', position),
): void {
  void vscode.window
    .showQuickPick(items, { title, placeHolder, matchOnDescription: true, matchOnDetail: true, ignoreFocusOut: true })
    .then((picked) => {
      if (picked?.position !== undefined) open(picked.position);
    });
}

async function showValueHistory(ctx: CommandContext, arg: unknown): Promise<BlameResult | undefined> {
  const session = await ctx.controller.get();
  const target = targetOf(session, arg) ?? (await pickTarget(session));
  if (!target) return undefined;
  const name = target.kind === 'readModel' ? target.projection.title : `stream ${target.streamId}`;
  let keys = target.path ? [...target.path] : undefined;
  if (!keys) {
    const state =
      target.kind === 'readModel'
        ? session.projector.stateOf(target.projection)
        : blameStream(session.store, session.aggregates, target.streamId, []).value;
    keys = await pickPath(state === MISSING ? undefined : state, name);
    if (!keys) return undefined;
  }
  const where = formatValuePath(keys);
  const result =
    target.kind === 'readModel'
      ? await withWalkProgress(`Following ${where} through the events`, (walk) =>
          blameReadModel(session.store, target.projection, keys, walk),
        )
      : blameStream(session.store, session.aggregates, target.streamId, keys);
  const items: PositionPick[] = [
    ...(result.fault ? [faultItem(result.fault, name)] : []),
    ...result.changes.map(changeItem),
  ];
  if (items.length === 0)
    items.push({ label: `$(info) No event changed ${where}`, description: `it is ${shortValue(result.value)}` });
  ctx.log.info(
    `History of ${where} in ${name}: ${plural(result.changes.length, 'change')} up to position ${result.upTo}${result.fault ? `; ${describeFault(result.fault, name)}` : ''}.`,
  );
  showPositions(
    `History of ${where} in ${name}`,
    `${plural(result.changes.length, 'event')} changed it (newest first; now ${shortValue(result.value)}). Pick one to replay to it.`,
    items,
  );
  return result;
}

const pathText = (c: { readonly path: readonly string[] }) => formatValuePath(c.path) || '(the whole state)';

function driftItem(r: DriftReport): PositionPick {
  switch (r.status) {
    case 'clean':
      return { label: `$(pass) ${r.title}`, description: `no drift up to position ${r.checkpoint}; deterministic` };
    case 'faulted':
      return faultItem(r.fault!, r.title);
    case 'nondeterministic': {
      const n = r.nondeterminism!;
      return {
        label: `$(warning) ${r.title}: not deterministic`,
        description:
          n.position !== undefined
            ? `two folds of the same events differ after ${n.eventType} at ${n.position}`
            : `two folds differed between ${n.from} and ${n.to}, and not again when refolded`,
        detail: n.changes.map((c) => `${pathText(c)}: ${shortValue(c.before)} vs ${shortValue(c.after)}`).join('; '),
        ...(n.position !== undefined ? { position: n.position } : {}),
      };
    }
    case 'drifted': {
      const d = r.drift!;
      return {
        label: `$(warning) ${r.title}: drifted from position ${d.firstPosition}`,
        description: `${plural(d.values.length, 'value')} differ from a rebuild`,
        detail: d.values
          .map(
            (v) =>
              `${pathText(v)}: live ${shortValue(v.live)}, rebuilt ${shortValue(v.recomputed)} (from ${v.divergedAt})`,
          )
          .join('; '),
        ...(d.firstPosition > 0 ? { position: d.firstPosition } : {}),
      };
    }
  }
}

async function checkAll(ctx: CommandContext): Promise<readonly DriftReport[]> {
  const session = await ctx.controller.get();
  const reports = await withWalkProgress('Checking read models (each folded twice from the first event)', (walk) =>
    checkReadModels(session.store, session.projections, session.projector, walk),
  );
  for (const r of reports) {
    const item = driftItem(r);
    ctx.log.info(
      `Check Read Models: ${item.label.replace(/^\$\([\w-]+\) /, '')} — ${item.description ?? ''}${item.detail ? ` (${item.detail})` : ''}`,
    );
  }
  const bad = reports.filter((r) => r.status !== 'clean').length;
  showPositions(
    'Check Read Models',
    bad === 0
      ? `All ${plural(reports.length, 'read model')} equal a rebuild from position 0 and fold the same twice.`
      : `${bad} of ${plural(reports.length, 'read model')} need a look. Pick one to replay to where it parts.`,
    reports.map(driftItem),
  );
  return reports;
}

function changeLines(changes: readonly Change[]): string {
  if (changes.length === 0) return 'nothing';
  return changes
    .slice(0, 5)
    .map((c) =>
      c.kind === 'changed'
        ? `${pathText(c)} ${shortValue(c.before)} → ${shortValue(c.after)}`
        : `${pathText(c)} ${c.kind === 'added' ? `set to ${shortValue(c.after)}` : 'removed'}`,
    )
    .join('; ');
}

function comparisonItem(c: VersionComparison): PositionPick {
  switch (c.status) {
    case 'same':
      return { label: `$(pass) ${c.title}`, description: 'the same at every position' };
    case 'added':
      return { label: `$(add) ${c.title}`, description: 'new in this version' };
    case 'removed':
      return { label: `$(remove) ${c.title}`, description: 'only in the previous version' };
    case 'faulted': {
      const f = (c.newFault ?? c.oldFault)!;
      return {
        ...faultItem(f, `${c.title} (${c.newFault ? 'this' : 'the previous'} version)`),
        ...(c.first ? { description: `differs first at ${c.first.position}` } : {}),
      };
    }
    case 'different': {
      const f = c.first!;
      return {
        label: `$(diff) ${c.title}: differs first at ${f.position}`,
        description: `${plural(c.positions, 'position')} differ`,
        detail: `${f.eventType} of ${f.streamId} — previous: ${changeLines(f.oldChanges)}; this version: ${changeLines(f.newChanges)}`,
        position: f.position,
      };
    }
  }
}

/** The version of the domain module in the last commit of the workspace's git history, if there is one. */
async function committedDomain(current: LoadedDomain): Promise<LoadedDomain | undefined> {
  const folder = path.dirname(current.file);
  const source = await new Promise<string | undefined>((resolve) =>
    execFile(
      'git',
      ['show', `HEAD:./${path.basename(current.file)}`],
      { cwd: folder, maxBuffer: 4 * 1024 * 1024 },
      (e, out) => resolve(e ? undefined : out),
    ),
  );
  if (source === undefined) return undefined;
  const hash = createHash('sha256').update(source).digest('hex');
  if (hash === current.hash) return undefined;
  return compileDomain(evaluateModule(source, current.file), current.file, hash, {
    reserved: reservedNames(builtInAggregates, builtInProjections),
  });
}

async function compareWithPrevious(ctx: CommandContext): Promise<readonly VersionComparison[] | undefined> {
  const state = ctx.domain.state;
  if (state.status !== 'loaded')
    throw new Error(
      'Compare with the Previous Version compares two versions of the workspace domain (.eventstore/domain.js), and none is loaded.',
    );
  const previous = ctx.domain.previous ?? (await committedDomain(state.domain));
  if (!previous)
    throw new Error(
      `There is no previous version of ${path.basename(state.domain.file)}: it has not changed since it was loaded, and the workspace's git history has no other version of it.`,
    );
  const session = await ctx.controller.get();
  const comparisons = await withWalkProgress('Folding the previous and this version over the same events', (walk) =>
    compareVersions(session.store, previous.projections, state.domain.projections, walk),
  );
  for (const c of comparisons) {
    const item = comparisonItem(c);
    ctx.log.info(
      `Compare with the Previous Version: ${item.label.replace(/^\$\([\w-]+\) /, '')} — ${item.description ?? ''}${item.detail ? ` (${item.detail})` : ''}`,
    );
  }
  const differ = comparisons.filter((c) => c.status !== 'same').length;
  showPositions(
    'Compare with the Previous Version',
    differ === 0
      ? `Every read model of the domain module is the same at every one of ${session.store.lastPosition()} positions.`
      : `${differ} of ${plural(comparisons.length, 'read model')} differ. Pick one to replay to the first position where it does.`,
    comparisons.map(comparisonItem),
    // The replay there, with the previous version's read models beside these.
    (position) => ReplayPanel.compare(ctx.context, ctx.controller, ctx.log, previous.projections, position),
  );
  return comparisons;
}

async function replayToFailingEvent(ctx: CommandContext, arg: unknown): Promise<number | undefined> {
  const session = await ctx.controller.get();
  const a = (arg ?? {}) as { fault?: ProjectionFault; projection?: Projection };
  const fault = a.fault ?? (a.projection ? session.projector.faultOf(a.projection.name) : session.projector.faults[0]);
  if (!fault) throw new Error('No read model is faulted: every one applied every event.');
  await vscode.commands.executeCommand('eventStore.openReplay', fault.position);
  return fault.position;
}

async function askPosition(prompt: string, last: number, optional: boolean): Promise<number | null | undefined> {
  const text = await vscode.window.showInputBox({
    title: 'Rebuild Read Models Between Positions',
    prompt,
    placeHolder: optional ? `empty: up to the last event (${last})` : `1 to ${last}`,
    ignoreFocusOut: true,
    validateInput: (v) =>
      (optional && v.trim() === '') || (/^\d+$/.test(v.trim()) && Number(v) >= 1 && Number(v) <= last)
        ? undefined
        : `A position from 1 to ${last}${optional ? ', or nothing' : ''}.`,
  });
  if (text === undefined) return undefined;
  return text.trim() === '' ? null : Number(text);
}

async function rebuildBetween(ctx: CommandContext, from?: unknown, to?: unknown): Promise<number | undefined> {
  const session = await ctx.controller.get();
  const last = session.store.lastPosition();
  const start = typeof from === 'number' ? from : await askPosition('Start with the event at position', last, false);
  if (start === undefined || start === null) return undefined;
  const stop =
    typeof to === 'number'
      ? to
      : typeof from === 'number'
        ? null
        : await askPosition('Stop after the event at position', last, true);
  if (stop === undefined) return undefined;
  if (stop !== null && stop < start) throw new Error(`The last position (${stop}) is before the first (${start}).`);
  const position = await session.projector.rebuildBetweenInSlices(start, stop ?? undefined);
  const message = `Rebuilt ${plural(session.projections.length, 'read model')} from the events ${start} to ${position} only${stop !== null ? `; they hold at ${position}` : ''}. Not saved: Rebuild Read Models makes them whole again.`;
  ctx.log.info(message);
  void vscode.window.showInformationMessage(message);
  return position;
}

export function registerHistoryCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    registerCommand('eventStore.showValueHistory', (arg?: unknown) =>
      boundary(ctx, SHOW_VALUE_HISTORY, () => showValueHistory(ctx, arg)),
    ),
    registerCommand('eventStore.checkReadModels', () => boundary(ctx, 'Check Read Models', () => checkAll(ctx))),
    registerCommand('eventStore.compareWithPreviousVersion', () =>
      boundary(ctx, 'Compare with the Previous Version', () => compareWithPrevious(ctx)),
    ),
    registerCommand('eventStore.replayToFailingEvent', (arg?: unknown) =>
      boundary(ctx, 'Replay to the Failing Event', () => replayToFailingEvent(ctx, arg)),
    ),
    registerCommand('eventStore.rebuildReadModelsBetween', (from?: unknown, to?: unknown) =>
      boundary(ctx, 'Rebuild Read Models Between Positions', () => rebuildBetween(ctx, from, to)),
    ),
  ];
}
