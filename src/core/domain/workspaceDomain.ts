import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';
import type { RecordedEvent } from '../eventStore/types';
import type { Projection, QueryAnswer, ReadModelQuery, ViewNode } from '../projections/projection';
import type { AggregateDefinition } from './aggregates';
import { checkCommandSchema, type CommandSchema, type FieldSchema } from './commandSchema';
import type { Decider, Message } from './decider';
import { IllegalStateError, ValidationError } from './errors';

/**
 * A team's own domain, written as a plain CommonJS file in the workspace (`.eventstore/domain.js`):
 * deciders with their command schemas, and projections. It is code: it runs only in a trusted
 * workspace (the caller checks), and everything it returns is checked before the store sees it.
 */

export type DomainModuleErrorKind = 'missing' | 'syntax' | 'load' | 'shape' | 'decide' | 'evolve' | 'event' | 'projection';

/** Something wrong with the workspace domain itself (not a rejected command). */
export class DomainModuleError extends Error {
  constructor(
    readonly kind: DomainModuleErrorKind,
    message: string,
    /** file:line:column in the module, when known. */
    readonly location?: string,
  ) {
    super(message);
    this.name = 'DomainModuleError';
  }
  static is(e: unknown): e is DomainModuleError {
    return e instanceof DomainModuleError;
  }
}

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

/** Names the built-in domain already uses: a workspace domain may not take them over. */
export interface ReservedNames {
  readonly commandTypes: readonly string[];
  readonly eventTypes: readonly string[];
  readonly streamPrefixes: readonly string[];
  readonly projectionNames: readonly string[];
}

export function reservedNames(aggregates: readonly AggregateDefinition[], projections: readonly Projection[]): ReservedNames {
  return {
    commandTypes: aggregates.flatMap((a) => a.commandTypes),
    eventTypes: aggregates.flatMap((a) => a.eventTypes),
    streamPrefixes: aggregates.map((a) => a.streamPrefix),
    projectionNames: projections.map((p) => p.name),
  };
}

/** A failure at run time (a projection that throws on an event): reported, the store goes on. */
export interface DomainProblem {
  readonly at: string;
  readonly message: string;
  readonly location?: string;
}

export interface LoadedDomain {
  readonly file: string;
  /** Of the source: a changed module means its read models must be rebuilt. */
  readonly hash: string;
  readonly aggregates: readonly AggregateDefinition[];
  readonly projections: readonly Projection[];
}

export interface LoadOptions {
  readonly reserved?: ReservedNames;
  /** Told when a projection fails on an event or in its view (the read model keeps its last state). */
  readonly onProblem?: (problem: DomainProblem) => void;
}

export const MAX_DOMAIN_MODULE_BYTES = 1024 * 1024;

const BUG_ERRORS = new Set(['TypeError', 'ReferenceError', 'RangeError', 'SyntaxError', 'EvalError', 'URIError']);

/** `domain.js:12:7` from the first stack frame inside the module. */
export function locationIn(file: string, error: unknown): string | undefined {
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`${escaped}:(\\d+)(?::(\\d+))?`).exec(stack);
  return match ? `${path.basename(file)}:${match[1]}${match[2] ? `:${match[2]}` : ''}` : undefined;
}

const describeError = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : `a thrown ${typeof e} ${JSON.stringify(e)}`);

function freshState(initial: unknown, where: string, file: string): unknown {
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
    throw new DomainModuleError('shape', `${where}: initialState must be plain data (or a function returning it): ${describeError(e)}`);
  }
}

function isPlainJson(value: unknown): boolean {
  try {
    return JSON.stringify(value) !== undefined;
  } catch {
    return false;
  }
}

