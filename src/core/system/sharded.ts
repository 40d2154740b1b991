/**
 * A Map or Set that grows to millions of keys (one per event or command of a large store) without
 * holding the event loop: a single Map rehashes all its entries at once when it doubles (about 50-65
 * ms at a million string keys here), so the keys are spread over SHARDS smaller ones, each of which
 * rehashes a few thousand at a time.
 */
const SHARDS = 256;

/** A shard from the last characters of the key: ids (UUIDs, counters) vary most at their end. */
function shardOf(key: string): number {
  const n = key.length;
  let h = n;
  for (let i = Math.max(0, n - 4); i < n; i++) h = (h * 31 + key.charCodeAt(i)) | 0;
  return h & (SHARDS - 1);
}

export class ShardedMap<V> {
  private readonly shards: (Map<string, V> | undefined)[] = new Array<Map<string, V> | undefined>(SHARDS);
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: string): V | undefined {
    return this.shards[shardOf(key)]?.get(key);
  }

  has(key: string): boolean {
    return this.shards[shardOf(key)]?.has(key) ?? false;
  }

  set(key: string, value: V): this {
    const i = shardOf(key);
    const shard = (this.shards[i] ??= new Map());
    const before = shard.size;
    shard.set(key, value);
    this.count += shard.size - before;
    return this;
  }
}

export class ShardedSet {
  private readonly shards: (Set<string> | undefined)[] = new Array<Set<string> | undefined>(SHARDS);
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(key: string): boolean {
    return this.shards[shardOf(key)]?.has(key) ?? false;
  }

  add(key: string): this {
    const shard = (this.shards[shardOf(key)] ??= new Set());
    const before = shard.size;
    shard.add(key);
    this.count += shard.size - before;
    return this;
  }
}
