import { randomUUID } from 'node:crypto';
import { aggregateForCommand, commandSchemaFor, type AggregateDefinition } from '../domain/aggregates';
import { assertCommandData } from '../domain/commandSchema';
import { fold, type Message } from '../domain/decider';
import { DomainError, ValidationError } from '../domain/errors';
import type { ReactionDefinition, ReactionEvent } from '../domain/reactions';
import { ConcurrencyError } from '../eventStore/errors';
import type { EventStore, RecordedEvent } from '../eventStore/types';
import type { CommandLogEntry, CommandOutcome, CommandRecorder } from './commandLog';
import type { Delivery, EventBus } from './eventBus';

export interface CommandMetadata {
  readonly commandId?: string;
  readonly correlationId?: string;
  readonly causationId?: string;
  /** Who or what issued the command, e.g. "palette" or "cli". */
  readonly source?: string;
  /** The reaction that issued it (its causation is then the event it reacted to). */
  readonly reaction?: string;
  /** For a reaction's command: the source of the command that started the chain. */
  readonly initiator?: string;
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
  /** Commands that reactions issued in answer to its events (and to theirs), in the order they ran. */
  readonly reactions?: readonly ReactionOutcome[];
}

/** One command a reaction issued, and what became of it. */
export interface ReactionOutcome {
  readonly reaction: string;
  readonly commandId: string;
  readonly command: Message;
  readonly outcome: 'accepted' | 'rejected' | 'conflict';
  readonly reason?: string;
  /** The events it appended. */
  readonly events: readonly RecordedEvent[];
}

/** Every event a command appended, its reactions' included, in global order. */
export function appendedEvents(result: CommandResult): RecordedEvent[] {
  return [...result.events, ...(result.reactions ?? []).flatMap((r) => r.events)].sort(
    (a, b) => a.globalPosition - b.globalPosition,
  );
}

