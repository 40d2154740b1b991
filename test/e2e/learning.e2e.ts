// The learning path as a newcomer walks it: the walkthrough's steps, each completed by doing it;
// a refused command in the Command Log; the concurrency simulation; a team's own domain module
// driving the palette; and that module left alone in Restricted Mode.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import {
  findFrame,
  launchVsCode,
  openViewContainer,
  repoRoot,
  runCommand,
  screenshot,
  tempWorkspace,
  treeRows,
  until,
  viewPane,
  waitForEditorTab,
  waitForNotification,
  waitForTreeItem,
  type VsCode,
  story,
} from './harness';

const QUICK_INPUT = '.quick-input-widget';
const WALKTHROUGH = 'event-store-inspector.event-store-inspector#learn';

// ---------------------------------------------------------------------------------------------
// Quick inputs with several steps: each is told apart by its title.

async function quickInputTitle(page: Page): Promise<string> {
  if (!(await page.locator(QUICK_INPUT).isVisible())) return '';
  return ((await page.locator(`${QUICK_INPUT} .quick-input-title`).textContent()) ?? '').trim();
}

/** Waits for a quick pick titled like `title` and picks the row containing `item`. */
async function pick(page: Page, title: string, item: string): Promise<void> {
  const row = page.locator(`${QUICK_INPUT} .monaco-list-row`, { hasText: item }).first();
  await until(async () => (await quickInputTitle(page)).includes(title) && (await row.isVisible()), `a quick pick "${title}" offering "${item}"`, 20_000);
  await row.click();
}

/** Waits for an input box titled like `title` (not a list) and answers it; an empty `text` keeps the value offered. */
async function answer(page: Page, title: string, text?: string): Promise<void> {
  const input = page.locator(`${QUICK_INPUT} .quick-input-box input`);
  await until(
    async () => (await quickInputTitle(page)).includes(title) && (await page.locator(`${QUICK_INPUT} .quick-input-list .monaco-list-row`).count()) === 0 && (await input.isVisible()),
    `an input box "${title}"`,
    20_000,
  );
  if (text !== undefined) await input.fill(text);
  await input.press('Enter');
}

/** Collapses expanded rows of a view whose text starts with one of `labels` (to make room: the tree only draws what fits). */
async function collapseTreeItems(page: Page, view: string, labels: string[]): Promise<void> {
  const pane = await viewPane(page, view);
  for (const label of labels) {
    const rows = pane.locator('.pane-body .monaco-list-row[aria-expanded="true"]', { hasText: label });
    for (let i = (await rows.count()) - 1; i >= 0; i--) await rows.nth(i).locator('.monaco-tl-twistie').click();
  }
}

async function clearNotifications(page: Page): Promise<void> {
  await runCommand(page, 'Notifications: Clear All Notifications');
}

// ---------------------------------------------------------------------------------------------
// The walkthrough

const step = (page: Page, id: string) => page.locator(`.getting-started-step[data-step-id="${WALKTHROUGH}#${id}"]`);

async function openWalkthroughAt(page: Page, id: string): Promise<void> {
  if (!(await step(page, id).isVisible())) {
    await runCommand(page, 'Event Store: Open Walkthrough');
    await step(page, id).waitFor({ state: 'visible', timeout: 30_000 });
  }
  if ((await step(page, id).getAttribute('aria-expanded')) !== 'true') await step(page, id).locator('.step-title').click();
  await until(async () => (await step(page, id).getAttribute('aria-expanded')) === 'true', `step ${id} expanded`, 10_000);
}

/** Clicks a button in a walkthrough step, as a person reading the step would. */
async function clickStepButton(page: Page, id: string, label: string): Promise<void> {
  await openWalkthroughAt(page, id);
  await step(page, id).locator('.button-container a', { hasText: label }).first().click();
}

async function isDone(page: Page, id: string): Promise<boolean> {
  return (await page.locator(`[data-done-step-id="${WALKTHROUGH}#${id}"]`).first().getAttribute('aria-checked')) === 'true';
}

async function waitDone(page: Page, id: string): Promise<void> {
  await openWalkthroughAt(page, id);
  await until(() => isDone(page, id), `walkthrough step "${id}" to be checked`, 20_000);
}

