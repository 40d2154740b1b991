import * as path from 'node:path';
import type { AggregateDefinition } from '../domain/aggregates';
import type { CommandSchema } from '../domain/commandSchema';
import type { Decider, Message } from '../domain/decider';
import { IllegalStateError, ValidationError } from '../domain/errors';
import type { ReactionDefinition } from '../domain/reactions';
import type { Projection, QueryAnswer, ViewNode } from '../projections/projection';
import { describeError, DomainModuleError, locationIn, type DomainProblem } from './moduleErrors';
import type { ModuleAggregate, ModuleProjection, ModuleReaction } from './moduleShape';

/** A fresh initial state from the module's `initialState` (a value, copied, or a function). */
export function freshState(initial: unknown, where: string, file: string): unknown {
  if (typeof initial === 'function') {
    try {
      return (initial as () => unknown)();
    } catch (e) {
      throw new DomainModuleError('evolve', `${where}: initialState() threw ${describeError(e)}`, locationIn(file, e));
    }
  }
  try {
    return initial === undefined ? undefined : structuredClone(initial);
  } catch (e) {
    throw new DomainModuleError(
      'shape',
      `${where}: initialState must be plain data (or a function returning it): ${describeError(e)}`,
    );
  }
}

function isPlainJson(value: unknown): boolean {
  try {
    return JSON.stringify(value) !== undefined;
  } catch {
    return false;
  }
}

const BUG_ERRORS = new Set(['TypeError', 'ReferenceError', 'RangeError', 'SyntaxError', 'EvalError', 'URIError']);

/** The module's aggregate as a decider behind checks: what it decides is checked before the store sees it. */
export function adaptAggregate(a: ModuleAggregate, file: string): AggregateDefinition {
  const events = new Set(a.events);
  const commandTypes = a.commands.map((c) => c.type);
  const idField = a.idField ?? a.commands[0]?.fields.find((f) => f.id)?.name;
  const schemas: CommandSchema[] = a.commands.map((c) => ({
    ...c,
    fields: c.fields.map((f) => (f.name === idField ? { ...f, id: true } : f)),
  }));

  const decider: Decider<Message, Message, unknown> = {
    initialState: () => freshState(a.initialState, `${a.name}`, file),
    decide(command, state) {
      let decided: unknown;
      try {
        decided = a.decide(command, state);
      } catch (e) {
        // A deliberate "no" is an Error (or ValidationError by name); a TypeError & co. is a bug in the module.
        if (e instanceof Error && BUG_ERRORS.has(e.name)) {
          throw new DomainModuleError(
            'decide',
            `decide of ${a.name} threw ${describeError(e)} on ${command.type}`,
            locationIn(file, e),
          );
        }
        const message = e instanceof Error ? e.message : String(e);
        throw e instanceof Error && e.name === 'ValidationError'
          ? new ValidationError(message)
          : new IllegalStateError(message);
      }
      const list = decided === undefined || decided === null ? [] : decided;
      if (!Array.isArray(list))
        throw new DomainModuleError(
          'event',
          `decide of ${a.name} must return an array of events for ${command.type}; it returned ${typeof decided}.`,
        );
      return list.map((event: unknown, i) => {
        const e = event as Partial<Message> | null;
        const where = `decide of ${a.name} returned an invalid event #${i + 1} for ${command.type}`;
        if (e === null || typeof e !== 'object') throw new DomainModuleError('event', `${where}: not an object.`);
        if (typeof e.type !== 'string' || !events.has(e.type))
          throw new DomainModuleError(
            'event',
            `${where}: type ${JSON.stringify(e.type)} is not one of ${a.name}'s events (${[...events].join(', ')}).`,
          );
        if (e.data === null || typeof e.data !== 'object' || Array.isArray(e.data) || !isPlainJson(e.data))
          throw new DomainModuleError('event', `${where}: ${e.type}.data must be a JSON object.`);
        return { type: e.type, data: JSON.parse(JSON.stringify(e.data)) as unknown };
      });
    },
    evolve(state, event) {
      try {
        return a.evolve(state, event);
      } catch (e) {
        throw new DomainModuleError(
          'evolve',
          `evolve of ${a.name} threw ${describeError(e)} on ${event.type}`,
          locationIn(file, e),
        );
      }
    },
  };

  return {
    name: a.name,
    ...(a.description ? { description: a.description } : {}),
    commandTypes,
    eventTypes: [...events],
    streamPrefix: a.streamPrefix,
    streamId(command) {
      let id: unknown;
      try {
        id = a.streamId
          ? a.streamId(command)
          : `${a.streamPrefix}${String((command.data as Record<string, unknown>)[idField!] ?? '')}`;
      } catch (e) {
        throw new DomainModuleError('decide', `streamId of ${a.name} threw ${describeError(e)}`, locationIn(file, e));
      }
      if (typeof id !== 'string' || !id.startsWith(a.streamPrefix) || id.length === a.streamPrefix.length) {
        throw new ValidationError(
          `${command.type} needs a ${idField ?? 'stream id'}: the ${a.name} stream id would be ${JSON.stringify(id)}.`,
        );
      }
      return id;
    },
    decider,
    commandSchemas: schemas,
  };
}