function failedReaction(reaction: ReactionDefinition, e: unknown): ReactionOutcome {
  const message = e instanceof Error ? e.message : String(e);
  return {
    reaction: reaction.name,
    commandId: '',
    command: { type: '(none)', data: null },
    outcome: 'rejected',
    reason: `The reaction "${reaction.name}" failed: ${message}`,
    events: [],
  };
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Reactions answering reactions stop here: a cycle in a domain must not run forever. */
export const MAX_REACTION_DEPTH = 8;

export interface CommandHandlerOptions {
  /** Re-read and decide again this many times when another writer changed the stream first. */
  readonly maxRetries?: number;
  readonly newId?: () => string;
  readonly now?: () => Date;
  /** Told about every command executed, accepted or not (the command log). */
  readonly recorder?: CommandRecorder;
  /** Process managers: they answer events with commands, run here so every caller triggers them alike. */
  readonly reactions?: readonly ReactionDefinition[];
}

export interface ExecuteOptions {
  /** Overrides the handler's retries for this command; 0 lets a conflict reach the caller. */
  readonly maxRetries?: number;
  /**
   * Decide on the stream as it was at this version and append expecting it, as a writer that read
   * the stream then would: the first attempt conflicts when the stream has moved on since.
   */
  readonly atVersion?: number;
  /** False: the command's events trigger no reaction (a simulation that must write nowhere else). Default true. */
  readonly reactions?: boolean;
}

/**
 * Handles a command: read the stream, fold it with `evolve`, `decide`, append with the expected
 * version, then publish the new events on the bus. A rejection throws a DomainError and appends nothing.
 */
export class CommandHandler {
  private readonly newId: () => string;
  private readonly maxRetries: number;
  private readonly now: () => Date;
  private readonly recorder: CommandRecorder | undefined;
  private readonly reactions: readonly ReactionDefinition[];

  constructor(
    private readonly store: EventStore,
    private readonly bus: EventBus,
    private readonly aggregates: readonly AggregateDefinition[],
    options: CommandHandlerOptions = {},
  ) {
    this.newId = options.newId ?? randomUUID;
    this.maxRetries = options.maxRetries ?? 2;
    this.now = options.now ?? (() => new Date());
    this.recorder = options.recorder;
    this.reactions = options.reactions ?? [];
  }

  /** Executes a command and reports it, with its outcome, to the recorder (the command log). */
  async execute(command: CommandEnvelope, options: ExecuteOptions = {}): Promise<CommandResult> {
    const result = await this.executeOne(command, options);
    if (this.reactions.length === 0 || result.events.length === 0 || options.reactions === false) return result;
    const reactions: ReactionOutcome[] = [];
    await this.react(result.events, 1, reactions);
    return { ...result, reactions };
  }

  /**
   * Runs the reactions to `events`, depth first: each command a reaction issues runs (and its own
   * events are reacted to) before the next. A refusal drops the reaction's remaining commands and
   * runs its compensation, caused by the refused command. Refusals are outcomes here, not errors:
   * the command that started it all was accepted.
   */
  private async react(events: readonly RecordedEvent[], depth: number, out: ReactionOutcome[]): Promise<void> {
    for (const event of events) {
      for (const reaction of this.reactions) {
        if (!reaction.eventTypes.includes(event.type)) continue;
        const trigger: ReactionEvent = { type: event.type, data: event.data, streamId: event.streamId };
        const context = { stateOf: (streamId: string) => this.stateOf(streamId)?.state };
        const correlationId = event.metadata.correlationId ?? event.eventId;
        const initiator = text(event.metadata.initiator) ?? text(event.metadata.source);
        const accepted: Message[] = [];
        let commands: Message[];
        try {
          commands = reaction.react(trigger, context);
        } catch (e) {
          // A reaction of a workspace domain is code we did not write: its failure is an outcome, named.
          out.push(failedReaction(reaction, e));
          continue;
        }
        let causationId = event.eventId;
        let compensating = false;
        for (let i = 0; i < commands.length; i++) {
          const command = commands[i]!;
          const ids = { correlationId, causationId, ...(initiator ? { initiator } : {}) };
          const outcome = await this.issue(reaction, command, ids, depth, out);
          if (outcome.outcome === 'accepted') {
            accepted.push(command);
            continue;
          }
          if (compensating || !reaction.onRefused) break;
          // The compensation answers the refusal: it is caused by the refused command, not by the event.
          compensating = true;
          try {
            commands = reaction.onRefused({ command, reason: outcome.reason ?? '', accepted }, trigger);
          } catch (e) {
            out.push(failedReaction(reaction, e));
            break;
          }
          causationId = outcome.commandId;
          i = -1;
        }
      }
    }
  }

  private async issue(
    reaction: ReactionDefinition,
    command: Message,
    ids: { correlationId: string; causationId: string; initiator?: string },
    depth: number,
    out: ReactionOutcome[],
  ): Promise<ReactionOutcome> {
    const metadata = { ...ids, source: 'reaction', reaction: reaction.name };
    const commandId = this.newId();
    let outcome: ReactionOutcome;
    let events: readonly RecordedEvent[] = [];
    try {
      if (depth > MAX_REACTION_DEPTH)
        throw new ValidationError(
          `Reactions answered reactions ${MAX_REACTION_DEPTH} levels deep: ${command.type} was not issued.`,
        );
      ({ events } = await this.executeOne({ ...command, metadata: { ...metadata, commandId } }, {}));
      outcome = {
        reaction: reaction.name,
        commandId,
        command,
        outcome: 'accepted',
        events,
      };
    } catch (e) {
      if (!DomainError.is(e) && !ConcurrencyError.is(e)) throw e;
      if (depth > MAX_REACTION_DEPTH)
        this.report(
          {
            id: commandId,
            at: this.now().toISOString(),
            outcome: 'rejected',
            positionBefore: this.store.lastPosition(),
            reason: e.message,
            errorName: e.name,
          },
          { ...command, metadata },
        );
      const kind = ConcurrencyError.is(e) ? 'conflict' : 'rejected';
      outcome = { reaction: reaction.name, commandId, command, outcome: kind, reason: e.message, events: [] };
    }
    out.push(outcome);
    if (events.length > 0) await this.react(events, depth + 1, out);
    return outcome;
  }

  private async executeOne(command: CommandEnvelope, options: ExecuteOptions): Promise<CommandResult> {
    const at = this.now().toISOString();
    const positionBefore = this.store.lastPosition();
    const commandId = (command as CommandEnvelope | null)?.metadata?.commandId ?? this.newId();
    try {
      const result = await this.run(command, commandId, options);
      this.report(
        {
          id: commandId,
          at,
          outcome: 'accepted',
          positionBefore,
          eventPositions: result.events.map((e) => e.globalPosition),
          streamId: result.streamId,
          aggregate: result.aggregate,
          ...(result.retries > 0 ? { retries: result.retries } : {}),
          deliveredTo: result.deliveries.filter((d) => !d.error).map((d) => d.subscriber),
        },
        command,
      );
      return result;
    } catch (e) {
      const outcome: CommandOutcome = ConcurrencyError.is(e) ? 'conflict' : 'rejected';
      const error = e instanceof Error ? e : new Error(String(e));
      const route = this.route(command);
      this.report(
        { id: commandId, at, outcome, positionBefore, reason: error.message, errorName: error.name, ...route },
        command,
      );
      throw e;
    }
  }

  /** The aggregate and stream a command goes to, when it can be told (for the log of a rejection). */
  private route(command: CommandEnvelope): { aggregate?: string; streamId?: string } {
    try {
      const aggregate = aggregateForCommand(this.aggregates, command.type);
      if (!aggregate) return {};
      const streamId = aggregate.streamId(command);
      return typeof streamId === 'string' ? { aggregate: aggregate.name, streamId } : { aggregate: aggregate.name };
    } catch {
      return {};
    }
  }

  private report(
    entry: Omit<CommandLogEntry, 'command' | 'source' | 'correlationId' | 'causationId' | 'reaction'>,
    command: CommandEnvelope,
  ): void {
    if (!this.recorder) return;
    const valid = command !== null && typeof command === 'object';
    const meta = valid && command.metadata && typeof command.metadata === 'object' ? command.metadata : {};
    // The ids the command's events carry: given, or the command's own id (see run()).
    const correlationId = text(meta.correlationId) ?? entry.id;
    const causationId = text(meta.causationId) ?? entry.id;
    const reaction = text(meta.reaction);
    const initiator = text(meta.initiator);
    try {
      this.recorder.record({
        ...entry,
        command: {
          type: valid && typeof command.type === 'string' ? command.type : '(not a command)',
          data: valid ? command.data : command,
        },
        ...(valid && command.metadata?.source ? { source: command.metadata.source } : {}),
        correlationId,
        causationId,
        ...(reaction ? { reaction } : {}),
        ...(initiator ? { initiator } : {}),
      });
    } catch {
      // The log is advisory: a command that reached the store is not failed by its log.
    }
  }

  private async run(command: CommandEnvelope, commandId: string, options: ExecuteOptions): Promise<CommandResult> {
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
    const schema = commandSchemaFor(aggregate, command.type);
    if (schema) assertCommandData(schema, command.data);
    const metadata = {
      correlationId: command.metadata?.correlationId ?? commandId,
      causationId: command.metadata?.causationId ?? commandId,
      commandId,
      commandType: command.type,
      ...(command.metadata?.source ? { source: command.metadata.source } : {}),
      ...(command.metadata?.reaction ? { reaction: command.metadata.reaction } : {}),
      ...(command.metadata?.initiator ? { initiator: command.metadata.initiator } : {}),
    };
    const streamId = aggregate.streamId(command);
    const maxRetries = options.maxRetries ?? this.maxRetries;

    for (let attempt = 0; ; attempt++) {
      const stale = attempt === 0 && options.atVersion !== undefined;
      const history =
        stale && options.atVersion! <= 0
          ? []
          : this.store.readStream(streamId, stale ? { limit: options.atVersion } : {});
      if (attempt === 0 && options.atVersion !== undefined && history.length < options.atVersion) {
        throw new ValidationError(
          `Stream ${streamId} has only ${history.length} events; it was never at version ${options.atVersion}.`,
        );
      }
      const state = fold(aggregate.decider, history);
      const decided = aggregate.decider.decide(command, state);
      if (decided.length === 0)
        return { commandId, streamId, aggregate: aggregate.name, events: [], deliveries: [], retries: attempt };
      try {
        const result = await this.store.append(
          streamId,
          decided.map((e) => ({ type: e.type, data: e.data, metadata })),
          { expectedVersion: history.length === 0 ? 'no-stream' : history[history.length - 1]!.streamVersion },
        );
        const deliveries = await this.bus.publish(result.events);
        return { commandId, streamId, aggregate: aggregate.name, events: result.events, deliveries, retries: attempt };
      } catch (e) {
        if (!ConcurrencyError.is(e) || attempt >= maxRetries) throw e;
      }
    }
  }

  /** The write-model state of a stream, folded from its events (up to a stream version if given). */
  stateOf(streamId: string, upToVersion?: number): { aggregate: string; state: unknown; version: number } | undefined {
    const aggregate = this.aggregates.find((a) => streamId.startsWith(a.streamPrefix));
    if (!aggregate) return undefined;
    const events = this.store.readStream(streamId, upToVersion === undefined ? {} : { limit: upToVersion });
    return { aggregate: aggregate.name, state: fold(aggregate.decider, events), version: events.length };
  }
}
