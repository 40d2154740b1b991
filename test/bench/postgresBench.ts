// Emmett PostgreSQL stores on a real server (fsync on): streaming a store into the replay's fold
// beside a bare `pg` cursor over the same rows; the first page of streams; seek after the fold;
// team-store appends (through Emmett's library) beside a bare INSERT of the same row in one
// transaction; a SQL query through the query views beside the same on the raw table.
// `BENCH_PG_SIZES=1000,100000,1000000`; `BENCH_ONLY=postgres` runs these alone, `BENCH_ONLY=pgquery`
// only the fill and the query.
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import { Client } from 'pg';
import { builtInAggregates } from '../../src/core/domain/aggregates';
import { openPostgresStore } from '../../src/core/formats/postgres/openPostgres';
import { builtInProjections } from '../../src/core/projections/builtIn';
import { ReplayEngine } from '../../src/core/replay/replayEngine';
import { PostgresQuerySource } from '../../src/core/query/postgresQuery';
import { startPostgres } from '../builders/postgresServer';
import { fmt, maxLoopDelay, now, quantile, type BenchRow } from './measure';

const STREAMS = 10_000;

/**
 * Fills an Emmett schema (made by Emmett's own migrations) with `total` user events in 10,000
 * streams: rows as Emmett's append writes them (position from its sequence, the transaction id,
 * the stream table), in one INSERT … SELECT, since a million appends one by one would take the
 * bench's whole budget.
 */
async function fill(url: string, total: number): Promise<void> {
  const emmett = getPostgreSQLEventStore(url);
  await emmett.schema.migrate();
  await emmett.close();
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO emt_messages (stream_id, stream_position, partition, message_kind, message_data, message_metadata,
         message_schema_version, message_type, message_id, transaction_id)
       SELECT 'user-' || (i % ${STREAMS}), i / ${STREAMS} + 1, 'emt:default', 'E',
         CASE WHEN i < ${STREAMS} THEN jsonb_build_object('userId', (i % ${STREAMS})::text, 'name', 'User ' || i)
              ELSE jsonb_build_object('userId', (i % ${STREAMS})::text, 'oldName', 'User ' || (i - ${STREAMS}), 'name', 'User ' || i) END,
         jsonb_build_object('correlationId', md5(i::text), 'causationId', md5(i::text)),
         '1', CASE WHEN i < ${STREAMS} THEN 'UserCreated' ELSE 'UserRenamed' END, gen_random_uuid()::text, pg_current_xact_id()
       FROM generate_series(0, $1 - 1) AS i ORDER BY i`,
      [total],
    );
    await client.query(
      `INSERT INTO emt_streams (stream_id, stream_position, partition, stream_type, stream_metadata)
       SELECT stream_id, max(stream_position), 'emt:default', 'user', '{}' FROM emt_messages GROUP BY stream_id`,
    );
    await client.query('VACUUM ANALYZE emt_messages');
  } finally {
    await client.end();
  }
}

/** The baseline: a bare `pg` cursor over the same rows, in the same order, parsed by pg as ours are. */
async function bareCursor(url: string): Promise<{ ms: number; rows: number }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const t0 = now();
    await client.query('BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(
      `DECLARE bare NO SCROLL CURSOR FOR SELECT global_position::text, stream_id, stream_position::text, message_id, message_type,
         message_data, message_metadata, to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
       FROM emt_messages WHERE message_kind = 'E' AND partition = 'emt:default' AND is_archived = FALSE
         AND transaction_id < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY global_position`,
    );
    let rows = 0;
    for (;;) {
      const r = await client.query({ text: 'FETCH 10000 FROM bare', rowMode: 'array' });
      rows += r.rows.length;
      if (r.rows.length < 10000) break;
    }
    await client.query('COMMIT');
    return { ms: now() - t0, rows };
  } finally {
    await client.end();
  }
}

const SQL_VIEW = "SELECT count(*) FROM events WHERE data->>'userId' = $1";
const SQL_RAW = "SELECT count(*) FROM emt_messages WHERE message_data->>'userId' = $1";
/** The same with the rows the view keeps (events, readable now): what the view itself asks of the server. */
const SQL_RAW_FILTERED = `${SQL_RAW} AND message_kind = 'E' AND partition = 'emt:default' AND is_archived = FALSE
  AND transaction_id < (SELECT pg_snapshot_xmin(pg_current_snapshot()))`;

/**
 * A query through PostgresQuerySource (a connection, BEGIN READ ONLY, the views, ROLLBACK, every
 * run) beside the same question to the raw table on a plain pg client already connected, with the
 * view's row filters (the ratio) and without them; best of five, alternately. The filled events carry `userId` (not `sku`): the same shape of question, a
 * jsonb field of every event compared, one match in 10,000. The longest event-loop delay during our
 * query is set beside that of a loop that only waits as long, in the same run.
 */
async function benchQuery(url: string, total: number, rows: BenchRow[], figures: Record<string, unknown>) {
  const source = new PostgresQuerySource({ connectionString: url, schema: 'public' }, { defaultTimeoutMs: 600_000 });
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const expected = Math.ceil(total / STREAMS);
    const ours: number[] = [];
    const bare: number[] = [];
    const plain: number[] = [];
    let loop = 0;
    let wall = 0;
    await client.query(SQL_RAW, ['42']); // the cache warmed the same way for both
    for (let round = 0; round < 5; round++) {
      const t0 = now();
      const raw = await client.query<{ count: string }>(SQL_RAW_FILTERED, ['42']);
      bare.push(now() - t0);
      const t1 = now();
      await client.query(SQL_RAW, ['42']);
      plain.push(now() - t1);
      if (Number(raw.rows[0]!.count) !== expected) throw new Error(`the raw query counted ${raw.rows[0]!.count}`);
      const measured = await maxLoopDelay(() => source.run(SQL_VIEW, { params: ['42'] }));
      ours.push(measured.wallMs);
      if (measured.result.rows[0]![0] !== expected) throw new Error(`the view counted ${measured.result.rows[0]![0]}`);
      loop = Math.max(loop, measured.ms);
      wall = Math.max(wall, measured.wallMs);
    }
    const idle = await maxLoopDelay(() => new Promise((resolve) => setTimeout(resolve, wall)));
    const oursMs = Math.min(...ours);
    const bareMs = Math.min(...bare);
    const plainMs = Math.min(...plain);
    const goal = total >= 1_000_000;
    rows.push({
      metric: `PostgreSQL ${fmt(total)}: count(*) WHERE data->>'userId' = $1 through the query views (ms)`,
      ours: fmt(oursMs, 1),
      baseline: `${fmt(bareMs, 1)} raw table, plain pg (${fmt(plainMs, 1)} without the view's filters)`,
      ratio: `${(oursMs / bareMs).toFixed(2)}×`,
      goal: goal ? '<= 1.2× raw' : 'info',
      ...(goal ? { pass: oursMs <= 1.2 * bareMs } : {}),
    });
    rows.push({
      metric: `PostgreSQL ${fmt(total)}: longest event-loop delay during that query (ms)`,
      ours: fmt(loop, 1),
      baseline: `${fmt(idle.ms, 1)} idle as long`,
      ratio: '',
      goal: goal ? '<= 50 ms' : 'info',
      ...(goal ? { pass: loop <= 50 } : {}),
    });
    figures[`pgQuery${total}`] = {
      oursMs,
      bareMs,
      plainMs,
      ours,
      bare,
      plain,
      loopDelayMaxMs: loop,
      idleLoopDelayMaxMs: idle.ms,
    };
  } finally {
    await client.end();
    await source.close();
  }
}

