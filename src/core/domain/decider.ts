/** A command or event: a literal `type` with its `data`. */
export interface Message<T extends string = string, D = unknown> {
  readonly type: T;
  readonly data: D;
}

/**
 * The decider pattern: `decide` is pure (ids and time come in with the command),
 * `evolve` only applies what was already decided.
 */
export interface Decider<C extends Message, E extends Message, S> {
  decide(command: C, state: S): E[];
  evolve(state: S, event: E): S;
  /** A fresh state before the first event (a factory, as for projections: no caller shares it). */
  initialState(): S;
}

/** Folds events into a state with a decider's evolve. */
export function fold<C extends Message, E extends Message, S>(
  decider: Decider<C, E, S>,
  events: readonly E[],
  from: S = decider.initialState(),
): S {
  return events.reduce((state, event) => decider.evolve(state, event), from);
}
