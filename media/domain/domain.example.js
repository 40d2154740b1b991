// A workspace domain for the Event Store Inspector: meeting-room bookings.
// The extension loads this file in a trusted workspace (setting eventStore.domainModule) and
// reloads it when it changes. The shape is documented in docs/domain.md.
'use strict';

const ROOM = '[a-z0-9][a-z0-9-]{0,31}';
const SLOT = '\\d{4}-\\d{2}-\\d{2} (am|pm)';

/** Write model: one stream per room ("room-<roomId>"); a slot is booked at most once. */
const room = {
  name: 'Room',
  description: 'A meeting room: a slot (a morning or an afternoon) is booked by one person at most.',
  streamPrefix: 'room-',
  idField: 'roomId',
  commands: [
    {
      type: 'BookRoom',
      description: 'Books a room for a slot.',
      fields: [
        { name: 'roomId', type: 'string', title: 'Room', pattern: ROOM, patternHint: 'lower-case letters, digits and -', examples: ['atlas'] },
        { name: 'slot', type: 'string', title: 'Slot', pattern: SLOT, patternHint: 'a date and am or pm, e.g. 2026-03-02 am' },
        { name: 'bookedBy', type: 'string', title: 'Booked by', maxLength: 60 },
      ],
    },
    {
      type: 'CancelBooking',
      description: 'Frees a booked slot.',
      fields: [
        { name: 'roomId', type: 'string', title: 'Room', pattern: ROOM },
        { name: 'slot', type: 'string', title: 'Slot', pattern: SLOT },
        { name: 'reason', type: 'string', title: 'Reason', optional: true, maxLength: 200 },
      ],
    },
  ],
  events: ['RoomBooked', 'BookingCancelled'],
  // Slot -> who booked it.
  initialState: { bookings: {} },

  // Pure: everything it needs comes in with the command and the state. Throw an Error to reject.
  decide(command, state) {
    const { roomId, slot } = command.data;
    switch (command.type) {
      case 'BookRoom': {
        const holder = state.bookings[slot];
        if (holder) throw new Error(`Room ${roomId} is already booked for ${slot} by ${holder}.`);
        return [{ type: 'RoomBooked', data: { roomId, slot, bookedBy: command.data.bookedBy.trim() } }];
      }
      case 'CancelBooking': {
        if (!state.bookings[slot]) throw new Error(`Room ${roomId} has no booking for ${slot}.`);
        const reason = (command.data.reason || '').trim();
        return [{ type: 'BookingCancelled', data: reason ? { roomId, slot, reason } : { roomId, slot } }];
      }
      default:
        throw new Error(`Unknown command ${command.type}.`);
    }
  },

  // Only applies what decide already decided: no checks, no errors.
  evolve(state, event) {
    switch (event.type) {
      case 'RoomBooked':
        return { bookings: { ...state.bookings, [event.data.slot]: event.data.bookedBy } };
      case 'BookingCancelled': {
        const bookings = { ...state.bookings };
        delete bookings[event.data.slot];
        return { bookings };
      }
      default:
        return state;
    }
  },
};

/** Read model across every room stream: who booked what. */
const bookingsPerPerson = {
  name: 'bookingsPerPerson',
  title: 'Bookings per person',
  description: 'Answers "who booked which room, when?": the current bookings of each person, across every room.',
  eventTypes: ['RoomBooked', 'BookingCancelled'],
  initialState: () => ({ people: {}, holders: {} }),

  // May update the state it is given and return it.
  evolve(state, event) {
    const key = `${event.data.roomId} ${event.data.slot}`;
    if (event.type === 'RoomBooked') {
      const person = event.data.bookedBy;
      (state.people[person] = state.people[person] || []).push({ roomId: event.data.roomId, slot: event.data.slot });
      state.holders[key] = person;
    } else if (event.type === 'BookingCancelled') {
      const person = state.holders[key];
      if (person) {
        state.people[person] = state.people[person].filter((b) => `${b.roomId} ${b.slot}` !== key);
        if (state.people[person].length === 0) delete state.people[person];
        delete state.holders[key];
      }
    }
    return state;
  },

  // Rows for the Read Models view: plain text, with codicon names for icons.
  view(state) {
    return Object.keys(state.people)
      .sort()
      .map((person) => ({
        label: person,
        description: `${state.people[person].length} booking(s)`,
        icon: 'person',
        children: state.people[person].map((b) => ({ label: `${b.roomId} · ${b.slot}`, icon: 'calendar' })),
      }));
  },

  // Questions for "Event Store: Query Read Model…": they only read the state.
  queries: [
    {
      name: 'bookingsOf',
      title: 'Bookings of a person',
      parameter: { name: 'person', prompt: 'Who?', suggestions: (state) => Object.keys(state.people).sort() },
      run(state, person) {
        const bookings = state.people[person] || [];
        return {
          answer: bookings.length ? `${person} booked ${bookings.map((b) => `${b.roomId} (${b.slot})`).join(', ')}.` : `${person} has no booking.`,
          found: bookings.length > 0,
          value: bookings,
        };
      },
    },
  ],
};

module.exports = { aggregates: [room], projections: [bookingsPerPerson] };
