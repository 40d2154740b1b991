import { InvalidEventError } from './core/eventStore/errors';
import { MAX_EVENT_BYTES } from './core/eventStore/validation';

/**
 * An import line longer than this cannot hold an event within the limits (data and metadata at most
 * MAX_EVENT_BYTES, plus ids, type and JSON escapes): it is refused as soon as that much of it has
 * arrived, instead of being buffered whole first.
 */
export const MAX_IMPORT_LINE_CHARS = 4 * MAX_EVENT_BYTES;

export function lineTooLong(lineNo: number): InvalidEventError {
  return new InvalidEventError(
    `Line ${lineNo} is longer than ${MAX_IMPORT_LINE_CHARS} characters, more than any event may hold; nothing from it was imported.`,
  );
}

/** Bytes of `chunk` before its first invalid UTF-8 sequence (found by halving: only on the error path). */
function validPrefix(chunk: Uint8Array): number {
  let lo = 0;
  let hi = chunk.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(chunk.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return lo;
}

/**
 * Decodes UTF-8 across chunks; bytes that are not UTF-8 are refused instead of replaced silently.
 * At the first bad byte it returns the complete lines before it, and `error` names the line holding
 * it, so that the caller imports those lines and then stops. `lineNo` is the line the chunk starts in.
 */
export class StrictUtf8 {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  error: InvalidEventError | undefined;

  constructor(private readonly lineNo: () => number) {}

  write(chunk: Uint8Array): string {
    return this.decode(chunk, true);
  }

  end(): string {
    return this.decode(undefined, false);
  }

  private decode(chunk: Uint8Array | undefined, stream: boolean): string {
    if (this.error) return '';
    try {
      return this.decoder.decode(chunk, { stream });
    } catch {
      const before = chunk ? chunk.subarray(0, validPrefix(chunk)) : new Uint8Array(0);
      const lastNewline = before.lastIndexOf(0x0a);
      const line = this.lineNo() + before.reduce((n, b) => n + (b === 0x0a ? 1 : 0), 0);
      this.error = new InvalidEventError(`Line ${line} is not valid UTF-8; nothing from it was imported.`);
      return new TextDecoder('utf-8').decode(before.subarray(0, lastNewline + 1));
    }
  }
}

/**
 * `export | head -1`: once the reader is gone, stop quietly (as command-line tools do) instead of
 * failing with a stack trace for EPIPE.
 */
export function quietOnClosedPipe(out: NodeJS.WriteStream): void {
  out.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}
