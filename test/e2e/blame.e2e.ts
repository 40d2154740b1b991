// "Why is this value what it is?": a user's name in the Read Models view, its history (every event
// that changed it, newest first), and one click to the replay at that event.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, Locator, Page } from 'playwright-core';
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import { runAxe } from './axe';
import {
  findFrame,
  launchVsCode,
  logRetry,
  openViewContainer,
  runCommand,
  screenshot,
  setTheme,
  story,
  tempWorkspace,
  until,
  viewPane,
  waitForEditorTab,
  waitForTreeItem,
  type VsCode,
} from './harness';

const QUICK_INPUT_ROWS = '.quick-input-widget .monaco-list-row';

async function quickPickRows(page: Page): Promise<string[]> {
  return (await page.locator(QUICK_INPUT_ROWS).allTextContents()).map((r) => r.replace(/\s+/g, ' ').trim());
}

/**
 * Clicks an item of a context menu as a mouse does: onto it, pressed, released (the menu acts on
 * release). A release the menu takes for the end of the right-click that opened it is ignored by
 * the workbench: then the item is still there, and is clicked again (each attempt logged).
 */
async function chooseMenuItem(page: Page, item: Locator): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const box = await item.boundingBox();
    if (!box) throw new Error('the menu item has no box on screen');
    await page.mouse.move(box.x + 2, box.y + 2);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 3 });
    await page.mouse.down();
    await page.mouse.up();
    const closed = await item.waitFor({ state: 'hidden', timeout: 5_000 }).then(
      () => true,
      () => false,
    );
    if (closed) return;
    if (attempt === 3) throw new Error('the menu item stayed open after three clicks');
    logRetry('a click on the context menu item', 'the menu stayed open');
  }
}

async function replayPosition(frame: Frame): Promise<string> {
  return ((await frame.textContent('[aria-label="Replay position"]')) ?? '').trim();
}