const STEPS = ['seed', 'command', 'appended', 'readModels', 'query', 'replay', 'rebuild', 'rejected', 'conflict', 'domain'];

describe('Learning: the walkthrough on demo data', function () {
  // Each test builds on the state the one before left: after a failure, the later ones are
  // reported failed by name rather than run on a broken state (see story()).
  const it = story();
  let vscode: VsCode;
  let page: Page;

  before(async () => {
    vscode = await launchVsCode({ workspace: tempWorkspace() });
    page = vscode.page;
    await openViewContainer(page, 'Event Store');
    await viewPane(page, 'Read Models');
  });
  after(async () => {
    await vscode?.close();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && vscode?.page) await screenshot(vscode.page, `failed-learning-${this.currentTest.title}`).catch(() => undefined);
  });

  it('opens the walkthrough with every step unchecked, each with a diagram', async () => {
    await runCommand(page, 'Event Store: Open Walkthrough');
    await waitForEditorTab(page, 'Walkthrough');
    for (const id of STEPS) {
      await step(page, id).waitFor({ state: 'attached', timeout: 30_000 });
      assert.equal(await isDone(page, id), false, `step ${id} starts unchecked`);
    }
    await findFrame(page, 'svg title', 20_000);
    await screenshot(page, 'walkthrough-start');
  });

  it('1. seeds the demo data', async () => {
    await clickStepButton(page, 'seed', 'Seed Demo Data');
    await waitForNotification(page, /Seeded demo data/);
    await waitDone(page, 'seed');
  });

  it('2. issues a command: adds an item to a new cart', async () => {
    await clickStepButton(page, 'command', 'Add Item to Cart');
    await pick(page, 'Add Item to Cart', 'New cart');
    await answer(page, 'Add Item to Cart', 'newcomer');
    await pick(page, 'Add Item to Cart: product', 'book');
    await answer(page, 'quantity of book', '2');
    await answer(page, 'unit price of book');
    await waitForNotification(page, /ItemAdded at position \d+ \(version 1 of cart-newcomer\)/);
    await waitDone(page, 'command');
  });

  it('3. sees the event appended and delivered by the bus', async () => {
    await clickStepButton(page, 'appended', 'Explain the Last Command');
    // The editor draws spaces as no-break spaces.
    const text = async () => ((await page.locator('.editor-instance .view-lines').textContent()) ?? '').replace(/\u00a0/g, ' ');
    await until(async () => (await text()).includes('The event bus delivered'), 'the explanation of the last command', 20_000);
    assert.match(await text(), /AddItem — accepted/);
    assert.match(await text(), /Cart details: applied ItemAdded/);
    await screenshot(page, 'walkthrough-explain-command');
    await waitDone(page, 'appended');
  });

  it('4. sees two read models built from the cart stream', async () => {
    await clickStepButton(page, 'readModels', 'Show the Read Models');
    await collapseTreeItems(page, 'Read Models', ['Users directory', 'Summary']);
    await waitForTreeItem(page, 'Read Models', 'newcomer', { expand: ['Cart details'] });
    const rows = await treeRows(page, 'Read Models');
    assert.ok(rows.some((r) => r.startsWith('Totals per product')), rows.join(' | '));
    await screenshot(page, 'walkthrough-read-models');
    await waitDone(page, 'readModels');
  });

  it("5. asks for a cart's total, and the store did not change", async () => {
    await clearNotifications(page);
    await clickStepButton(page, 'query', 'Query Read Model');
    await pick(page, 'Query Read Model', "A cart's total");
    await pick(page, "A cart's total", 'ada-1');
    const message = await waitForNotification(page, /Cart ada-1 totals 27\.40/);
    assert.match(message, /Answered from Cart details at position (\d+); the store still has \1 events: asking did not change it/);
    await screenshot(page, 'walkthrough-query');
    await waitDone(page, 'query');
  });

  it('6. replays to an earlier position', async () => {
    await clickStepButton(page, 'replay', 'Open Replay');
    await waitForEditorTab(page, 'Event Replay');
    const replay = await findFrame(page, '[aria-label="Replay position"]');
    const read = async () => /(\d+)\s*\/\s*(\d+)/.exec((await replay.textContent('[aria-label="Replay position"]')) ?? '');
    const before = await until(async () => {
      const m = await read();
      return m && Number(m[1]) > 0 ? Number(m[1]) : undefined;
    }, 'a replay position after the first event');
    await replay.click('[aria-label="Step back"]');
    await until(async () => Number((await read())?.[1]) === before - 1, 'one step back', 10_000);
    await screenshot(page, 'walkthrough-replay');
    await waitDone(page, 'replay');
  });

  it('7. rebuilds the read models from zero', async () => {
    await clickStepButton(page, 'rebuild', 'Rebuild Read Models');
    await waitForNotification(page, /Rebuilt \d+ read models from position 0/);
    await waitDone(page, 'rebuild');
  });

  it('8. sees a command rejected, and the refusal only in the Command Log', async () => {
    await clearNotifications(page);
    await clickStepButton(page, 'rejected', 'Add a Pen to the Confirmed Cart');
    const message = await waitForNotification(page, /rejected/);
    assert.match(message, /Cart ada-1 is already confirmed: it cannot change any more\. Nothing was appended\./);
    // Every refusal offers the same two actions: the log, and the explanation of the refused command.
    const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: 'Cart ada-1 is already confirmed' });
    await toast.getByRole('button', { name: 'Show Log' }).waitFor();
    await toast.getByRole('button', { name: 'Explain' }).click();
    const text = async () => ((await page.locator('.editor-instance .view-lines').textContent()) ?? '').replace(/\u00a0/g, ' ');
    await until(async () => /AddItem — rejected/.test(await text()), 'the explanation of the refused command', 20_000);
    await waitDone(page, 'rejected');
    await openViewContainer(page, 'Event Store');
    const row = await waitForTreeItem(page, 'Command Log', 'rejected · Cart ada-1 is already confirmed');
    assert.match(row, /^AddItem/);
    await screenshot(page, 'command-log-rejected');
  });

  it('9. simulates a concurrent update: a winner, a loser, and a retry that decides again', async () => {
    await clearNotifications(page);
    await clickStepButton(page, 'conflict', 'Simulate Concurrent Update');
    await pick(page, 'Simulate Concurrent Update', 'A cart is confirmed while someone else adds an item');
    await pick(page, 'Simulate Concurrent Update', 'alan-1');
    const message = await waitForNotification(page, /Concurrency conflict on cart-alan-1/);
    assert.match(message, /ConfirmCart won \(CartConfirmed at position \d+\)/);
    assert.match(message, /AddItem lost: it expected version (\d+) but the stream was at \d+, so the store refused it and nothing of it was appended/);
    await screenshot(page, 'conflict');
    await page.locator('.notifications-toasts .notification-list-item', { hasText: 'Concurrency conflict' }).getByRole('button', { name: 'Retry' }).click();
    const retried = await waitForNotification(page, /Retried AddItem on the new state: rejected/);
    assert.match(retried, /Cart alan-1 is already confirmed/);
    await waitDone(page, 'conflict');
    await openViewContainer(page, 'Event Store');
    const rows = await treeRows(page, 'Command Log');
    assert.ok(rows.some((r) => r.startsWith('AddItem') && r.includes('conflict · ')), rows.join(' | '));
    assert.ok(rows.some((r) => r.startsWith('ConfirmCart') && r.includes('accepted')), rows.join(' | '));
    await screenshot(page, 'command-log-conflict');
  });

  it('10. creates a domain module to model a domain of its own', async () => {
    await clickStepButton(page, 'domain', 'Create Domain Module');
    await waitForEditorTab(page, 'domain.js');
    assert.ok(fs.existsSync(path.join(vscode.workspace, '.eventstore', 'domain.js')));
    await waitDone(page, 'domain');
  });

  it('every step of the walkthrough is checked', async () => {
    await openWalkthroughAt(page, 'seed');
    for (const id of STEPS) assert.equal(await isDone(page, id), true, `step ${id} is checked`);
    await screenshot(page, 'walkthrough-done');
  });
});

