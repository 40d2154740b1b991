// The replay panel as a person drives it: controls, keys, slider, filters, the timeline, what-if,
// jumping from the tree, live appends, a reload, and untrusted event data shown as text.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { seedDemoData } from '../../src/core/application/demoData';
import { StoreSession } from '../../src/core/application/session';
import {
  findFrame,
  launchVsCode,
  notifications,
  openViewContainer,
  runCommand,
  screenshot,
  setTheme,
  tempWorkspace,
  treeRows,
  typeInInputBox,
  until,
  viewPane,
  waitForEditorTab,
  waitForInputBox,
  type VsCode,
  story,
  reloadWindow,
} from './harness';

const HOSTILE = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>';

async function position(frame: Frame): Promise<{ n: number; m: number }> {
  const text = (await frame.textContent('[aria-label="Replay position"]')) ?? '';
  const match = /(\d+)\s*\/\s*(\d+)/.exec(text);
  assert.ok(match, `Replay position reads "${text}"`);
  return { n: Number(match[1]), m: Number(match[2]) };
}

async function waitForPosition(frame: Frame, n: number, m?: number): Promise<void> {
  await until(
    async () => {
      const p = await position(frame);
      return p.n === n && (m === undefined || p.m === m);
    },
    `Replay position ${n} / ${m ?? 'M'}`,
    15_000,
  );
}

const region = async (frame: Frame, label: string) => (await frame.textContent(`[aria-label="${label}"]`)) ?? '';

async function waitForRegion(
  frame: Frame,
  label: string,
  test: (text: string) => boolean,
  what: string,
): Promise<string> {
  return until(
    async () => {
      const text = await region(frame, label);
      return test(text) ? text : undefined;
    },
    what,
    15_000,
  );
}

/** Focuses the panel's document (not an input) so that keys go to the replay. */
async function focusPanel(frame: Frame): Promise<void> {
  await frame.click('#explanation');
}

