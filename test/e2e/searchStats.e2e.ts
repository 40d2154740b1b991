// Asking the store in VS Code: the Streams view filtered as one types (wildcards, categories), the
// replay's search finding events by stream and by words in their data and stepping there, and the
// Store Statistics panel: its numbers, its CSP, axe-core in three themes, and screenshots of each.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { seedDemoData } from '../../src/core/application/demoData';
import { StoreSession } from '../../src/core/application/session';
import {
  findFrame,
  launchVsCode,
  openViewContainer,
  runCommand,
  screenshot,
  setTheme,
  story,
  tempWorkspace,
  until,
  waitForEditorTab,
  waitForInputBox,
  viewPane,
  type VsCode,
  keepWorkbench,
} from './harness';
import { countCategories } from '../builders/categories';
import { runAxe } from './axe';

const INJECTED = 'window.injected = true;';

async function position(frame: Frame): Promise<number> {
  const text = (await frame.textContent('[aria-label="Replay position"]')) ?? '';
  return Number(/(\d+)\s*\//.exec(text)?.[1] ?? NaN);
}

/** The labels of the Streams view's rows (stream ids, without their descriptions). */
async function streamRows(page: Page): Promise<string[]> {
  const pane = await viewPane(page, 'Streams');
  return (await pane.locator('.pane-body .monaco-list-row .label-name').allTextContents()).map((r) => r.trim());
}

describe('Search and statistics in VS Code', function () {
  const it = story();
  let vscode: VsCode;
  let page: Page;
  let replay: Frame;
  let stats: Frame;
  /** What the demo data holds, counted from its events here, so the test follows the demo as it grows. */
  let demo: {
    events: number;
    streams: number;
    categories: Map<string, { events: number; streams: Set<string> }>;
    types: Map<string, number>;
    positions: (streamId: string) => number[];
  };

  before(async () => {
    const workspace = tempWorkspace('event-store-search-ws-');
    const session = await StoreSession.open({ path: path.join(workspace, '.eventstore', 'events.db') });
    await seedDemoData(session.handler);
    const events = session.store.readAll();
    await session.close();
    const categories = countCategories(events);
    const types = new Map<string, number>();
    for (const e of events) types.set(e.type, (types.get(e.type) ?? 0) + 1);
    demo = {
      events: events.length,
      streams: new Set(events.map((e) => e.streamId)).size,
      categories,
      types,
      positions: (streamId) => events.filter((e) => e.streamId === streamId).map((e) => e.globalPosition),
    };
    vscode = await launchVsCode({ workspace });
    page = vscode.page;
    await openViewContainer(page, 'Event Store');
  });

  keepWorkbench('search', () => vscode);

  it('filters the Streams view as one types, by wildcard and by category, and clears the filter', async () => {
    await until(async () => (await streamRows(page)).includes('user-ada') || undefined, 'the streams listed');
    await runCommand(page, 'Event Store: Filter Streams…');
    await waitForInputBox(page);
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await page
      .locator('.quick-input-widget .monaco-list-row', { hasText: 'category:cart' })
      .filter({ hasText: `${demo.categories.get('cart')!.streams.size} streams` })
      .waitFor({ timeout: 10_000 });
    // Results as you type: the tree follows the box before anything is accepted.
    await input.fill('cart-?da-*');
    await until(
      async () => JSON.stringify(await streamRows(page)) === JSON.stringify(['cart-ada-1']) || undefined,
      'only cart-ada-1 while typing cart-?da-*',
    );
    await input.fill('category:user');
    const userStreams = demo.categories.get('user')!.streams.size;
    await until(async () => {
      const rows = await streamRows(page);
      return (rows.length === userStreams && rows.every((r) => r.startsWith('user-'))) || undefined;
    }, `the ${userStreams} user streams`);
    // The categories are offered as items, with their number of streams.
    await page
      .locator('.quick-input-widget .monaco-list-row', { hasText: 'category:user' })
      .filter({ hasText: `${userStreams} streams` })
      .waitFor({ timeout: 10_000 });
    await input.press('Enter');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 15_000 });
    const header = page.locator('.sidebar .pane-header', { hasText: 'Streams' }).first();
    await until(
      async () => ((await header.textContent()) ?? '').includes('Filter: category:user') || undefined,
      'the filter in the view title',
    );
    await screenshot(page, 'streams-filtered');
    await runCommand(page, 'Event Store: Clear Stream Filter');
    await until(async () => {
      const rows = await streamRows(page);
      return (rows.includes('cart-ada-1') && rows.includes('user-ada')) || undefined;
    }, 'every stream again');
  });

  it('searches the replay by words in event data and by stream, and each result steps the replay there', async () => {
    await runCommand(page, 'Event Store: Open Replay');
    await waitForEditorTab(page, 'Event Replay');
    replay = await findFrame(page, '[aria-label="Search events"]');
    await until(async () => (await position(replay)) > 1 || undefined, 'the replay at the present');
    await replay.fill('[aria-label="Search events"]', 'lovel');
    const hit = replay.locator('#search-results button.hit', { hasText: 'UserCreated user-ada' });
    await hit.waitFor({ timeout: 20_000 });
    assert.match((await hit.textContent()) ?? '', /Ada Lovelace/);
    await hit.click();
    await until(async () => (await position(replay)) === 1 || undefined, 'the replay at event 1');
    await replay
      .locator('[aria-label="Current event"] .event-type', { hasText: 'UserCreated' })
      .waitFor({ timeout: 10_000 });

    // A stream pattern lists the streams and their events; the stream result goes to its first event.
    await replay.fill('[aria-label="Search events"]', 'cart-?lan-*');
    const stream = replay.locator('#search-results button.hit', { hasText: 'cart-alan-1' }).first();
    await stream.waitFor({ timeout: 20_000 });
    const status = (await replay.textContent('#search-status')) ?? '';
    const alan = demo.positions('cart-alan-1');
    assert.match(status, new RegExp(`1 stream, ${alan.length} events? found`));
    await stream.click();
    await until(
      async () => (await position(replay)) === alan[0] || undefined,
      `the first event of cart-alan-1 (#${alan[0]})`,
    );
    await screenshot(page, 'replay-search');

    await replay.fill('[aria-label="Search events"]', 'zzzz');
    await until(
      async () => ((await replay.textContent('#search-status')) ?? '').includes('Nothing found') || undefined,
      'nothing found',
    );
  });

  it('shows the store statistics with their numbers as tables, under a strict CSP', async () => {
    await runCommand(page, 'Event Store: Show Store Statistics');
    await waitForEditorTab(page, 'Store Statistics');
    stats = await findFrame(page, '#content .summary');
    assert.match(
      (await stats.textContent('#content .summary')) ?? '',
      new RegExp(`^${demo.events} events in ${demo.streams} streams`),
    );
    const typeRows = await stats
      .locator('table', { has: stats.locator('caption', { hasText: /^Events per type$/ }) })
      .locator('tbody tr')
      .allTextContents();
    const top = Math.max(...demo.types.values());
    const topTypes = [...demo.types].filter(([, count]) => count === top).map(([t]) => `${t}${top}`);
    assert.ok(
      topTypes.includes(typeRows[0]!),
      `${typeRows[0]} is one of the most frequent types ${topTypes.join(', ')}`,
    );
    const categoryRows = await stats
      .locator('table', { has: stats.locator('caption', { hasText: 'Events and streams per category' }) })
      .locator('tbody tr')
      .allTextContents();
    assert.deepEqual(
      [...categoryRows].sort(),
      [...demo.categories].map(([name, c]) => `${name}${c.events}${c.streams.size}`).sort(),
    );
    assert.ok((await stats.locator('svg.chart rect.bar').count()) > 10, 'the charts are drawn');
    await stats.addScriptTag({ content: INJECTED }).catch(() => undefined);
    assert.equal(await stats.evaluate(() => (window as unknown as { injected?: boolean }).injected), undefined);
    assert.match(
      (await stats.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')) ?? '',
      /default-src 'none'.*script-src 'nonce-/,
    );
    // The "Replay" of the largest event opens the replay at it.
    const largest = stats.locator('button[aria-label^="Replay event"]').first();
    const at = Number(/(\d+)$/.exec((await largest.getAttribute('aria-label')) ?? '')?.[1]);
    assert.ok(at >= 1 && at <= demo.events, `the largest event is one of the store's (#${at})`);
    await largest.click();
    await waitForEditorTab(page, 'Event Replay');
    // The replay's webview was hidden behind the statistics: it is loaded again when shown.
    await until(async () => {
      replay = await findFrame(page, '[aria-label="Search events"]');
      return (await position(replay).catch(() => NaN)) === at || undefined;
    }, `the replay at the largest event (#${at})`);
  });

  it('shows the statistics again, in focus', async () => {
    await runCommand(page, 'Event Store: Show Store Statistics');
    stats = await findFrame(page, '#content .summary');
    // A shown webview takes the focus once loaded; a palette opened before that would close on losing it.
    await until(async () => (await stats.evaluate(() => document.hasFocus())) || undefined, 'the statistics in focus');
  });

  for (const theme of ['Light+', 'Dark Modern', 'Dark High Contrast']) {
    it(`statistics in ${theme}: axe-core finds no serious or critical violation`, async () => {
      await setTheme(page, theme, stats);
      const findings = await runAxe(stats);
      console.log(
        `      axe ${theme}: ${findings.length ? findings.map((f) => `${f.id} (${f.impact}) ×${f.nodes}`).join(', ') : 'no violation'}`,
      );
      // The bars take the theme's chart colour (not a fixed one).
      const fill = await stats.evaluate(() => getComputedStyle(document.querySelector('rect.bar')!).fill);
      const expected = await stats.evaluate(() =>
        getComputedStyle(document.documentElement).getPropertyValue('--vscode-charts-blue').trim(),
      );
      assert.ok(expected.length > 0, 'the theme defines charts.blue');
      await screenshot(page, `statistics-${theme}`);
      assert.ok(fill.length > 0);
      const severe = findings.filter((f) => f.impact === 'serious' || f.impact === 'critical');
      assert.deepEqual(severe, [], `serious or critical violations in ${theme}`);
    });
  }

  it('raised no CSP violation in the webviews but the one of the script injected on purpose', async () => {
    const injected = createHash('sha256').update(INJECTED).digest('base64');
    const csp = vscode.consoleErrors.filter((e) => /Content Security Policy/i.test(e));
    assert.equal(csp.length, 1, csp.join('\n'));
    assert.ok(csp[0]!.includes(`sha256-${injected}`), csp[0]);
  });
});
