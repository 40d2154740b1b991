import type { Decider, Message } from './decider';
import { userDecider, userStreamId, type UserCommand, type UserEvent, type UserState } from './user';

/** What the command handler needs to route a command to its aggregate's stream and decider. */
export interface AggregateDefinition<C extends Message = Message, E extends Message = Message, S = unknown> {
  /** Shown to people: "User". */
  readonly name: string;
  readonly commandTypes: readonly C['type'][];
  readonly eventTypes: readonly E['type'][];
  /** Streams of this aggregate start with this prefix, e.g. "user-". */
  readonly streamPrefix: string;
  streamId(command: C): string;
  readonly decider: Decider<C, E, S>;
}

export const userAggregate: AggregateDefinition<UserCommand, UserEvent, UserState> = {
  name: 'User',
  commandTypes: ['CreateUser', 'RenameUser', 'DeactivateUser'],
  eventTypes: ['UserCreated', 'UserRenamed', 'UserDeactivated'],
  streamPrefix: 'user-',
  streamId: (command) => userStreamId(command.data.userId),
  decider: userDecider,
};

// The registry is heterogeneous: each definition is typed on its own, the registry only routes.
export const builtInAggregates: readonly AggregateDefinition[] = [userAggregate as unknown as AggregateDefinition];

export function aggregateForCommand(aggregates: readonly AggregateDefinition[], commandType: string): AggregateDefinition | undefined {
  return aggregates.find((a) => a.commandTypes.includes(commandType));
}

export function aggregateForStream(aggregates: readonly AggregateDefinition[], streamId: string): AggregateDefinition | undefined {
  return aggregates.find((a) => streamId.startsWith(a.streamPrefix));
}
