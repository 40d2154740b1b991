// Messages between the extension host and the Event Model / Causality panels. Both sides check
// what they receive: names and reasons come from events and commands, untrusted text.

import { isRecord } from './json';

export interface CountView {
  readonly name: string;
  readonly count: number;
}

export interface SliceView {
  readonly command: string;
  readonly issuedBy: readonly CountView[];
  readonly accepted: number;
  readonly refused: number;
  readonly refusals: readonly CountView[];
  readonly events: readonly CountView[];
  readonly readModels: readonly string[];
  readonly reactions: readonly {
    readonly reaction: string;
    readonly on: string;
    readonly commands: readonly { readonly type: string; readonly accepted: number; readonly refused: number }[];
  }[];
}

export interface ArrowView {
  readonly from: string;
  readonly to: string;
}

export interface ComparisonView {
  readonly file: string;
  readonly unused: readonly ArrowView[];
  readonly missing: readonly ArrowView[];
  readonly matched: number;
  readonly problems: readonly string[];
}

export interface ModelView {
  readonly store: string;
  readonly slices: readonly SliceView[];
  readonly totals: { readonly commands: number; readonly refused: number; readonly events: number };
  readonly comparison: ComparisonView | null;
  /** False on a large store: the model is derived again on Refresh only. */
  readonly autoRefresh: boolean;
}

export interface CausalNodeView {
  readonly id: string;
  readonly kind: 'command' | 'event';
  readonly type: string;
  readonly streamId: string | null;
  readonly position: number | null;
  readonly outcome: 'accepted' | 'rejected' | 'conflict' | null;
  readonly reason: string | null;
  readonly reaction: string | null;
  readonly inferred: boolean;
  readonly depth: number;
}

export interface CausalityView {
  readonly store: string;
  readonly correlationId: string;
  readonly nodes: readonly CausalNodeView[];
  readonly streams: readonly string[];
  readonly refused: number;
  /** Nodes left out past the limit. */
  readonly omitted: number;
}

export type HostToSystem =
  | { readonly type: 'model'; readonly model: ModelView }
  | { readonly type: 'causality'; readonly graph: CausalityView }
  | { readonly type: 'error'; readonly message: string };

export type ModelExportFormat = 'mermaid' | 'markdown';

export type SystemToHost =
  | { readonly type: 'ready' }
  | { readonly type: 'refresh' }
  | { readonly type: 'compare' }
  | { readonly type: 'export'; readonly format: ModelExportFormat }
  | { readonly type: 'openReplay'; readonly position: number };

export const MAX_SLICES = 500;
export const MAX_CAUSAL_NODES = 2000;
const MAX_LIST = 1000;
const MAX_TEXT = 2000;

const isText = (v: unknown): v is string => typeof v === 'string' && v.length <= MAX_TEXT;
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isList = <T>(v: unknown, item: (x: unknown) => x is T): v is T[] =>
  Array.isArray(v) && v.length <= MAX_LIST && v.every(item);
const isCountView = (v: unknown): v is CountView => isRecord(v) && isText(v.name) && isCount(v.count);
const isArrow = (v: unknown): v is ArrowView => isRecord(v) && isText(v.from) && isText(v.to);
const isNullable = <T>(v: unknown, check: (x: unknown) => x is T) => v === null || check(v);

function isSlice(v: unknown): v is SliceView {
  if (!isRecord(v)) return false;
  return (
    isText(v.command) &&
    isList(v.issuedBy, isCountView) &&
    isCount(v.accepted) &&
    isCount(v.refused) &&
    isList(v.refusals, isCountView) &&
    isList(v.events, isCountView) &&
    isList(v.readModels, isText) &&
    isList(
      v.reactions,
      (r): r is SliceView['reactions'][number] =>
        isRecord(r) &&
        isText(r.reaction) &&
        isText(r.on) &&
        isList(
          r.commands,
          (c): c is SliceView['reactions'][number]['commands'][number] =>
            isRecord(c) && isText(c.type) && isCount(c.accepted) && isCount(c.refused),
        ),
    )
  );
}

function isComparison(v: unknown): v is ComparisonView {
  return (
    isRecord(v) &&
    isText(v.file) &&
    isList(v.unused, isArrow) &&
    isList(v.missing, isArrow) &&
    isCount(v.matched) &&
    isList(v.problems, isText)
  );
}

function isNode(v: unknown): v is CausalNodeView {
  return (
    isRecord(v) &&
    isText(v.id) &&
    (v.kind === 'command' || v.kind === 'event') &&
    isText(v.type) &&
    isNullable(v.streamId, isText) &&
    isNullable(v.position, isCount) &&
    (v.outcome === null || v.outcome === 'accepted' || v.outcome === 'rejected' || v.outcome === 'conflict') &&
    isNullable(v.reason, isText) &&
    isNullable(v.reaction, isText) &&
    typeof v.inferred === 'boolean' &&
    isCount(v.depth)
  );
}

/** The webview's check of what the host sends: anything malformed is dropped. */
export function parseHostToSystem(raw: unknown): HostToSystem | undefined {
  if (!isRecord(raw)) return undefined;
  if (raw.type === 'error') return isText(raw.message) ? { type: 'error', message: raw.message } : undefined;
  if (raw.type === 'model') {
    const m = raw.model;
    if (
      !isRecord(m) ||
      !isText(m.store) ||
      !Array.isArray(m.slices) ||
      m.slices.length > MAX_SLICES ||
      !m.slices.every(isSlice) ||
      !isRecord(m.totals) ||
      !isCount(m.totals.commands) ||
      !isCount(m.totals.refused) ||
      !isCount(m.totals.events) ||
      !isNullable(m.comparison, isComparison) ||
      typeof m.autoRefresh !== 'boolean'
    )
      return undefined;
    return { type: 'model', model: m as unknown as ModelView };
  }
  if (raw.type === 'causality') {
    const g = raw.graph;
    if (
      !isRecord(g) ||
      !isText(g.store) ||
      !isText(g.correlationId) ||
      !Array.isArray(g.nodes) ||
      g.nodes.length > MAX_CAUSAL_NODES ||
      !g.nodes.every(isNode) ||
      !isList(g.streams, isText) ||
      !isCount(g.refused) ||
      !isCount(g.omitted)
    )
      return undefined;
    return { type: 'causality', graph: g as unknown as CausalityView };
  }
  return undefined;
}

const hasOnly = (v: Record<string, unknown>, keys: readonly string[]) => Object.keys(v).every((k) => keys.includes(k));

/** The host's check of what the webview sends: anything else is dropped. */
export function parseSystemToHost(raw: unknown): SystemToHost | undefined {
  if (!isRecord(raw)) return undefined;
  switch (raw.type) {
    case 'ready':
    case 'refresh':
    case 'compare':
      return hasOnly(raw, ['type']) ? { type: raw.type } : undefined;
    case 'export':
      return (raw.format === 'mermaid' || raw.format === 'markdown') && hasOnly(raw, ['type', 'format'])
        ? { type: 'export', format: raw.format }
        : undefined;
    case 'openReplay':
      return isCount(raw.position) && hasOnly(raw, ['type', 'position'])
        ? { type: 'openReplay', position: raw.position }
        : undefined;
    default:
      return undefined;
  }
}
