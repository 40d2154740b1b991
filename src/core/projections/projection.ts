import type { RecordedEvent } from '../eventStore/types';

/** A row of a read model as people see it (in the tree, the replay): plain text only. */
export interface ViewNode {
  readonly label: string;
  readonly description?: string;
  readonly tooltip?: string;
  /** A codicon name, e.g. "person". */
  readonly icon?: string;
  readonly children?: readonly ViewNode[];
}

/**
 * A read model: a pure fold of the events it handles into a JSON state, and how to show it.
 * `evolve` may update and return the state it is given (rebuilds of a million events stay cheap);
 * callers that keep an earlier state clone it first.
 */
export interface Projection<S = unknown> {
  readonly name: string;
  readonly title: string;
  /** One sentence for newcomers: what question this read model answers. */
  readonly description: string;
  readonly eventTypes: readonly string[];
  initialState(): S;
  evolve(state: S, event: RecordedEvent): S;
  view(state: S): ViewNode[];
}

export function canHandle(projection: Projection, event: RecordedEvent): boolean {
  return projection.eventTypes.length === 0 || projection.eventTypes.includes(event.type);
}
