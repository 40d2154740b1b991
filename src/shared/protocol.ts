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
  /** Absent when `same`: the state is the one sent with the previous step (the webview keeps it). */
  readonly state?: unknown;
  /** The state shown is unchanged since the last step sent: it is not sent again. */
  readonly same?: boolean;
  readonly handled: boolean;
  readonly changes: readonly ChangeView[];
  /** The read model threw on the event at `position` (at or before this step): it shows the state before it. */
  readonly fault?: FaultView;
  /** While comparing with the previous version of the domain module: its state here, and how it differs from this one. */
  readonly previous?: { readonly state: unknown; readonly differences: readonly ChangeView[] };
}

export interface FaultView {
  readonly position: number;
  readonly eventType: string;
  readonly streamId: string;
  readonly error: string;
}

/** Whose value's history the person asks for: a read model or the write-model state of a stream. */
export type HistoryTarget = { readonly readModel: string } | { readonly streamId: string };

/**
 * Where the time of one answer went on the host side, in milliseconds, and when it left (wall clock,
 * `performance.timeOrigin + performance.now()`, comparable across the processes of one machine).
 */
export interface StepTiming {
  /** The request this step answers (requests coalesced on the way are answered by the latest). */
  readonly seq: number;
  readonly receivedAt: number;
  /** From receiving the request to the step view ready: waiting in the queue, the engine, the bounded copies. */
  readonly hostMs: number;
  /** JSON serialization of the step, as the message channel does it, and its size. */
  readonly serializeMs: number;
  readonly bytes: number;
  readonly sentAt: number;
  /** The extension host's longest event-loop delay since the panel opened, when it is measured. */
  readonly loopDelayMaxMs?: number;
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
  /** The reaction that issued it, when one did. */
  readonly reaction?: string;
}

/** A stream whose id matches a search, and where its first event is. */
export interface StreamHitView {
  readonly streamId: string;
  readonly version: number;
  readonly firstPosition: number;
}

/** An event a search found, with a few words of its data around the match. */
export interface SearchHitView {
  readonly position: number;
  readonly streamId: string;
  readonly streamVersion: number;
  readonly type: string;
  readonly recordedAt: string;
  readonly snippet: string;
}

export interface SearchResultsView {
  /** The search request these answer: an older answer is dropped by the webview. */
  readonly seq: number;
  readonly streams: readonly StreamHitView[];
  readonly hits: readonly SearchHitView[];
  readonly more: boolean;
  /** Why the query could not be run (one sentence), e.g. a pattern too long. */
  readonly problem?: string;
}

export type Move = 'first' | 'prev' | 'next' | 'last';
export type ExportFormat = 'ndjson' | 'test';

export type HostToWebview =
  | { readonly type: 'step'; readonly step: StepView; readonly timing?: StepTiming }
  | { readonly type: 'rows'; readonly offset: number; readonly rows: readonly RowView[]; readonly count: number }
  | {
      readonly type: 'config';
      readonly playIntervalMs: number;
      readonly storeLabel: string;
      readonly canBranch: boolean;
      readonly measure?: boolean;
    }
  | { readonly type: 'pong'; readonly seq: number }
  | ({ readonly type: 'searchResults' } & SearchResultsView)
  | { readonly type: 'searchProgress'; readonly seq: number; readonly indexed: number; readonly total: number }
  | { readonly type: 'error'; readonly message: string };

/** Where a replay stands, as the webview saves it across window reloads. */
export interface ReplayPlace {
  readonly position: number;
  readonly filter: FilterView;
  readonly whatIf: readonly number[];
}

/**
 * Requests answered by a step carry `seq` (increasing), echoed in the step's timing: the webview
 * knows which of its requests are still on the way, and what a click cost.
 */
