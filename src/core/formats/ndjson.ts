import { InvalidEventError } from '../eventStore/errors';
import type { EventMetadata, RecordedEvent } from '../eventStore/types';

/** The keys of an exported event (see eventLine in eventStore/exportNdjson.ts), read back by an import that keeps positions. */
const FIELDS = [
  'globalPosition',
  'streamId',
  'streamVersion',
  'eventId',
  'type',
  'data',
  'metadata',
  'recordedAt',
] as const;

/**
 * Parses one NDJSON line into an object with only the `fields` given; anything else throws the
 * error `fail` makes of one sentence naming the line. Shared by the imports of both NDJSON shapes.
 */
export function parseObjectLine(
  line: string,
  lineNo: number,
  fields: readonly string[],
  fail: (message: string) => Error,
): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (e) {
    throw fail(`Line ${lineNo} is not valid JSON: ${(e as Error).message}.`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw fail(`Line ${lineNo} is not a JSON object.`);
  const o = parsed as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!fields.includes(key))
      throw fail(`Line ${lineNo} has an unknown field "${key}" (expected ${fields.join(', ')}).`);
  }
  return o;
}

/** Reads one exported line back into an event; throws one sentence naming the line when it does not fit. */
export function fromExportLine(line: string, lineNo: number): RecordedEvent {
  const o = parseObjectLine(line, lineNo, FIELDS, (message) => new InvalidEventError(message));
  const whole = (k: string) => typeof o[k] === 'number' && Number.isSafeInteger(o[k]) && (o[k] as number) > 0;
  if (!whole('globalPosition'))
    throw new InvalidEventError(`Line ${lineNo}: globalPosition must be a whole number > 0.`);
  if (!whole('streamVersion')) throw new InvalidEventError(`Line ${lineNo}: streamVersion must be a whole number > 0.`);
  for (const k of ['streamId', 'eventId', 'type', 'recordedAt']) {
    if (typeof o[k] !== 'string' || (k !== 'recordedAt' && (o[k] as string).length === 0))
      throw new InvalidEventError(`Line ${lineNo}: ${k} must be a non-empty string.`);
  }
  if (!('data' in o)) throw new InvalidEventError(`Line ${lineNo} has no "data".`);
  const metadata = o.metadata ?? {};
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata))
    throw new InvalidEventError(`Line ${lineNo}: metadata must be a JSON object.`);
  return {
    globalPosition: o.globalPosition as number,
    streamId: o.streamId as string,
    streamVersion: o.streamVersion as number,
    eventId: o.eventId as string,
    type: o.type as string,
    data: o.data,
    metadata: metadata as EventMetadata,
    recordedAt: o.recordedAt as string,
  };
}
