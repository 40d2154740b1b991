import { Client } from 'pg';

/**
 * A Marten event store from Marten's documented schema (Marten is .NET and does not run here):
 * `mt_events`, `mt_streams`, `mt_event_progression` and the `mt_events_sequence`, as Marten 7
 * generates them for string stream identities with the metadata columns turned on
 * (https://martendb.io/events/storage.html), in a schema of its own. The rows are what Marten's
 * append writes: seq_id from the sequence, version per stream from 1, data as jsonb.
 */
export async function createMartenSchema(url: string, schema: string): Promise<void> {
  const s = `"${schema}"`;
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`
      CREATE SCHEMA ${s};
      CREATE SEQUENCE ${s}.mt_events_sequence;
      CREATE TABLE ${s}.mt_streams (
        id varchar NOT NULL, type varchar NULL, version bigint NULL,
        timestamp timestamptz DEFAULT (now()) NOT NULL, snapshot jsonb NULL, snapshot_version integer NULL,
        created timestamptz DEFAULT (now()) NOT NULL, tenant_id varchar DEFAULT '*DEFAULT*',
        is_archived bool DEFAULT FALSE, CONSTRAINT pkey_mt_streams_id PRIMARY KEY (id));
      CREATE TABLE ${s}.mt_events (
        seq_id bigint NOT NULL, id uuid NOT NULL, stream_id varchar NULL, version bigint NOT NULL, data jsonb NOT NULL,
        type varchar(500) NOT NULL, timestamp timestamptz DEFAULT '(now())' NOT NULL,
        tenant_id varchar DEFAULT '*DEFAULT*', mt_dotnet_type varchar NULL,
        correlation_id varchar NULL, causation_id varchar NULL, headers jsonb NULL,
        is_archived bool DEFAULT FALSE,
        CONSTRAINT pkey_mt_events_seq_id PRIMARY KEY (seq_id),
        CONSTRAINT fkey_mt_events_stream_id FOREIGN KEY (stream_id) REFERENCES ${s}.mt_streams(id) ON DELETE CASCADE);
      CREATE UNIQUE INDEX pk_mt_events_stream_and_version ON ${s}.mt_events (stream_id, version);
      CREATE UNIQUE INDEX pk_mt_events_id_unique ON ${s}.mt_events (id);
      CREATE TABLE ${s}.mt_event_progression (
        name varchar NOT NULL, last_seq_id bigint NULL, last_updated timestamptz DEFAULT (transaction_timestamp()),
        CONSTRAINT pk_mt_event_progression PRIMARY KEY (name));
    `);
    const append = async (stream: string, version: number, type: string, data: unknown, extra: string[]) => {
      if (version === 1)
        await client.query(`INSERT INTO ${s}.mt_streams (id, type, version) VALUES ($1, 'Order', 1)`, [stream]);
      else await client.query(`UPDATE ${s}.mt_streams SET version = $2 WHERE id = $1`, [stream, version]);
      await client.query(
        `INSERT INTO ${s}.mt_events (seq_id, id, stream_id, version, data, type, mt_dotnet_type, correlation_id, causation_id, headers)
         VALUES (nextval('${s}.mt_events_sequence'), gen_random_uuid(), $1, $2, $3, $4::varchar, 'Orders.' || $4::varchar, $5, $6, $7)`,
        [stream, version, JSON.stringify(data), type, ...extra],
      );
    };
    await append('order-1', 1, 'order_placed', { total: 12 }, ['corr-1', 'cause-1', null as never]);
    await append('order-1', 2, 'order_shipped', {}, ['corr-1', null as never, JSON.stringify({ user: 'ada' })]);
    await append('order-2', 1, 'order_placed', { total: 5 }, [null as never, null as never, null as never]);
    await client.query(
      `INSERT INTO ${s}.mt_event_progression (name, last_seq_id) VALUES ('HighWaterMark', 3), ('Orders:All', 2)`,
    );
  } finally {
    await client.end();
  }
}
