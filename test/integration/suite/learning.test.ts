import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BranchResult } from '../../../src/core/application/branch';
import type { CommandResult } from '../../../src/core/application/commandHandler';
import type { ConcurrentUpdateOutcome } from '../../../src/core/application/concurrency';
import type { CartDetailsState } from '../../../src/core/projections/cartDetails';
import type { EventStoreApi } from '../../../src/extension';
import { CommandLogTree } from '../../../src/ui/commandLogTree';
import type { DomainModuleState } from '../../../src/ui/domainModule';
import type { QueryReport } from '../../../src/ui/commands/queries';

const EXTENSION_ID = 'event-store-inspector.event-store-inspector';

const LEARNING_COMMANDS = [
  'eventStore.executeCommand',
  'eventStore.addItemToCart',
  'eventStore.removeItemFromCart',
  'eventStore.confirmCart',
  'eventStore.cancelCart',
  'eventStore.queryReadModel',
  'eventStore.simulateConcurrentUpdate',
  'eventStore.branchStore',
  'eventStore.switchStore',
  'eventStore.showCommandLogEntry',
  'eventStore.createDomainModule',
  'eventStore.reloadDomainModule',
  'eventStore.openWalkthrough',
];

async function api(): Promise<EventStoreApi> {
  const ext = vscode.extensions.getExtension<EventStoreApi>(EXTENSION_ID);
  assert.ok(ext, 'extension is installed');
  return ext.isActive ? ext.exports : ext.activate();
}

const run = <T>(command: string, ...args: unknown[]) =>
  vscode.commands.executeCommand(command, ...args) as Thenable<T | undefined>;

