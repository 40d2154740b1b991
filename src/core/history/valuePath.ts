import { isRecord } from '../../shared/json';

/** A path into a JSON state, key by key: `users.ada.name` is ["users", "ada", "name"]. */
export type ValuePath = readonly string[];

/** Where a path leads nowhere (a key that is not there): distinct from a stored `null`. */
export const MISSING: unique symbol = Symbol('missing');

export class ValuePathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValuePathError';
  }
  static is(e: unknown): e is ValuePathError {
    return e instanceof ValuePathError;
  }
}

/**
 * Reads `users.ada.name`, `carts["cart-1"].items[0]` or `eventsByType.UserCreated`: keys between
 * dots, array indexes and keys holding dots or brackets in brackets (quoted as JSON strings).
 */
export function parseValuePath(text: string): string[] {
  const source = text.trim();
  if (source.length === 0) throw new ValuePathError('The path is empty: give one like users.ada.name.');
  const keys: string[] = [];
  let i = 0;
  while (i < source.length) {
    if (source[i] === '[') {
      const close = source[i + 1] === '"' ? closingQuote(source, i + 1) + 1 : source.indexOf(']', i);
      if (close <= i || source[close] !== ']')
        throw new ValuePathError(`The path ${JSON.stringify(text)} has a "[" without its "]".`);
      const inner = source.slice(i + 1, close);
      if (inner.startsWith('"')) keys.push(JSON.parse(inner) as string);
      else if (/^\d+$/.test(inner)) keys.push(inner);
      else throw new ValuePathError(`In ${JSON.stringify(text)}, [${inner}] is neither an index nor a quoted key.`);
      i = close + 1;
      if (source[i] === '.') i++;
      continue;
    }
    let end = i;
    while (end < source.length && source[end] !== '.' && source[end] !== '[') end++;
    const key = source.slice(i, end);
    if (key.length === 0) throw new ValuePathError(`The path ${JSON.stringify(text)} has an empty key.`);
    keys.push(key);
    i = end;
    if (source[i] === '.') {
      i++;
      if (i === source.length) throw new ValuePathError(`The path ${JSON.stringify(text)} ends with a dot.`);
    }
  }
  return keys;
}

function closingQuote(source: string, open: number): number {
  for (let i = open + 1; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === '"') return i;
  }
  return -1;
}

/** The path written back, dots where they read plainly and brackets elsewhere. */
export function formatValuePath(path: ValuePath): string {
  let out = '';
  for (const key of path) {
    if (/^\d+$/.test(key)) out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(key)) out += out.length ? `.${key}` : key;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

/** The value at `path`, or MISSING. Only own keys and array indexes are followed. */
export function valueAt(state: unknown, path: ValuePath): unknown {
  let value: unknown = state;
  for (const key of path) {
    if (Array.isArray(value)) {
      const index = /^\d+$/.test(key) ? Number(key) : -1;
      if (index < 0 || index >= value.length) return MISSING;
      value = value[index];
    } else if (isRecord(value)) {
      if (!Object.prototype.hasOwnProperty.call(value, key)) return MISSING;
      value = value[key];
    } else return MISSING;
  }
  return value === undefined ? MISSING : value;
}

/** Two JSON values equal in content: objects whatever their key order, arrays in order. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let count = 0;
  for (const key in ra) {
    if (ra[key] === undefined) continue;
    count++;
    if (!Object.prototype.hasOwnProperty.call(rb, key) || !jsonEqual(ra[key], rb[key])) return false;
  }
  for (const key in rb) if (rb[key] !== undefined) count--;
  return count === 0;
}

/**
 * Every value a person may ask the history of: the leaves of the state and the objects above them,
 * in order, at most `limit` (a read model of a million users is not listed whole).
 */
export function valuePaths(state: unknown, limit = 2000): { path: string[]; value: unknown }[] {
  const out: { path: string[]; value: unknown }[] = [];
  const walk = (value: unknown, path: string[]): void => {
    if (out.length >= limit) return;
    if (path.length > 0) out.push({ path, value });
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, String(i)]));
    else if (isRecord(value)) for (const key in value) walk(value[key], [...path, key]);
  };
  walk(state, []);
  return out;
}