describe('Event Replay panel', function () {
  // Each test builds on the state the one before left: after a failure, the later ones are
  // reported failed by name rather than run on a broken state (see story()).
  const it = story();
  let vscode: VsCode;
  let page: Page;
  let replay: Frame;
  let total = 0;
  let deactivatedAt = 0;
  let noteAt = 0;
  let workspace = '';

  before(async () => {
    workspace = tempWorkspace('event-store-replay-ws-');
    // A store made beforehand, as another tool would: the demo story plus an event carrying markup.
    const session = await StoreSession.open({ path: path.join(workspace, '.eventstore', 'events.db') });
    await seedDemoData(session.handler);
    const note = await session.store.append('notes-1', [{ type: 'NoteAdded', data: { text: HOSTILE } }]);
    noteAt = note.lastPosition;
    deactivatedAt = session.store.readAll().find((e) => e.type === 'UserDeactivated')!.globalPosition;
    total = session.store.lastPosition();
    await session.close();
    vscode = await launchVsCode({ workspace });
    page = vscode.page;
  });

  after(async () => {
    await vscode?.close();
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page) {
      await screenshot(page, `failed-replay-${this.currentTest.title}`).catch(() => undefined);
      const shown = await notifications(page).catch(() => []);
      if (shown.length) console.log(`      notifications: ${shown.join(' | ')}`);
    }
  });

  it('opens at the present: every event applied', async () => {
    await openViewContainer(page, 'Event Store');
    await runCommand(page, 'Event Store: Open Replay');
    await waitForEditorTab(page, 'Event Replay');
    replay = await findFrame(page, '[aria-label="Replay position"]');
    await waitForPosition(replay, total, total);
    assert.ok(await replay.$('[aria-label="Play speed"]'));
    assert.ok(await replay.$('[aria-label="Go to position"]'));
  });

  it('shows event data as text: markup in a payload is never run or rendered', async () => {
    assert.equal(noteAt, total, 'the note is the last event');
    await waitForRegion(replay, 'Current event', (t) => t.includes('NoteAdded'), 'the NoteAdded event');
    const text = await region(replay, 'Current event');
    assert.ok(text.includes('<script>window.pwned=2</script>'), 'the markup is shown literally');
    assert.equal(
      await replay.locator('[aria-label="Current event"] img, [aria-label="Current event"] script').count(),
      0,
    );
    assert.equal(await replay.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined);
    await screenshot(page, 'replay-hostile-text');
  });

  it('steps with the keys: Left, Right, Home, End', async () => {
    await focusPanel(replay);
    await page.keyboard.press('ArrowLeft');
    await waitForPosition(replay, total - 1, total);
    await page.keyboard.press('Home');
    await waitForPosition(replay, 0, total);
    await page.keyboard.press('ArrowRight');
    await waitForPosition(replay, 1, total);
    await page.keyboard.press('End');
    await waitForPosition(replay, total, total);
  });

  it('plays and pauses with Space, and stops at the end', async () => {
    await replay.click('[aria-label="First event"]');
    await waitForPosition(replay, 0, total);
    await replay.selectOption('[aria-label="Play speed"]', '0.1');
    await focusPanel(replay);
    await page.keyboard.press('Space');
    await replay.locator('[aria-label="Pause"]').waitFor({ timeout: 5_000 });
    await waitForPosition(replay, total, total);
    await replay.locator('[aria-label="Play"]').waitFor({ timeout: 10_000 });
  });

  it('moves with the Position slider and jumps with Go to position', async () => {
    await replay.locator('[aria-label="Position"]').fill('3');
    await waitForPosition(replay, 3, total);
    await replay.fill('[aria-label="Go to position"]', String(deactivatedAt));
    await replay.press('[aria-label="Go to position"]', 'Enter');
    await waitForPosition(replay, deactivatedAt, total);
    await waitForRegion(
      replay,
      'Current event',
      (t) => t.includes('UserDeactivated'),
      'UserDeactivated as the current event',
    );
  });

  it('shows the write-model state of the stream and what changed in each read model', async () => {
    const stream = await region(replay, 'Write model state');
    assert.match(stream, /User/);
    assert.match(stream, /deactivated/);
    const models = await region(replay, 'Read model state');
    assert.match(models, /Users directory · 1 changed/);
    assert.equal((await replay.locator('[aria-label="Read model state"] .line.changed').count()) >= 1, true);
    await replay.check('#only-changes');
    await until(
      async () => ((await replay.locator('[aria-label="Users directory"] .line').count()) <= 4 ? true : undefined),
      'only changed lines',
      5_000,
    );
    await screenshot(page, 'replay-only-changes');
    await replay.uncheck('#only-changes');
  });

  it('filters the timeline by stream: steps stop only on its events, the state keeps the others', async () => {
    await replay.fill('[aria-label="Filter by stream"]', 'user-grace');
    // At the UserDeactivated of Edsger, both of Grace's events are behind us: 2 of 2 in view applied.
    await waitForPosition(replay, 2, 2);
    await replay.click('[aria-label="Step back"]');
    await waitForRegion(
      replay,
      'Current event',
      (t) => t.includes('user-grace') && t.includes('UserRenamed'),
      "Grace's UserRenamed",
    );
    await waitForPosition(replay, 2, 2);
    await replay.click('[aria-label="Step back"]');
    await waitForPosition(replay, 1, 2);
    await waitForRegion(
      replay,
      'Current event',
      (t) => t.includes('user-grace') && t.includes('UserCreated'),
      "Grace's UserCreated",
    );
    // Ada's stream is filtered out, yet she is in the state: filtered events are still applied.
    assert.match(await region(replay, 'Users directory'), /Ada Lovelace/);
    assert.equal(await replay.locator('#rows .row:not(.placeholder)').count(), 2, 'two rows in view');
    await screenshot(page, 'replay-filtered');
    await replay.click('[aria-label="Step forward"]');
    await waitForPosition(replay, 2, 2);
    await replay.fill('[aria-label="Filter by stream"]', '');
    await until(
      async () => ((await position(replay)).m === total ? true : undefined),
      'every event back in view',
      10_000,
    );
  });

  it('filters by event type and by text in the data', async () => {
    await replay.fill('[aria-label="Filter by event type"]', 'UserRenamed');
    await until(
      async () => ((await position(replay)).m === 2 ? true : undefined),
      'two UserRenamed events in view',
      10_000,
    );
    await replay.fill('[aria-label="Filter by event type"]', '');
    await replay.fill('[aria-label="Filter by text in data"]', 'hopper');
    await until(async () => ((await position(replay)).m === 2 ? true : undefined), 'two events mention Hopper', 10_000);
    await replay.fill('[aria-label="Filter by text in data"]', '');
    await until(
      async () => ((await position(replay)).m === total ? true : undefined),
      'every event back in view',
      10_000,
    );
  });

  it('jumps to an event by clicking its row in the timeline', async () => {
    await replay.locator('#rows .row', { hasText: '#4' }).first().click();
    await waitForPosition(replay, 4, total);
    assert.equal(await replay.locator('#rows .row.current').count(), 1);
  });

  it('what-if: skipping an event recomputes the read models and leaves the store alone', async () => {
    await replay.click('[aria-label="Last event"]');
    await waitForPosition(replay, total, total);
    await replay.locator('#rows').evaluate((el, y) => (el.scrollTop = y), 0);
    await replay.check(`[aria-label="Skip event ${deactivatedAt}"]`);
    await replay.locator('text=What-if mode').waitFor({ timeout: 10_000 });
    await waitForRegion(
      replay,
      'Users directory',
      (t) =>
        /Edsger Dijkstra"\s*status: "active"/.test(t.replace(/\n/g, ' ')) ||
        /name: "Edsger Dijkstra"[^}]*status: "active"/.test(t),
      'Edsger active without his UserDeactivated',
    );
    await screenshot(page, 'replay-what-if');
    // The live read models and the store are untouched.
    const rows = await treeRows(page, 'Read Models');
    assert.ok(
      rows.some((r) => r.includes('Edsger Dijkstra') && r.includes('deactivated')),
      rows.join(' | '),
    );
    await waitForPosition(replay, total, total);
    await replay.click('text=Back to the real history');
    await until(
      async () => ((await replay.locator('text=What-if mode').isVisible()) ? undefined : true),
      'what-if mode to end',
      10_000,
    );
  });

  it('follows new events live when at the end', async () => {
    await runCommand(page, 'Event Store: Create User');
    await waitForInputBox(page);
    await typeInInputBox(page, 'Live Follower');
    total += 1;
    await waitForPosition(replay, total, total);
    await waitForRegion(replay, 'Current event', (t) => t.includes('Live Follower'), 'the new event in the replay');
  });

  it('shows a refused command where it happened: it stops at the write model and appends nothing', async () => {
    await runCommand(page, 'Event Store: Rename User');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Edsger Dijkstra' }).first().click();
    await waitForInputBox(page);
    await typeInInputBox(page, 'E. W. Dijkstra');
    await until(
      async () => ((await notifications(page)).some((n) => /deactivated/.test(n)) ? true : undefined),
      'the warning that gives the reason',
      15_000,
    );
    await waitForPosition(replay, total, total);
    const text = await waitForRegion(
      replay,
      'Current event',
      (t) => t.includes('Refused here'),
      'the refused command in the replay',
    );
    assert.match(text, /RenameUser/);
    assert.match(text, /deactivated/);
    assert.match(text, /nothing was appended/);
    assert.equal(await replay.locator('#rows .row.current .refused').textContent(), '✗ 1');
    await screenshot(page, 'replay-refused-command');
  });

  it('opens at an event from the Streams tree ("Replay from Here")', async () => {
    const pane = await viewPane(page, 'Streams');
    const stream = pane.locator('.monaco-list-row', { hasText: 'user-alan' }).first();
    await stream.click();
    await page.keyboard.press('ArrowRight');
    const eventRow = pane.locator('.monaco-list-row', { hasText: 'UserCreated' }).first();
    await eventRow.waitFor({ timeout: 10_000 });
    // The row's inline action (its context menu holds the same command).
    await eventRow.hover();
    await eventRow.locator('.action-label[aria-label="Replay from Here"]').click();
    await until(
      async () => ((await region(replay, 'Current event')).includes('user-alan') ? true : undefined),
      "the replay at Alan's UserCreated",
      15_000,
    );
    assert.ok((await position(replay)).n < total);
  });

  it('keeps its position across a window reload', async () => {
    await replay.click('[aria-label="First event"]');
    await replay.click('[aria-label="Step forward"]');
    await replay.click('[aria-label="Step forward"]');
    await waitForPosition(replay, 2, total);
    await reloadWindow(page);
    await waitForEditorTab(page, 'Event Replay', 60_000);
    replay = await findFrame(page, '[aria-label="Replay position"]', 60_000);
    await waitForPosition(replay, 2, total);
  });

  it('renders a step within a frame', async () => {
    const times: number[] = [];
    for (let i = 0; i < 6; i++) {
      await replay.click('[aria-label="Step forward"]');
      await waitForPosition(replay, 3 + i, total);
      times.push(Number(await replay.evaluate(() => document.body.dataset.renderMs)));
    }
    console.log(`      webview render per step (ms): ${times.map((t) => t.toFixed(1)).join(', ')}`);
    assert.ok(times.every((t) => Number.isFinite(t) && t > 0));
  });

  it('is readable in the dark, light and high-contrast themes', async () => {
    await setTheme(page, 'Dark Modern', replay);
    await screenshot(page, 'replay-dark');
    await setTheme(page, 'Light Modern', replay);
    await screenshot(page, 'replay-light');
    await setTheme(page, 'Dark High Contrast', replay);
    await screenshot(page, 'replay-high-contrast');
  });
});
