// Messages between the extension host and the replay webview. Both sides validate what they
// receive: the webview's messages are untrusted input to the host, and vice versa.

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
  readonly event: EventView | null;
  readonly stream: StreamStateView | null;
  readonly readModels: readonly ReadModelView[];
  readonly explanation: string;
}

export type HostToWebview =
  | { readonly type: 'step'; readonly step: StepView }
  | { readonly type: 'config'; readonly playIntervalMs: number; readonly storeLabel: string }
  | { readonly type: 'error'; readonly message: string };

export type WebviewToHost =
  | { readonly type: 'ready' }
  | { readonly type: 'seek'; readonly position: number };

/** The most positions a store may have (SQLite's integer range is larger; this bound keeps arithmetic exact). */
export const MAX_POSITION = Number.MAX_SAFE_INTEGER;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isPosition = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_POSITION;

/** Accepts only the messages the host understands; anything else is dropped by the caller. */
export function parseWebviewMessage(raw: unknown): WebviewToHost | undefined {
  if (!isObject(raw) || typeof raw.type !== 'string') return undefined;
  switch (raw.type) {
    case 'ready':
      return Object.keys(raw).length === 1 ? { type: 'ready' } : undefined;
    case 'seek':
      return isPosition(raw.position) && Object.keys(raw).length === 2 ? { type: 'seek', position: raw.position } : undefined;
    default:
      return undefined;
  }
}

function isStepView(v: unknown): v is StepView {
  if (!isObject(v) || !isPosition(v.position) || !isPosition(v.total) || v.position > v.total) return false;
  if (typeof v.explanation !== 'string' || !Array.isArray(v.readModels)) return false;
  if (v.event !== null && (!isObject(v.event) || typeof v.event.type !== 'string' || typeof v.event.streamId !== 'string')) return false;
  return v.readModels.every((r) => isObject(r) && typeof r.name === 'string' && typeof r.title === 'string' && Array.isArray(r.changes));
}

/** The webview's check of what the host sends. */
export function parseHostMessage(raw: unknown): HostToWebview | undefined {
  if (!isObject(raw) || typeof raw.type !== 'string') return undefined;
  switch (raw.type) {
    case 'step':
      return isStepView(raw.step) ? { type: 'step', step: raw.step } : undefined;
    case 'config':
      return typeof raw.playIntervalMs === 'number' && raw.playIntervalMs >= 50 && typeof raw.storeLabel === 'string'
        ? { type: 'config', playIntervalMs: raw.playIntervalMs, storeLabel: raw.storeLabel }
        : undefined;
    case 'error':
      return typeof raw.message === 'string' ? { type: 'error', message: raw.message } : undefined;
    default:
      return undefined;
  }
}
