import { isRecord } from '../../shared/json';

export type ChangeKind = 'added' | 'removed' | 'changed';

export interface Change {
  /** Where, as a path of keys: ["users", "ada", "name"]. */
  readonly path: readonly string[];
  readonly kind: ChangeKind;
  readonly before?: unknown;
  readonly after?: unknown;
}

/** What changed between two JSON values: added, removed and changed keys, with their paths. */
export function diffJson(before: unknown, after: unknown, limit = 500): Change[] {
  const changes: Change[] = [];
  // One shared path stack; a copy is made only for a change that is recorded.
  const path: string[] = [];
  const record = (kind: ChangeKind, a: unknown, b: unknown) => {
    if (kind === 'added') changes.push({ path: [...path], kind, after: b });
    else if (kind === 'removed') changes.push({ path: [...path], kind, before: a });
    else changes.push({ path: [...path], kind, before: a, after: b });
  };
  const walk = (a: unknown, b: unknown): void => {
    if (changes.length >= limit || a === b) return;
    if (isRecord(a) && isRecord(b)) {
      for (const key in a) {
        path.push(key);
        if (!(key in b)) record('removed', a[key], undefined);
        else walk(a[key], b[key]);
        path.pop();
      }
      for (const key in b) {
        if (key in a) continue;
        path.push(key);
        record('added', undefined, b[key]);
        path.pop();
      }
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      const n = Math.max(a.length, b.length);
      for (let i = 0; i < n; i++) {
        path.push(String(i));
        if (i >= a.length) record('added', undefined, b[i]);
        else if (i >= b.length) record('removed', a[i], undefined);
        else walk(a[i], b[i]);
        path.pop();
      }
      return;
    }
    if (a === undefined) record('added', a, b);
    else if (b === undefined) record('removed', a, b);
    else record('changed', a, b);
  };
  walk(before, after);
  return changes;
}

/** A deep copy of a JSON value; several times faster than structuredClone on many small objects. */

/**
 * A bounded copy of a JSON value for display: objects and arrays keep their first `maxEntries`
 * entries, strings their first `maxString` characters; what was cut is said, never silently dropped.
 */
export function previewJson(value: unknown, maxEntries = 200, maxString = 2000, depth = 0): unknown {
  if (depth > 12) return '…';
  if (typeof value === 'string')
    return value.length > maxString
      ? `${value.slice(0, maxString)}… (${value.length - maxString} more characters)`
      : value;
  if (Array.isArray(value)) {
    const items = value.slice(0, maxEntries).map((v) => previewJson(v, maxEntries, maxString, depth + 1));
    if (value.length > maxEntries) items.push(`… ${value.length - maxEntries} more items`);
    return items;
  }
  if (isRecord(value)) {
    // Only the entries shown are visited: a read model with a million keys costs no more than one with 200.
    const out: Record<string, unknown> = {};
    let shown = 0;
    for (const k in value) {
      if (shown === maxEntries) {
        out['…'] = `${Object.keys(value).length - maxEntries} more entries`;
        break;
      }
      out[k] = previewJson(value[k], maxEntries, maxString, depth + 1);
      shown++;
    }
    return out;
  }
  return value;
}
