/** Filters longer than this are refused: a person types a pattern, not a document. */
export const MAX_PATTERN_LENGTH = 200;

/** The category of a stream: its id before the first `-` (`cart-42` is in `cart`), the whole id without one. */
export function categoryOf(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash === -1 ? streamId : streamId.slice(0, dash);
}

/**
 * A stream filter as a person types it:
 * - `category:cart` — every stream of the category `cart` (exact);
 * - `user-*`, `cart-?2` — a wildcard pattern over the whole id (`*` any run, `?` one character), any case;
 * - anything else — the ids containing the text, any case (results while typing the first letters);
 * - empty — every stream.
 */
export interface StreamPattern {
  readonly kind: 'all' | 'category' | 'wildcard' | 'text';
  /** The filter as typed, trimmed. */
  readonly source: string;
  /** For `category`: the category name. */
  readonly category?: string;
  test(streamId: string): boolean;
}

export class StreamPatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StreamPatternError';
  }

  static is(e: unknown): e is StreamPatternError {
    return e instanceof Error && e.name === 'StreamPatternError';
  }
}

const escapeRegExp = (s: string) => s.replace(/[.+^${}()|[\]\\*?]/g, '\\$&');

export function parseStreamPattern(input: string): StreamPattern {
  const source = input.trim();
  if (source.length > MAX_PATTERN_LENGTH)
    throw new StreamPatternError(
      `A stream filter has at most ${MAX_PATTERN_LENGTH} characters; this one has ${source.length}.`,
    );
  if (source === '' || source === '*') return { kind: 'all', source, test: () => true };
  const category = /^category:(.*)$/i.exec(source);
  if (category) {
    const name = category[1]!.trim();
    if (name === '') throw new StreamPatternError('"category:" needs a category name, e.g. category:cart.');
    return { kind: 'category', source, category: name, test: (id) => categoryOf(id) === name };
  }
  if (/[*?]/.test(source)) {
    // One code point per `?` (the `u` flag), newlines included (`s`): ids are any text.
    const body = [...source].map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : escapeRegExp(ch))).join('');
    const re = new RegExp(`^${body}$`, 'isu');
    return { kind: 'wildcard', source, test: (id) => re.test(id) };
  }
  const lower = source.toLowerCase();
  return { kind: 'text', source, test: (id) => id.toLowerCase().includes(lower) };
}