/** Rows for a state the module shows no view for: its top-level keys. */
function defaultView(state: unknown): ViewNode[] {
  if (state === null || typeof state !== 'object') return [{ label: JSON.stringify(state) ?? 'undefined' }];
  return Object.entries(state as Record<string, unknown>).map(([key, value]) => ({
    label: key,
    path: [key],
    description:
      typeof value === 'object' && value !== null ? `${Object.keys(value).length} entries` : JSON.stringify(value),
    tooltip: JSON.stringify(value, null, 2)?.slice(0, 2000),
  }));
}

function toViewNodes(rows: unknown, depth = 0): ViewNode[] {
  if (!Array.isArray(rows) || depth > 5) return [];
  return rows.slice(0, 1000).map((row: Partial<ViewNode> | null) => {
    const r = row ?? {};
    return {
      label: String(r.label ?? '(no label)'),
      ...(r.description !== undefined ? { description: String(r.description) } : {}),
      ...(r.tooltip !== undefined ? { tooltip: String(r.tooltip) } : {}),
      ...(typeof r.icon === 'string' ? { icon: r.icon } : {}),
      ...(Array.isArray(r.children) ? { children: toViewNodes(r.children, depth + 1) } : {}),
      ...(Array.isArray(r.path) && r.path.every((k) => typeof k === 'string') ? { path: [...r.path] } : {}),
    };
  });
}

/** The module's projection as a read model whose failures are reported, not thrown at the store. */
export function adaptProjection(
  p: ModuleProjection,
  file: string,
  report: (problem: DomainProblem) => void,
): Projection {
  const title = p.title ?? p.name;
  return {
    name: p.name,
    title,
    description: p.description ?? `A read model of the workspace domain (${path.basename(file)}).`,
    eventTypes: p.eventTypes ?? [],
    initialState: () => freshState(p.initialState, `projection ${p.name}`, file),
    evolve(state, event) {
      try {
        const next = p.evolve(state, event);
        return next === undefined ? state : next;
      } catch (e) {
        // One bad event must not stop the store or the other read models: this one stops there,
        // faulted at this position (the projector and the replay say so), with the module's own error.
        report({
          at: `${title}, ${event.type} at position ${event.globalPosition}`,
          message: describeError(e),
          location: locationIn(file, e),
        });
        throw e;
      }
    },
    view(state) {
      try {
        return p.view ? toViewNodes(p.view(structuredClone(state))) : defaultView(state);
      } catch (e) {
        report({ at: `${title} view`, message: describeError(e), location: locationIn(file, e) });
        return [{ label: `The view of ${title} failed`, description: describeError(e), icon: 'error' }];
      }
    },
    ...(p.queries
      ? {
          queries: p.queries.map((q) => ({
            ...q,
            run(state: unknown, argument: string | undefined): QueryAnswer {
              const answer = q.run(state, argument) as Partial<QueryAnswer> | string | undefined;
              if (typeof answer === 'string') return { answer, found: true };
              return {
                answer: String(answer?.answer ?? JSON.stringify(answer)),
                found: answer?.found ?? true,
                ...(answer && 'value' in answer ? { value: answer.value } : {}),
              };
            },
          })),
        }
      : {}),
  };
}

/** The module's reaction behind checks: what it answers must be a list of commands it declared. */
export function adaptReaction(r: ModuleReaction, file: string): ReactionDefinition {
  const declared = new Set(r.commandTypes);
  const checked = (answer: unknown, fn: string): Message[] => {
    if (!Array.isArray(answer))
      throw new DomainModuleError('decide', `${fn} of reaction ${r.name} must return an array of commands.`);
    return answer.map((c: unknown, i) => {
      const command = c as { type?: unknown; data?: unknown } | null;
      if (command === null || typeof command !== 'object' || typeof command.type !== 'string')
        throw new DomainModuleError('decide', `${fn} of reaction ${r.name} returned a command without a type at ${i}.`);
      if (!declared.has(command.type))
        throw new DomainModuleError(
          'decide',
          `reaction ${r.name} issued ${command.type}, which its commandTypes do not list (${path.basename(file)}).`,
        );
      if (!isPlainJson(command.data))
        throw new DomainModuleError(
          'decide',
          `${fn} of reaction ${r.name} returned ${command.type} with data that is not JSON.`,
        );
      return { type: command.type, data: command.data };
    });
  };
  const call = (fn: 'react' | 'onRefused', args: unknown[]): Message[] => {
    let answer: unknown;
    try {
      answer = (r[fn] as (...a: unknown[]) => unknown).apply(r, args);
    } catch (e) {
      throw new DomainModuleError(
        'decide',
        `${fn} of reaction ${r.name} threw ${describeError(e)}`,
        locationIn(file, e),
      );
    }
    return checked(answer, fn);
  };
  return {
    name: r.name,
    ...(typeof r.description === 'string' ? { description: r.description } : {}),
    eventTypes: [...r.eventTypes],
    commandTypes: [...r.commandTypes],
    react: (event, context) => call('react', [structuredClone(event), context]),
    ...(r.onRefused
      ? { onRefused: (refusal, event) => call('onRefused', [structuredClone(refusal), structuredClone(event)]) }
      : {}),
  };
}
