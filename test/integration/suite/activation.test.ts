import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'event-store-inspector.event-store-inspector';

const PUBLIC_COMMANDS = [
  'eventStore.createUser',
  'eventStore.renameUser',
  'eventStore.deactivateUser',
  'eventStore.openReplay',
  'eventStore.rebuildReadModels',
  'eventStore.seedDemoData',
];

describe('activation', () => {
  it('activates the extension', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is not installed in the extension host`);
    await extension.activate();
    assert.equal(extension.isActive, true);
  });

  it('registers the public commands', async () => {
    // `true` leaves out internal commands (ids starting with `_`); the public ones stay.
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = PUBLIC_COMMANDS.filter((command) => !registered.has(command));
    assert.deepEqual(missing, [], `commands not registered: ${missing.join(', ')}`);
  });

  it('registers every command the manifest contributes', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    const contributed = (extension.packageJSON as { contributes: { commands: { command: string }[] } }).contributes
      .commands;
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.map((c) => c.command).filter((command) => !registered.has(command));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });
});