export type WebviewToHost =
  | { readonly type: 'ready' }
  | { readonly type: 'seek'; readonly position: number; readonly seq?: number }
  | { readonly type: 'seekIndex'; readonly index: number; readonly seq?: number }
  | { readonly type: 'move'; readonly to: Move; readonly count?: number; readonly seq?: number }
  | { readonly type: 'rows'; readonly offset: number; readonly limit: number }
  | { readonly type: 'filter'; readonly filter: FilterView; readonly seq?: number }
  | { readonly type: 'skip'; readonly position: number; readonly skipped: boolean; readonly seq?: number }
  | { readonly type: 'clearSkips'; readonly seq?: number }
  | { readonly type: 'export'; readonly format: ExportFormat }
  /** A bare round trip through the message channel: the baseline the bench sets a step's figures against. */
  | { readonly type: 'ping'; readonly seq: number }
  /** Finds streams and events as the person types; answered by `searchResults` with the same seq. */
  | { readonly type: 'search'; readonly query: string; readonly seq: number }
  | { readonly type: 'branch' }
  /** "Show History of This Value" on a read model or the stream's state shown at this step. */
  | { readonly type: 'history'; readonly target: HistoryTarget }
  /** Stop showing the previous version of the domain module beside this one. */
  | { readonly type: 'endComparison' };

export const MAX_POSITION = Number.MAX_SAFE_INTEGER;
export const MAX_ROWS_PER_REQUEST = 500;
export const MAX_FILTER_LENGTH = 200;
/** A held key sends one move for all the presses made while the previous answer was on its way. */
export const MAX_MOVE_COUNT = 10_000;
/** At most this many skipped positions are restored with a place (the replay's own limit). */
export const MAX_PLACE_SKIPS = 1000;
/** A step message above this size is sent again with smaller previews. */
export const MAX_STEP_BYTES = 512 * 1024;

const isPosition = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_POSITION;
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

const isSeq = (v: unknown): boolean => v === undefined || isPosition(v);
const withSeq = (message: WebviewToHost, seq: unknown): WebviewToHost =>
  seq === undefined ? message : ({ ...message, seq } as WebviewToHost);

/** A saved place: a position, a filter and skipped positions; anything else is no place. */
export function parsePlace(v: unknown): ReplayPlace | undefined {
  // The webview keeps its own settings beside the place (onlyChanges): the host reads past them.
  if (!isRecord(v) || !hasOnly(v, ['position', 'filter', 'whatIf', 'onlyChanges']) || !isPosition(v.position))
    return undefined;
  const filter = v.filter === undefined ? {} : parseFilter(v.filter);
  const whatIf = v.whatIf === undefined ? [] : v.whatIf;
  if (!filter || !Array.isArray(whatIf) || whatIf.length > MAX_PLACE_SKIPS || !whatIf.every(isPosition))
    return undefined;
  return { position: v.position, filter, whatIf: whatIf as number[] };
}