export async function benchPostgres(
  sizes: readonly number[],
  log: (line: string) => void,
  options: { readonly onlyQuery?: boolean } = {},
): Promise<{ rows: BenchRow[]; figures: Record<string, unknown> }> {
  const rows: BenchRow[] = [];
  const figures: Record<string, unknown> = {};
  const server = await startPostgres({ fsync: true });
  try {
    for (const total of sizes) {
      const url = await server.createDatabase(`bench_${total}`);
      const t0 = now();
      await fill(url, total);
      log(`Emmett PostgreSQL store of ${fmt(total)} events filled in ${fmt((now() - t0) / 1000, 1)} s`);
      await benchQuery(url, total, rows, figures);
      if (options.onlyQuery) continue;

      // Warm the server's cache the same way for both, then the baseline and ours, alternately, best of two.
      await bareCursor(url);
      const bare: number[] = [];
      const ours: number[] = [];
      const opened: number[] = [];
      let heapMb = 0;
      let firstPage = 0;
      let seeks: number[] = [];
      let progressCalls = 0;
      for (let round = 0; round < 2; round++) {
        const b = await bareCursor(url);
        if (b.rows !== total) throw new Error(`the bare cursor read ${b.rows} rows of ${total}`);
        bare.push(b.ms);
        const t1 = now();
        const store = await openPostgresStore(
          { connectionString: url, schema: 'public', format: 'emmett-postgresql' },
          { onProgress: () => void (progressCalls += 1) },
        );
        opened.push(now() - t1);
        const engine = new ReplayEngine(store, builtInProjections, builtInAggregates);
        engine.statesAt(store.lastPosition());
        ours.push(now() - t1);
        heapMb = Math.max(heapMb, process.memoryUsage().heapUsed / 1e6);
        if (store.stats().events !== total) throw new Error(`the store shows ${store.stats().events} of ${total}`);
        const t2 = now();
        store.listStreams({ limit: 100 });
        firstPage = now() - t2;
        while (!engine.warm(10_000));
        seeks = [];
        for (let i = 0; i < 50; i++) {
          const p = 1 + Math.floor((((i * 7919) % 1000) / 1000) * total);
          const t3 = now();
          engine.statesAt(p);
          seeks.push(now() - t3);
        }
        await store.close();
      }
      const bareMs = Math.min(...bare);
      const oursMs = Math.min(...ours);
      const ratio = bareMs / oursMs;
      const goal = total >= 1_000_000;
      rows.push({
        metric: `PostgreSQL ${fmt(total)}: stream into the replay's fold (events/s)`,
        ours: fmt(total / (oursMs / 1000)),
        baseline: `${fmt(total / (bareMs / 1000))} bare pg cursor`,
        ratio: `${ratio.toFixed(2)}×`,
        goal: goal ? '>= 0.8×' : 'info',
        ...(goal ? { pass: ratio >= 0.8 } : {}),
      });
      rows.push({
        metric: `PostgreSQL ${fmt(total)}: first page of streams (ms)`,
        ours: fmt(firstPage, 1),
        baseline: '',
        ratio: '',
        goal: goal ? '<= 100 ms' : 'info',
        ...(goal ? { pass: firstPage <= 100 } : {}),
      });
      rows.push({
        metric: `PostgreSQL ${fmt(total)}: seek after the fold, p50 / p95 (ms)`,
        ours: `${fmt(quantile(seeks, 0.5), 1)} / ${fmt(quantile(seeks, 0.95), 1)}`,
        baseline: '',
        ratio: '',
        goal: goal ? 'p95 <= 50 ms' : 'info',
        ...(goal ? { pass: quantile(seeks, 0.95) <= 50 } : {}),
      });
      figures[`pg${total}`] = {
        bareMs,
        oursMs,
        openMs: Math.min(...opened),
        heapMb,
        firstPage,
        seekP50: quantile(seeks, 0.5),
        seekP95: quantile(seeks, 0.95),
        progressCalls,
      };

      // Team-store appends (one event, expected version) beside a bare INSERT of the same row in one transaction.
      const team = await openPostgresStore({
        connectionString: url,
        schema: 'public',
        format: 'emmett-postgresql',
        write: true,
      });
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        const ourTimes: number[] = [];
        const bareTimes: number[] = [];
        for (let i = 0; i < 320; i++) {
          const stream = `bench-${i % 50}`;
          const data = { userId: String(i), name: `Bench ${i}` };
          const metadata = { correlationId: `c-${i}`, causationId: `c-${i}` };
          const t4 = now();
          await team.append(stream, [{ type: 'UserRenamed', data, metadata }], {
            expectedVersion: team.streamVersion(stream) || 'no-stream',
          });
          const t5 = now();
          await client.query('BEGIN');
          await client.query(
            `INSERT INTO emt_messages (stream_id, stream_position, partition, message_kind, message_data, message_metadata,
               message_schema_version, message_type, message_id, transaction_id)
             VALUES ($1, $2, 'emt:default', 'E', $3, $4, '1', 'UserRenamed', gen_random_uuid()::text, pg_current_xact_id())`,
            [`bare-${i % 50}`, Math.floor(i / 50) + 1, JSON.stringify(data), JSON.stringify(metadata)],
          );
          await client.query('COMMIT');
          const t6 = now();
          if (i >= 20) {
            ourTimes.push(t5 - t4);
            bareTimes.push(t6 - t5);
          }
        }
        const p95 = quantile(ourTimes, 0.95);
        const bareP95 = quantile(bareTimes, 0.95);
        rows.push({
          metric: `PostgreSQL ${fmt(total)}: team-store append p50 / p95 (ms)`,
          ours: `${fmt(quantile(ourTimes, 0.5), 2)} / ${fmt(p95, 2)}`,
          baseline: `${fmt(quantile(bareTimes, 0.5), 2)} / ${fmt(bareP95, 2)} bare INSERT`,
          ratio: `${(p95 / bareP95).toFixed(2)}×`,
          goal: 'p95 <= 2× bare',
          pass: p95 <= 2 * bareP95,
        });
        figures[`pgAppend${total}`] = { p50: quantile(ourTimes, 0.5), p95, bareP50: quantile(bareTimes, 0.5), bareP95 };
      } finally {
        await client.end();
        await team.close();
      }
    }
  } finally {
    server.stop();
  }
  return { rows, figures };
}