/** Runs the module's source as CommonJS and returns its exports (no caching: each load is fresh). */
export function evaluateModule(source: string, file: string): unknown {
  let compiled: (...args: unknown[]) => unknown;
  try {
    // The wrapper keeps line numbers: the module's first line is line 1 of the script.
    compiled = vm.runInThisContext(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file }) as typeof compiled;
  } catch (e) {
    const where = e instanceof Error ? /^(.*?:\d+)\n/.exec(e.stack ?? '')?.[1] : undefined;
    throw new DomainModuleError('syntax', `${path.basename(file)} does not compile: ${describeError(e)}`, where ? `${path.basename(file)}:${where.split(':').pop()}` : undefined);
  }
  const moduleRequire = createRequire(file);
  // Helpers the module requires from its own folder are loaded fresh too.
  const dir = path.dirname(file) + path.sep;
  for (const key of Object.keys(moduleRequire.cache)) if (key.startsWith(dir)) delete moduleRequire.cache[key];
  const module = { exports: {} as unknown };
  try {
    compiled.call(module.exports, module.exports, moduleRequire, module, file, path.dirname(file));
  } catch (e) {
    throw new DomainModuleError('load', `${path.basename(file)} threw while loading: ${describeError(e)}`, locationIn(file, e));
  }
  return module.exports;
}

/** Reads, runs and checks a domain module. Throws a DomainModuleError that says what is wrong and where. */
export function loadDomainModule(file: string, options: LoadOptions = {}): LoadedDomain {
  let source: string;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw new Error('it is not a file');
    if (stat.size > MAX_DOMAIN_MODULE_BYTES) throw new Error(`it has ${stat.size} bytes; at most ${MAX_DOMAIN_MODULE_BYTES}`);
    source = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new DomainModuleError(missing ? 'missing' : 'load', missing ? `${file} does not exist.` : `${file} cannot be read: ${(e as Error).message}`);
  }
  return compileDomain(evaluateModule(source, file), file, createHash('sha256').update(source).digest('hex'), options);
}