/** Accepts only the messages the host understands, with every field checked; anything else is dropped. */
export function parseWebviewMessage(raw: unknown): WebviewToHost | undefined {
  if (!isRecord(raw) || typeof raw.type !== 'string' || !isSeq(raw.seq)) return undefined;
  switch (raw.type) {
    case 'ready':
    case 'branch':
    case 'endComparison':
      return hasOnly(raw, ['type']) ? { type: raw.type } : undefined;
    case 'clearSkips':
      return hasOnly(raw, ['type', 'seq']) ? withSeq({ type: 'clearSkips' }, raw.seq) : undefined;
    case 'seek':
      return isPosition(raw.position) && hasOnly(raw, ['type', 'position', 'seq'])
        ? withSeq({ type: 'seek', position: raw.position }, raw.seq)
        : undefined;
    case 'seekIndex':
      return isPosition(raw.index) && hasOnly(raw, ['type', 'index', 'seq'])
        ? withSeq({ type: 'seekIndex', index: raw.index }, raw.seq)
        : undefined;
    case 'move': {
      const count = raw.count ?? 1;
      if (
        !(raw.to === 'first' || raw.to === 'prev' || raw.to === 'next' || raw.to === 'last') ||
        !hasOnly(raw, ['type', 'to', 'count', 'seq'])
      )
        return undefined;
      if (!isPosition(count) || count < 1 || count > MAX_MOVE_COUNT) return undefined;
      return withSeq(count === 1 ? { type: 'move', to: raw.to } : { type: 'move', to: raw.to, count }, raw.seq);
    }
    case 'rows':
      return isPosition(raw.offset) &&
        isPosition(raw.limit) &&
        raw.limit <= MAX_ROWS_PER_REQUEST &&
        hasOnly(raw, ['type', 'offset', 'limit'])
        ? { type: 'rows', offset: raw.offset, limit: raw.limit }
        : undefined;
    case 'filter': {
      const filter = parseFilter(raw.filter);
      return filter && hasOnly(raw, ['type', 'filter', 'seq'])
        ? withSeq({ type: 'filter', filter }, raw.seq)
        : undefined;
    }
    case 'skip':
      return isPosition(raw.position) &&
        typeof raw.skipped === 'boolean' &&
        hasOnly(raw, ['type', 'position', 'skipped', 'seq'])
        ? withSeq({ type: 'skip', position: raw.position, skipped: raw.skipped }, raw.seq)
        : undefined;
    case 'export':
      return (raw.format === 'ndjson' || raw.format === 'test') && hasOnly(raw, ['type', 'format'])
        ? { type: 'export', format: raw.format }
        : undefined;
    case 'ping':
      return isPosition(raw.seq) && hasOnly(raw, ['type', 'seq']) ? { type: 'ping', seq: raw.seq } : undefined;
    case 'search':
      return isPosition(raw.seq) &&
        typeof raw.query === 'string' &&
        raw.query.length <= MAX_FILTER_LENGTH &&
        hasOnly(raw, ['type', 'query', 'seq'])
        ? { type: 'search', query: raw.query, seq: raw.seq }
        : undefined;
    case 'history': {
      const t = raw.target;
      if (!hasOnly(raw, ['type', 'target']) || !isRecord(t)) return undefined;
      const name = (v: unknown): v is string =>
        typeof v === 'string' && v.length > 0 && v.length <= MAX_FILTER_LENGTH * 5;
      if (hasOnly(t, ['readModel']) && name(t.readModel))
        return { type: 'history', target: { readModel: t.readModel } };
      if (hasOnly(t, ['streamId']) && name(t.streamId)) return { type: 'history', target: { streamId: t.streamId } };
      return undefined;
    }
    default:
      return undefined;
  }
}

const isStreamHit = (v: unknown): v is StreamHitView =>
  isRecord(v) && typeof v.streamId === 'string' && isPosition(v.version) && isPosition(v.firstPosition);
const isSearchHit = (v: unknown): v is SearchHitView =>
  isRecord(v) &&
  isPosition(v.position) &&
  typeof v.streamId === 'string' &&
  isPosition(v.streamVersion) &&
  typeof v.type === 'string' &&
  typeof v.recordedAt === 'string' &&
  typeof v.snippet === 'string';

function isStepView(v: unknown): v is StepView {
  if (!isRecord(v) || !isPosition(v.position) || !isPosition(v.total) || v.position > v.total) return false;
  if (!isPosition(v.index) || !isPosition(v.count) || v.index > v.count) return false;
  if (
    typeof v.explanation !== 'string' ||
    !Array.isArray(v.readModels) ||
    !Array.isArray(v.whatIf) ||
    typeof v.skipped !== 'boolean'
  )
    return false;
  if (!parseFilter(v.filter) || !isPosition(v.refusedTotal)) return false;
  if (
    !Array.isArray(v.rejections) ||
    !v.rejections.every(
      (r) =>
        isRecord(r) &&
        typeof r.type === 'string' &&
        typeof r.reason === 'string' &&
        (r.reaction === undefined || typeof r.reaction === 'string') &&
        (r.outcome === 'rejected' || r.outcome === 'conflict'),
    )
  )
    return false;
  if (
    v.event !== null &&
    (!isRecord(v.event) || typeof v.event.type !== 'string' || typeof v.event.streamId !== 'string')
  )
    return false;
  return v.readModels.every(
    (r) =>
      isRecord(r) &&
      typeof r.name === 'string' &&
      typeof r.title === 'string' &&
      Array.isArray(r.changes) &&
      (r.same === undefined || r.same === true) &&
      (r.previous === undefined || (isRecord(r.previous) && Array.isArray(r.previous.differences))) &&
      (r.fault === undefined ||
        (isRecord(r.fault) &&
          isPosition(r.fault.position) &&
          typeof r.fault.eventType === 'string' &&
          typeof r.fault.streamId === 'string' &&
          typeof r.fault.error === 'string')),
  );
}

