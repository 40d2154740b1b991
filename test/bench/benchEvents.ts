import { newUuidV7 } from '../../src/core/eventStore/ids';
import type { ImportEvent } from '../../src/core/eventStore/types';

/** One bench event as both sides store it: the same id, stream, version, type, data and metadata. */
export interface BenchEvent extends ImportEvent {
  readonly eventId: string;
  readonly streamVersion: number;
}

/**
 * A deterministic history of user events spread over `total / 20` streams (about 20 events each),
 * shaped like the extension's own events: UserCreated, then UserRenamed, with command metadata.
 */
export function benchEvent(i: number, total: number): BenchEvent {
  const streams = Math.max(1, Math.floor(total / 20));
  const user = i % streams;
  const version = Math.floor(i / streams) + 1;
  const created = version === 1;
  return {
    streamId: `user-${user}`,
    streamVersion: version,
    eventId: newUuidV7(),
    type: created ? 'UserCreated' : 'UserRenamed',
    data: created
      ? { userId: `u${user}`, name: `User number ${user}` }
      : { userId: `u${user}`, oldName: `Name ${version - 1}`, name: `Name ${version}` },
    metadata: { correlationId: `c-${i}`, causationId: `c-${i}`, commandType: created ? 'CreateUser' : 'RenameUser' },
  };
}

export function benchEvents(from: number, count: number, total: number): BenchEvent[] {
  return Array.from({ length: count }, (_, k) => benchEvent(from + k, total));
}
