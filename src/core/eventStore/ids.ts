import { randomFillSync } from 'node:crypto';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const pool = new Uint8Array(10 * 512);
let poolOffset = pool.length;
let lastMs = -1;
let counter = 0;

/**
 * A UUID version 7 (RFC 9562): 48 bits of Unix time in ms, a 12-bit counter (so ids made in the same
 * millisecond still sort in creation order), then 62 random bits. Ids that grow with time keep the
 * event-id index append-mostly, which makes inserts at scale much cheaper than random (v4) ids.
 */
export function newUuidV7(now: number = Date.now()): string {
  if (poolOffset + 10 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const r = poolOffset;
  poolOffset += 10;
  if (now > lastMs) {
    lastMs = now;
    counter = pool[r]! & 0x0f; // start low, leaving room to count up within the millisecond
  } else if (++counter > 0xfff) {
    lastMs += 1; // borrow the next millisecond rather than lose the order
    counter = 0;
  }
  const hi = Math.floor(lastMs / 0x10000);
  const lo = lastMs % 0x10000;
  return (
    HEX[(hi >>> 24) & 0xff]! +
    HEX[(hi >>> 16) & 0xff]! +
    HEX[(hi >>> 8) & 0xff]! +
    HEX[hi & 0xff]! +
    '-' +
    HEX[lo >>> 8]! +
    HEX[lo & 0xff]! +
    '-7' +
    HEX[counter >>> 8]!.slice(1) +
    HEX[counter & 0xff]! +
    '-' +
    HEX[(pool[r + 1]! & 0x3f) | 0x80]! +
    HEX[pool[r + 2]!]! +
    '-' +
    HEX[pool[r + 3]!]! +
    HEX[pool[r + 4]!]! +
    HEX[pool[r + 5]!]! +
    HEX[pool[r + 6]!]! +
    HEX[pool[r + 7]!]! +
    HEX[pool[r + 8]!]!
  );
}
