// The replay panel as a newcomer first sees it: what the current event did is on screen without
// scrolling at 1400×900 with the side bar open, the layout holds down to a 600 px window, the strict
// CSP still refuses injected scripts, and axe-core finds no serious or critical violation in four themes.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { seedDemoData } from '../../src/core/application/demoData';
import { StoreSession } from '../../src/core/application/session';
import { runAxe } from './axe';
import {
  findFrame,
  launchVsCode,
  openViewContainer,
  runCommand,
  screenshot,
  setTheme,
  tempWorkspace,
  until,
  waitForEditorTab,
  type VsCode,
  story,
  keepWorkbench,
} from './harness';

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The element's box on the page (Playwright maps frame coordinates to the page's viewport). */
async function pageBox(frame: Frame, selector: string): Promise<Box> {
  const box = await frame.locator(selector).first().boundingBox();
  assert.ok(box, `${selector} is rendered`);
  return box;
}

function assertInViewport(box: Box, viewport: { width: number; height: number }, what: string): void {
  const inside =
    box.x >= 0 &&
    box.y >= 0 &&
    box.x + box.width <= viewport.width + 0.5 &&
    box.y + box.height <= viewport.height + 0.5;
  assert.ok(inside, `${what} is inside the ${viewport.width}×${viewport.height} window: ${JSON.stringify(box)}`);
}

