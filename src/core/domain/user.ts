import type { Decider, Message } from './decider';
import { IllegalStateError, ValidationError } from './errors';
import { validateId } from './identifiers';

export const MAX_USER_NAME_LENGTH = 100;

export type CreateUser = Message<'CreateUser', { readonly userId: string; readonly name: string }>;
export type RenameUser = Message<'RenameUser', { readonly userId: string; readonly name: string }>;
export type DeactivateUser = Message<'DeactivateUser', { readonly userId: string; readonly reason?: string }>;
export type UserCommand = CreateUser | RenameUser | DeactivateUser;

export type UserCreated = Message<'UserCreated', { readonly userId: string; readonly name: string }>;
export type UserRenamed = Message<
  'UserRenamed',
  { readonly userId: string; readonly oldName: string; readonly name: string }
>;
export type UserDeactivated = Message<'UserDeactivated', { readonly userId: string; readonly reason?: string }>;
export type UserEvent = UserCreated | UserRenamed | UserDeactivated;

export type UserState =
  | { readonly status: 'none' }
  | { readonly status: 'active' | 'deactivated'; readonly userId: string; readonly name: string };

export const userStreamId = (userId: string): string => `user-${userId}`;

/** Checks a user name and returns it trimmed; the reason is what the user reads. */
export function validateUserName(name: unknown): string {
  if (typeof name !== 'string' || name.trim().length === 0) throw new ValidationError('A user name cannot be empty.');
  const trimmed = name.trim();
  if (trimmed.length > MAX_USER_NAME_LENGTH)
    throw new ValidationError(
      `A user name is at most ${MAX_USER_NAME_LENGTH} characters; this one has ${trimmed.length}.`,
    );
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(trimmed))
    throw new ValidationError('A user name cannot contain control characters or line breaks.');
  return trimmed;
}

export const userDecider: Decider<UserCommand, UserEvent, UserState> = {
  initialState: () => ({ status: 'none' }),

  decide(command, state) {
    const userId = validateId(command.data.userId, 'user id');
    switch (command.type) {
      case 'CreateUser': {
        const name = validateUserName(command.data.name);
        if (state.status !== 'none') throw new IllegalStateError(`User ${userId} already exists (as "${state.name}").`);
        return [{ type: 'UserCreated', data: { userId, name } }];
      }
      case 'RenameUser': {
        const name = validateUserName(command.data.name);
        if (state.status === 'none') throw new IllegalStateError(`User ${userId} does not exist.`);
        if (state.status === 'deactivated')
          throw new IllegalStateError(`User ${userId} ("${state.name}") is deactivated and cannot be renamed.`);
        if (state.name === name) throw new IllegalStateError(`User ${userId} is already named "${name}".`);
        return [{ type: 'UserRenamed', data: { userId, oldName: state.name, name } }];
      }
      case 'DeactivateUser': {
        if (state.status === 'none') throw new IllegalStateError(`User ${userId} does not exist.`);
        if (state.status === 'deactivated')
          throw new IllegalStateError(`User ${userId} ("${state.name}") is already deactivated.`);
        const reason = command.data.reason?.trim();
        return [{ type: 'UserDeactivated', data: reason ? { userId, reason } : { userId } }];
      }
      default: {
        const unknown: never = command;
        throw new ValidationError(`Unknown user command ${JSON.stringify((unknown as Message).type)}.`);
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'UserCreated':
        return { status: 'active', userId: event.data.userId, name: event.data.name };
      case 'UserRenamed':
        return state.status === 'none' ? state : { ...state, name: event.data.name };
      case 'UserDeactivated':
        return state.status === 'none' ? state : { ...state, status: 'deactivated' };
      default:
        return state;
    }
  },
};
