import { isExpectedVersionConflictError } from '@event-driven-io/emmett';
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import type { Client } from 'pg';
import type { RecordedEvent } from '../../eventStore/types';
import { connectPostgres, type PostgresTarget } from './connection';
import { quoteIdent } from './dialects';
import type { TeamWriter } from './postgresStore';

/** A connection string for Emmett's pool: the target's, with its password and the store's schema first on the search path. */
export function emmettConnectionString(target: PostgresTarget, schema: string): string {
  const url = target.connectionString
    ? new URL(target.connectionString)
    : new URL(
        `postgres://${encodeURIComponent(target.user ?? '')}@${target.host ?? 'localhost'}:${target.port ?? 5432}/${encodeURIComponent(target.database ?? '')}`,
      );
  if (target.password) url.password = encodeURIComponent(target.password);
  url.searchParams.set('options', `-c search_path=${quoteIdent(schema)},public`);
  return url.toString();
}

/**
 * The team store's writes on an Emmett PostgreSQL schema, through Emmett's own event store
 * (`getPostgreSQLEventStore(...).appendToStream`), so that an Emmett application and the
 * inspector share one store: the same function, the same expected-version check, the same
 * metadata (our event id is Emmett's messageId; correlation and causation ids stay in the metadata
 * under the names Emmett's own metadata uses). Emmett's facade returns the last position of an
 * append; the positions of a longer append are read back by their stream positions.
 */
export async function emmettTeamWriter(target: PostgresTarget, schema: string): Promise<TeamWriter> {
  const emmett = getPostgreSQLEventStore(emmettConnectionString(target, schema), {
    schema: { autoMigration: 'None' },
  });
  const client: Client = await connectPostgres(target);
  const t = `${quoteIdent(schema)}.emt_messages`;
  const streams = `${quoteIdent(schema)}.emt_streams`;
  const currentVersion = async (streamId: string): Promise<number> => {
    const r = await client.query<{ v: string }>(
      `SELECT stream_position::text AS v FROM ${streams} WHERE stream_id = $1 AND partition = 'emt:default' AND is_archived = FALSE`,
      [streamId],
    );
    return Number(r.rows[0]?.v ?? 0);
  };
  return {
    async append(streamId, events, expected) {
      const expectedStreamVersion = expected === 'any' ? undefined : expected === 'no-stream' ? 0n : BigInt(expected);
      try {
        const result = await emmett.appendToStream(
          streamId,
          events.map((e) => ({
            type: e.type,
            data: e.data as never,
            metadata: { ...e.metadata, messageId: e.eventId },
          })),
          expectedStreamVersion === undefined ? {} : { expectedStreamVersion },
        );
        const nextVersion = Number(result.nextExpectedStreamVersion);
        const last = Number(result.lastEventGlobalPosition);
        let positions = [last];
        if (events.length > 1) {
          const r = await client.query<[string]>({
            text: `SELECT global_position::text AS esi_p FROM ${t} WHERE stream_id = $1 AND partition = 'emt:default' AND is_archived = FALSE AND stream_position > $2 AND stream_position <= $3 ORDER BY stream_position`,
            values: [streamId, nextVersion - events.length, nextVersion],
            rowMode: 'array',
          });
          positions = r.rows.map((row) => Number(row[0]));
        }
        return { ok: true, positions, nextVersion };
      } catch (e) {
        if (!isExpectedVersionConflictError(e)) throw e;
        return { ok: false, actual: await currentVersion(streamId) };
      }
    },
    readStreamTail: (streamId, afterVersion) => streamEvents(streamId, 'stream_position > $2', afterVersion),
    findInStream: (streamId, eventIds) => streamEvents(streamId, 'message_id = ANY($2)', [...eventIds]),
    async close() {
      await Promise.allSettled([emmett.close(), client.end()]);
    },
  };

  /** Committed events of one stream, straight from the table (the primary key leads with the stream id). */
  async function streamEvents(streamId: string, where: string, value: unknown): Promise<RecordedEvent[]> {
    const r = await client.query<unknown[]>({
      text: `SELECT global_position::text AS esi_p, stream_position::text AS esi_v, message_id, message_type, message_data, message_metadata,
               to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
             FROM ${t} WHERE stream_id = $1 AND partition = 'emt:default' AND is_archived = FALSE
               AND message_kind = 'E' AND ${where} ORDER BY stream_position`,
      values: [streamId, value],
      rowMode: 'array',
    });
    return r.rows.map((row): RecordedEvent => ({
      globalPosition: Number(row[0]),
      streamId,
      streamVersion: Number(row[1]),
      eventId: String(row[2]),
      type: String(row[3]),
      data: row[4] ?? null,
      metadata: (row[5] ?? {}) as RecordedEvent['metadata'],
      recordedAt: String(row[6] ?? ''),
    }));
  }
}

/** Creates Emmett's tables in an empty schema, with Emmett's own migrations. */
export async function createEmmettSchema(target: PostgresTarget, schema: string): Promise<void> {
  const emmett = getPostgreSQLEventStore(emmettConnectionString(target, schema));
  try {
    await emmett.schema.migrate();
  } finally {
    await emmett.close();
  }
}
