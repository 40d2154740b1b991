// Restricted Mode and the store path: an untrusted workspace cannot point the store at a file of its
// choosing (eventStore.storePath is a restricted setting); a trusted one can.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import {
  launchVsCode,
  openCommandPalette,
  openViewContainer,
  screenshot,
  tempWorkspace,
  treeRows,
  until,
  waitForTreeItem,
  type VsCode,
} from './harness';

async function storeWithUser(file: string, userId: string): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const store = await SqlJsEventStore.open({ path: file });
  await store.append(`user-${userId}`, [{ type: 'UserCreated', data: { userId, name: userId } }]);
  await store.close();
}

describe('Restricted Mode: the workspace cannot choose the store file', function () {
  this.timeout(300_000);
  let vscode: VsCode | undefined;
  let workspace: string;

  before(async () => {
    workspace = tempWorkspace();
    const elsewhere = tempWorkspace('event-store-e2e-elsewhere-');
    await storeWithUser(path.join(workspace, '.eventstore', 'events.db'), 'insider');
    await storeWithUser(path.join(elsewhere, 'events.db'), 'outsider');
    fs.mkdirSync(path.join(workspace, '.vscode'));
    fs.writeFileSync(
      path.join(workspace, '.vscode', 'settings.json'),
      JSON.stringify({ 'eventStore.storePath': path.join(elsewhere, 'events.db') }),
    );
  });
  afterEach(async () => {
    await vscode?.close();
    vscode = undefined;
  });

  it('untrusted: the workspace setting is ignored and the default store is opened read-only', async () => {
    vscode = await launchVsCode({
      workspace,
      settings: {
        'security.workspace.trust.enabled': true,
        'security.workspace.trust.startupPrompt': 'never',
        'security.workspace.trust.banner': 'never',
      },
    });
    await openViewContainer(vscode.page, 'Event Store');
    await waitForTreeItem(vscode.page, 'Streams', 'user-insider', { timeoutMs: 60_000 });
    const rows = await treeRows(vscode.page, 'Streams');
    assert.ok(
      !rows.some((r) => r.includes('outsider')),
      `the file named by the workspace was not opened: ${rows.join(' | ')}`,
    );
    await screenshot(vscode.page, 'restricted-store-path');
  });

  it('untrusted: Connect to PostgreSQL… is not offered in the palette', async () => {
    vscode = await launchVsCode({
      workspace,
      settings: {
        'security.workspace.trust.enabled': true,
        'security.workspace.trust.startupPrompt': 'never',
        'security.workspace.trust.banner': 'never',
      },
    });
    const { page } = vscode;
    await openViewContainer(page, 'Event Store');
    await waitForTreeItem(page, 'Streams', 'user-insider', { timeoutMs: 60_000 });
    await openCommandPalette(page);
    const input = page.locator('.quick-input-widget .quick-input-box input');
    // A command the palette does offer here, then the one it must not.
    await input.fill('>Event Store: Open Replay');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Event Store: Open Replay' }).waitFor();
    await input.fill('>Event Store: Connect to PostgreSQL');
    const rows = page.locator('.quick-input-widget .monaco-list-row');
    // The list has followed the new text once Open Replay is no longer in it.
    const shown = await until(
      async () => {
        const texts = await rows.allTextContents();
        return texts.some((t) => t.includes('Open Replay')) ? undefined : texts;
      },
      'the palette to filter on the new text',
      15_000,
    );
    assert.ok(!shown.some((t) => t.includes('Connect to PostgreSQL')), `offered: ${shown.join(' | ')}`);
    await screenshot(page, 'restricted-no-postgres');
    await page.keyboard.press('Escape');
  });

  it('trusted: the same workspace setting is used (so the test above can tell)', async () => {
    vscode = await launchVsCode({ workspace, settings: { 'security.workspace.trust.enabled': false } });
    await openViewContainer(vscode.page, 'Event Store');
    await waitForTreeItem(vscode.page, 'Streams', 'user-outsider', { timeoutMs: 60_000 });
  });
});