describe('Learning: a domain of your own from the workspace', function () {
  // Each test builds on the state the one before left: after a failure, the later ones are
  // reported failed by name rather than run on a broken state (see story()).
  const it = story();
  let vscode: VsCode;
  let page: Page;
  const fixture = path.join(repoRoot, 'test', 'fixtures', 'workspace-domain');

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && vscode?.page) await screenshot(vscode.page, `failed-domain-${this.currentTest.title}`).catch(() => undefined);
  });
  afterEach(async function () {
    if (this.currentTest?.title.startsWith('in Restricted Mode')) await vscode?.close();
  });
  after(async () => {
    await vscode?.close();
  });

  const workspaceWithDomain = () => {
    const workspace = tempWorkspace('event-store-e2e-domain-');
    fs.cpSync(fixture, workspace, { recursive: true });
    return workspace;
  };

  it('drives Execute Command… with its own aggregate, fields checked by its schema, and shows its read model', async () => {
    vscode = await launchVsCode({ workspace: workspaceWithDomain() });
    page = vscode.page;
    await openViewContainer(page, 'Event Store');
    await waitForTreeItem(page, 'Domain', 'loaded from .eventstore/domain.js');
    await runCommand(page, 'Event Store: Execute Command…');
    await pick(page, 'Execute Command (1/2)', 'Room');
    await pick(page, 'Execute Command (2/2)', 'BookRoom');
    await pick(page, 'BookRoom (1/3): Room', 'New room');
    await answer(page, 'BookRoom (1/3): Room', 'atlas');
    // A slot that does not fit the schema is refused in the input box itself.
    const input = page.locator(`${QUICK_INPUT} .quick-input-box input`);
    await until(async () => (await quickInputTitle(page)).includes('BookRoom (2/3): Slot'), 'the Slot input box', 20_000);
    await input.fill('tomorrow');
    const message = page.locator(`${QUICK_INPUT} .quick-input-message`);
    await until(async () => ((await message.textContent()) ?? '').includes('Slot "tomorrow" is not valid: use a date and am or pm'), 'the schema message for Slot', 10_000);
    await screenshot(page, 'domain-validation');
    await answer(page, 'BookRoom (2/3): Slot', '2026-03-02 am');
    await answer(page, 'BookRoom (3/3): Booked by', 'Ada Lovelace');
    await waitForNotification(page, /BookRoom: RoomBooked at position 1 \(version 1 of room-atlas\)/);
    await collapseTreeItems(page, 'Read Models', ['Users directory', 'Summary', 'Cart details', 'Totals per product']);
    await waitForTreeItem(page, 'Read Models', 'Ada Lovelace', { expand: ['Bookings per person'] });
    await screenshot(page, 'domain-read-model');
  });

  it('its rejections reach the person and the Command Log like any other', async () => {
    await runCommand(page, 'Event Store: Execute Command…');
    await pick(page, 'Execute Command (1/2)', 'Room');
    await pick(page, 'Execute Command (2/2)', 'BookRoom');
    await pick(page, 'BookRoom (1/3): Room', 'atlas');
    await answer(page, 'BookRoom (2/3): Slot', '2026-03-02 am');
    await answer(page, 'BookRoom (3/3): Booked by', 'Grace Hopper');
    await waitForNotification(page, /Execute Command rejected: Room atlas is already booked for 2026-03-02 am by Ada Lovelace/);
    await waitForTreeItem(page, 'Command Log', 'rejected · Room atlas is already booked');
  });

  it('in Restricted Mode the module is not loaded, and the reason is shown', async () => {
    await vscode?.close();
    vscode = await launchVsCode({
      workspace: workspaceWithDomain(),
      settings: { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.banner': 'never' },
    });
    page = vscode.page;
    await waitForNotification(page, /was not loaded: this workspace is not trusted \(Restricted Mode\)/, 60_000);
    await openViewContainer(page, 'Event Store');
    const row = await waitForTreeItem(page, 'Domain', 'not loaded: Restricted Mode');
    assert.match(row, /Workspace domain/);
    const domainRows = await treeRows(page, 'Domain');
    assert.ok(!domainRows.some((r) => r.startsWith('Room')), `no Room aggregate: ${domainRows.join(' | ')}`);
    await screenshot(page, 'domain-restricted-mode');
  });
});
