import * as path from 'node:path';
import type { AggregateDefinition } from '../domain/aggregates';
import { checkCommandSchema, type CommandSchema, type FieldSchema } from '../domain/commandSchema';
import type { Message } from '../domain/decider';
import type { RecordedEvent } from '../eventStore/types';
import type { Projection, ReadModelQuery } from '../projections/projection';
import { DomainModuleError } from './moduleErrors';

/** The module's own aggregate shape (see docs/domain.md). */
export interface ModuleAggregate {
  readonly name: string;
  readonly description?: string;
  readonly streamPrefix: string;
  /** The command field that names the instance: the stream is `streamPrefix + data[idField]`. */
  readonly idField?: string;
  streamId?(command: Message): string;
  readonly commands: readonly CommandSchema[];
  readonly events: readonly string[];
  readonly initialState: unknown;
  decide(command: Message, state: unknown): unknown;
  evolve(state: unknown, event: Message): unknown;
}

export interface ModuleProjection {
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly eventTypes?: readonly string[];
  readonly initialState: unknown;
  evolve(state: unknown, event: RecordedEvent): unknown;
  view?(state: unknown): unknown;
  readonly queries?: readonly ReadModelQuery[];
}

/** A reaction of the module: the same shape as the built-in ones (see docs/domain.md). */
export interface ModuleReaction {
  readonly name: string;
  readonly description?: string;
  readonly eventTypes: readonly string[];
  readonly commandTypes: readonly string[];
  react(event: unknown, context: unknown): unknown;
  onRefused?(refusal: unknown, event: unknown): unknown;
}

const isTypeList = (v: unknown) =>
  Array.isArray(v) && v.length > 0 && v.every((t) => typeof t === 'string' && t !== '');

function checkReaction(r: Partial<ModuleReaction> | null, i: number, names: Set<string>, problems: string[]): void {
  const at = `reactions[${i}]${r && typeof r.name === 'string' ? ` (${r.name})` : ''}`;
  if (r === null || typeof r !== 'object') return void problems.push(`${at} must be an object.`);
  if (typeof r.name !== 'string' || r.name.trim() === '') problems.push(`${at}.name must be a non-empty string.`);
  else if (names.has(r.name)) problems.push(`${at}: a reaction named "${r.name}" already exists.`);
  else names.add(r.name);
  if (!isTypeList(r.eventTypes)) problems.push(`${at}.eventTypes must list the event types it reacts to.`);
  if (!isTypeList(r.commandTypes)) problems.push(`${at}.commandTypes must list the command types it may issue.`);
  if (typeof r.react !== 'function') problems.push(`${at}.react must be a function (event, context) => commands.`);
  if (r.onRefused !== undefined && typeof r.onRefused !== 'function')
    problems.push(`${at}.onRefused must be a function when given.`);
}

/** Names the built-in domain already uses: a workspace domain may not take them over. */
export interface ReservedNames {
  readonly commandTypes: readonly string[];
  readonly eventTypes: readonly string[];
  readonly streamPrefixes: readonly string[];
  readonly projectionNames: readonly string[];
  readonly reactionNames?: readonly string[];
}

export function reservedNames(
  aggregates: readonly AggregateDefinition[],
  projections: readonly Projection[],
  reactions: readonly { readonly name: string }[] = [],
): ReservedNames {
  return {
    reactionNames: reactions.map((r) => r.name),
    commandTypes: aggregates.flatMap((a) => a.commandTypes),
    eventTypes: aggregates.flatMap((a) => a.eventTypes),
    streamPrefixes: aggregates.map((a) => a.streamPrefix),
    projectionNames: projections.map((p) => p.name),
  };
}

/** What the checks have seen so far: names a later aggregate or read model may not take again. */
interface Seen {
  readonly commands: Set<string>;
  readonly events: Set<string>;
  readonly prefixes: string[];
  readonly projections: Set<string>;
}

