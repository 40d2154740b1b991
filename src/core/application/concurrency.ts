import { aggregateForCommand, type AggregateDefinition } from '../domain/aggregates';
import { DomainError, ValidationError } from '../domain/errors';
import { ConcurrencyError } from '../eventStore/errors';
import type { EventStore } from '../eventStore/types';
import type { CommandEnvelope, CommandHandler, CommandResult } from './commandHandler';

/** What happened when two writers decided on the same version of a stream. */
export type ConcurrentUpdateOutcome =
  | {
      readonly kind: 'conflict';
      readonly streamId: string;
      /** The version both writers read and expected. */
      readonly expectedVersion: number;
      readonly winner: { readonly command: CommandEnvelope; readonly result: CommandResult };
      readonly loser: { readonly command: CommandEnvelope; readonly error: ConcurrencyError };
      readonly explanation: string;
    }
  | {
      /** No conflict after all: the first was rejected or appended nothing, or the second was rejected on what it read. */
      readonly kind: 'no-conflict';
      readonly streamId: string;
      readonly expectedVersion: number;
      readonly first: { readonly command: CommandEnvelope; readonly result?: CommandResult; readonly error?: Error };
      readonly second?: { readonly command: CommandEnvelope; readonly result?: CommandResult; readonly error?: Error };
      readonly explanation: string;
    };

const label = (command: CommandEnvelope): string => command.type;
const positions = (result: CommandResult): string =>
  result.events.map((e) => `${e.type} at position ${e.globalPosition} (version ${e.streamVersion})`).join(', ');

/** The stream a command goes to, or a ValidationError saying why it has none. */
export function streamOf(aggregates: readonly AggregateDefinition[], command: CommandEnvelope): string {
  const aggregate = aggregateForCommand(aggregates, command.type);
  if (!aggregate) throw new ValidationError(`Unknown command "${command.type}".`);
  return aggregate.streamId(command);
}

/**
 * Two writers read the same stream at the same version and decide; the first appends, the second
 * appends expecting the version it read and is refused with a ConcurrencyError, because the stream
 * moved on. No retry here: that is what the simulation shows. Both commands go to the command log.
 */
export async function simulateConcurrentUpdate(
  handler: CommandHandler,
  store: EventStore,
  aggregates: readonly AggregateDefinition[],
  first: CommandEnvelope,
  second: CommandEnvelope,
): Promise<ConcurrentUpdateOutcome> {
  const streamId = streamOf(aggregates, first);
  const other = streamOf(aggregates, second);
  if (other !== streamId)
    throw new ValidationError(
      `Both commands must change the same stream: ${label(first)} goes to ${streamId}, ${label(second)} to ${other}.`,
    );
  const expectedVersion = store.streamVersion(streamId);
  // Reactions stay off: the race is about one stream, and a reaction would write to others (stock).
  const options = { atVersion: expectedVersion, maxRetries: 0, reactions: false };

  let firstResult: CommandResult;
  try {
    firstResult = await handler.execute(first, options);
  } catch (e) {
    if (!DomainError.is(e)) throw e;
    return {
      kind: 'no-conflict',
      streamId,
      expectedVersion,
      first: { command: first, error: e },
      explanation: `${label(first)} was rejected (${e.message}), so it appended nothing and there was nothing to conflict with.`,
    };
  }
  if (firstResult.events.length === 0) {
    return {
      kind: 'no-conflict',
      streamId,
      expectedVersion,
      first: { command: first, result: firstResult },
      explanation: `${label(first)} decided no event, so the stream did not move.`,
    };
  }

  try {
    const secondResult = await handler.execute(second, options);
    return {
      kind: 'no-conflict',
      streamId,
      expectedVersion,
      first: { command: first, result: firstResult },
      second: { command: second, result: secondResult },
      explanation: `${label(second)} decided no event, so it had nothing to append and nothing to conflict.`,
    };
  } catch (e) {
    if (ConcurrencyError.is(e)) {
      return {
        kind: 'conflict',
        streamId,
        expectedVersion,
        winner: { command: first, result: firstResult },
        loser: { command: second, error: e },
        explanation: explainConflict(streamId, expectedVersion, first, firstResult, second, e),
      };
    }
    if (!DomainError.is(e)) throw e;
    return {
      kind: 'no-conflict',
      streamId,
      expectedVersion,
      first: { command: first, result: firstResult },
      second: { command: second, error: e },
      explanation: `${label(second)} was rejected on the version it read (${e.message}) before it tried to append.`,
    };
  }
}

export function explainConflict(
  streamId: string,
  expectedVersion: number,
  first: CommandEnvelope,
  won: CommandResult,
  second: CommandEnvelope,
  error: ConcurrencyError,
): string {
  return (
    `Both commands read ${streamId} at version ${expectedVersion}. ${label(first)} appended first: ${positions(won)}. ` +
    `${label(second)} then tried to append expecting version ${expectedVersion}, but the stream was at version ${error.actual}: ` +
    `the store refused it (ConcurrencyError), so nothing of it was appended. Its decision was taken on a state that no longer exists. ` +
    `Retrying re-reads the stream and decides again on the new state: it may succeed, or be rejected by a rule that now applies.`
  );
}

/** Retry after a conflict: read the stream again, fold, decide again, append with the new version. */
export function retryAfterConflict(handler: CommandHandler, command: CommandEnvelope): Promise<CommandResult> {
  return handler.execute(command);
}
