/**
 * The words of an event's data, as the full-text search sees them: every string, number and
 * boolean value (not the keys: a search for "name" should not find every event that has a name),
 * split into runs of letters and digits, lower-cased, accents removed — what SQLite's FTS4
 * `unicode61` tokenizer does, so the index and the scan agree.
 */
export function textOfData(data: unknown, out: string[] = [], depth = 0): string[] {
  if (typeof data === 'string') out.push(data);
  else if (typeof data === 'number' || typeof data === 'boolean') out.push(String(data));
  else if (data !== null && typeof data === 'object' && depth < 64) {
    for (const value of Array.isArray(data) ? data : Object.values(data)) textOfData(value, out, depth + 1);
  }
  return out;
}

const WORD = /[\p{L}\p{N}\p{Co}]+/gu;
const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

/** The words of a text, folded (lower case, no accents). */
export function wordsOf(text: string): string[] {
  return fold(text).match(WORD) ?? [];
}

/** At most this many words of a query are used. */
export const MAX_QUERY_WORDS = 16;

/** A query's words: each must start a word of the event's data (prefix match, so results come while typing). */
export function queryWords(query: string): string[] {
  return [...new Set(wordsOf(query))].slice(0, MAX_QUERY_WORDS);
}

/** The FTS4 MATCH expression for the query's words: every word as a prefix, all required. */
export function ftsMatch(words: readonly string[]): string {
  // Words hold only letters and digits, so nothing in them is FTS syntax.
  return words.map((w) => `${w}*`).join(' ');
}

/** True when every query word starts some word of the data (the scan's rule, the index's too). */
export function dataMatches(data: unknown, words: readonly string[]): boolean {
  if (words.length === 0) return true;
  const have = wordsOf(textOfData(data).join(' '));
  return words.every((w) => have.some((h) => h.startsWith(w)));
}

/** A short excerpt of the data around the first query word, for a result row. */
export function snippetOf(data: unknown, words: readonly string[], width = 80): string {
  const text = textOfData(data).join(' · ').normalize('NFC');
  const folded = fold(text);
  let at = -1;
  for (const w of words) {
    const re = new RegExp(`(^|[^\\p{L}\\p{N}])${w}`, 'u');
    const m = re.exec(folded);
    if (m) {
      at = m.index + m[1]!.length;
      break;
    }
  }
  // Folding keeps one character per base character for most text; when it does not, start at the beginning.
  if (at < 0 || folded.length !== text.length) at = 0;
  const start = Math.max(0, at - Math.floor(width / 4));
  const cut = text.slice(start, start + width);
  return `${start > 0 ? '…' : ''}${cut}${start + width < text.length ? '…' : ''}`;
}