async function position(frame: Frame): Promise<number> {
  const text = (await frame.textContent('[aria-label="Replay position"]')) ?? '';
  return Number(/(\d+)\s*\//.exec(text)?.[1] ?? NaN);
}

async function goTo(frame: Frame, globalPosition: number): Promise<void> {
  await frame.fill('[aria-label="Go to position"]', String(globalPosition));
  await frame.press('[aria-label="Go to position"]', 'Enter');
  await until(async () => (await position(frame)) === globalPosition, `the replay at ${globalPosition}`, 15_000);
}

describe('Event Replay panel: layout and accessibility', function () {
  // Each test builds on the state the one before left: after a failure, the later ones are
  // reported failed by name rather than run on a broken state (see story()).
  const it = story();
  let vscode: VsCode;
  let page: Page;
  let replay: Frame;
  let itemAddedAt = 0;

  before(async () => {
    const workspace = tempWorkspace('event-store-layout-ws-');
    const session = await StoreSession.open({ path: path.join(workspace, '.eventstore', 'events.db') });
    await seedDemoData(session.handler);
    // The second ItemAdded of a cart: its aggregate has a state before and after it.
    itemAddedAt = session.store.readAll().filter((e) => e.type === 'ItemAdded')[1]!.globalPosition;
    await session.close();
    vscode = await launchVsCode({ workspace });
    page = vscode.page;
    await openViewContainer(page, 'Event Store');
    await runCommand(page, 'Event Store: Open Replay');
    await waitForEditorTab(page, 'Event Replay');
    replay = await findFrame(page, '[aria-label="Replay position"]');
    await until(async () => (await position(replay)) > 0, 'the replay at the present');
  });

  keepWorkbench('layout', () => vscode);

  it('at 1400×900 with the side bar open: the event, its write model and the first changed read model are on screen', async () => {
    await goTo(replay, itemAddedAt);
    await replay
      .locator('[aria-label="Current event"] .event-type', { hasText: 'ItemAdded' })
      .waitFor({ timeout: 10_000 });
    assert.ok(await page.locator('.sidebar').isVisible(), 'the side bar is open');
    const viewport = page.viewportSize()!;

    assertInViewport(await pageBox(replay, '[aria-label="Current event"] .event-type'), viewport, 'the event type');
    assertInViewport(await pageBox(replay, '[aria-label="Write model state"] h2'), viewport, 'the Write model heading');
    assertInViewport(
      await pageBox(replay, '[aria-label="Write model state"] .state-before h3'),
      viewport,
      'the write model before the event',
    );
    assertInViewport(
      await pageBox(
        replay,
        '[aria-label="Write model state"] .state-after .line.added, [aria-label="Write model state"] .state-after .line.changed',
      ),
      viewport,
      'the first change of the write model',
    );

    // The read models that the event changed come first, open, with their changes in sight.
    const order = await replay
      .locator('#read-models > .read-model')
      .evaluateAll((nodes) =>
        nodes.map((n) => ({ touched: n.classList.contains('touched'), open: (n as HTMLDetailsElement).open })),
      );
    assert.ok(order.length >= 3 && order[0]!.touched, `a changed read model first: ${JSON.stringify(order)}`);
    const firstUnchanged = order.findIndex((o) => !o.touched);
    assert.ok(
      firstUnchanged > 0 && order.slice(firstUnchanged).every((o) => !o.touched && !o.open),
      `unchanged read models after, closed: ${JSON.stringify(order)}`,
    );
    assertInViewport(
      await pageBox(replay, '#read-models > .read-model.touched > summary'),
      viewport,
      'the first changed read model',
    );
    assertInViewport(
      await pageBox(
        replay,
        '#read-models > .read-model.touched .line.added, #read-models > .read-model.touched .line.changed',
      ),
      viewport,
      'its first changed line',
    );
    await screenshot(page, 'replay-layout-1400');
    // An unchanged read model is one line, and opens on demand.
    const closed = replay.locator('#read-models > .read-model:not(.touched)').first();
    assert.ok((await closed.boundingBox())!.height < 40, 'an unchanged read model takes one line');
    await closed.locator('summary').click();
    await until(
      async () => (await closed.evaluate((n) => (n as HTMLDetailsElement).open)) || undefined,
      'the unchanged read model opened',
      5_000,
    );

    // The page itself does not scroll: each column does, on its own.
    const scroll = await replay.evaluate(() => ({
      page: document.scrollingElement!.scrollHeight - window.innerHeight,
      models: getComputedStyle(document.getElementById('read-models')!).overflowY,
      event: getComputedStyle(document.getElementById('event')!).overflowY,
      stream: getComputedStyle(document.getElementById('stream')!).overflowY,
    }));
    assert.ok(scroll.page <= 1, `the page does not scroll (${scroll.page} px)`);
    assert.deepEqual([scroll.event, scroll.stream, scroll.models], ['auto', 'auto', 'auto']);
  });

  it('the strict CSP still holds: a script injected into the page does not run', async () => {
    await replay.addScriptTag({ content: 'window.injected = true;' }).catch(() => undefined);
    assert.equal(await replay.evaluate(() => (window as unknown as { injected?: boolean }).injected), undefined);
    const csp = await replay.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    assert.match(csp ?? '', /default-src 'none'/);
    assert.match(csp ?? '', /script-src 'nonce-/);
  });

  it('degrades down to a 600 px window: nothing overlaps, the flow stays readable', async () => {
    await runCommand(page, 'View: Close Primary Side Bar');
    await page.setViewportSize({ width: 600, height: 900 });
    await until(
      async () => (await replay.evaluate(() => window.innerWidth)) < 600 || undefined,
      'the webview narrowed',
      10_000,
    );
    const layout = await replay.evaluate(() => {
      const rect = (selector: string) => document.querySelector(selector)!.getBoundingClientRect();
      const nodes = Array.from(document.querySelectorAll('#flow .node')).map((n) =>
        parseFloat(getComputedStyle(n).fontSize),
      );
      const rows = Array.from(document.querySelectorAll('#rows .row')).map((r) => r.getBoundingClientRect().bottom);
      return {
        timelineBottom: rect('.timeline').bottom,
        rowsBottom: Math.min(Math.max(0, ...rows), rect('#rows').bottom),
        eventTop: rect('#event').top,
        flowFont: Math.min(...nodes),
        pageWidth: document.scrollingElement!.scrollWidth,
        innerWidth: window.innerWidth,
      };
    });
    assert.ok(layout.timelineBottom <= layout.eventTop, `the timeline ends above the event: ${JSON.stringify(layout)}`);
    assert.ok(layout.rowsBottom <= layout.eventTop, `no timeline row paints over the event: ${JSON.stringify(layout)}`);
    assert.ok(layout.flowFont >= 11, `the flow's text stays readable: ${layout.flowFont}px`);
    assert.ok(layout.pageWidth <= layout.innerWidth + 1, `no sideways scrolling: ${JSON.stringify(layout)}`);
    await screenshot(page, 'replay-layout-600');
    await page.setViewportSize({ width: 1400, height: 900 });
    await openViewContainer(page, 'Event Store');
  });

  const themes = ['Light+', 'Light Modern', 'Dark Modern', 'Dark High Contrast'];
  for (const theme of themes) {
    it(`axe-core finds no serious or critical violation in ${theme}`, async () => {
      await setTheme(page, theme, replay);
      await goTo(replay, itemAddedAt);
      const findings = await runAxe(replay);
      console.log(
        `      axe ${theme}: ${findings.length ? findings.map((f) => `${f.id} (${f.impact}) ×${f.nodes}`).join(', ') : 'no violation'}`,
      );
      await screenshot(page, `replay-axe-${theme}`);
      const severe = findings.filter((f) => f.impact === 'serious' || f.impact === 'critical');
      assert.deepEqual(severe, [], `serious or critical violations in ${theme}`);
    });
  }

  it('shows the focus clearly: a ring of at least 2 px in the focus colour', async () => {
    await replay.focus('[aria-label="Step back"]');
    await page.keyboard.press('Tab');
    const ring = await replay.evaluate(() => {
      const active = document.activeElement as HTMLElement;
      const style = getComputedStyle(active);
      return {
        label: active.getAttribute('aria-label'),
        width: parseFloat(style.outlineWidth),
        style: style.outlineStyle,
      };
    });
    assert.equal(ring.label, 'Play');
    assert.ok(ring.width >= 2 && ring.style !== 'none', `focus ring: ${JSON.stringify(ring)}`);
  });
});