/** Checks the exports of a domain module and wraps them so nothing they do can reach the store unchecked. */
export function compileDomain(exported: unknown, file: string, hash: string, options: LoadOptions = {}): LoadedDomain {
  const base = path.basename(file);
  if (exported === null || typeof exported !== 'object') throw new DomainModuleError('shape', `${base} must export an object with "aggregates" and/or "projections".`);
  const { aggregates = [], projections = [] } = exported as { aggregates?: unknown; projections?: unknown };
  if (!Array.isArray(aggregates)) throw new DomainModuleError('shape', `${base}: "aggregates" must be an array.`);
  if (!Array.isArray(projections)) throw new DomainModuleError('shape', `${base}: "projections" must be an array.`);
  if (aggregates.length === 0 && projections.length === 0) throw new DomainModuleError('shape', `${base} exports no aggregates and no projections.`);

  const reserved = options.reserved ?? { commandTypes: [], eventTypes: [], streamPrefixes: [], projectionNames: [] };
  const problems: string[] = [];
  const seen = { commands: new Set(reserved.commandTypes), events: new Set(reserved.eventTypes), prefixes: [...reserved.streamPrefixes], projections: new Set(reserved.projectionNames) };

  aggregates.forEach((a: Partial<ModuleAggregate> | null, i) => {
    const at = `aggregates[${i}]${a && typeof a.name === 'string' ? ` (${a.name})` : ''}`;
    if (a === null || typeof a !== 'object') return void problems.push(`${at} must be an object.`);
    if (typeof a.name !== 'string' || a.name.trim() === '') problems.push(`${at}.name must be a non-empty string.`);
    if (typeof a.streamPrefix !== 'string' || !/^[A-Za-z][A-Za-z0-9_.:-]{0,40}$/.test(a.streamPrefix)) problems.push(`${at}.streamPrefix must be text such as "room-".`);
    else {
      const clash = seen.prefixes.find((p) => p.startsWith(a.streamPrefix!) || a.streamPrefix!.startsWith(p));
      if (clash) problems.push(`${at}.streamPrefix "${a.streamPrefix}" overlaps "${clash}", which another aggregate uses.`);
      seen.prefixes.push(a.streamPrefix);
    }
    for (const fn of ['decide', 'evolve'] as const) if (typeof a[fn] !== 'function') problems.push(`${at}.${fn} must be a function.`);
    if (!('initialState' in a)) problems.push(`${at}.initialState is missing (a value, or a function returning one).`);
    if (!Array.isArray(a.events) || a.events.length === 0 || a.events.some((t) => typeof t !== 'string' || t === '')) problems.push(`${at}.events must list the event types, e.g. ["RoomBooked"].`);
    else
      for (const t of a.events) {
        if (seen.events.has(t)) problems.push(`${at}: event type "${t}" is already used by another aggregate.`);
        seen.events.add(t);
      }
    if (!Array.isArray(a.commands) || a.commands.length === 0) problems.push(`${at}.commands must list the command schemas, e.g. [{ type: "BookRoom", fields: [...] }].`);
    else
      a.commands.forEach((schema, j) => {
        problems.push(...checkCommandSchema(schema, `${at}.commands[${j}]`));
        const type = (schema as { type?: unknown } | null)?.type;
        if (typeof type === 'string') {
          if (seen.commands.has(type)) problems.push(`${at}: command type "${type}" is already handled by another aggregate.`);
          seen.commands.add(type);
        }
      });
    if (a.streamId !== undefined && typeof a.streamId !== 'function') problems.push(`${at}.streamId must be a function when given.`);
    if (a.streamId === undefined) {
      const idField = a.idField ?? a.commands?.[0]?.fields?.find((f) => f?.id)?.name;
      if (typeof idField !== 'string') problems.push(`${at} needs "idField" (the command field naming the instance) or a streamId(command) function.`);
      else
        for (const schema of Array.isArray(a.commands) ? a.commands : []) {
          if (schema && Array.isArray(schema.fields) && !(schema.fields as readonly (FieldSchema | null)[]).some((f) => f?.name === idField)) problems.push(`${at}: command ${schema.type} has no "${idField}" field to find its stream.`);
        }
    }
  });

  projections.forEach((p: Partial<ModuleProjection> | null, i) => {
    const at = `projections[${i}]${p && typeof p.name === 'string' ? ` (${p.name})` : ''}`;
    if (p === null || typeof p !== 'object') return void problems.push(`${at} must be an object.`);
    if (typeof p.name !== 'string' || !/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(p.name)) problems.push(`${at}.name must be an identifier such as "bookings".`);
    else if (seen.projections.has(p.name)) problems.push(`${at}: a read model named "${p.name}" already exists.`);
    else seen.projections.add(p.name);
    if (typeof p.evolve !== 'function') problems.push(`${at}.evolve must be a function.`);
    if (!('initialState' in p)) problems.push(`${at}.initialState is missing (a value, or a function returning one).`);
    if (p.eventTypes !== undefined && (!Array.isArray(p.eventTypes) || p.eventTypes.some((t) => typeof t !== 'string'))) problems.push(`${at}.eventTypes must be an array of event types.`);
    if (p.view !== undefined && typeof p.view !== 'function') problems.push(`${at}.view must be a function when given.`);
    if (p.queries !== undefined && (!Array.isArray(p.queries) || p.queries.some((q) => !q || typeof q.name !== 'string' || typeof q.title !== 'string' || typeof q.run !== 'function'))) {
      problems.push(`${at}.queries must be an array of { name, title, run(state, argument) }.`);
    }
  });

  if (problems.length > 0) throw new DomainModuleError('shape', `${base} does not have the expected shape:\n- ${problems.join('\n- ')}`);

  // A broken initial state shows now, not at the first command.
  for (const a of aggregates as ModuleAggregate[]) freshState(a.initialState, a.name, file);
  for (const p of projections as ModuleProjection[]) freshState(p.initialState, `projection ${p.name}`, file);

  const report = options.onProblem ?? (() => undefined);
  return {
    file,
    hash,
    aggregates: (aggregates as ModuleAggregate[]).map((a) => wrapAggregate(a, file)),
    projections: (projections as ModuleProjection[]).map((p) => wrapProjection(p, file, report)),
  };
}

