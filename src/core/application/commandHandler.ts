import { randomUUID } from 'node:crypto';
import { aggregateForCommand, type AggregateDefinition } from '../domain/aggregates';
import { fold, type Message } from '../domain/decider';
import { ValidationError } from '../domain/errors';
import { ConcurrencyError } from '../eventStore/errors';
import type { EventStore, RecordedEvent } from '../eventStore/types';
import type { Delivery, EventBus } from './eventBus';

export interface CommandMetadata {
  readonly commandId?: string;
  readonly correlationId?: string;
  readonly causationId?: string;
  /** Who or what issued the command, e.g. "palette" or "cli". */
  readonly source?: string;
}

export interface CommandEnvelope extends Message {
  readonly metadata?: CommandMetadata;
}

export interface CommandResult {
  readonly commandId: string;
  readonly streamId: string;
  readonly aggregate: string;
  readonly events: readonly RecordedEvent[];
  readonly deliveries: readonly Delivery[];
  /** How many times the command was decided again after a concurrent change. */
  readonly retries: number;
}

export interface CommandHandlerOptions {
  /** Re-read and decide again this many times when another writer changed the stream first. */
  readonly maxRetries?: number;
  readonly newId?: () => string;
}

/**
 * Handles a command: read the stream, fold it with `evolve`, `decide`, append with the expected
 * version, then publish the new events on the bus. A rejection throws a DomainError and appends nothing.
 */
export class CommandHandler {
  private readonly newId: () => string;
  private readonly maxRetries: number;

  constructor(
    private readonly store: EventStore,
    private readonly bus: EventBus,
    private readonly aggregates: readonly AggregateDefinition[],
    options: CommandHandlerOptions = {},
  ) {
    this.newId = options.newId ?? randomUUID;
    this.maxRetries = options.maxRetries ?? 2;
  }

  async execute(command: CommandEnvelope): Promise<CommandResult> {
    if (command === null || typeof command !== 'object' || typeof command.type !== 'string') {
      throw new ValidationError('A command needs a "type" and "data".');
    }
    const aggregate = aggregateForCommand(this.aggregates, command.type);
    if (!aggregate) {
      const known = this.aggregates.flatMap((a) => a.commandTypes).join(', ');
      throw new ValidationError(`Unknown command "${command.type}". Known commands: ${known}.`);
    }
    if (command.data === null || typeof command.data !== 'object' || Array.isArray(command.data)) {
      throw new ValidationError(`The data of ${command.type} must be a JSON object.`);
    }
    const commandId = command.metadata?.commandId ?? this.newId();
    const metadata = {
      correlationId: command.metadata?.correlationId ?? commandId,
      causationId: command.metadata?.causationId ?? commandId,
      commandId,
      commandType: command.type,
      ...(command.metadata?.source ? { source: command.metadata.source } : {}),
    };
    const streamId = aggregate.streamId(command);

    for (let attempt = 0; ; attempt++) {
      const history = this.store.readStream(streamId);
      const state = fold(aggregate.decider, history as unknown as Message[]);
      const decided = aggregate.decider.decide(command, state);
      if (decided.length === 0) return { commandId, streamId, aggregate: aggregate.name, events: [], deliveries: [], retries: attempt };
      try {
        const result = await this.store.append(
          streamId,
          decided.map((e) => ({ type: e.type, data: e.data, metadata })),
          { expectedVersion: history.length === 0 ? 'no-stream' : history[history.length - 1]!.streamVersion },
        );
        const deliveries = await this.bus.publish(result.events);
        return { commandId, streamId, aggregate: aggregate.name, events: result.events, deliveries, retries: attempt };
      } catch (e) {
        if (!ConcurrencyError.is(e) || attempt >= this.maxRetries) throw e;
      }
    }
  }

  /** The write-model state of a stream, folded from its events (up to a stream version if given). */
  stateOf(streamId: string, upToVersion?: number): { aggregate: string; state: unknown; version: number } | undefined {
    const aggregate = this.aggregates.find((a) => streamId.startsWith(a.streamPrefix));
    if (!aggregate) return undefined;
    const events = this.store.readStream(streamId, upToVersion === undefined ? {} : { limit: upToVersion });
    return { aggregate: aggregate.name, state: fold(aggregate.decider, events as unknown as Message[]), version: events.length };
  }
}
