import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EventStoreApi } from '../../../src/extension';
import type { UsersDirectoryState } from '../../../src/core/projections/usersDirectory';

const EXTENSION_ID = 'event-store-inspector.event-store-inspector';

async function api(): Promise<EventStoreApi> {
  const ext = vscode.extensions.getExtension<EventStoreApi>(EXTENSION_ID);
  assert.ok(ext, 'extension is installed');
  return ext.isActive ? ext.exports : ext.activate();
}

/** Labels of a tree provider's rows, depth first, as the view would show them. */
async function labels(provider: vscode.TreeDataProvider<unknown>, node?: unknown, depth = 3): Promise<string[]> {
  const out: string[] = [];
  for (const child of (await provider.getChildren(node)) ?? []) {
    const item = await provider.getTreeItem(child);
    out.push(typeof item.label === 'string' ? item.label : (item.label?.label ?? ''));
    if (depth > 1 && item.collapsibleState !== vscode.TreeItemCollapsibleState.None)
      out.push(...(await labels(provider, child, depth - 1)));
  }
  return out;
}

describe('Commands in the extension host', () => {
  let ext: EventStoreApi;
  before(async () => {
    ext = await api();
  });

  it('stores events in .eventstore/events.db of the workspace folder', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test runs in a workspace');
    await vscode.commands.executeCommand('eventStore.createUser', { name: 'Integration Ada' });
    const file = path.join(folder.uri.fsPath, '.eventstore', 'events.db');
    assert.equal(ext.controller.storePath, file);
    assert.ok(fs.existsSync(file), 'store file written');
    assert.equal(fs.readFileSync(file).subarray(0, 15).toString(), 'SQLite format 3');
  });

  it('Create User appends UserCreated and the Read Models tree shows the user', async () => {
    const session = await ext.controller.get();
    const before = session.store.lastPosition();
    const result = (await vscode.commands.executeCommand('eventStore.createUser', { name: 'Grace Integration' })) as {
      events: { type: string }[];
    };
    assert.deepEqual(
      result.events.map((e) => e.type),
      ['UserCreated'],
    );
    assert.equal(session.store.lastPosition(), before + 1);
    const rows = await labels(ext.readModelsTree as vscode.TreeDataProvider<unknown>);
    assert.ok(rows.includes('Users directory') && rows.includes('Summary'), rows.join(', '));
    assert.ok(rows.includes('Grace Integration'), rows.join(', '));
  });

  it('a rejected command appends nothing', async () => {
    const session = await ext.controller.get();
    const before = session.store.lastPosition();
    const result = await vscode.commands.executeCommand('eventStore.renameUser', { userId: 'nobody-here', name: 'X' });
    assert.equal(result, undefined);
    const empty = await vscode.commands.executeCommand('eventStore.createUser', { name: '   ' });
    assert.equal(empty, undefined);
    assert.equal(session.store.lastPosition(), before);
  });

  it('Rename and Deactivate go through the write model', async () => {
    const session = await ext.controller.get();
    const created = (await vscode.commands.executeCommand('eventStore.createUser', { name: 'Renamable' })) as {
      events: { data: { userId: string } }[];
    };
    const userId = created.events[0]!.data.userId;
    await vscode.commands.executeCommand('eventStore.renameUser', { userId, name: 'Renamed' });
    await vscode.commands.executeCommand('eventStore.deactivateUser', { userId });
    const user = (session.projector.stateOf('usersDirectory') as UsersDirectoryState).users[userId];
    assert.deepEqual([user?.name, user?.status], ['Renamed', 'deactivated']);
    assert.deepEqual(
      session.store.readStream(`user-${userId}`).map((e) => e.type),
      ['UserCreated', 'UserRenamed', 'UserDeactivated'],
    );
  });

  it('Seed Demo Data fills the store, and the Streams tree lists streams and their events', async () => {
    await vscode.commands.executeCommand('eventStore.seedDemoData', { mix: true });
    const rows = await labels(ext.streamsTree as vscode.TreeDataProvider<unknown>, undefined, 2);
    assert.ok(rows.includes('user-ada'), rows.slice(0, 20).join(', '));
    assert.ok(rows.includes('UserCreated'));
  });

  it('Rebuild Read Models replays from position 0 to the same state', async () => {
    const session = await ext.controller.get();
    const live = structuredClone(session.projector.stateOf('usersDirectory'));
    const position = await vscode.commands.executeCommand('eventStore.rebuildReadModels');
    assert.equal(position, session.store.lastPosition());
    assert.deepEqual(session.projector.stateOf('usersDirectory'), live);
  });

  it('an event opens as a read-only JSON document', async () => {
    await vscode.commands.executeCommand('eventStore.openEvent', 1);
    const editor = vscode.window.activeTextEditor;
    assert.ok(editor, 'an editor opened');
    assert.equal(editor.document.uri.scheme, 'eventstore-event');
    assert.equal(editor.document.languageId, 'json');
    assert.equal(JSON.parse(editor.document.getText()).globalPosition, 1);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('Open Replay opens the Event Replay panel', async () => {
    await vscode.commands.executeCommand('eventStore.openReplay');
    const deadline = Date.now() + 10_000;
    let tab: vscode.Tab | undefined;
    while (!tab && Date.now() < deadline) {
      tab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label === 'Event Replay');
      if (!tab) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(tab, 'a tab titled Event Replay');
    assert.ok(tab.input instanceof vscode.TabInputWebview);
    await vscode.window.tabGroups.close(tab);
  });
});