function checkAggregate(a: Partial<ModuleAggregate> | null, i: number, seen: Seen, problems: string[]): void {
  const at = `aggregates[${i}]${a && typeof a.name === 'string' ? ` (${a.name})` : ''}`;
  if (a === null || typeof a !== 'object') return void problems.push(`${at} must be an object.`);
  if (typeof a.name !== 'string' || a.name.trim() === '') problems.push(`${at}.name must be a non-empty string.`);
  if (typeof a.streamPrefix !== 'string' || !/^[A-Za-z][A-Za-z0-9_.:-]{0,40}$/.test(a.streamPrefix))
    problems.push(`${at}.streamPrefix must be text such as "room-".`);
  else {
    const clash = seen.prefixes.find((p) => p.startsWith(a.streamPrefix!) || a.streamPrefix!.startsWith(p));
    if (clash)
      problems.push(`${at}.streamPrefix "${a.streamPrefix}" overlaps "${clash}", which another aggregate uses.`);
    seen.prefixes.push(a.streamPrefix);
  }
  for (const fn of ['decide', 'evolve'] as const)
    if (typeof a[fn] !== 'function') problems.push(`${at}.${fn} must be a function.`);
  if (!('initialState' in a)) problems.push(`${at}.initialState is missing (a value, or a function returning one).`);
  if (!Array.isArray(a.events) || a.events.length === 0 || a.events.some((t) => typeof t !== 'string' || t === ''))
    problems.push(`${at}.events must list the event types, e.g. ["RoomBooked"].`);
  else
    for (const t of a.events) {
      if (seen.events.has(t)) problems.push(`${at}: event type "${t}" is already used by another aggregate.`);
      seen.events.add(t);
    }
  if (!Array.isArray(a.commands) || a.commands.length === 0)
    problems.push(`${at}.commands must list the command schemas, e.g. [{ type: "BookRoom", fields: [...] }].`);
  else
    a.commands.forEach((schema, j) => {
      problems.push(...checkCommandSchema(schema, `${at}.commands[${j}]`));
      const type = (schema as { type?: unknown } | null)?.type;
      if (typeof type === 'string') {
        if (seen.commands.has(type))
          problems.push(`${at}: command type "${type}" is already handled by another aggregate.`);
        seen.commands.add(type);
      }
    });
  if (a.streamId !== undefined && typeof a.streamId !== 'function')
    problems.push(`${at}.streamId must be a function when given.`);
  if (a.streamId === undefined) {
    const idField = a.idField ?? a.commands?.[0]?.fields?.find((f) => f?.id)?.name;
    if (typeof idField !== 'string')
      problems.push(`${at} needs "idField" (the command field naming the instance) or a streamId(command) function.`);
    else
      for (const schema of Array.isArray(a.commands) ? a.commands : []) {
        if (
          schema &&
          Array.isArray(schema.fields) &&
          !(schema.fields as readonly (FieldSchema | null)[]).some((f) => f?.name === idField)
        )
          problems.push(`${at}: command ${schema.type} has no "${idField}" field to find its stream.`);
      }
  }
}

function checkProjection(p: Partial<ModuleProjection> | null, i: number, seen: Seen, problems: string[]): void {
  const at = `projections[${i}]${p && typeof p.name === 'string' ? ` (${p.name})` : ''}`;
  if (p === null || typeof p !== 'object') return void problems.push(`${at} must be an object.`);
  if (typeof p.name !== 'string' || !/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(p.name))
    problems.push(`${at}.name must be an identifier such as "bookings".`);
  else if (seen.projections.has(p.name)) problems.push(`${at}: a read model named "${p.name}" already exists.`);
  else seen.projections.add(p.name);
  if (typeof p.evolve !== 'function') problems.push(`${at}.evolve must be a function.`);
  if (!('initialState' in p)) problems.push(`${at}.initialState is missing (a value, or a function returning one).`);
  if (p.eventTypes !== undefined && (!Array.isArray(p.eventTypes) || p.eventTypes.some((t) => typeof t !== 'string')))
    problems.push(`${at}.eventTypes must be an array of event types.`);
  if (p.view !== undefined && typeof p.view !== 'function') problems.push(`${at}.view must be a function when given.`);
  if (
    p.queries !== undefined &&
    (!Array.isArray(p.queries) ||
      p.queries.some(
        (q) => !q || typeof q.name !== 'string' || typeof q.title !== 'string' || typeof q.run !== 'function',
      ))
  ) {
    problems.push(`${at}.queries must be an array of { name, title, run(state, argument) }.`);
  }
}

/**
 * Checks the exports of a domain module against the documented shape (docs/domain.md): every
 * problem at once, in one error; names the built-in domain uses (`reserved`) are refused.
 */
export function checkDomainShape(
  exported: unknown,
  file: string,
  reserved: ReservedNames = { commandTypes: [], eventTypes: [], streamPrefixes: [], projectionNames: [] },
): { aggregates: ModuleAggregate[]; projections: ModuleProjection[]; reactions: ModuleReaction[] } {
  const base = path.basename(file);
  if (exported === null || typeof exported !== 'object') {
    throw new DomainModuleError('shape', `${base} must export an object with "aggregates" and/or "projections".`);
  }
  const {
    aggregates = [],
    projections = [],
    reactions = [],
  } = exported as { aggregates?: unknown; projections?: unknown; reactions?: unknown };
  if (!Array.isArray(aggregates)) throw new DomainModuleError('shape', `${base}: "aggregates" must be an array.`);
  if (!Array.isArray(projections)) throw new DomainModuleError('shape', `${base}: "projections" must be an array.`);
  if (!Array.isArray(reactions)) throw new DomainModuleError('shape', `${base}: "reactions" must be an array.`);
  if (aggregates.length === 0 && projections.length === 0 && reactions.length === 0) {
    throw new DomainModuleError('shape', `${base} exports no aggregates and no projections.`);
  }
  const problems: string[] = [];
  const seen: Seen = {
    commands: new Set(reserved.commandTypes),
    events: new Set(reserved.eventTypes),
    prefixes: [...reserved.streamPrefixes],
    projections: new Set(reserved.projectionNames),
  };
  aggregates.forEach((a: Partial<ModuleAggregate> | null, i) => checkAggregate(a, i, seen, problems));
  projections.forEach((p: Partial<ModuleProjection> | null, i) => checkProjection(p, i, seen, problems));
  const reactionNames = new Set<string>(reserved.reactionNames ?? []);
  reactions.forEach((r: Partial<ModuleReaction> | null, i) => checkReaction(r, i, reactionNames, problems));
  if (problems.length > 0)
    throw new DomainModuleError('shape', `${base} does not have the expected shape:\n- ${problems.join('\n- ')}`);
  return {
    aggregates: aggregates as ModuleAggregate[],
    projections: projections as ModuleProjection[],
    reactions: reactions as ModuleReaction[],
  };
}
