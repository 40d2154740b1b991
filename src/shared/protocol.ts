// Messages between the extension host and the replay webview. Both sides validate what they
// receive: the webview's messages are untrusted input to the host, and vice versa.

import { isRecord } from './json';

export type ChangeKind = 'added' | 'removed' | 'changed';

export interface ChangeView {
  readonly path: readonly string[];
  readonly kind: ChangeKind;
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface EventView {
  readonly globalPosition: number;
  readonly streamId: string;
  readonly streamVersion: number;
  readonly eventId: string;
  readonly type: string;
  readonly recordedAt: string;
  readonly data: unknown;
  readonly metadata: unknown;
  readonly correlationId: string | null;
  readonly causationId: string | null;
}

export interface StreamStateView {
  readonly streamId: string;
  readonly aggregate: string | null;
  readonly version: number;
  readonly before: unknown;
  readonly after: unknown;
  readonly changes: readonly ChangeView[];
}

export interface ReadModelView {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly state: unknown;
  readonly handled: boolean;
  readonly changes: readonly ChangeView[];
}

export interface StepView {
  readonly position: number;
  readonly total: number;
  /** Events in view applied so far, and events in view (N / M). */
  readonly index: number;
  readonly count: number;
  readonly event: EventView | null;
  readonly skipped: boolean;
  readonly stream: StreamStateView | null;
  readonly readModels: readonly ReadModelView[];
  readonly explanation: string;
  /** Positions skipped in what-if mode (empty: the real history). */
  readonly whatIf: readonly number[];
  readonly filter: FilterView;
  readonly rejections: readonly RejectionView[];
  /** Refused commands in the whole log: when it changes, timeline rows are read again. */
  readonly refusedTotal: number;
}

export interface FilterView {
  readonly streamId?: string;
  readonly eventType?: string;
  readonly text?: string;
  readonly correlationId?: string;
  readonly causationId?: string;
}

export interface RowView {
  readonly position: number;
  readonly type: string;
  readonly streamId: string;
  readonly streamVersion: number;
  readonly recordedAt: string;
  readonly skipped: boolean;
  readonly rejected: number;
}

/** A command the write model refused at this position: it appended nothing. */
export interface RejectionView {
  readonly type: string;
  readonly outcome: 'rejected' | 'conflict';
  readonly reason: string;
  readonly at: string;
  readonly data: unknown;
}

export type Move = 'first' | 'prev' | 'next' | 'last';
export type ExportFormat = 'ndjson' | 'test';

export type HostToWebview =
  | { readonly type: 'step'; readonly step: StepView }
  | { readonly type: 'rows'; readonly offset: number; readonly rows: readonly RowView[]; readonly count: number }
  | { readonly type: 'config'; readonly playIntervalMs: number; readonly storeLabel: string; readonly canBranch: boolean }
  | { readonly type: 'error'; readonly message: string };

export type WebviewToHost =
  | { readonly type: 'ready' }
  | { readonly type: 'seek'; readonly position: number }
  | { readonly type: 'seekIndex'; readonly index: number }
  | { readonly type: 'move'; readonly to: Move }
  | { readonly type: 'rows'; readonly offset: number; readonly limit: number }
  | { readonly type: 'filter'; readonly filter: FilterView }
  | { readonly type: 'skip'; readonly position: number; readonly skipped: boolean }
  | { readonly type: 'clearSkips' }
  | { readonly type: 'export'; readonly format: ExportFormat }
  | { readonly type: 'branch' };

export const MAX_POSITION = Number.MAX_SAFE_INTEGER;
export const MAX_ROWS_PER_REQUEST = 500;
export const MAX_FILTER_LENGTH = 200;

const isPosition = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_POSITION;
const hasOnly = (o: Record<string, unknown>, keys: readonly string[]) => Object.keys(o).every((k) => keys.includes(k));
const FILTER_KEYS = ['streamId', 'eventType', 'text', 'correlationId', 'causationId'] as const;

function parseFilter(v: unknown): FilterView | undefined {
  if (!isRecord(v) || !hasOnly(v, FILTER_KEYS)) return undefined;
  const out: Record<string, string> = {};
  for (const k of FILTER_KEYS) {
    const value = v[k];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length > MAX_FILTER_LENGTH) return undefined;
    out[k] = value;
  }
  return out;
}