const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

function isTiming(v: unknown): v is StepTiming {
  return (
    isRecord(v) &&
    isPosition(v.seq) &&
    isTime(v.receivedAt) &&
    isTime(v.hostMs) &&
    isTime(v.serializeMs) &&
    isPosition(v.bytes) &&
    isTime(v.sentAt) &&
    (v.loopDelayMaxMs === undefined || isTime(v.loopDelayMaxMs))
  );
}

function isRowView(v: unknown): v is RowView {
  return (
    isRecord(v) &&
    isPosition(v.position) &&
    typeof v.type === 'string' &&
    typeof v.streamId === 'string' &&
    isPosition(v.streamVersion) &&
    typeof v.recordedAt === 'string' &&
    typeof v.skipped === 'boolean' &&
    isPosition(v.rejected)
  );
}

/** The webview's check of what the host sends. */
export function parseHostMessage(raw: unknown): HostToWebview | undefined {
  if (!isRecord(raw) || typeof raw.type !== 'string') return undefined;
  switch (raw.type) {
    case 'step':
      if (!isStepView(raw.step)) return undefined;
      if (raw.timing === undefined) return { type: 'step', step: raw.step };
      return isTiming(raw.timing) ? { type: 'step', step: raw.step, timing: raw.timing } : undefined;
    case 'rows':
      return isPosition(raw.offset) &&
        isPosition(raw.count) &&
        Array.isArray(raw.rows) &&
        raw.rows.length <= MAX_ROWS_PER_REQUEST &&
        raw.rows.every(isRowView)
        ? { type: 'rows', offset: raw.offset, rows: raw.rows, count: raw.count }
        : undefined;
    case 'config':
      return typeof raw.playIntervalMs === 'number' &&
        raw.playIntervalMs >= 50 &&
        typeof raw.storeLabel === 'string' &&
        typeof raw.canBranch === 'boolean' &&
        (raw.measure === undefined || typeof raw.measure === 'boolean')
        ? {
            type: 'config',
            playIntervalMs: raw.playIntervalMs,
            storeLabel: raw.storeLabel,
            canBranch: raw.canBranch,
            ...(raw.measure ? { measure: true } : {}),
          }
        : undefined;
    case 'pong':
      return isPosition(raw.seq) ? { type: 'pong', seq: raw.seq } : undefined;
    case 'searchResults':
      return isPosition(raw.seq) &&
        Array.isArray(raw.streams) &&
        raw.streams.length <= 100 &&
        raw.streams.every(isStreamHit) &&
        Array.isArray(raw.hits) &&
        raw.hits.length <= MAX_ROWS_PER_REQUEST &&
        raw.hits.every(isSearchHit) &&
        typeof raw.more === 'boolean' &&
        (raw.problem === undefined || typeof raw.problem === 'string')
        ? {
            type: 'searchResults',
            seq: raw.seq,
            streams: raw.streams,
            hits: raw.hits,
            more: raw.more,
            ...(typeof raw.problem === 'string' ? { problem: raw.problem } : {}),
          }
        : undefined;
    case 'searchProgress':
      return isPosition(raw.seq) && isPosition(raw.indexed) && isPosition(raw.total)
        ? { type: 'searchProgress', seq: raw.seq, indexed: raw.indexed, total: raw.total }
        : undefined;
    case 'error':
      return typeof raw.message === 'string' ? { type: 'error', message: raw.message } : undefined;
    default:
      return undefined;
  }
}
