import { ValidationError } from './errors';

/**
 * A small JSON-schema-like description of a command's data: a flat list of fields. Enough to ask
 * for each value in an input box, check it with a clear message per field, and show what a
 * command expects; deciders still check their own invariants.
 */
export type FieldType = 'string' | 'integer' | 'number' | 'boolean';

export interface FieldSchema {
  readonly name: string;
  readonly type: FieldType;
  /** What to ask for, e.g. "Quantity"; the name when absent. */
  readonly title?: string;
  readonly description?: string;
  /** Fields are required unless optional. A required string must not be blank. */
  readonly optional?: boolean;
  readonly minLength?: number;
  readonly maxLength?: number;
  /** A regular expression (source) the whole string must match. */
  readonly pattern?: string;
  /** What a value that fails `pattern` should look like, for the message, e.g. "letters, digits, - or _". */
  readonly patternHint?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  /** At most this many decimals (numbers), e.g. 2 for prices. */
  readonly decimals?: number;
  readonly enum?: readonly (string | number)[];
  /** This field names the aggregate instance (its stream): the palette offers the existing ones. */
  readonly id?: boolean;
  readonly examples?: readonly (string | number | boolean)[];
}

export interface CommandSchema {
  readonly type: string;
  /** One sentence: what the command asks the aggregate to do. */
  readonly description?: string;
  readonly fields: readonly FieldSchema[];
}

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

const FIELD_TYPES: readonly FieldType[] = ['string', 'integer', 'number', 'boolean'];

export const fieldTitle = (field: FieldSchema): string => field.title ?? field.name;

const isBlank = (value: unknown): boolean =>
  value === undefined || value === null || (typeof value === 'string' && value.trim() === '');

/** The problem with one value of a field, in a sentence that names the field; undefined when it is fine. */
export function checkField(field: FieldSchema, value: unknown): string | undefined {
  const label = fieldTitle(field);
  if (isBlank(value)) return field.optional ? undefined : `${label} is required.`;
  switch (field.type) {
    case 'string': {
      if (typeof value !== 'string') return `${label} must be text.`;
      const text = value.trim();
      if (field.minLength !== undefined && text.length < field.minLength)
        return `${label} needs at least ${field.minLength} characters.`;
      if (field.maxLength !== undefined && text.length > field.maxLength)
        return `${label} is at most ${field.maxLength} characters; this one has ${text.length}.`;
      // eslint-disable-next-line no-control-regex
      if (/[\u0000-\u001f\u007f]/.test(text)) return `${label} cannot contain control characters or line breaks.`;
      if (field.pattern !== undefined && !new RegExp(`^(?:${field.pattern})$`, 'u').test(text)) {
        return `${label} ${JSON.stringify(text)} is not valid${field.patternHint ? `: use ${field.patternHint}` : ''}.`;
      }
      break;
    }
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return `${label} must be a number.`;
      if (field.type === 'integer' && !Number.isInteger(value)) return `${label} must be a whole number.`;
      if (
        field.decimals !== undefined &&
        Math.abs(Math.round(value * 10 ** field.decimals) - value * 10 ** field.decimals) > 1e-6
      ) {
        return `${label} has at most ${field.decimals} decimals.`;
      }
      const range =
        field.minimum !== undefined && field.maximum !== undefined ? ` from ${field.minimum} to ${field.maximum}` : '';
      if (field.minimum !== undefined && value < field.minimum)
        return range ? `${label} must be${range}.` : `${label} must be at least ${field.minimum}.`;
      if (field.maximum !== undefined && value > field.maximum)
        return range ? `${label} must be${range}.` : `${label} must be at most ${field.maximum}.`;
      break;
    }
    case 'boolean':
      if (typeof value !== 'boolean') return `${label} must be true or false.`;
      break;
  }
  if (field.enum !== undefined && !field.enum.includes(typeof value === 'string' ? value.trim() : (value as number))) {
    return `${label} must be one of ${field.enum.map((v) => JSON.stringify(v)).join(', ')}.`;
  }
  return undefined;
}

