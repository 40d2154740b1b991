import * as path from 'node:path';

export type DomainModuleErrorKind =
  'missing' | 'syntax' | 'load' | 'shape' | 'decide' | 'evolve' | 'event' | 'projection';

/** Something wrong with the workspace domain itself (not a rejected command). */
export class DomainModuleError extends Error {
  constructor(
    readonly kind: DomainModuleErrorKind,
    message: string,
    /** file:line:column in the module, when known. */
    readonly location?: string,
  ) {
    super(message);
    this.name = 'DomainModuleError';
  }
  static is(e: unknown): e is DomainModuleError {
    return e instanceof DomainModuleError;
  }
}

/** A failure at run time (a projection that throws on an event): reported, the store goes on. */
export interface DomainProblem {
  readonly at: string;
  readonly message: string;
  readonly location?: string;
}

/** `domain.js:12:7` from the first stack frame inside the module. */
export function locationIn(file: string, error: unknown): string | undefined {
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`${escaped}:(\\d+)(?::(\\d+))?`).exec(stack);
  return match ? `${path.basename(file)}:${match[1]}${match[2] ? `:${match[2]}` : ''}` : undefined;
}

/** A thrown value in one phrase: `TypeError: x is undefined`. */
export const describeError = (e: unknown): string =>
  e instanceof Error ? `${e.name}: ${e.message}` : `a thrown ${typeof e} ${JSON.stringify(e)}`;
