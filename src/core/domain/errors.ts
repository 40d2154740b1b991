/** A command the domain refuses. `reason` is shown to the user as is; nothing is appended. */
export abstract class DomainError extends Error {
  abstract readonly kind: 'validation' | 'illegal-state';
  static is(e: unknown): e is DomainError {
    return e instanceof DomainError;
  }
}

/** The command itself is malformed: an empty name, a missing id. */
export class ValidationError extends DomainError {
  readonly kind = 'validation';
  constructor(message: string) {
    super(message);
    this.name = 'ValidationError';
  }
}

/** The command is well formed but the current state forbids it: the user already exists, is deactivated, ... */
export class IllegalStateError extends DomainError {
  readonly kind = 'illegal-state';
  constructor(message: string) {
    super(message);
    this.name = 'IllegalStateError';
  }
}
