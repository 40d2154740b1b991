export type ChangeKind = 'added' | 'removed' | 'changed';

export interface Change {
  /** Where, as a path of keys: ["users", "ada", "name"]. */
  readonly path: readonly string[];
  readonly kind: ChangeKind;
  readonly before?: unknown;
  readonly after?: unknown;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** What changed between two JSON values: added, removed and changed keys, deepest first reported. */
export function diffJson(before: unknown, after: unknown, limit = 500): Change[] {
  const changes: Change[] = [];
  const walk = (a: unknown, b: unknown, path: string[]): void => {
    if (changes.length >= limit) return;
    if (isRecord(a) && isRecord(b)) {
      for (const key of Object.keys(a)) {
        if (!(key in b)) changes.push({ path: [...path, key], kind: 'removed', before: a[key] });
        else walk(a[key], b[key], [...path, key]);
      }
      for (const key of Object.keys(b)) if (!(key in a)) changes.push({ path: [...path, key], kind: 'added', after: b[key] });
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      const n = Math.max(a.length, b.length);
      for (let i = 0; i < n; i++) {
        if (i >= a.length) changes.push({ path: [...path, String(i)], kind: 'added', after: b[i] });
        else if (i >= b.length) changes.push({ path: [...path, String(i)], kind: 'removed', before: a[i] });
        else walk(a[i], b[i], [...path, String(i)]);
      }
      return;
    }
    if (a === b) return;
    if (a === undefined) changes.push({ path, kind: 'added', after: b });
    else if (b === undefined) changes.push({ path, kind: 'removed', before: a });
    else changes.push({ path, kind: 'changed', before: a, after: b });
  };
  walk(before, after, []);
  return changes;
}

/**
 * A bounded copy of a JSON value for display: objects and arrays keep their first `maxEntries`
 * entries, strings their first `maxString` characters; what was cut is said, never silently dropped.
 */
export function previewJson(value: unknown, maxEntries = 200, maxString = 2000, depth = 0): unknown {
  if (depth > 12) return '…';
  if (typeof value === 'string') return value.length > maxString ? `${value.slice(0, maxString)}… (${value.length - maxString} more characters)` : value;
  if (Array.isArray(value)) {
    const items = value.slice(0, maxEntries).map((v) => previewJson(v, maxEntries, maxString, depth + 1));
    if (value.length > maxEntries) items.push(`… ${value.length - maxEntries} more items`);
    return items;
  }
  if (isRecord(value)) {
    const entries = Object.entries(value);
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries.slice(0, maxEntries)) out[k] = previewJson(v, maxEntries, maxString, depth + 1);
    if (entries.length > maxEntries) out['…'] = `${entries.length - maxEntries} more entries`;
    return out;
  }
  return value;
}
