// Messages between the extension host and the statistics webview, checked on both sides.
import { isRecord } from './json';

export interface CountAtView {
  readonly start: string;
  readonly count: number;
}
export interface NamedCountView {
  readonly name: string;
  readonly count: number;
}
export interface CategoryView {
  readonly name: string;
  readonly events: number;
  readonly streams: number;
}
export interface LargeEventView {
  readonly position: number;
  readonly streamId: string;
  readonly type: string;
  readonly bytes: number;
}

/** The statistics as the webview shows them (the core's StoreStatistics, field for field). */
export interface StatisticsView {
  readonly events: number;
  readonly streams: number;
  readonly firstRecordedAt: string | null;
  readonly lastRecordedAt: string | null;
  readonly overTime: { readonly bucket: 'minute' | 'hour' | 'day' | 'month'; readonly points: readonly CountAtView[] };
  readonly undated: number;
  readonly byType: readonly NamedCountView[];
  readonly byCategory: readonly CategoryView[];
  readonly longestStreams: readonly NamedCountView[];
  readonly largestEvents: readonly LargeEventView[];
  readonly recent: { readonly until: string; readonly perMinute: readonly CountAtView[] };
}

export type StatsHostToWebview =
  | { readonly type: 'statistics'; readonly storeLabel: string; readonly stats: StatisticsView; readonly ms: number }
  | { readonly type: 'progress'; readonly done: number; readonly total: number }
  | { readonly type: 'error'; readonly message: string };

export type StatsWebviewToHost =
  { readonly type: 'ready' } | { readonly type: 'refresh' } | { readonly type: 'openEvent'; readonly position: number };

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isText = (v: unknown): v is string => typeof v === 'string';
const hasOnly = (o: Record<string, unknown>, keys: readonly string[]) => Object.keys(o).every((k) => keys.includes(k));
const listOf = <T>(v: unknown, item: (x: unknown) => x is T, max = 10_000): v is T[] =>
  Array.isArray(v) && v.length <= max && v.every(item);
const isCountAt = (v: unknown): v is CountAtView => isRecord(v) && isText(v.start) && isCount(v.count);
const isNamed = (v: unknown): v is NamedCountView => isRecord(v) && isText(v.name) && isCount(v.count);
const isCategory = (v: unknown): v is CategoryView =>
  isRecord(v) && isText(v.name) && isCount(v.events) && isCount(v.streams);
const isLarge = (v: unknown): v is LargeEventView =>
  isRecord(v) && isCount(v.position) && isText(v.streamId) && isText(v.type) && isCount(v.bytes);
const BUCKETS = ['minute', 'hour', 'day', 'month'];

function isStatistics(v: unknown): v is StatisticsView {
  return (
    isRecord(v) &&
    isCount(v.events) &&
    isCount(v.streams) &&
    isCount(v.undated) &&
    (v.firstRecordedAt === null || isText(v.firstRecordedAt)) &&
    (v.lastRecordedAt === null || isText(v.lastRecordedAt)) &&
    isRecord(v.overTime) &&
    BUCKETS.includes(v.overTime.bucket as string) &&
    listOf(v.overTime.points, isCountAt, 200) &&
    listOf(v.byType, isNamed) &&
    listOf(v.byCategory, isCategory) &&
    listOf(v.longestStreams, isNamed, 100) &&
    listOf(v.largestEvents, isLarge, 100) &&
    isRecord(v.recent) &&
    isText(v.recent.until) &&
    listOf(v.recent.perMinute, isCountAt, 60)
  );
}

/** The webview's check of what the host sends. */
export function parseStatsHostMessage(raw: unknown): StatsHostToWebview | undefined {
  if (!isRecord(raw)) return undefined;
  switch (raw.type) {
    case 'statistics':
      return isText(raw.storeLabel) && isStatistics(raw.stats) && typeof raw.ms === 'number'
        ? { type: 'statistics', storeLabel: raw.storeLabel, stats: raw.stats, ms: raw.ms }
        : undefined;
    case 'progress':
      return isCount(raw.done) && isCount(raw.total)
        ? { type: 'progress', done: raw.done, total: raw.total }
        : undefined;
    case 'error':
      return isText(raw.message) ? { type: 'error', message: raw.message } : undefined;
    default:
      return undefined;
  }
}

/** The host's check of what the webview sends: only these three, with every field checked. */
export function parseStatsWebviewMessage(raw: unknown): StatsWebviewToHost | undefined {
  if (!isRecord(raw)) return undefined;
  if ((raw.type === 'ready' || raw.type === 'refresh') && hasOnly(raw, ['type'])) return { type: raw.type };
  if (raw.type === 'openEvent' && isCount(raw.position) && raw.position >= 1 && hasOnly(raw, ['type', 'position']))
    return { type: 'openEvent', position: raw.position };
  return undefined;
}
