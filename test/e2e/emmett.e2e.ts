// An Emmett SQLite store as a person meets it: written by a running Emmett application (the real
// library, its connection open, automatic checkpoints off), opened from the Explorer, browsed,
// replayed, watched while the application appends, checked, and copied into a workspace store.
// The store's files (main, -wal, -shm) are hashed around everything the inspector does.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { EmmettWriter, fingerprint } from '../builders/emmettWriter';
import {
  expandTreeItems,
  findFrame,
  launchVsCode,
  openViewContainer,
  runCommand,
  screenshot,
  setTheme,
  story,
  tempWorkspace,
  treeRows,
  until,
  waitForEditorTab,
  waitForInputBox,
  waitForNotification,
  waitForTreeItem,
  type VsCode,
} from './harness';

async function position(frame: Frame): Promise<{ n: number; m: number }> {
  const text = (await frame.textContent('[aria-label="Replay position"]')) ?? '';
  const match = /(\d+)\s*\/\s*(\d+)/.exec(text);
  assert.ok(match, `Replay position reads "${text}"`);
  return { n: Number(match[1]), m: Number(match[2]) };
}

describe('An Emmett SQLite store, live, from the Explorer to a workspace copy', function () {
  this.timeout(300_000);
  const step = story();
  let vscode: VsCode;
  let workspace: string;
  let file: string;
  let writer: EmmettWriter;
  let replay: Frame;
  /** The store's files as the application last left them: nothing the inspector does may change them. */
  let files: string;

  before(async () => {
    workspace = tempWorkspace();
    fs.mkdirSync(path.join(workspace, 'app'));
    file = path.join(workspace, 'app', 'shop.sqlite');
    writer = await EmmettWriter.start(file);
    await writer.append('cart-1', [
      { type: 'ItemAdded', data: { sku: 'pen', qty: 1 } },
      { type: 'ItemAdded', data: { sku: 'ink', qty: 2 } },
    ]);
    await writer.append('cart-1', [{ type: 'ConfirmCart', data: { by: 'ada' }, kind: 'Command' }]);
    await writer.append('cart-1', [{ type: 'CartConfirmed', data: {} }]);
    await writer.append('user-7', [{ type: 'UserCreated', data: { name: 'Ada' } }]);
    // A defect for Check Store to find at a position: metadata that is not JSON.
    await writer.sql("UPDATE emt_messages SET message_metadata = '{not json' WHERE global_position = 2");
    files = fingerprint(file);
    vscode = await launchVsCode({ workspace });
  });
  after(async () => {
    await vscode?.close();
    await writer?.close();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && vscode?.page)
      await screenshot(vscode.page, `emmett-failed-${this.currentTest.title.slice(0, 40)}`).catch(() => undefined);
    if (file) assert.equal(fingerprint(file), files, 'the store files are as the application left them');
  });

  step('opens from the Explorer: "Open in Event Store Inspector" says format, generation and read-only', async () => {
    const { page } = vscode;
    await runCommand(page, 'View: Show Explorer');
    const folder = page.locator('.explorer-folders-view .monaco-list-row', { hasText: /^app$/ }).first();
    await folder.waitFor({ timeout: 30_000 });
    if ((await folder.getAttribute('aria-expanded')) === 'false') await folder.click();
    const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: /^shop\.sqlite$/ }).first();
    await row.waitFor({ timeout: 30_000 });
    // The tree may still move as the folder expands: open the row's menu until the menu is its own.
    await until(async () => {
      await row.click({ button: 'right' });
      const item = page.locator('.context-view .action-item', { hasText: 'Open in Event Store Inspector' }).first();
      if (await item.isVisible().catch(() => false)) {
        // The keyboard, not a click: a menu ignores a mouse-up that comes too soon after it opened.
        await item.hover();
        const focused = await page
          .locator('.context-view .action-item.focused', { hasText: 'Open in Event Store Inspector' })
          .first()
          .waitFor({ timeout: 5_000 })
          .then(() => true)
          .catch(() => false);
        if (focused) {
          await page.keyboard.press('Enter');
          const closed = await page
            .locator('.context-view .monaco-menu')
            .first()
            .waitFor({ state: 'hidden', timeout: 5_000 })
            .then(() => true)
            .catch(() => false);
          if (closed) return true;
        }
      }
      await page.keyboard.press('Escape');
      return false;
    }, 'the Explorer menu of shop.sqlite with "Open in Event Store Inspector"');
    const message = await waitForNotification(page, /Opened shop\.sqlite/, 60_000);
    assert.match(
      message,
      /^Opened shop\.sqlite: Emmett SQLite \(emt_messages \+ emt_processors \(0\.42 and later\)\), read-only\.$/,
    );
    await screenshot(page, 'emmett-opened');
  });

  step('browses its streams and their events in the Streams view', async () => {
    const { page } = vscode;
    await openViewContainer(page, 'Event Store');
    await waitForTreeItem(page, 'Streams', 'user-7', { timeoutMs: 60_000 });
    await waitForTreeItem(page, 'Streams', 'CartConfirmed', { expand: ['cart-1'] });
    const rows = await treeRows(page, 'Streams');
    assert.ok(
      rows.some((r) => r.includes('ItemAdded')),
      rows.join(' | '),
    );
    assert.ok(!rows.some((r) => r.includes('ConfirmCart')), 'the command is not shown as an event of the stream');
    await screenshot(page, 'emmett-streams');
  });

  step('replays it: stepping moves over its events, the command position holds none', async () => {
    const { page } = vscode;
    await runCommand(page, 'Event Store: Open Replay');
    replay = await findFrame(page, '[aria-label="Replay position"]', 60_000);
    // The panel reads 0 / 0 until its first step arrives: the count is read once the store is shown.
    const start = await until(async () => {
      const p = await position(replay);
      return p.m > 0 ? p : undefined;
    }, 'the replay showing the store');
    assert.equal(start.m, 5, 'five positions: four events and a command between them');
    await replay.click('[aria-label="First event"]');
    await until(async () => (await position(replay)).n === 0, 'the replay at its start');
    await replay.click('[aria-label="Step forward"]');
    await until(
      async () => (await replay.textContent('[aria-label="Current event"]'))?.includes('ItemAdded'),
      'the first event in the replay',
    );
    await screenshot(page, 'emmett-replay');
  });

  step(
    'shows what the running application appends: events in the tree and the replay, commands in the Command Log',
    async () => {
      const { page } = vscode;
      await writer.append('cart-9', [{ type: 'ItemAdded', data: { sku: 'pad', qty: 3 } }]);
      await writer.append('user-7', [{ type: 'UserRenamed', data: { name: 'Ada L.' } }]);
      await writer.append('cart-9', [{ type: 'CancelCart', data: { reason: 'changed my mind' }, kind: 'Command' }]);
      files = fingerprint(file);
      await until(async () => (await position(replay)).m === 8, 'the replay to reach 8 positions', 30_000);
      await waitForTreeItem(page, 'Streams', 'cart-9', { timeoutMs: 30_000 });
      // The application's commands are in the Command Log, the one it just stored first, with stream and position.
      const command = await waitForTreeItem(page, 'Command Log', 'CancelCart', { timeoutMs: 30_000 });
      assert.match(command, /CancelCart\s*command in cart-9 at position 2 · #8/);
      const rows = await treeRows(page, 'Command Log');
      assert.ok(rows[0]!.startsWith('CancelCart') && rows[1]!.startsWith('ConfirmCart'), rows.join(' | '));
      await screenshot(page, 'emmett-live');
    },
  );

  step('Check Store opens a report; a finding opens its event in the replay', async () => {
    const { page } = vscode;
    await runCommand(page, 'Event Store: Check Store');
    await waitForEditorTab(page, 'Check Store - shop.sqlite.txt', 60_000);
    const editor = page.locator('.editor-instance .monaco-editor').first();
    await until(
      async () =>
        (await editor.locator('.view-lines').textContent())?.replace(/\u00a0/g, ' ').includes('unparsable-json (1)'),
      'the report text',
    );
    const lens = page.locator('.codelens-decoration a', { hasText: 'Show in Replay (event #2)' }).first();
    await lens.waitFor({ timeout: 30_000 });
    const target = 2;
    for (const theme of ['Light Modern', 'Dark Modern', 'Dark High Contrast']) {
      await setTheme(page, theme);
      await screenshot(page, `emmett-check-report-${theme}`);
    }
    await lens.click();
    replay = await findFrame(page, '[aria-label="Replay position"]', 30_000);
    await until(async () => (await position(replay)).n === target, `the replay at position ${target}`, 30_000);
    await screenshot(page, 'emmett-check-to-replay');
  });

  step('copies it into a workspace store (the inspector then writes only its copy)', async () => {
    const { page } = vscode;
    await runCommand(page, 'Event Store: Copy into a Workspace Store');
    // code-server's save dialog is a quick input holding the proposed path.
    await waitForInputBox(page);
    const input = page.locator('.quick-input-widget input').first();
    assert.match(await input.inputValue(), /copy-of-shop\.db$/);
    await input.press('Enter');
    await waitForNotification(page, /Copied 6 events into copy-of-shop\.db/, 60_000);
    assert.ok(fs.existsSync(path.join(workspace, '.eventstore', 'copy-of-shop.db')));
    await expandTreeItems(page, 'Streams', []);
    await screenshot(page, 'emmett-copied');
  });
});