function wrapAggregate(a: ModuleAggregate, file: string): AggregateDefinition {
  const events = new Set(a.events);
  const commandTypes = a.commands.map((c) => c.type);
  const idField = a.idField ?? a.commands[0]?.fields.find((f) => f.id)?.name;
  const schemas: CommandSchema[] = a.commands.map((c) => ({ ...c, fields: c.fields.map((f) => (f.name === idField ? { ...f, id: true } : f)) }));

  const decider: Decider<Message, Message, unknown> = {
    initialState: () => freshState(a.initialState, `${a.name}`, file),
    decide(command, state) {
      let decided: unknown;
      try {
        decided = a.decide(command, state);
      } catch (e) {
        // A deliberate "no" is an Error (or ValidationError by name); a TypeError & co. is a bug in the module.
        if (e instanceof Error && BUG_ERRORS.has(e.name)) {
          throw new DomainModuleError('decide', `decide of ${a.name} threw ${describeError(e)} on ${command.type}`, locationIn(file, e));
        }
        const message = e instanceof Error ? e.message : String(e);
        throw e instanceof Error && e.name === 'ValidationError' ? new ValidationError(message) : new IllegalStateError(message);
      }
      const list = decided === undefined || decided === null ? [] : decided;
      if (!Array.isArray(list)) throw new DomainModuleError('event', `decide of ${a.name} must return an array of events for ${command.type}; it returned ${typeof decided}.`);
      return list.map((event: unknown, i) => {
        const e = event as Partial<Message> | null;
        const where = `decide of ${a.name} returned an invalid event #${i + 1} for ${command.type}`;
        if (e === null || typeof e !== 'object') throw new DomainModuleError('event', `${where}: not an object.`);
        if (typeof e.type !== 'string' || !events.has(e.type)) throw new DomainModuleError('event', `${where}: type ${JSON.stringify(e.type)} is not one of ${a.name}'s events (${[...events].join(', ')}).`);
        if (e.data === null || typeof e.data !== 'object' || Array.isArray(e.data) || !isPlainJson(e.data)) throw new DomainModuleError('event', `${where}: ${e.type}.data must be a JSON object.`);
        return { type: e.type, data: JSON.parse(JSON.stringify(e.data)) as unknown };
      });
    },
    evolve(state, event) {
      try {
        return a.evolve(state, event);
      } catch (e) {
        throw new DomainModuleError('evolve', `evolve of ${a.name} threw ${describeError(e)} on ${event.type}`, locationIn(file, e));
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
        id = a.streamId ? a.streamId(command) : `${a.streamPrefix}${String((command.data as Record<string, unknown>)[idField!] ?? '')}`;
      } catch (e) {
        throw new DomainModuleError('decide', `streamId of ${a.name} threw ${describeError(e)}`, locationIn(file, e));
      }
      if (typeof id !== 'string' || !id.startsWith(a.streamPrefix) || id.length === a.streamPrefix.length) {
        throw new ValidationError(`${command.type} needs a ${idField ?? 'stream id'}: the ${a.name} stream id would be ${JSON.stringify(id)}.`);
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
    description: typeof value === 'object' && value !== null ? `${Object.keys(value).length} entries` : JSON.stringify(value),
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
    };
  });
}

function wrapProjection(p: ModuleProjection, file: string, report: (problem: DomainProblem) => void): Projection {
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
        // One bad event must not stop the store or the other read models: this one keeps its state.
        report({ at: `${title}, ${event.type} at position ${event.globalPosition}`, message: describeError(e), location: locationIn(file, e) });
        return state;
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
              return { answer: String(answer?.answer ?? JSON.stringify(answer)), found: answer?.found ?? true, ...(answer && 'value' in answer ? { value: answer.value } : {}) };
            },
          })),
        }
      : {}),
  };
}
