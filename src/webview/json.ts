import type { ChangeView } from '../shared/protocol';
import { el } from './dom';

const formatScalar = (value: unknown): string => (value === undefined ? 'undefined' : JSON.stringify(value));
const pathKey = (path: readonly string[]) => JSON.stringify(path);

/**
 * Lines of unchanged subtrees from the previous rendering of the same value, keyed by path and content:
 * a step that renames one user of 200 builds that user's lines only and moves the others over.
 */
export type JsonLineCache = Map<string, readonly Element[]>;

/**
 * Renders a JSON value as indented lines (text nodes only); keys whose path changed carry a
 * marker (+, ~, −) and a class, and "only changes" keeps just the changed lines (with what an added
 * or changed entry holds) and their parents.
 */
export function renderJson(
  value: unknown,
  changes: readonly ChangeView[],
  showOnlyChanges: boolean,
  cache?: { previous: JsonLineCache; next: JsonLineCache },
  /** How a changed line names the other value: "was" for a step, "this version:" beside another version. */
  wasLabel = 'was',
): HTMLElement {
  const marks = new Map<string, ChangeView>();
  const onPath = new Set<string>();
  for (const c of changes) {
    marks.set(pathKey(c.path), c);
    for (let i = 0; i <= c.path.length; i++) onPath.add(pathKey(c.path.slice(0, i)));
  }
  const root = el('div', { class: 'json' });
  const line = (depth: number, key: string | null, text: string, change?: ChangeView) => {
    const row = el('div', { class: `line${change ? ` ${change.kind}` : ''}` });
    row.style.paddingLeft = `${depth * 1.2}em`;
    if (change)
      row.append(
        el(
          'span',
          { class: 'badge', title: change.kind, 'aria-label': change.kind },
          change.kind === 'added' ? '+' : change.kind === 'removed' ? '−' : '~',
        ),
      );
    if (key !== null) row.append(el('span', { class: 'key' }, key), ': ');
    row.append(el('span', { class: 'value' }, text));
    if (change?.kind === 'changed')
      row.append(el('span', { class: 'was' }, ` (${wasLabel} ${formatScalar(change.before)})`));
    root.append(row);
  };
  // `inChange`: under an added or changed entry, whose whole content is part of the change.
  const walk = (v: unknown, depth: number, path: string[], key: string | null, inChange = false) => {
    const k = pathKey(path);
    const change = marks.get(k);
    if (showOnlyChanges && !onPath.has(k) && !inChange) return;
    if (v !== null && typeof v === 'object') {
      // A subtree with no change under it renders as it did last time: reuse its lines.
      const cacheKey =
        cache && depth > 0 && !onPath.has(k) && !inChange
          ? `${k}\u0000${depth}\u0000${showOnlyChanges}\u0000${JSON.stringify(v)}`
          : undefined;
      const kept = cacheKey === undefined ? undefined : cache!.previous.get(cacheKey);
      if (cacheKey !== undefined && kept) {
        root.append(...kept);
        cache!.next.set(cacheKey, kept);
        return;
      }
      const first = root.childElementCount;
      walkObject(v as object, depth, path, key, change, inChange);
      if (cacheKey !== undefined) cache!.next.set(cacheKey, [...root.children].slice(first));
      return;
    }
    line(depth, key, formatScalar(v), change);
  };
  const walkObject = (
    v: object,
    depth: number,
    path: string[],
    key: string | null,
    change: ChangeView | undefined,
    inChange: boolean,
  ) => {
    const entries = Array.isArray(v)
      ? v.map((x, i) => [String(i), x] as const)
      : Object.entries(v as Record<string, unknown>);
    if (entries.length === 0) return line(depth, key, Array.isArray(v) ? '[]' : '{}', change);
    // In words rather than {4} / [3]: a count in brackets reads like a value.
    const n = entries.length;
    line(
      depth,
      key,
      Array.isArray(v) ? `list of ${n} item${n === 1 ? '' : 's'}` : `${n} field${n === 1 ? '' : 's'}`,
      change,
    );
    for (const [ck, cv] of entries) walk(cv, depth + 1, [...path, ck], ck, inChange || change !== undefined);
  };
  walk(value, 0, [], null);
  for (const c of changes)
    if (c.kind === 'removed') line(c.path.length, c.path[c.path.length - 1] ?? null, formatScalar(c.before), c);
  if (root.childElementCount === 0)
    root.append(el('div', { class: 'muted' }, showOnlyChanges ? 'No changes at this step.' : 'Empty.'));
  return root;
}