describe('Learning commands in the extension host', () => {
  let ext: EventStoreApi;
  let folder: string;
  before(async () => {
    ext = await api();
    folder = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    await vscode.commands.executeCommand('eventStore.seedDemoData', { mix: true });
  });

  it('registers the learning commands', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(
      LEARNING_COMMANDS.filter((c) => !registered.has(c)),
      [],
    );
  });

  it('cart commands go through the Cart aggregate and its read models', async () => {
    const session = await ext.controller.get();
    const added = await run<CommandResult>('eventStore.addItemToCart', {
      cartId: 'it-1',
      productId: 'book',
      quantity: 2,
      unitPrice: 12.5,
    });
    assert.deepEqual(
      added?.events.map((e) => e.type),
      ['ItemAdded'],
    );
    await run('eventStore.addItemToCart', { cartId: 'it-1', productId: 'pen', quantity: 1, unitPrice: 1.2 });
    await run('eventStore.removeItemFromCart', { cartId: 'it-1', productId: 'pen' });
    const confirmed = await run<CommandResult>('eventStore.confirmCart', { cartId: 'it-1' });
    assert.deepEqual(confirmed?.events[0]?.data, { cartId: 'it-1', total: 25, items: 2 });
    assert.equal((session.projector.stateOf('cartDetails') as CartDetailsState).carts['it-1']?.status, 'confirmed');
  });

  it('a rejected command appends nothing and is in the command log with its reason', async () => {
    const session = await ext.controller.get();
    const before = session.store.lastPosition();
    assert.equal(
      await run('eventStore.addItemToCart', { cartId: 'it-1', productId: 'pen', quantity: 1, unitPrice: 1.2 }),
      undefined,
    );
    assert.equal(session.store.lastPosition(), before);
    const last = session.commandLog.last()!;
    assert.deepEqual([last.command.type, last.outcome, last.positionBefore], ['AddItem', 'rejected', before]);
    assert.match(last.reason!, /already confirmed/);
    const file = `${ext.controller.storePath}.commands.ndjson`;
    assert.ok(fs.readFileSync(file, 'utf8').includes('already confirmed'), 'the log is written beside the store');
  });

  it('Execute Command runs any aggregate command given as data, checked by its schema', async () => {
    const result = await run<CommandResult>('eventStore.executeCommand', {
      type: 'CreateUser',
      data: { userId: 'exec-1', name: 'Executed' },
    });
    assert.equal(result?.streamId, 'user-exec-1');
    const session = await ext.controller.get();
    assert.equal(
      await run('eventStore.executeCommand', {
        type: 'AddItem',
        data: { cartId: 'it-2', productId: 'book', quantity: 0, unitPrice: 1 },
      }),
      undefined,
    );
    assert.match(session.commandLog.last()!.reason!, /Quantity must be from 1 to 999/);
  });

  it('Query Read Model answers from a read model and appends nothing', async () => {
    const session = await ext.controller.get();
    const report = await run<QueryReport>('eventStore.queryReadModel', {
      readModel: 'usersDirectory',
      query: 'findUserByName',
      argument: 'Ada',
    });
    assert.ok(report?.answer.found);
    assert.match(report.answer.answer, /Ada Lovelace/);
    assert.equal(report.eventsAfter, report.eventsBefore);
    assert.equal(report.position, session.store.lastPosition());
    const total = await run<QueryReport>('eventStore.queryReadModel', {
      readModel: 'cartDetails',
      query: 'cartTotal',
      argument: 'it-1',
    });
    assert.match(total!.answer.answer, /totals 25\.00/);
  });

  it('Simulate Concurrent Update: one wins, one conflicts, both logged; Retry decides again', async () => {
    const session = await ext.controller.get();
    const report = await run<{ outcome: ConcurrentUpdateOutcome; retry: CommandResult }>(
      'eventStore.simulateConcurrentUpdate',
      {
        first: { type: 'RenameUser', data: { userId: 'exec-1', name: 'Window A' } },
        second: { type: 'RenameUser', data: { userId: 'exec-1', name: 'Window B' } },
        retry: true,
      },
    );
    assert.equal(report?.outcome.kind, 'conflict');
    assert.deepEqual(report.retry.events[0]?.data, { userId: 'exec-1', oldName: 'Window A', name: 'Window B' });
    assert.deepEqual(
      session.commandLog
        .entries()
        .slice(-3)
        .map((e) => e.outcome),
      ['accepted', 'conflict', 'accepted'],
    );
  });

  it('the Command Log view lists commands newest first, with rejections', async () => {
    const provider = new CommandLogTree(ext.controller);
    const rows = await provider.getChildren();
    const items = rows.slice(0, 5).map((r) => provider.getTreeItem(r));
    assert.equal(items[0]!.label, 'RenameUser');
    const descriptions = (await Promise.all(rows.map((r) => provider.getTreeItem(r)))).map((i) =>
      String(i.description),
    );
    assert.ok(
      descriptions.some((d) => d.startsWith('rejected · Cart it-1 is already confirmed')),
      descriptions.slice(0, 10).join(' | '),
    );
    assert.ok(descriptions.some((d) => d.startsWith('conflict · ')));
    provider.dispose();
  });

  it('Branch Store Here writes a new store up to a position, and Switch Store opens it; the original is untouched', async () => {
    const session = await ext.controller.get();
    const original = ext.controller.storePath;
    const total = session.store.lastPosition();
    const result = await run<BranchResult>('eventStore.branchStore', 5, { switchTo: false });
    assert.ok(result && fs.existsSync(result.path));
    assert.equal(path.dirname(result.path), path.dirname(original));
    assert.match(path.basename(result.path), /^branch-5-\d{8}-\d{6}\.db$/);
    await run('eventStore.switchStore', result.path);
    const branch = await ext.controller.get();
    assert.equal(branch.store.path, result.path);
    assert.equal(branch.store.lastPosition(), 5);
    await run('eventStore.switchStore', original);
    const back = await ext.controller.get();
    assert.equal(back.store.lastPosition(), total);
    await vscode.workspace
      .getConfiguration('eventStore')
      .update('storePath', undefined, vscode.ConfigurationTarget.Workspace);
  });

  it('a workspace domain module is loaded, drives Execute Command and its read model, and its errors are reported', async () => {
    const file = path.join(folder, '.eventstore', 'domain.js');
    const fixture = path.join(
      __dirname,
      '..',
      '..',
      '..',
      '..',
      'test',
      'fixtures',
      'workspace-domain',
      '.eventstore',
      'domain.js',
    );
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.copyFileSync(fixture, file);
    try {
      const state = await run<DomainModuleState>('eventStore.reloadDomainModule');
      assert.equal(state?.status, 'loaded');
      const session = await ext.controller.get();
      assert.ok(session.aggregates.some((a) => a.name === 'Room'));
      const booked = await run<CommandResult>('eventStore.executeCommand', {
        type: 'BookRoom',
        data: { roomId: 'atlas', slot: '2026-03-02 am', bookedBy: 'Ada' },
      });
      assert.equal(booked?.streamId, 'room-atlas');
      assert.ok(session.projector.stateOf('bookingsPerPerson'));

      fs.writeFileSync(file, 'module.exports = { aggregates: [ { name: ');
      const broken = await run<DomainModuleState>('eventStore.reloadDomainModule');
      assert.equal(broken?.status, 'error');
      const after = await ext.controller.get();
      assert.ok(!after.aggregates.some((a) => a.name === 'Room'), 'the broken module is not half loaded');
      assert.ok(after.store.lastPosition() > 0, 'the store is still open');
    } finally {
      fs.rmSync(file, { force: true });
      await run('eventStore.reloadDomainModule');
    }
  });
});
