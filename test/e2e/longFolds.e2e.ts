// A fold over every event of a large store, as a person runs it: Check Read Models shows its
// progress in a notification with Cancel; Cancel stops it, and the next check runs to the end.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import { benchEvents } from '../bench/benchEvents';
import {
  isQuickInputOpen,
  launchVsCode,
  openViewContainer,
  runCommand,
  screenshot,
  story,
  tempWorkspace,
  until,
  waitForNotification,
  waitForTreeItem,
  type VsCode,
} from './harness';

/** Large enough that a check takes seconds here, so that there is time to cancel it. */
const EVENTS = 300_000;
const CHECKING = 'Checking read models';
const QUICK_INPUT_ROWS = '.quick-input-widget .monaco-list-row';

/** The text of every file under `dir` (the extension's log is one of them). */
function logsHolding(dir: string, text: string): boolean {
  const walk = (d: string): boolean =>
    fs.readdirSync(d, { withFileTypes: true }).some((entry) => {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) return walk(full);
      return entry.isFile() && entry.name.endsWith('.log') && fs.readFileSync(full, 'utf8').includes(text);
    });
  return fs.existsSync(dir) && walk(dir);
}

function checkingToast(page: Page): Locator {
  return page.locator('.notifications-toasts .notification-list-item', { hasText: CHECKING }).first();
}

describe('Long folds over a large store', function () {
  this.timeout(600_000);
  const step = story();
  let vscode: VsCode;
  let page: Page;

  before(async () => {
    const workspace = tempWorkspace();
    const file = path.join(workspace, '.eventstore', 'events.db');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const store = await SqlJsEventStore.open({ path: file });
    for (let i = 0; i < EVENTS; i += 10_000) await store.importEvents(benchEvents(i, 10_000, EVENTS));
    await store.close();
    vscode = await launchVsCode({ workspace });
    page = vscode.page;
  });
  after(() => vscode?.close());

  step('Check Read Models shows its progress with Cancel; Cancel stops it and nothing is reported', async () => {
    await openViewContainer(page, 'Event Store');
    await waitForTreeItem(page, 'Read Models', 'Users directory', { timeoutMs: 120_000 });
    await runCommand(page, 'Event Store: Check Read Models');
    const message = await waitForNotification(page, CHECKING, 60_000);
    assert.match(message, /each folded twice from the first event/);
    const toast = checkingToast(page);
    await until(
      async () => /position [\d,]+ of 300,000/.test((await toast.textContent()) ?? ''),
      'the position reached, in the notification',
      60_000,
    );
    await screenshot(page, 'long-folds-check-progress');
    await toast.hover();
    await toast.getByRole('button', { name: 'Cancel' }).click();
    await toast.waitFor({ state: 'hidden', timeout: 30_000 });
    await until(
      async () => logsHolding(vscode.userDataDir, 'Check Read Models: cancelled.'),
      'the cancel in the log',
      30_000,
    );
    assert.equal(await isQuickInputOpen(page), false, 'no report after a cancel');
  });

  step('the next Check Read Models runs to the end: every read model clean', async () => {
    await runCommand(page, 'Event Store: Check Read Models');
    const rows = page.locator(QUICK_INPUT_ROWS, { hasText: 'Users directory' });
    await rows.first().waitFor({ state: 'visible', timeout: 300_000 });
    const placeholder = (await page.locator('.quick-input-widget input').getAttribute('placeholder')) ?? '';
    assert.match(placeholder, /All 4 read models equal a rebuild from position 0/);
    const text = (await rows.first().textContent()) ?? '';
    assert.match(text, new RegExp(`no drift up to position ${EVENTS}`));
    await page.keyboard.press('Escape');
  });
});
