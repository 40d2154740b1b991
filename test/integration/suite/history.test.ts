import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BlameResult } from '../../../src/core/history/blame';
import type { VersionComparison } from '../../../src/core/history/compareVersions';
import type { DriftReport } from '../../../src/core/history/drift';
import type { EventStoreApi } from '../../../src/extension';
import type { DomainModuleState } from '../../../src/ui/domainModule';

const EXTENSION_ID = 'event-store-inspector.event-store-inspector';

const run = <T>(command: string, ...args: unknown[]) =>
  vscode.commands.executeCommand(command, ...args) as Thenable<T | undefined>;

/** A read model of renames; `body` is its evolve for UserRenamed (one version counts every rename, the fix skips some). */
const domainModule = (body: string) => `
module.exports = {
  aggregates: [],
  projections: [{
    name: 'renames',
    title: 'Renames',
    eventTypes: ['UserCreated', 'UserRenamed'],
    initialState: () => ({ names: {}, renames: {} }),
    evolve(state, event) {
      const id = event.data.userId;
      if (event.type === 'UserCreated') { state.names[id] = event.data.name; state.renames[id] = 0; return state; }
      ${body}
      state.names[id] = event.data.name;
      return state;
    },
  }],
};
`;

describe('Why is this value what it is: history, checks, versions, faults', () => {
  let ext: EventStoreApi;
  let file: string;
  before(async () => {
    const e = vscode.extensions.getExtension<EventStoreApi>(EXTENSION_ID)!;
    ext = e.isActive ? e.exports : await e.activate();
    file = path.join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, '.eventstore', 'domain.js');
  });
  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
  });
  after(async () => {
    fs.rmSync(file, { force: true });
    await run('eventStore.reloadDomainModule');
  });

  it('Show History of This Value lists the events that changed a user’s name, newest first', async () => {
    const created = await run<{ events: { data: { userId: string } }[] }>('eventStore.executeCommand', {
      type: 'CreateUser',
      data: { userId: 'hist-ada', name: 'Ada' },
    });
    assert.ok(created);
    await run('eventStore.executeCommand', { type: 'RenameUser', data: { userId: 'hist-ada', name: 'Ada L.' } });
    const session = await ext.controller.get();
    const last = session.store.lastPosition();
    const result = await run<BlameResult>('eventStore.showValueHistory', {
      readModel: 'usersDirectory',
      path: 'users.hist-ada.name',
    });
    assert.deepEqual(
      result?.changes.map((c) => [c.globalPosition, c.type, c.before, c.after]),
      [
        [last, 'UserRenamed', 'Ada', 'Ada L.'],
        [last - 1, 'UserCreated', undefined, 'Ada'],
      ],
    );
  });

  it('Check Read Models: every built-in read model equals a rebuild and folds the same twice', async () => {
    const reports = await run<DriftReport[]>('eventStore.checkReadModels');
    assert.ok(reports && reports.length >= 4);
    assert.deepEqual(
      reports.filter((r) => r.status !== 'clean').map((r) => r.readModel),
      [],
    );
  });

  it('Compare with the Previous Version: the version before a change is kept and compared over the same events', async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, domainModule('state.renames[id] += 1;'));
    assert.equal((await run<DomainModuleState>('eventStore.reloadDomainModule'))?.status, 'loaded');
    await run('eventStore.executeCommand', { type: 'CreateUser', data: { userId: 'ver-bo', name: 'Bo' } });
    await run('eventStore.executeCommand', { type: 'RenameUser', data: { userId: 'ver-bo', name: 'Bob' } });
    const fixed = (await ext.controller.get()).store.lastPosition();
    await run('eventStore.executeCommand', { type: 'RenameUser', data: { userId: 'ver-bo', name: 'Bo2' } });
    // The fix: a rename to "Bob" is not counted (a rule of this test's domain).
    fs.writeFileSync(file, domainModule("if (event.data.name !== 'Bob') state.renames[id] += 1;"));
    assert.equal((await run<DomainModuleState>('eventStore.reloadDomainModule'))?.status, 'loaded');
    const compared = await run<VersionComparison[]>('eventStore.compareWithPreviousVersion');
    const renames = compared?.find((c) => c.readModel === 'renames');
    assert.equal(renames?.status, 'different');
    assert.deepEqual(renames?.differingPositions, [fixed], 'only the rename the fix is about counts as different');
  });

  it('a read model that throws is faulted at its event, in the tree and the replay command', async () => {
    fs.writeFileSync(
      file,
      domainModule(
        "if (event.data.name === 'Boom') throw new TypeError('cannot rename to Boom'); state.renames[id] += 1;",
      ),
    );
    assert.equal((await run<DomainModuleState>('eventStore.reloadDomainModule'))?.status, 'loaded');
    await run('eventStore.executeCommand', { type: 'RenameUser', data: { userId: 'ver-bo', name: 'Boom' } });
    const session = await ext.controller.get();
    const fault = session.projector.faultOf('renames');
    assert.equal(fault?.position, session.store.lastPosition());
    assert.equal(fault?.error, 'TypeError: cannot rename to Boom');
    const model = (await ext.readModelsTree.getChildren()).find(
      (n) => n.kind === 'readModel' && n.projection.name === 'renames',
    )!;
    assert.equal(ext.readModelsTree.getTreeItem(model).description, `faulted at ${fault?.position}`);
    const [first] = await ext.readModelsTree.getChildren(model);
    assert.match(
      String(ext.readModelsTree.getTreeItem(first!).label),
      /^Faulted at \d+: TypeError: cannot rename to Boom$/,
    );
    assert.equal(await run<number>('eventStore.replayToFailingEvent', first), fault?.position);
    const history = await run<BlameResult>('eventStore.showValueHistory', {
      readModel: 'renames',
      path: 'renames.ver-bo',
    });
    assert.equal(history?.fault?.position, fault?.position);
  });
});
