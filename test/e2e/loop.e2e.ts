// The main loop as a person goes through it: create a user from the palette, see it in the read
// model, step through the events in the replay panel, restart VS Code and find it still there.
import * as assert from 'node:assert/strict';
import type { Frame } from 'playwright-core';
import {
  dialogText,
  findFrame,
  inputBoxValidation,
  isQuickInputOpen,
  launchVsCode,
  notifications,
  openViewContainer,
  runCommand,
  screenshot,
  tempWorkspace,
  typeInInputBox,
  until,
  viewPane,
  waitForEditorTab,
  waitForInputBox,
  waitForTreeItem,
  type VsCode,
  story,
} from './harness';

const READ_MODELS = 'Read Models';
const USERS = ['Users directory'];

async function position(frame: Frame): Promise<{ n: number; m: number }> {
  const text = (await frame.textContent('[aria-label="Replay position"]')) ?? '';
  const match = /(\d+)\s*\/\s*(\d+)/.exec(text);
  assert.ok(match, `Replay position reads "${text}", not "N / M"`);
  return { n: Number(match[1]), m: Number(match[2]) };
}

/** Waits until the replay reads `n / m` (any m when omitted). */
async function waitForPosition(frame: Frame, n: number, m?: number): Promise<void> {
  await until(
    async () => {
      const current = await position(frame);
      return current.n === n && (m === undefined || current.m === m);
    },
    `Replay position ${n} / ${m ?? 'M'}`,
    10_000,
  );
}

/** Clicks a replay control unless it is disabled, as when `Last event` is pressed at the end. */
async function pressIfEnabled(frame: Frame, label: string): Promise<void> {
  const control = frame.locator(`[aria-label="${label}"]`);
  if (await control.isEnabled()) await control.click();
}

/** Clicks a replay control that must be enabled at this point. */
async function press(frame: Frame, label: string): Promise<void> {
  await frame.locator(`[aria-label="${label}"]`).click({ timeout: 10_000 });
}

async function regionText(frame: Frame, label: string): Promise<string> {
  return (await frame.textContent(`[aria-label="${label}"]`)) ?? '';
}

describe('Event Store loop', function () {
  // Each test builds on the state the one before left: after a failure, the later ones are
  // reported failed by name rather than run on a broken state (see story()).
  const it = story();

  let vscode: VsCode;
  let replay: Frame;
  let total = 0;

  before(async () => {
    vscode = await launchVsCode({ workspace: tempWorkspace() });
  });

  after(async () => {
    await vscode?.close();
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && vscode?.page) {
      await screenshot(vscode.page, `failed-${this.currentTest.title}`).catch(() => undefined);
      // A toast or a dialog usually says why (e.g. the command threw).
      const shown = await notifications(vscode.page).catch(() => []);
      if (shown.length > 0) console.log(`      notifications on screen: ${shown.join(' | ')}`);
      const dialog = await dialogText(vscode.page).catch(() => undefined);
      if (dialog) console.log(`      dialog on screen: ${dialog}`);
    }
  });

  it('shows the Event Store container with the Read Models view', async () => {
    await openViewContainer(vscode.page, 'Event Store');
    await viewPane(vscode.page, READ_MODELS);
  });

  it('refuses an empty name in the input box itself', async () => {
    const { page } = vscode;
    await runCommand(page, 'Event Store: Create User');
    await waitForInputBox(page);
    await typeInInputBox(page, '', { expectClose: false });
    const message = await until(() => inputBoxValidation(page), 'a validation message for an empty name', 10_000);
    assert.ok(message.length > 0);
    assert.equal(await isQuickInputOpen(page), true, 'the input box closed on an empty name');
    await page.keyboard.press('Escape');
    await until(async () => !(await isQuickInputOpen(page)), 'the input box to close on Escape', 10_000);
  });

  it('creates a user from the command palette and shows it in Read Models', async () => {
    const { page } = vscode;
    await runCommand(page, 'Event Store: Create User');
    await waitForInputBox(page);
    await typeInInputBox(page, 'Ada Lovelace');
    await waitForTreeItem(page, READ_MODELS, 'Ada Lovelace', { expand: USERS });
    await screenshot(page, 'tree');
  });

  it('opens the Event Replay panel with its controls', async () => {
    const { page } = vscode;
    await runCommand(page, 'Event Store: Open Replay');
    await waitForEditorTab(page, 'Event Replay');
    replay = await findFrame(page, '[aria-label="Replay position"]');
    for (const label of ['First event', 'Step back', 'Step forward', 'Last event', 'Position']) {
      assert.ok(await replay.$(`[aria-label="${label}"]`), `no control labelled "${label}"`);
    }
    assert.ok(await replay.$('[aria-label="Play"], [aria-label="Pause"]'), 'no Play/Pause control');
  });

  it('shows the UserCreated event and Ada Lovelace at the last event', async () => {
    await pressIfEnabled(replay, 'Last event');
    total = (await position(replay)).m;
    assert.ok(total >= 1, `the replay has ${total} events`);
    await waitForPosition(replay, total, total);
    await until(
      async () => (await regionText(replay, 'Current event')).includes('UserCreated'),
      'UserCreated as the current event',
      10_000,
    );
    await until(
      async () => (await regionText(replay, 'Read model state')).includes('Ada Lovelace'),
      'Ada Lovelace in the read model state',
      10_000,
    );
    await screenshot(vscode.page, 'replay');
  });

  it('steps back and forward one event at a time', async () => {
    await press(replay, 'Step back');
    await waitForPosition(replay, total - 1, total);
    await press(replay, 'Step forward');
    await waitForPosition(replay, total, total);
  });

  it('shows no Ada Lovelace before the first event', async () => {
    await press(replay, 'First event');
    await waitForPosition(replay, 0, total);
    await until(
      async () => !(await regionText(replay, 'Read model state')).includes('Ada Lovelace'),
      'Ada Lovelace gone from the read model state at 0',
      10_000,
    );
    await screenshot(vscode.page, 'replay-start');
  });

  it('still shows Ada Lovelace after VS Code restarts on the same workspace', async () => {
    await vscode.restart();
    await openViewContainer(vscode.page, 'Event Store');
    await waitForTreeItem(vscode.page, READ_MODELS, 'Ada Lovelace', { expand: USERS, timeoutMs: 60_000 });
    await screenshot(vscode.page, 'after-restart');
  });
});
