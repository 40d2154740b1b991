import type { RecordedEvent } from '../../src/core/eventStore/types';

let position = 0;

/** Builds recorded events with consecutive positions, for projection tests. */
export function recorded(
  streamId: string,
  streamVersion: number,
  type: string,
  data: unknown,
  at = '2026-01-01T00:00:00.000Z',
): RecordedEvent {
  position += 1;
  return {
    globalPosition: position,
    streamId,
    streamVersion,
    eventId: `e${position}`,
    type,
    data,
    metadata: {},
    recordedAt: at,
  };
}

export function resetPositions(): void {
  position = 0;
}
