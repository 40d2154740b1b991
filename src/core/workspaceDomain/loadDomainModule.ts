import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';
import type { AggregateDefinition } from '../domain/aggregates';
import type { ReactionDefinition } from '../domain/reactions';
import type { Projection } from '../projections/projection';
import { adaptAggregate, adaptProjection, adaptReaction, freshState } from './adaptDomain';
import { describeError, DomainModuleError, locationIn, type DomainProblem } from './moduleErrors';
import { checkDomainShape, type ReservedNames } from './moduleShape';

/**
 * A team's own domain, written as a plain CommonJS file in the workspace (`.eventstore/domain.js`):
 * deciders with their command schemas, and projections. It is code: it runs only in a trusted
 * workspace (the caller checks), and everything it returns is checked before the store sees it.
 */

export interface LoadedDomain {
  readonly file: string;
  /** Of the source: a changed module means its read models must be rebuilt. */
  readonly hash: string;
  readonly aggregates: readonly AggregateDefinition[];
  readonly projections: readonly Projection[];
  readonly reactions: readonly ReactionDefinition[];
}

export interface LoadOptions {
  readonly reserved?: ReservedNames;
  /** Told when a projection fails on an event or in its view (the read model keeps its last state). */
  readonly onProblem?: (problem: DomainProblem) => void;
}

export const MAX_DOMAIN_MODULE_BYTES = 1024 * 1024;

/** Runs the module's source as CommonJS and returns its exports (no caching: each load is fresh). */
export function evaluateModule(source: string, file: string): unknown {
  let compiled: (...args: unknown[]) => unknown;
  try {
    // The wrapper keeps line numbers: the module's first line is line 1 of the script.
    compiled = vm.runInThisContext(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
      filename: file,
    }) as typeof compiled;
  } catch (e) {
    const where = e instanceof Error ? /^(.*?:\d+)\n/.exec(e.stack ?? '')?.[1] : undefined;
    throw new DomainModuleError(
      'syntax',
      `${path.basename(file)} does not compile: ${describeError(e)}`,
      where ? `${path.basename(file)}:${where.split(':').pop()}` : undefined,
    );
  }
  const moduleRequire = createRequire(file);
  // Helpers the module requires from its own folder are loaded fresh too.
  const dir = path.dirname(file) + path.sep;
  for (const key of Object.keys(moduleRequire.cache)) if (key.startsWith(dir)) delete moduleRequire.cache[key];
  const module = { exports: {} as unknown };
  try {
    compiled.call(module.exports, module.exports, moduleRequire, module, file, path.dirname(file));
  } catch (e) {
    throw new DomainModuleError(
      'load',
      `${path.basename(file)} threw while loading: ${describeError(e)}`,
      locationIn(file, e),
    );
  }
  return module.exports;
}

/** Reads, runs and checks a domain module. Throws a DomainModuleError that says what is wrong and where. */
export function loadDomainModule(file: string, options: LoadOptions = {}): LoadedDomain {
  let source: string;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw new Error('it is not a file');
    if (stat.size > MAX_DOMAIN_MODULE_BYTES)
      throw new Error(`it has ${stat.size} bytes; at most ${MAX_DOMAIN_MODULE_BYTES}`);
    source = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new DomainModuleError(
      missing ? 'missing' : 'load',
      missing ? `${file} does not exist.` : `${file} cannot be read: ${(e as Error).message}`,
    );
  }
  return compileDomain(evaluateModule(source, file), file, createHash('sha256').update(source).digest('hex'), options);
}

/** Checks the exports of a domain module and wraps them so nothing they do can reach the store unchecked. */
export function compileDomain(exported: unknown, file: string, hash: string, options: LoadOptions = {}): LoadedDomain {
  const { aggregates, projections, reactions } = checkDomainShape(exported, file, options.reserved);
  // A broken initial state shows now, not at the first command.
  for (const a of aggregates) freshState(a.initialState, a.name, file);
  for (const p of projections) freshState(p.initialState, `projection ${p.name}`, file);
  const report = options.onProblem ?? (() => undefined);
  return {
    file,
    hash,
    aggregates: aggregates.map((a) => adaptAggregate(a, file)),
    projections: projections.map((p) => adaptProjection(p, file, report)),
    reactions: reactions.map((r) => adaptReaction(r, file)),
  };
}