/**
 * Turns what a person typed into the field's value (a number for numbers, true/false for booleans),
 * or explains why it cannot. Empty text is "no value" (undefined) for an optional field.
 */
export function parseFieldInput(field: FieldSchema, text: string): { value: unknown } | { error: string } {
  const trimmed = text.trim();
  let value: unknown = trimmed;
  if (trimmed === '') value = undefined;
  else if (field.type === 'integer' || field.type === 'number') {
    value = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(trimmed) ? Number(trimmed) : Number.NaN;
    if (Number.isNaN(value)) return { error: `${fieldTitle(field)} must be a number; "${trimmed}" is not.` };
  } else if (field.type === 'boolean') {
    if (/^(true|yes|y)$/i.test(trimmed)) value = true;
    else if (/^(false|no|n)$/i.test(trimmed)) value = false;
    else return { error: `${fieldTitle(field)} must be true or false.` };
  }
  const error = checkField(field, value);
  return error ? { error } : { value };
}

/** Every field problem of a command's data (unknown extra fields are left to the decider). */
export function checkCommandData(schema: CommandSchema, data: unknown): FieldError[] {
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    return [{ field: '', message: `The data of ${schema.type} must be a JSON object.` }];
  const record = data as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const field of schema.fields) {
    const message = checkField(field, record[field.name]);
    if (message) errors.push({ field: field.name, message });
  }
  return errors;
}

/** Throws a ValidationError that lists every field problem, one sentence each. */
export function assertCommandData(schema: CommandSchema, data: unknown): void {
  const errors = checkCommandData(schema, data);
  if (errors.length > 0)
    throw new ValidationError(`${schema.type} is not valid: ${errors.map((e) => e.message).join(' ')}`);
}

/** Checks a schema written by hand (a workspace domain): returns what is wrong with it. */
export function checkCommandSchema(schema: unknown, where: string): string[] {
  if (schema === null || typeof schema !== 'object') return [`${where} must be an object with "type" and "fields".`];
  const s = schema as Partial<CommandSchema>;
  const problems: string[] = [];
  if (typeof s.type !== 'string' || !/^[A-Za-z][A-Za-z0-9_.-]{0,99}$/.test(s.type))
    problems.push(`${where}.type must be a command name such as "BookRoom".`);
  if (!Array.isArray(s.fields)) return [...problems, `${where}.fields must be an array of fields.`];
  const names = new Set<string>();
  s.fields.forEach((f: Partial<FieldSchema> | null, i) => {
    const at = `${where}.fields[${i}]`;
    if (f === null || typeof f !== 'object') return void problems.push(`${at} must be an object.`);
    if (typeof f.name !== 'string' || f.name.length === 0) problems.push(`${at}.name must be a non-empty string.`);
    else if (names.has(f.name)) problems.push(`${at}.name "${f.name}" appears twice.`);
    else names.add(f.name);
    if (!FIELD_TYPES.includes(f.type as FieldType))
      problems.push(`${at}.type must be one of ${FIELD_TYPES.join(', ')}.`);
    if (f.pattern !== undefined) {
      try {
        new RegExp(f.pattern, 'u');
      } catch (e) {
        problems.push(`${at}.pattern is not a regular expression: ${(e as Error).message}`);
      }
    }
    if (f.enum !== undefined && !Array.isArray(f.enum)) problems.push(`${at}.enum must be an array.`);
  });
  return problems;
}

/** A line per field, for tooltips and messages: "quantity (whole number, 1–999)". */
export function describeField(field: FieldSchema): string {
  const parts: string[] = [field.type === 'integer' ? 'whole number' : field.type === 'string' ? 'text' : field.type];
  if (field.minimum !== undefined || field.maximum !== undefined)
    parts.push(`${field.minimum ?? '…'}–${field.maximum ?? '…'}`);
  if (field.maxLength !== undefined) parts.push(`≤ ${field.maxLength} characters`);
  if (field.enum) parts.push(`one of ${field.enum.join(', ')}`);
  if (field.optional) parts.push('optional');
  return `${field.name} (${parts.join(', ')})${field.description ? `: ${field.description}` : ''}`;
}
