import type { Message } from '../domain/decider';
import type { RecordedEvent } from '../eventStore/types';
import { cloneJson } from '../../shared/json';

/** A row of a read model as people see it (in the tree, the replay): plain text only. */
export interface ViewNode {
  readonly label: string;
  readonly description?: string;
  readonly tooltip?: string;
  /** A codicon name, e.g. "person". */
  readonly icon?: string;
  readonly children?: readonly ViewNode[];
  /** Where the value this row shows lives in the state (["users", "ada", "name"]): its history can be asked. */
  readonly path?: readonly string[];
}

/** What a query returns: one sentence for people, and the value it found (plain JSON). */
export interface QueryAnswer {
  readonly answer: string;
  readonly found: boolean;
  readonly value?: unknown;
}

/**
 * A question a read model answers. `run` only reads the state: asking a question never changes
 * the answer (it is given a copy, so a careless query cannot change the read model either).
 */
export interface ReadModelQuery<S = unknown> {
  readonly name: string;
  /** What is asked, e.g. "Find a user by name". */
  readonly title: string;
  /** The one argument the question takes, if any, and values to offer for it. */
  readonly parameter?: { readonly name: string; readonly prompt: string; suggestions?(state: S): string[] };
  run(state: S, argument: string | undefined): QueryAnswer;
}

/**
 * A read model: a pure fold of the events it handles into a JSON state, and how to show it.
 * `S` is its state, `E` the events it handles (the types listed in `eventTypes`; every event when
 * that list is empty). `evolve` may update and return the state it is given (rebuilds of a million
 * events stay cheap); callers that keep an earlier state clone it first.
 */
export interface Projection<S = unknown, E extends Message = Message> {
  readonly name: string;
  readonly title: string;
  /** One sentence for newcomers: what question this read model answers. */
  readonly description: string;
  readonly eventTypes: readonly E['type'][];
  /** A fresh state before the first event (a factory, as for deciders). */
  initialState(): S;
  evolve(state: S, event: RecordedEvent<E>): S;
  view(state: S): ViewNode[];
  /**
   * A copy of the state that `evolve` may change without touching the original (the replay keeps
   * both sides of a step). Default: a deep copy. A projection whose evolve replaces entries rather
   * than changing them can copy shallowly, which keeps unchanged entries shared and steps cheap.
   */
  copy?(state: S): S;
  /** Questions this read model answers (Event Store: Query Read Model…). */
  readonly queries?: readonly ReadModelQuery<S>[];
}

/** Whether the projection handles the event: it lists the event's type, or lists none (it takes every event). */
export function canHandle<S, E extends Message>(
  projection: Projection<S, E>,
  event: RecordedEvent,
): event is RecordedEvent<E> {
  return projection.eventTypes.length === 0 || (projection.eventTypes as readonly string[]).includes(event.type);
}

/** A copy of a read model's state that its evolve may change: the projection's own `copy`, else a deep copy. */
export function copyState<S, E extends Message>(projection: Projection<S, E>, state: S): S {
  return projection.copy ? projection.copy(state) : cloneJson(state);
}