describe('Show History of This Value', function () {
  this.timeout(300_000);
  const step = story();
  let vscode: VsCode;
  let page: Page;
  let workspace: string;

  before(async () => {
    workspace = tempWorkspace();
    const file = path.join(workspace, '.eventstore', 'events.db');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const store = await SqlJsEventStore.open({ path: file });
    const user = (id: string, type: string, data: object) =>
      store.append(`user-${id}`, [{ type, data: { userId: id, ...data } }]);
    await user('ada', 'UserCreated', { name: 'Ada' }); // 1
    await user('bob', 'UserCreated', { name: 'Bob' }); // 2
    await user('ada', 'UserRenamed', { name: 'Ada Lovelace' }); // 3
    await user('bob', 'UserRenamed', { name: 'Robert' }); // 4
    await user('ada', 'UserRenamed', { name: 'Countess of Lovelace' }); // 5
    await user('bob', 'UserDeactivated', {}); // 6
    await store.close();
    vscode = await launchVsCode({ workspace });
    page = vscode.page;
  });
  after(() => vscode?.close());

  step('right-click a user’s name in the Read Models view → its history, newest first', async () => {
    await openViewContainer(page, 'Event Store');
    await waitForTreeItem(page, 'Read Models', 'Countess of Lovelace', {
      expand: ['Users directory'],
      timeoutMs: 60_000,
    });
    const pane = await viewPane(page, 'Read Models');
    await pane.locator('.monaco-list-row', { hasText: 'Countess of Lovelace' }).click({ button: 'right' });
    const item = page.locator('.monaco-menu .action-item', { hasText: 'Show History of This Value' }).first();
    await item.waitFor({ state: 'visible', timeout: 15_000 });
    await chooseMenuItem(page, item);
    const rows = await until(
      async () => {
        const r = await quickPickRows(page);
        return r.length >= 3 ? r : undefined;
      },
      'the history of users.ada.name',
      20_000,
    ).catch(async (e: unknown) => {
      await screenshot(page, 'blame-history-missing');
      throw e;
    });
    assert.equal(rows.length, 3, rows.join(' | '));
    assert.match(rows[0]!, /5 · UserRenamed.*"Ada Lovelace" → "Countess of Lovelace".*stream user-ada, version 3/);
    assert.match(rows[1]!, /3 · UserRenamed.*"Ada" → "Ada Lovelace".*stream user-ada, version 2/);
    assert.match(rows[2]!, /1 · UserCreated.*set to "Ada".*stream user-ada, version 1/);
    const title = (await page.locator('.quick-input-widget .quick-input-title').textContent()) ?? '';
    assert.match(title, /History of users\.ada\.name in Users directory/);
    await screenshot(page, 'blame-history-light');
    for (const theme of ['Dark Modern', 'Dark High Contrast']) {
      await page.keyboard.press('Escape');
      await setTheme(page, theme);
      await pane.locator('.monaco-list-row', { hasText: 'Countess of Lovelace' }).click({ button: 'right' });
      await item.waitFor({ state: 'visible', timeout: 15_000 });
      await chooseMenuItem(page, item);
      await page.locator(QUICK_INPUT_ROWS, { hasText: '3 · UserRenamed' }).waitFor({ state: 'visible' });
      await screenshot(page, `blame-history-${theme.toLowerCase().replace(/\s+/g, '-')}`);
    }
  });

  step('a click on an event of the history opens the replay at that event', async () => {
    await page.locator(QUICK_INPUT_ROWS, { hasText: '3 · UserRenamed' }).click();
    await waitForEditorTab(page, 'Event Replay');
    const frame = await findFrame(page, '[aria-label="Replay position"]', 60_000);
    await until(async () => (await replayPosition(frame)) === '3 / 6', 'the replay at position 3 of 6', 30_000);
    const event = (await frame.textContent('[aria-label="Current event"]')) ?? '';
    assert.match(event, /UserRenamed/);
    assert.match(event, /Ada Lovelace/);
    await screenshot(page, 'blame-replay-at-event');
  });

  step('the replay’s own "History of a value…" asks which value and lists its history the same way', async () => {
    const frame = await findFrame(page, '[aria-label="Replay position"]');
    await frame.click('[aria-label="Show History of a Value of user-ada"]');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill('name');
    await page.locator(QUICK_INPUT_ROWS, { hasText: /^name/ }).first().waitFor({ state: 'visible' });
    await page.keyboard.press('Enter');
    const rows = await until(
      async () => {
        const r = await quickPickRows(page);
        return r.some((x) => x.includes('5 · UserRenamed')) ? r : undefined;
      },
      'the history of the name in the write model of user-ada',
      20_000,
    );
    assert.equal(rows.length, 3, rows.join(' | '));
    await screenshot(page, 'blame-stream-history');
    await page.keyboard.press('Escape');
  });

  step('Compare with the Previous Version: the replay shows both versions of a read model side by side', async () => {
    const module = (name: string) =>
      `module.exports = { aggregates: [], projections: [{ name: 'names', title: 'Names', eventTypes: ['UserCreated', 'UserRenamed'], initialState: () => ({ names: {} }), evolve(state, event) { state.names[event.data.userId] = ${name}; return state; } }] };`;
    const file = path.join(workspace, '.eventstore', 'domain.js');
    // The read models of the demo folded away, so that the module's own shows in the short pane.
    const pane = await viewPane(page, 'Read Models');
    const open = pane.locator('.monaco-list-row[aria-expanded="true"] .monaco-tl-twistie');
    while ((await open.count()) > 0) await open.last().click();
    fs.writeFileSync(file, module('event.data.name'));
    await runCommand(page, 'Event Store: Reload Domain Module');
    await waitForTreeItem(page, 'Read Models', 'Names', { timeoutMs: 60_000 });
    fs.writeFileSync(file, module('event.data.name.toUpperCase()'));
    await runCommand(page, 'Event Store: Reload Domain Module');
    await runCommand(page, 'Event Store: Compare with the Previous Version');
    const row = page.locator(QUICK_INPUT_ROWS, { hasText: 'Names: differs first at 1' });
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match((await row.textContent()) ?? '', /5 positions differ/);
    await screenshot(page, 'blame-compare-versions');
    await row.click();
    const frame = await findFrame(page, '[aria-label="Previous version"]', 60_000);
    await until(async () => (await replayPosition(frame)) === '1 / 6', 'the replay at position 1 of 6', 30_000);
    const previous = (await frame.textContent('[aria-label="Previous version"]')) ?? '';
    const current = (await frame.textContent('[aria-label="This version"]')) ?? '';
    assert.match(previous, /"Ada" \(this version: "ADA"\)/);
    assert.match(current, /"ADA"/);
    await screenshot(page, 'blame-compare-side-by-side');
    const severe = (await runAxe(frame)).filter((f) => f.impact === 'serious' || f.impact === 'critical');
    assert.deepEqual(severe, [], 'serious or critical axe-core violations beside the previous version');
    await frame.click('text=Hide the previous version');
    await frame.locator('[aria-label="Previous version"]').waitFor({ state: 'detached', timeout: 15_000 });
  });

  step(
    'a read model that throws is faulted at its event in the tree and the replay, which goes there on a click',
    async () => {
      const file = path.join(workspace, '.eventstore', 'domain.js');
      fs.writeFileSync(
        file,
        `module.exports = { aggregates: [], projections: [{ name: 'names', title: 'Names', eventTypes: ['UserCreated', 'UserRenamed'], initialState: () => ({ names: {} }), evolve(state, event) { if (event.data.name === 'Robert') throw new TypeError('no Roberts here'); state.names[event.data.userId] = event.data.name; return state; } }] };`,
      );
      await runCommand(page, 'Event Store: Reload Domain Module');
      await waitForTreeItem(page, 'Read Models', 'faulted at 4', { timeoutMs: 60_000 });
      const pane = await viewPane(page, 'Read Models');
      const faultRow = pane.locator('.monaco-list-row', { hasText: 'Faulted at 4: TypeError: no Roberts here' });
      await faultRow.waitFor({ state: 'visible', timeout: 30_000 });
      await faultRow.click();
      const frame = await findFrame(page, '.fault', 60_000);
      await until(async () => (await replayPosition(frame)) === '4 / 6', 'the replay at the failing event', 30_000);
      // Open, and first among the read models: a fault is never one quiet line among the others.
      assert.equal(await frame.locator('details.read-model').first().getAttribute('aria-label'), 'Names');
      assert.ok(await frame.locator('.fault').isVisible(), 'the fault is on screen');
      const notice = (await frame.textContent('.fault')) ?? '';
      assert.match(notice, /Names is faulted at 4: UserRenamed of user-bob threw TypeError: no Roberts here/);
      await screenshot(page, 'blame-faulted');
      const severe = (await runAxe(frame)).filter((f) => f.impact === 'serious' || f.impact === 'critical');
      assert.deepEqual(severe, [], 'serious or critical axe-core violations beside a fault');
    },
  );
});
