import { cloneJson, isRecord } from '../../shared/json';
import type { SliceClock } from '../eventStore/slicedRead';
import { diffJson } from '../replay/diff';
import { jsonEqual } from './valuePath';

/** Up to this many nodes (objects, arrays, values) a value is handled in one piece: it costs microseconds. */
const SMALL = 256;

/** More than SMALL nodes in it (counting stops there). */
function isLarge(value: unknown): boolean {
  let budget = SMALL;
  const count = (v: unknown): boolean => {
    if (--budget < 0) return true;
    if (Array.isArray(v)) {
      for (const item of v) if (count(item)) return true;
    } else if (isRecord(v)) {
      for (const key in v) if (count(v[key])) return true;
    }
    return false;
  };
  return count(value);
}

/**
 * jsonEqual, a piece at a time: a read model of 50,000 users takes about 100 ms to compare, too
 * long to hold the event loop. Large objects and arrays are walked entry by entry with the clock's
 * pauses between pieces; small ones are compared in one go. The answer is jsonEqual's.
 */
export async function jsonEqualInSlices(a: unknown, b: unknown, clock: SliceClock): Promise<boolean> {
  if (a === b) return true;
  if (!isLarge(a) && !isLarge(b)) return jsonEqual(a, b);
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      if (!(await jsonEqualInSlices(a[i], b[i], clock))) return false;
      const pause = clock.tick();
      if (pause) await pause;
    }
    return true;
  }
  if (!isRecord(a) || !isRecord(b)) return jsonEqual(a, b);
  let count = 0;
  for (const key in a) {
    if (a[key] === undefined) continue;
    count++;
    if (!Object.prototype.hasOwnProperty.call(b, key) || !(await jsonEqualInSlices(a[key], b[key], clock)))
      return false;
    const pause = clock.tick();
    if (pause) await pause;
  }
  for (const key in b) if (b[key] !== undefined) count--;
  return count === 0;
}

/**
 * True when diffJson(a, b) finds no change, a piece at a time as jsonEqualInSlices: the same rules
 * as diffJson (a key present on one side only is a change, whatever its value).
 */
export async function noDiffInSlices(a: unknown, b: unknown, clock: SliceClock): Promise<boolean> {
  if (a === b) return true;
  if (!isLarge(a) && !isLarge(b)) return diffJson(a, b, 1).length === 0;
  if (isRecord(a) && isRecord(b)) {
    for (const key in a) {
      if (!(key in b) || !(await noDiffInSlices(a[key], b[key], clock))) return false;
      const pause = clock.tick();
      if (pause) await pause;
    }
    for (const key in b) if (!(key in a)) return false;
    return true;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      if (!(await noDiffInSlices(a[i], b[i], clock))) return false;
      const pause = clock.tick();
      if (pause) await pause;
    }
    return true;
  }
  return false;
}

/** cloneJson, a piece at a time as jsonEqualInSlices. */
export async function cloneJsonInSlices<T>(value: T, clock: SliceClock): Promise<T> {
  if (!isLarge(value)) return cloneJson(value);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) {
      out.push(await cloneJsonInSlices(item, clock));
      const pause = clock.tick();
      if (pause) await pause;
    }
    return out as T;
  }
  const record = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key in record) {
    out[key] = await cloneJsonInSlices(record[key], clock);
    const pause = clock.tick();
    if (pause) await pause;
  }
  return out as T;
}
