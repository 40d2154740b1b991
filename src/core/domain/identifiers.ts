import { ValidationError } from './errors';

/** The rule for ids inside stream names (user-<id>, cart-<id>, products): the schemas and the deciders share it. */
export const ID_PATTERN = '[A-Za-z0-9][A-Za-z0-9_-]{0,63}';
export const ID_HINT = '1-64 letters, digits, "-" or "_"';
const ID = new RegExp(`^${ID_PATTERN}$`);

/** Checks an id and returns it; `what` names it in the reason, e.g. "user id". */
export function validateId(value: unknown, what: string): string {
  if (typeof value !== 'string' || !ID.test(value)) {
    throw new ValidationError(`The ${what} ${JSON.stringify(value)} is not valid: use ${ID_HINT}.`);
  }
  return value;
}
