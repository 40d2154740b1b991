import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EventStoreApi } from '../../../src/extension';
import type { Finding } from '../../../src/core/formats/emmettSqlite/integrity';
import { formatOf } from '../../../src/core/formats/storeReader';
import { CommandLogTree } from '../../../src/ui/commandLogTree';
import { EmmettWriter, fingerprint } from '../../builders/emmettWriter';

const EXTENSION_ID = 'event-store-inspector.event-store-inspector';

async function api(): Promise<EventStoreApi> {
  const ext = vscode.extensions.getExtension<EventStoreApi>(EXTENSION_ID);
  assert.ok(ext, 'extension is installed');
  return ext.isActive ? ext.exports : ext.activate();
}

/** Waits for a state (not a time): the condition is checked until it holds or the deadline passes. */
async function until(what: string, condition: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('An Emmett SQLite store opened in VS Code (read-only, live)', function () {
  this.timeout(120_000);
  let ext: EventStoreApi;
  let dir: string;
  let file: string;
  let writer: EmmettWriter;

  before(async () => {
    ext = await api();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esi-it-emmett-'));
    file = path.join(dir, 'shop.sqlite');
    writer = await EmmettWriter.start(file);
    await writer.append('cart-1', [
      { type: 'ItemAdded', data: { sku: 'pen' } },
      { type: 'ItemAdded', data: { sku: 'ink' } },
    ]);
    await writer.append('cart-1', [{ type: 'ConfirmCart', data: {}, kind: 'Command' }]);
    await writer.append('user-7', [{ type: 'UserCreated', data: { name: 'Ada' } }]);
  });
  after(async () => {
    await vscode.commands.executeCommand('eventStore.closeStore');
    await writer.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('opens from the Explorer command, says its format and read-only, and shows its streams', async () => {
    const before = fingerprint(file);
    await vscode.commands.executeCommand('eventStore.openInInspector', vscode.Uri.file(file));
    const session = ext.controller.session;
    assert.ok(session, String(ext.controller.error));
    assert.equal(session.store.path, file);
    assert.equal(session.store.readOnly, true);
    assert.equal(formatOf(session.store).name, 'Emmett SQLite');
    const roots = (await ext.streamsTree.getChildren(undefined)) ?? [];
    const labels = await Promise.all(roots.map(async (n) => String((await ext.streamsTree.getTreeItem(n)).label)));
    assert.ok(labels.some((l) => l.includes('cart-1')) && labels.some((l) => l.includes('user-7')), labels.join(', '));
    assert.equal(fingerprint(file), before);
  });

  it("shows the application's commands ('C' messages) in the Command Log with their stream and position", async () => {
    const tree = new CommandLogTree(ext.controller);
    try {
      const rows = await tree.getChildren(undefined);
      const items = rows.map((n) => tree.getTreeItem(n));
      const stored = items.filter((i) => i.contextValue === 'storedCommand');
      assert.deepEqual(
        stored.map((i) => i.label),
        ['ConfirmCart'],
      );
      assert.match(String(stored[0]!.description), /^command in cart-1 at position 3 · #3 · \d\d:\d\d:\d\d$/);
    } finally {
      tree.dispose();
    }
  });

  it('refuses a write command with the reason, and changes no file', async () => {
    const before = fingerprint(file);
    const result = await vscode.commands.executeCommand('eventStore.createUser', { name: 'Grace' });
    assert.equal(result, undefined);
    assert.equal(fingerprint(file), before);
  });

  it('shows events the running application appends (watcher and refresh), in the replay too', async () => {
    const session = ext.controller.session!;
    await writer.append('user-7', [{ type: 'UserRenamed', data: { name: 'Ada L.' } }]);
    await until('the appended event to arrive', () => session.store.lastPosition() === 5);
    assert.equal(session.replay.step(5).event!.type, 'UserRenamed');
    assert.equal(session.replay.step(3).event, undefined, 'position 3 is a command');
  });

  it('Check Store reports the findings, each linked to its event in the replay; the copy is a writable store of ours', async () => {
    const findings = (await vscode.commands.executeCommand('eventStore.checkStore')) as Finding[];
    assert.ok(findings.length > 0 && findings.every((f) => f.check === 'odd-partition'), JSON.stringify(findings));
    // The report is a document; each finding that names an event has a lens that opens it in the replay.
    const report = vscode.window.activeTextEditor?.document;
    assert.equal(report?.uri.scheme, 'eventstore-check');
    assert.match(report.getText(), /^Check Store: shop\.sqlite\n/);
    assert.match(report.getText(), /odd-partition \(\d+\)/);
    const lenses = (await vscode.commands.executeCommand(
      'vscode.executeCodeLensProvider',
      report.uri,
    )) as vscode.CodeLens[];
    assert.deepEqual(
      lenses.map((l) => (l.command?.arguments?.[0] as { event: { globalPosition: number } }).event.globalPosition),
      findings.filter((f) => f.position !== undefined).map((f) => f.position),
    );
    assert.ok(lenses.every((l) => l.command?.command === 'eventStore.replayFromHere'));
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    const copies = fs.mkdtempSync(path.join(os.tmpdir(), 'esi-it-emmett-copies-'));
    const copy = path.join(copies, 'sandbox.db');
    const before = fingerprint(file);
    assert.equal(await vscode.commands.executeCommand('eventStore.copyStore', copy), copy);
    assert.equal(fingerprint(file), before);
    assert.ok(fs.existsSync(copy));
  });

  it('Close Store goes back to the workspace store', async () => {
    await vscode.commands.executeCommand('eventStore.closeStore');
    const session = ext.controller.session;
    assert.ok(session);
    assert.equal(formatOf(session.store).id, 'native');
    assert.notEqual(session.store.path, file);
  });
});
