import type { LockHolder } from './lock';
import type { ExpectedVersion } from './types';

/** Base of the store's typed errors; `code` is stable, messages are for people. */
export abstract class EventStoreError extends Error {
  abstract readonly code: string;
}

export class ConcurrencyError extends EventStoreError {
  readonly code = 'concurrency';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(
      `Stream "${streamId}" is at version ${actual}, but version ${expected === 'no-stream' ? '0 (no stream)' : String(expected)} was expected: someone else changed it first.`,
    );
    this.name = 'ConcurrencyError';
  }
  static is(e: unknown): e is ConcurrencyError {
    return e instanceof ConcurrencyError;
  }
}

/** Input the store refuses: bad stream ids, types, JSON or sizes. Nothing is written. */
export class InvalidEventError extends EventStoreError {
  readonly code = 'invalid-input';
  constructor(
    message: string,
    /** Which event of a batch (0-based) is at fault, when the error is about one. */
    readonly eventIndex?: number,
  ) {
    super(message);
    this.name = 'InvalidEventError';
  }
  static is(e: unknown): e is InvalidEventError {
    return e instanceof InvalidEventError;
  }
}

/** The store file cannot be used: corrupt, truncated, not SQLite, or not a store of ours. */
export class StoreUnreadableError extends EventStoreError {
  readonly code = 'unreadable';
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`The event store file ${file} cannot be opened: ${reason}; it was left untouched.`);
    this.name = 'StoreUnreadableError';
  }
  static is(e: unknown): e is StoreUnreadableError {
    return e instanceof StoreUnreadableError;
  }
}

/** Another process holds the write lock for longer than we were willing to wait. */
export class StoreLockedError extends EventStoreError {
  readonly code = 'locked';
  constructor(
    readonly file: string,
    /** Who holds the lock, in words: process, host and since when. */
    readonly holder: string,
    readonly holderInfo?: LockHolder,
  ) {
    super(`The event store ${file} is locked by ${holder}; try again when it is done.`);
    this.name = 'StoreLockedError';
  }
  static is(e: unknown): e is StoreLockedError {
    return e instanceof StoreLockedError;
  }
}

/** A write was attempted on a store opened read-only. */
export class ReadOnlyStoreError extends EventStoreError {
  readonly code = 'read-only';
  constructor(reason: string) {
    super(`The event store is read-only: ${reason}.`);
    this.name = 'ReadOnlyStoreError';
  }
  static is(e: unknown): e is ReadOnlyStoreError {
    return e instanceof ReadOnlyStoreError;
  }
}

/**
 * A stored event that cannot be read as an event (data that is not JSON, a column of the wrong type):
 * found where it is read, in a store whose rows were not checked on open (a read-only open).
 */
export class UnsoundEventError extends EventStoreError {
  readonly code = 'unsound-event';
  constructor(
    readonly globalPosition: number,
    readonly reason: string,
  ) {
    super(
      `The stored event at position ${globalPosition} cannot be read: ${reason}; run "event-store verify" for every finding.`,
    );
    this.name = 'UnsoundEventError';
  }
  static is(e: unknown): e is UnsoundEventError {
    return e instanceof UnsoundEventError;
  }
}
