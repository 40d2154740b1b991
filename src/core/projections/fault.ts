import type { RecordedEvent } from '../eventStore/types';
import type { Projection } from './projection';

/** A read model whose evolve threw: it stopped there, and says so wherever it appears. */
export interface ProjectionFault {
  readonly readModel: string;
  /** The position of the event it threw on: the read model holds the state after the event before. */
  readonly position: number;
  readonly eventId: string;
  readonly eventType: string;
  readonly streamId: string;
  /** `TypeError: Cannot read properties of undefined`. */
  readonly error: string;
  readonly stack: string | undefined;
}

export class ProjectionFaultError extends Error {
  constructor(readonly fault: ProjectionFault) {
    super(describeFault(fault));
    this.name = 'ProjectionFaultError';
  }
  static is(e: unknown): e is ProjectionFaultError {
    return e instanceof ProjectionFaultError;
  }
}

/** One sentence: "Users directory is faulted at 42: UserRenamed of user-ada threw TypeError: …". */
export function describeFault(fault: ProjectionFault, title = fault.readModel): string {
  return `${title} is faulted at ${fault.position}: ${fault.eventType} of ${fault.streamId} threw ${fault.error}.`;
}

export function faultOf(projection: { readonly name: string }, event: RecordedEvent, e: unknown): ProjectionFault {
  const error = e instanceof Error ? `${e.name}: ${e.message}` : `a thrown ${typeof e} ${String(JSON.stringify(e))}`;
  const cause = e instanceof Error && e.cause instanceof Error ? e.cause : e;
  return {
    readModel: projection.name,
    position: event.globalPosition,
    eventId: event.eventId,
    eventType: event.type,
    streamId: event.streamId,
    error,
    stack: cause instanceof Error ? cause.stack : undefined,
  };
}

/** Applies one event; a throw becomes a ProjectionFaultError naming the read model and the event. */
export function evolveOrFault<S>(projection: Projection<S>, state: S, event: RecordedEvent): S {
  try {
    return projection.evolve(state, event);
  } catch (e) {
    throw new ProjectionFaultError(faultOf(projection, event, e));
  }
}
