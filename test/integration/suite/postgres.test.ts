import * as assert from 'node:assert/strict';
import { getPostgreSQLEventStore, type PostgresEventStore } from '@event-driven-io/emmett-postgresql';
import { Client } from 'pg';
import * as vscode from 'vscode';
import type { EventStoreApi } from '../../../src/extension';
import { StoreSession } from '../../../src/core/application/session';
import { ConcurrencyError } from '../../../src/core/eventStore/errors';
import { openPostgresStore } from '../../../src/core/formats/postgres/openPostgres';
import { formatOf } from '../../../src/core/formats/storeReader';
import type { ConnectResult } from '../../../src/ui/commands/postgres';
import { installMessageDb, writeMessage } from '../../builders/messageDb';
import { addPasswordRole } from '../../builders/postgresRoles';
import { startPostgres, type PostgresServer } from '../../builders/postgresServer';

const EXTENSION_ID = 'event-store-inspector.event-store-inspector';

async function api(): Promise<EventStoreApi> {
  const ext = vscode.extensions.getExtension<EventStoreApi>(EXTENSION_ID);
  assert.ok(ext, 'extension is installed');
  return ext.isActive ? ext.exports : ext.activate();
}

/** Waits for a state (not a time): the condition is checked until it holds or the deadline passes. */
async function until(what: string, condition: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function sql<T>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

const connect = (args: Record<string, unknown>) =>
  vscode.commands.executeCommand<ConnectResult | undefined>('eventStore.connectPostgres', args);

describe('PostgreSQL stores in VS Code (a real server)', function () {
  this.timeout(180_000);
  let server: PostgresServer;
  let url: string;
  let emmett: PostgresEventStore;
  let ext: EventStoreApi;

  before(async () => {
    ext = await api();
    server = await startPostgres();
    url = await server.createDatabase('it_pg');
    // Written by Emmett's own PostgreSQL event store, as an application would.
    emmett = getPostgreSQLEventStore(url);
    await emmett.appendToStream('user-ada', [{ type: 'UserCreated', data: { userId: 'ada', name: 'Ada' } }]);
    await emmett.appendToStream('user-alan', [{ type: 'UserCreated', data: { userId: 'alan', name: 'Alan' } }]);
  });
  after(async () => {
    await vscode.commands.executeCommand('eventStore.closeStore');
    await emmett?.close();
    server?.stop();
  });

  it('connects with a connection string, offers the Emmett PostgreSQL store and shows its streams and replay', async () => {
    const result = await connect({ connectionString: url, schema: 'public' });
    assert.ok(result, String(ext.controller.error));
    assert.deepEqual(
      { format: result.format, events: result.events, team: result.team, schema: result.schema },
      { format: 'emmett-postgresql', events: 2, team: false, schema: 'public' },
    );
    const session = ext.controller.session!;
    assert.equal(session.store.readOnly, true);
    assert.equal(formatOf(session.store).id, 'emmett-postgresql');
    const roots = (await ext.streamsTree.getChildren(undefined)) ?? [];
    const labels = await Promise.all(roots.map(async (n) => String((await ext.streamsTree.getTreeItem(n)).label)));
    assert.ok(labels.some((l) => l.includes('user-ada')) && labels.some((l) => l.includes('user-alan')), labels.join());
    assert.equal(session.replay.step(2).event!.type, 'UserCreated');
  });

  it('refuses a write command on a read-only PostgreSQL store, and writes nothing', async () => {
    const result = await vscode.commands.executeCommand('eventStore.createUser', { name: 'Grace' });
    assert.equal(result, undefined);
    const [row] = await sql<{ n: number }>(url, 'SELECT count(*)::int AS n FROM emt_messages');
    assert.equal(row!.n, 2);
  });

  it('shows what another writer commits, in the views and the replay, within about a second', async () => {
    const session = ext.controller.session!;
    const started = Date.now();
    await emmett.appendToStream('user-bob', [{ type: 'UserCreated', data: { userId: 'bob', name: 'Bob' } }]);
    await until('the new event in the window', () => session.store.lastPosition() === 3, 10_000);
    const ms = Date.now() - started;
    assert.ok(ms < 3_000, `arrived after ${ms} ms`);
    assert.equal(session.replay.step(3).event!.streamId, 'user-bob');
    const roots = (await ext.streamsTree.getChildren(undefined)) ?? [];
    const labels = await Promise.all(roots.map(async (n) => String((await ext.streamsTree.getTreeItem(n)).label)));
    assert.ok(
      labels.some((l) => l.includes('user-bob')),
      labels.join(),
    );
  });

  it('a lost connection is opened again: the views keep their events, then show what was committed meanwhile', async () => {
    const before = ext.controller.session!;
    const n = before.store.lastPosition();
    await sql(
      url,
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'event-store-inspector'",
    );
    await emmett.appendToStream('user-eve', [{ type: 'UserCreated', data: { userId: 'eve', name: 'Eve' } }]);
    await until(
      'a new connection and the event committed meanwhile',
      () => ext.controller.session !== before && ext.controller.session?.store.lastPosition() === n + 1,
    );
    assert.equal(ext.controller.session!.replay.step(n + 1).event!.streamId, 'user-eve');
  });

  it('as the team store, palette commands append through it: Emmett reads them, and decides on its own streams', async () => {
    const result = await connect({ connectionString: url, schema: 'public', write: true });
    assert.equal(result?.team, true, String(ext.controller.error));
    const created = (await vscode.commands.executeCommand('eventStore.createUser', { name: 'Grace' })) as
      { events: { streamId: string }[] } | undefined;
    assert.ok(created, 'the command was accepted');
    const stream = created.events[0]!.streamId;
    const read = await emmett.readStream(stream);
    assert.deepEqual(
      read.events.map((e) => [e.type, (e.data as { name: string }).name]),
      [['UserCreated', 'Grace']],
    );
    // A stream Emmett wrote: the write model folds it and appends at its version.
    assert.ok(await vscode.commands.executeCommand('eventStore.renameUser', { userId: 'ada', name: 'Ada L.' }));
    const ada = await emmett.readStream('user-ada');
    assert.deepEqual(
      ada.events.map((e) => e.type),
      ['UserCreated', 'UserRenamed'],
    );
    // Execute Command… goes the same way.
    const executed = (await vscode.commands.executeCommand('eventStore.executeCommand', {
      type: 'CreateUser',
      data: { userId: 'exec-1', name: 'Executed' },
    })) as { streamId: string } | undefined;
    assert.equal(executed?.streamId, 'user-exec-1');
    assert.equal((await emmett.readStream('user-exec-1')).events.length, 1);
    // And Emmett's expected version holds against what the inspector appended.
    await assert.rejects(
      emmett.appendToStream('user-ada', [{ type: 'UserRenamed', data: { userId: 'ada', name: 'x' } }], {
        expectedStreamVersion: 1n,
      }),
    );
  });

  it("a conflict seen by another writer is this window's win", async () => {
    const other = await openPostgresStore({
      connectionString: url,
      schema: 'public',
      format: 'emmett-postgresql',
      write: true,
    });
    const otherSession = StoreSession.over(other, { readModels: false });
    try {
      const before = ext.controller.session!.store.streamVersion('user-alan');
      assert.ok(await vscode.commands.executeCommand('eventStore.renameUser', { userId: 'alan', name: 'Alan T.' }));
      // The other writer decided on what it loaded before that append: without a retry, it sees the conflict.
      await assert.rejects(
        otherSession.execute({ type: 'RenameUser', data: { userId: 'alan', name: 'A. Turing' } }, { maxRetries: 0 }),
        (e: unknown) => ConcurrencyError.is(e) && /someone else changed it first/.test(e.message),
      );
      await other.poll();
      assert.equal(other.streamVersion('user-alan'), before + 1);
      await otherSession.execute({ type: 'RenameUser', data: { userId: 'alan', name: 'A. Turing' } });
      const session = ext.controller.session!;
      await until(
        'the other writer’s event in this window',
        () => session.store.streamVersion('user-alan') === before + 2,
      );
    } finally {
      await otherSession.close();
    }
  });

  it('Check Store runs the PostgreSQL checks on the open store: a sound store has no finding', async () => {
    const findings = await vscode.commands.executeCommand<unknown[]>('eventStore.checkStore');
    assert.deepEqual(findings, []);
  });

  it('a wrong password is refused in one sentence, and the window keeps its store', async () => {
    await vscode.commands.executeCommand('eventStore.closeStore');
    const role = await addPasswordRole(server, 'it_ada', 'the-right-one');
    await sql(url, `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
    const roleUrl = url.replace('postgres@', `${role}@`);
    const result = await connect({ connectionString: roleUrl, password: 'the-wrong-one', schema: 'public' });
    assert.equal(result, undefined);
    const session = ext.controller.session;
    assert.ok(session, 'the workspace store is still open');
    assert.equal(formatOf(session.store).id, 'native');
  });

  it('remembers a connection without its password: by its id it connects with the password from the secret storage', async () => {
    const roleUrl = url.replace('postgres@', 'it_ada@');
    const first = await connect({ connectionString: roleUrl, password: 'the-right-one', schema: 'public' });
    assert.ok(first, String(ext.controller.error));
    assert.doesNotMatch(JSON.stringify(first), /the-right-one/);
    await vscode.commands.executeCommand('eventStore.closeStore');
    const again = await connect({ connectionId: first.connectionId });
    assert.equal(again?.schema, 'public', String(ext.controller.error));
    assert.equal(await vscode.commands.executeCommand('eventStore.forgetPostgresConnection', first.connectionId), true);
    await vscode.commands.executeCommand('eventStore.closeStore');
    assert.equal(await connect({ connectionId: first.connectionId }), undefined);
  });

  it('a Message DB store beside it is offered too, opens read-only, and cannot be the team store', async () => {
    await installMessageDb(url);
    await writeMessage(url, 'account-42', 'Deposited', { amount: 10 });
    await writeMessage(url, 'account-42', 'Withdrawn', { amount: 3 });
    assert.equal(await connect({ connectionString: url, schema: 'message_store', write: true }), undefined);
    const result = await connect({ connectionString: url, schema: 'message_store' });
    assert.deepEqual(
      { format: result?.format, events: result?.events, team: result?.team },
      { format: 'message-db', events: 2, team: false },
    );
    const roots = (await ext.streamsTree.getChildren(undefined)) ?? [];
    const labels = await Promise.all(roots.map(async (n) => String((await ext.streamsTree.getTreeItem(n)).label)));
    assert.deepEqual(labels, ['account-42']);
    assert.equal(ext.controller.session!.replay.step(2).event!.type, 'Withdrawn');
  });

  it('Close Store ends the connections of the PostgreSQL store', async () => {
    await connect({ connectionString: url, schema: 'public' });
    await vscode.commands.executeCommand('eventStore.closeStore');
    assert.equal(formatOf(ext.controller.session!.store).id, 'native');
    await until('no connection of the inspector left', async () => {
      const [row] = await sql<{ n: number }>(
        url,
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'event-store-inspector'",
      );
      return row!.n === 0;
    });
  });
});
