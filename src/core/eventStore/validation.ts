import { InvalidEventError } from './errors';
import type { NewEvent } from './types';

/** Largest serialized data + metadata of one event. Large blobs belong elsewhere, referenced by id. */
export const MAX_EVENT_BYTES = 1024 * 1024;
export const MAX_STREAM_ID_LENGTH = 200;
export const MAX_EVENTS_PER_APPEND = 10_000;

const TYPE_PATTERN = /^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/;
// Control characters in ids would make them unreadable in lists and logs.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export function validateStreamId(streamId: unknown): asserts streamId is string {
  if (typeof streamId !== 'string' || streamId.length === 0) {
    throw new InvalidEventError('A stream id must be a non-empty string.');
  }
  if (streamId.trim() !== streamId) {
    throw new InvalidEventError(`The stream id "${streamId}" starts or ends with white space.`);
  }
  if (streamId.length > MAX_STREAM_ID_LENGTH) {
    throw new InvalidEventError(`A stream id is at most ${MAX_STREAM_ID_LENGTH} characters; got ${streamId.length}.`);
  }
  if (CONTROL_CHARS.test(streamId)) {
    throw new InvalidEventError('A stream id may not contain control characters or line breaks.');
  }
}

export function validateEventType(type: unknown): asserts type is string {
  if (typeof type !== 'string' || !TYPE_PATTERN.test(type)) {
    throw new InvalidEventError(
      `The event type ${JSON.stringify(type)} is not valid: it must start with a letter and use only letters, digits, "_", ".", ":" or "-" (at most 128 characters).`,
    );
  }
}

/** Serializes a JSON value, refusing what JSON cannot round-trip (undefined, functions, NaN, cycles). */
export function toJson(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) throw new InvalidEventError(`${what} holds a number JSON cannot store (${String(v)}).`);
      if (typeof v === 'bigint' || typeof v === 'function' || typeof v === 'symbol') {
        throw new InvalidEventError(`${what} holds a ${typeof v}, which JSON cannot store.`);
      }
      return v;
    });
  } catch (e) {
    if (InvalidEventError.is(e)) throw e;
    throw new InvalidEventError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
  if (text === undefined) throw new InvalidEventError(`${what} is missing or not a JSON value.`);
  return text;
}

export function validateNewEvent(event: NewEvent, index: number): { data: string; metadata: string } {
  if (event === null || typeof event !== 'object') throw new InvalidEventError(`Event #${index + 1} is not an object.`);
  validateEventType(event.type);
  if (event.eventId !== undefined && (typeof event.eventId !== 'string' || event.eventId.length === 0 || event.eventId.length > 200 || CONTROL_CHARS.test(event.eventId))) {
    throw new InvalidEventError(`Event #${index + 1} has an invalid event id: it must be a non-empty string of at most 200 printable characters.`);
  }
  if (event.metadata !== undefined && (event.metadata === null || typeof event.metadata !== 'object' || Array.isArray(event.metadata))) {
    throw new InvalidEventError(`The metadata of event #${index + 1} (${event.type}) must be a JSON object.`);
  }
  const data = toJson(event.data === undefined ? {} : event.data, `The data of event #${index + 1} (${event.type})`);
  const metadata = toJson(event.metadata ?? {}, `The metadata of event #${index + 1} (${event.type})`);
  const bytes = Buffer.byteLength(data) + Buffer.byteLength(metadata);
  if (bytes > MAX_EVENT_BYTES) {
    throw new InvalidEventError(
      `Event #${index + 1} (${event.type}) is ${(bytes / 1024).toFixed(0)} KiB; the limit is ${MAX_EVENT_BYTES / 1024} KiB of data and metadata per event.`,
    );
  }
  return { data, metadata };
}