/** Accepts only the messages the host understands, with every field checked; anything else is dropped. */
export function parseWebviewMessage(raw: unknown): WebviewToHost | undefined {
  if (!isRecord(raw) || typeof raw.type !== 'string') return undefined;
  switch (raw.type) {
    case 'ready':
    case 'clearSkips':
    case 'branch':
      return hasOnly(raw, ['type']) ? { type: raw.type } : undefined;
    case 'seek':
      return isPosition(raw.position) && hasOnly(raw, ['type', 'position']) ? { type: 'seek', position: raw.position } : undefined;
    case 'seekIndex':
      return isPosition(raw.index) && hasOnly(raw, ['type', 'index']) ? { type: 'seekIndex', index: raw.index } : undefined;
    case 'move':
      return (raw.to === 'first' || raw.to === 'prev' || raw.to === 'next' || raw.to === 'last') && hasOnly(raw, ['type', 'to']) ? { type: 'move', to: raw.to } : undefined;
    case 'rows':
      return isPosition(raw.offset) && isPosition(raw.limit) && raw.limit <= MAX_ROWS_PER_REQUEST && hasOnly(raw, ['type', 'offset', 'limit'])
        ? { type: 'rows', offset: raw.offset, limit: raw.limit }
        : undefined;
    case 'filter': {
      const filter = parseFilter(raw.filter);
      return filter && hasOnly(raw, ['type', 'filter']) ? { type: 'filter', filter } : undefined;
    }
    case 'skip':
      return isPosition(raw.position) && typeof raw.skipped === 'boolean' && hasOnly(raw, ['type', 'position', 'skipped'])
        ? { type: 'skip', position: raw.position, skipped: raw.skipped }
        : undefined;
    case 'export':
      return (raw.format === 'ndjson' || raw.format === 'test') && hasOnly(raw, ['type', 'format']) ? { type: 'export', format: raw.format } : undefined;
    default:
      return undefined;
  }
}

function isStepView(v: unknown): v is StepView {
  if (!isRecord(v) || !isPosition(v.position) || !isPosition(v.total) || v.position > v.total) return false;
  if (!isPosition(v.index) || !isPosition(v.count) || v.index > v.count) return false;
  if (typeof v.explanation !== 'string' || !Array.isArray(v.readModels) || !Array.isArray(v.whatIf) || typeof v.skipped !== 'boolean') return false;
  if (!parseFilter(v.filter) || !isPosition(v.refusedTotal)) return false;
  if (!Array.isArray(v.rejections) || !v.rejections.every((r) => isRecord(r) && typeof r.type === 'string' && typeof r.reason === 'string' && (r.outcome === 'rejected' || r.outcome === 'conflict'))) return false;
  if (v.event !== null && (!isRecord(v.event) || typeof v.event.type !== 'string' || typeof v.event.streamId !== 'string')) return false;
  return v.readModels.every((r) => isRecord(r) && typeof r.name === 'string' && typeof r.title === 'string' && Array.isArray(r.changes));
}

function isRowView(v: unknown): v is RowView {
  return isRecord(v) && isPosition(v.position) && typeof v.type === 'string' && typeof v.streamId === 'string' && isPosition(v.streamVersion) && typeof v.recordedAt === 'string' && typeof v.skipped === 'boolean' && isPosition(v.rejected);
}

/** The webview's check of what the host sends. */
export function parseHostMessage(raw: unknown): HostToWebview | undefined {
  if (!isRecord(raw) || typeof raw.type !== 'string') return undefined;
  switch (raw.type) {
    case 'step':
      return isStepView(raw.step) ? { type: 'step', step: raw.step } : undefined;
    case 'rows':
      return isPosition(raw.offset) && isPosition(raw.count) && Array.isArray(raw.rows) && raw.rows.length <= MAX_ROWS_PER_REQUEST && raw.rows.every(isRowView)
        ? { type: 'rows', offset: raw.offset, rows: raw.rows, count: raw.count }
        : undefined;
    case 'config':
      return typeof raw.playIntervalMs === 'number' && raw.playIntervalMs >= 50 && typeof raw.storeLabel === 'string' && typeof raw.canBranch === 'boolean'
        ? { type: 'config', playIntervalMs: raw.playIntervalMs, storeLabel: raw.storeLabel, canBranch: raw.canBranch }
        : undefined;
    case 'error':
      return typeof raw.message === 'string' ? { type: 'error', message: raw.message } : undefined;
    default:
      return undefined;
  }
}
