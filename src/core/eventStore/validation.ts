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
// Control characters in ids would make them unreadable in lists and logs; bidi controls and
// zero-width characters would make two ids look alike (or one look like another) without being equal.
const CONTROL_CHARS =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;
/** A UTF-16 surrogate without its pair: not a character; UTF-8 cannot store it, so two such ids would become one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

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
    throw new InvalidEventError(
      'A stream id may not contain control characters or line breaks (nor bidirectional controls or zero-width characters).',
    );
  }
  if (LONE_SURROGATE.test(streamId)) {
    throw new InvalidEventError('A stream id may not contain a lone UTF-16 surrogate (half of a character).');
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
      if (!Number.isFinite(value))
        throw new InvalidEventError(`${what} holds a number JSON cannot store (${String(value)}).`, index);
      return;
    case 'object': {
      if (value === null) return;
      if (depth >= MAX_JSON_DEPTH)
        throw new InvalidEventError(
          `${what} is nested more than ${MAX_JSON_DEPTH} levels deep, or refers to itself.`,
          index,
        );
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return; // e.g. a Date: serialized by its toJSON
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) assertJsonSafe(value[i], what, depth + 1, index);
        return;
      }
      for (const key in value) {
        if (Object.prototype.hasOwnProperty.call(value, key))
          assertJsonSafe((value as Record<string, unknown>)[key], what, depth + 1, index);
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
  if (
    typeof eventId !== 'string' ||
    eventId.length === 0 ||
    eventId.length > MAX_EVENT_ID_LENGTH ||
    CONTROL_CHARS.test(eventId) ||
    LONE_SURROGATE.test(eventId) ||
    eventId.trim() !== eventId
  ) {
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
export function validateNewEvent(
  event: NewEvent,
  index: number,
  customLabel?: string,
): { data: string; metadata: string } {
  const label = customLabel ?? `event #${index + 1}`;
  if (event === null || typeof event !== 'object')
    throw new InvalidEventError(`${capitalize(label)} is not an object.`, index);
  try {
    validateEventType(event.type);
  } catch (e) {
    throw new InvalidEventError(
      customLabel ? (e as Error).message : `${capitalize(label)}: ${(e as Error).message}`,
      index,
    );
  }
  if (event.eventId !== undefined) validateEventId(event.eventId, `The event id of ${label}`, index);
  const named = `${label} (${event.type})`;
  if (
    event.metadata !== undefined &&
    (event.metadata === null || typeof event.metadata !== 'object' || Array.isArray(event.metadata))
  ) {
    throw new InvalidEventError(`The metadata of ${named} must be a JSON object.`, index);
  }
  const data = toJson(event.data === undefined ? {} : event.data, `The data of ${named}`, index);
  const metadata = toJson(event.metadata ?? {}, `The metadata of ${named}`, index);
  if (
    (data.length + metadata.length) * 3 > MAX_EVENT_BYTES &&
    Buffer.byteLength(data) + Buffer.byteLength(metadata) > MAX_EVENT_BYTES
  ) {
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

/** True when JSON text nests arrays and objects deeper than `max` (a linear scan: no parse, no recursion). */
export function jsonDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** An event as stored or journaled: its data and metadata are JSON text already. */
export interface SerializedEvent {
  readonly streamId: unknown;
  readonly streamVersion: unknown;
  readonly eventId: unknown;
  readonly type: unknown;
  readonly data: unknown;
  readonly metadata: unknown;
  readonly recordedAt: unknown;
}

/**
 * Checks an event read from a file (the journal, or a store's rows) by the same rules as an append:
 * ids, type, JSON that parses, metadata an object, nesting and size limits, a recording time.
 * Throws InvalidEventError with one sentence.
 */
export function validateSerializedEvent(e: SerializedEvent): void {
  validateStreamId(e.streamId);
  validateEventId(e.eventId);
  validateEventType(e.type);
  if (!Number.isSafeInteger(e.streamVersion) || (e.streamVersion as number) < 1) {
    throw new InvalidEventError(`The stream version ${String(e.streamVersion)} is not a whole number >= 1.`);
  }
  if (typeof e.data !== 'string' || typeof e.metadata !== 'string')
    throw new InvalidEventError('Its data and metadata must be JSON text.');
  if (
    (e.data.length + e.metadata.length) * 3 > MAX_EVENT_BYTES &&
    Buffer.byteLength(e.data) + Buffer.byteLength(e.metadata) > MAX_EVENT_BYTES
  ) {
    throw new InvalidEventError(`It holds more than ${MAX_EVENT_BYTES} bytes of data and metadata.`);
  }
  for (const [what, text] of [
    ['data', e.data],
    ['metadata', e.metadata],
  ] as const) {
    if (jsonDeeperThan(text, MAX_JSON_DEPTH))
      throw new InvalidEventError(`Its ${what} is nested more than ${MAX_JSON_DEPTH} levels deep.`);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new InvalidEventError(`Its ${what} is not valid JSON.`);
    }
    if (what === 'metadata' && (value === null || typeof value !== 'object' || Array.isArray(value)))
      throw new InvalidEventError('Its metadata is not a JSON object.');
  }
  if (typeof e.recordedAt !== 'string' || Number.isNaN(Date.parse(e.recordedAt)))
    throw new InvalidEventError('It has no valid recording time.');
}
