import type { UserEvent } from '../domain/user';
import type { Projection } from './projection';

export interface UserEntry {
  readonly userId: string;
  readonly name: string;
  readonly status: 'active' | 'deactivated';
  readonly since: string;
}

export interface UsersDirectoryState {
  users: Record<string, UserEntry>;
}

/** Who are our users, what are they called, and are they active? */
export const usersDirectory: Projection<UsersDirectoryState, UserEvent> = {
  name: 'usersDirectory',
  title: 'Users directory',
  description:
    'Answers "who are our users, and are they active?": one row per user, kept up to date from UserCreated, UserRenamed and UserDeactivated.',
  eventTypes: ['UserCreated', 'UserRenamed', 'UserDeactivated'],
  initialState: () => ({ users: {} }),
  // evolve replaces a user's entry and never changes one in place: a copy of the map is enough.
  copy: (state) => ({ users: { ...state.users } }),
  evolve(state, event) {
    const { userId } = event.data;
    const existing = state.users[userId];
    switch (event.type) {
      case 'UserCreated':
        state.users[userId] = { userId, name: event.data.name, status: 'active', since: event.recordedAt };
        break;
      case 'UserRenamed':
        if (existing)
          state.users[userId] = { userId, name: event.data.name, status: existing.status, since: existing.since };
        break;
      case 'UserDeactivated':
        if (existing)
          state.users[userId] = { userId, name: existing.name, status: 'deactivated', since: existing.since };
        break;
    }
    return state;
  },
  view(state) {
    const users = Object.values(state.users).sort(
      (a, b) => a.name.localeCompare(b.name) || a.userId.localeCompare(b.userId),
    );
    return users.map((u) => ({
      label: u.name,
      description: `${u.status} · ${u.userId}`,
      tooltip: `${u.name} (id ${u.userId}), ${u.status}; created ${u.since}`,
      icon: u.status === 'active' ? 'person' : 'circle-slash',
      path: ['users', u.userId, 'name'],
    }));
  },
  queries: [
    {
      name: 'findUserByName',
      title: 'Find a user by name',
      parameter: {
        name: 'name',
        prompt: 'Name, or part of it',
        suggestions: (state) =>
          Object.values(state.users)
            .map((u) => u.name)
            .sort(),
      },
      run(state, name) {
        const needle = (name ?? '').trim().toLowerCase();
        const found = Object.values(state.users)
          .filter((u) => needle.length > 0 && u.name.toLowerCase().includes(needle))
          .sort((a, b) => a.name.localeCompare(b.name));
        if (found.length === 0)
          return { answer: `No user is named like ${JSON.stringify(name ?? '')}.`, found: false, value: [] };
        return {
          answer: `Found ${found.map((u) => `${u.name} (id ${u.userId}, ${u.status})`).join('; ')}.`,
          found: true,
          value: found,
        };
      },
    },
  ],
};
