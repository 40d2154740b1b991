import type { Projection } from './projection';

export interface SummaryState {
  totalEvents: number;
  users: { active: number; deactivated: number };
  eventsByType: Record<string, number>;
  lastPosition: number;
}

/** How many users by status, how many events of each type: a second read model from the same events. */
export const summary: Projection<SummaryState> = {
  name: 'summary',
  title: 'Summary',
  description:
    'Answers "how many?": users by status and events by type, counted from the same events as the users directory, and stored differently.',
  eventTypes: [],
  initialState: () => ({ totalEvents: 0, users: { active: 0, deactivated: 0 }, eventsByType: {}, lastPosition: 0 }),
  evolve(state, event) {
    state.totalEvents += 1;
    state.lastPosition = event.globalPosition;
    state.eventsByType[event.type] = (state.eventsByType[event.type] ?? 0) + 1;
    if (event.type === 'UserCreated') state.users.active += 1;
    if (event.type === 'UserDeactivated') {
      state.users.active -= 1;
      state.users.deactivated += 1;
    }
    return state;
  },
  view(state) {
    return [
      { label: 'Active users', description: String(state.users.active), icon: 'person', path: ['users', 'active'] },
      {
        label: 'Deactivated users',
        description: String(state.users.deactivated),
        icon: 'circle-slash',
        path: ['users', 'deactivated'],
      },
      { label: 'Events', description: String(state.totalEvents), icon: 'list-ordered', path: ['totalEvents'] },
      {
        label: 'Events by type',
        description: String(Object.keys(state.eventsByType).length),
        icon: 'symbol-event',
        children: Object.entries(state.eventsByType)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([type, count]) => ({
            label: type,
            description: String(count),
            icon: 'symbol-event',
            path: ['eventsByType', type],
          })),
      },
    ];
  },
};
