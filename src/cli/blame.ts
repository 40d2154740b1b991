import type { Writable } from 'node:stream';
import { builtInAggregates } from '../core/domain/aggregates';
import { writeText } from '../core/eventStore/exportNdjson';
import { blameReadModel, blameStream, type BlameResult } from '../core/history/blame';
import { formatValuePath, parseValuePath } from '../core/history/valuePath';
import { openAnyStore } from '../core/formats/openStore';
import { isPostgresUrl, openCliPostgres } from './postgresStore';
import { builtInProjections } from '../core/projections/builtIn';
import { describeFault } from '../core/projections/fault';
import { loadDomainModule } from '../core/workspaceDomain/loadDomainModule';
import { reservedNames } from '../core/workspaceDomain/moduleShape';

/** Exit code of `blame` when the read model (or the decider) threw: the changes before it are printed. */
export const EXIT_FAULTED = 7;

export interface BlameArgs {
  /** A store file, or a postgres:// URL (with `schema` when the database holds several stores). */
  readonly store: string;
  readonly schema?: string;
  readonly readModel: string | undefined;
  readonly stream: string | undefined;
  readonly path: string;
  readonly to: number | undefined;
  /** A domain module (domain.js) whose projections and deciders join the built-in ones. */
  readonly domain: string | undefined;
}

/** The change lines of a blame, newest first: one JSON object each, with its event's globalPosition. */
export function blameLines(result: BlameResult): string {
  const path = formatValuePath(result.path);
  return result.changes.map((c) => `${JSON.stringify({ path, ...c })}\n`).join('');
}

/**
 * `event-store blame`: which events changed one value of a read model (`--read-model`) or of a
 * stream's write-model state (`--stream`), on any store the inspector reads.
 */
export async function blameCommand(
  args: BlameArgs,
  io: { readonly stdout: Writable; readonly stderr: Writable },
  usage: (message: string) => Error,
): Promise<number> {
  if ((args.readModel === undefined) === (args.stream === undefined))
    throw usage('blame needs either --read-model NAME or --stream ID (see event-store --help).');
  const path = parseValuePath(args.path);
  const domain = args.domain
    ? loadDomainModule(args.domain, { reserved: reservedNames(builtInAggregates, builtInProjections) })
    : undefined;
  const projections = [...builtInProjections, ...(domain?.projections ?? [])];
  const aggregates = [...builtInAggregates, ...(domain?.aggregates ?? [])];
  const projection = args.readModel === undefined ? undefined : projections.find((p) => p.name === args.readModel);
  if (args.readModel !== undefined && !projection)
    throw usage(
      `There is no read model named ${JSON.stringify(args.readModel)}; the read models are ${projections.map((p) => p.name).join(', ')}.`,
    );
  const store = isPostgresUrl(args.store)
    ? await openCliPostgres(args.store, args.schema, false)
    : await openAnyStore({ path: args.store, readOnly: true, readOnlyReason: 'blame only reads' });
  try {
    const result = projection
      ? await blameReadModel(store, projection, path, { ...(args.to !== undefined ? { to: args.to } : {}) })
      : blameStream(store, aggregates, args.stream!, path, { ...(args.to !== undefined ? { to: args.to } : {}) });
    await writeText(io.stdout, blameLines(result));
    if (result.fault) {
      io.stderr.write(
        `${describeFault(result.fault, projection?.title ?? result.fault.readModel)} The history above stops before that event.\n`,
      );
      return EXIT_FAULTED;
    }
    return 0;
  } finally {
    await store.close();
  }
}
