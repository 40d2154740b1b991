import { InvalidEventError } from './errors';
import type { NewEvent } from './types';

/** Largest serialized data + metadata of one event. Large blobs belong elsewhere, referenced by id. */
export const MAX_EVENT_BYTES = 1024 * 1024;
export const MAX_STREAM_ID_LENGTH = 200;
export const MAX_EVENTS_PER_APPEND = 10_000;
/** Largest serialized data + metadata of all the events of one append (or one import batch). */
export const MAX_APPEND_BYTES = 32 * 1024 * 1024;
export const MAX_EVENT_ID_LENGTH = 200;

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

/** Deeper nesting than this is refused: it is almost certainly a cycle or a mistake, and it would strain every reader. */
export const MAX_JSON_DEPTH = 256;

/**
 * Refuses what JSON cannot round-trip: non-finite numbers, bigints, functions, symbols, cycles.
 * (`undefined` object members are dropped, as JSON.stringify does.) A plain walk is several times
 * faster than a JSON.stringify replacer, which matters when importing many events.
 */
function assertJsonSafe(value: unknown, what: string, depth: number, index?: number): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new InvalidEventError(`${what} holds a number JSON cannot store (${String(value)}).`, index);
      return;
    case 'object': {
      if (value === null) return;
      if (depth >= MAX_JSON_DEPTH) throw new InvalidEventError(`${what} is nested more than ${MAX_JSON_DEPTH} levels deep, or refers to itself.`, index);
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return; // e.g. a Date: serialized by its toJSON
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) assertJsonSafe(value[i], what, depth + 1, index);
        return;
      }
      for (const key in value) {
        if (Object.prototype.hasOwnProperty.call(value, key)) assertJsonSafe((value as Record<string, unknown>)[key], what, depth + 1, index);
      }
      return;
    }
    default:
      throw new InvalidEventError(`${what} holds a ${typeof value}, which JSON cannot store.`, index);
  }
}

/** Serializes a JSON value, refusing what JSON cannot round-trip (NaN, Infinity, bigints, functions, cycles). */
export function toJson(value: unknown, what: string, index?: number): string {
  assertJsonSafe(value, what, 0, index);
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw new InvalidEventError(`${what} is not valid JSON: ${(e as Error).message}`, index);
  }
  if (text === undefined) throw new InvalidEventError(`${what} is missing or not a JSON value.`, index);
  return text;
}

export function validateEventId(eventId: unknown, what = 'The event id', index?: number): asserts eventId is string {
  if (typeof eventId !== 'string' || eventId.length === 0 || eventId.length > MAX_EVENT_ID_LENGTH || CONTROL_CHARS.test(eventId) || eventId.trim() !== eventId) {
    throw new InvalidEventError(
      `${what} is not valid: it must be a non-empty string of at most ${MAX_EVENT_ID_LENGTH} printable characters, without surrounding white space.`,
      index,
    );
  }
}

/**
 * Checks one event and serializes its data and metadata. `label` names it in messages
 * ("event #2 (UserCreated)"); an import names it by its line instead.
 */
export function validateNewEvent(event: NewEvent, index: number, customLabel?: string): { data: string; metadata: string } {
  const label = customLabel ?? `event #${index + 1}`;
  if (event === null || typeof event !== 'object') throw new InvalidEventError(`${capitalize(label)} is not an object.`, index);
  try {
    validateEventType(event.type);
  } catch (e) {
    throw new InvalidEventError(customLabel ? (e as Error).message : `${capitalize(label)}: ${(e as Error).message}`, index);
  }
  if (event.eventId !== undefined) validateEventId(event.eventId, `The event id of ${label}`, index);
  const named = `${label} (${event.type})`;
  if (event.metadata !== undefined && (event.metadata === null || typeof event.metadata !== 'object' || Array.isArray(event.metadata))) {
    throw new InvalidEventError(`The metadata of ${named} must be a JSON object.`, index);
  }
  const data = toJson(event.data === undefined ? {} : event.data, `The data of ${named}`, index);
  const metadata = toJson(event.metadata ?? {}, `The metadata of ${named}`, index);
  if ((data.length + metadata.length) * 3 > MAX_EVENT_BYTES && Buffer.byteLength(data) + Buffer.byteLength(metadata) > MAX_EVENT_BYTES) {
    const bytes = Buffer.byteLength(data) + Buffer.byteLength(metadata);
    throw new InvalidEventError(
      `${capitalize(named)} holds ${bytes} bytes of data and metadata; the limit is ${MAX_EVENT_BYTES} bytes (${MAX_EVENT_BYTES / (1024 * 1024)} MiB) per event.`,
      index,
    );
  }
  return { data, metadata };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
