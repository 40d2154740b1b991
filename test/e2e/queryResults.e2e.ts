// A person writes a SQL query over the events, runs it from its CodeLens, sorts the results,
// exports them, opens a row in the replay, sees an error where it is in the editor, and cancels a
// runaway query; axe-core finds no serious violation in the results grid, in three themes.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
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
  type VsCode,
  keepWorkbench,
} from './harness';
import { runAxe } from './axe';

const QUERY =
  "SELECT position, stream_id, type, data->>'productId' AS product\nFROM events\nWHERE type = 'ItemAdded'\nORDER BY position";

/** Replaces the text of the active editor, as typed without auto-closing, and saves it. */
async function writeInEditor(page: Page, text: string): Promise<void> {
  await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(text);
  await page.keyboard.press('ControlOrMeta+S');
}

async function status(grid: Frame): Promise<string> {
  return (await grid.textContent('#status')) ?? '';
}

async function columnValues(grid: Frame, column: number): Promise<string[]> {
  return grid.locator(`#body tr[data-row] td[data-col="${column}"]`).allTextContents();
}

async function replayPosition(frame: Frame): Promise<number> {
  const text = (await frame.textContent('[aria-label="Replay position"]')) ?? '';
  return Number(/(\d+)\s*\//.exec(text)?.[1] ?? NaN);
}

describe('SQL queries: write, run, sort, export, replay', function () {
  const it = story();
  let vscode: VsCode;
  let page: Page;
  let grid: Frame;
  let workspace: string;
  let itemAdded: { position: number; productId: string }[] = [];

  before(async () => {
    workspace = tempWorkspace('event-store-query-ws-');
    const session = await StoreSession.open({ path: path.join(workspace, '.eventstore', 'events.db') });
    await seedDemoData(session.handler);
    itemAdded = session.store
      .readAll()
      .filter((e) => e.type === 'ItemAdded')
      .map((e) => ({ position: e.globalPosition, productId: String((e.data as { productId: string }).productId) }));
    await session.close();
    assert.ok(itemAdded.length >= 3, 'the demo data has items added to carts');
    vscode = await launchVsCode({ workspace });
    page = vscode.page;
    await openViewContainer(page, 'Event Store');
  });

  keepWorkbench('query', () => vscode);

  it('New Query opens a saved .sql file in .eventstore/queries, and the query written there is saved', async () => {
    await runCommand(page, 'Event Store: New Query');
    await waitForEditorTab(page, 'query-1.sql');
    const file = path.join(workspace, '.eventstore', 'queries', 'query-1.sql');
    await until(async () => fs.existsSync(file), 'the query file');
    assert.match(fs.readFileSync(file, 'utf8'), /events\(position, stream_id, category/);
    await writeInEditor(page, QUERY);
    await until(async () => fs.readFileSync(file, 'utf8') === QUERY || undefined, 'the query saved as written', 10_000);
  });

  it('the Run Query CodeLens runs it: the rows appear in the Query Results grid', async () => {
    const lens = page.locator('.codelens-decoration a', { hasText: 'Run Query' }).first();
    await lens.waitFor({ timeout: 20_000 });
    await lens.click();
    await waitForEditorTab(page, 'Query Results');
    grid = await findFrame(page, '#grid');
    await until(async () => /\d+ rows? in/.test(await status(grid)) || undefined, 'the result', 30_000);
    assert.match(await status(grid), new RegExp(`^${itemAdded.length} rows in`));
    const headers = await grid.locator('#head th').allTextContents();
    assert.deepEqual(headers, ['#', 'position', 'stream_id', 'type', 'product']);
    assert.deepEqual(
      (await columnValues(grid, 0)).map(Number),
      itemAdded.map((e) => e.position),
    );
    await screenshot(page, 'query-results');
  });

  it('sorts by a column, both ways', async () => {
    await grid.locator('#head th button', { hasText: 'product' }).click();
    const sorted = [...itemAdded].sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
    await until(
      async () => (await grid.getAttribute('#head th:nth-child(5)', 'aria-sort')) === 'ascending',
      'ascending',
    );
    assert.deepEqual(
      await columnValues(grid, 3),
      sorted.map((e) => e.productId),
    );
    await grid.locator('#head th button', { hasText: 'position' }).click();
    await grid.locator('#head th button', { hasText: 'position' }).click();
    await until(
      async () => (await grid.getAttribute('#head th:nth-child(2)', 'aria-sort')) === 'descending',
      'descending',
    );
    assert.deepEqual((await columnValues(grid, 0)).map(Number), itemAdded.map((e) => e.position).reverse());
  });

  it('copies a cell, and a row as JSON keyed by column, to the clipboard', async () => {
    await vscode.allowClipboard();
    const first = grid.locator('#body tr[data-row] td[data-col="3"]').first();
    const product = (await first.textContent()) ?? '';
    const position = Number(await grid.locator('#body tr[data-row] td[data-col="0"]').first().textContent());
    const event = itemAdded.find((e) => e.position === position)!;
    assert.equal(product, event.productId);
    await first.click();
    await until(async () => !(await grid.isDisabled('#copy-cell')) || undefined, 'Copy cell enabled');
    await grid.click('#copy-cell');
    await until(async () => (await vscode.clipboardText()) === product || undefined, `the clipboard holds ${product}`);
    await grid.click('#copy-row');
    await until(async () => (await vscode.clipboardText()).startsWith('{') || undefined, 'the row on the clipboard');
    const row = JSON.parse(await vscode.clipboardText()) as Record<string, unknown>;
    assert.deepEqual(row, { position, stream_id: row.stream_id, type: 'ItemAdded', product });
    assert.match(String(row.stream_id), /^cart-/);
  });

  it('exports the rows, in the order shown, as CSV', async () => {
    await grid.click('#export-csv');
    const lines = page
      .locator('.editor-instance .monaco-editor .view-lines', { hasText: 'position,stream_id,type,product' })
      .first();
    await lines.waitFor({ timeout: 15_000 });
    const first = itemAdded[itemAdded.length - 1]!;
    const text = (await lines.innerText()).replace(/\u00a0/g, ' ');
    const rows = text.split('\n').filter((l) => l.trim() !== '');
    assert.equal(rows[0], 'position,stream_id,type,product');
    assert.match(rows[1]!, new RegExp(`^${first.position},[^,]+,ItemAdded,${first.productId}$`));
    await screenshot(page, 'query-export-csv');
  });

  it('exports them as NDJSON too: one object per row, keyed by column', async () => {
    const tab = await waitForEditorTab(page, 'Query Results');
    await tab.click();
    await grid.click('#export-ndjson');
    const first = itemAdded[itemAdded.length - 1]!;
    const lines = page
      .locator('.editor-instance .monaco-editor .view-lines', { hasText: `{"position":${first.position},` })
      .first();
    await lines.waitFor({ timeout: 15_000 });
    const rows = (await lines.innerText())
      .replace(/\u00a0/g, ' ')
      .split('\n')
      .filter((l) => l.trim() !== '');
    assert.deepEqual(JSON.parse(rows[0]!), {
      position: first.position,
      stream_id: JSON.parse(rows[0]!).stream_id,
      type: 'ItemAdded',
      product: first.productId,
    });
    assert.equal(rows.length, itemAdded.length);
  });

  it('a row with a position opens the Event Replay at that position', async () => {
    const tab = await waitForEditorTab(page, 'Query Results');
    await tab.click();
    const target = itemAdded[1]!;
    const cell = grid.locator('#body tr[data-row] td[data-col="0"]', { hasText: new RegExp(`^${target.position}$`) });
    await cell.click();
    await until(async () => !(await grid.isDisabled('#open-replay')) || undefined, 'Open in Replay enabled');
    await grid.click('#open-replay');
    await waitForEditorTab(page, 'Event Replay');
    const replay = await findFrame(page, '[aria-label="Replay position"]');
    await until(
      async () => (await replayPosition(replay)) === target.position || undefined,
      `the replay at ${target.position}`,
    );
    await screenshot(page, 'query-opens-replay');
  });

  it('an error says where: the message with line and column, and a mark in the editor', async () => {
    await waitForEditorTab(page, 'query-1.sql').then((t) => t.click());
    await writeInEditor(page, 'SELECT position\nFROM evnts');
    await runCommand(page, 'Event Store: Run Query');
    await until(async () => (await grid.isVisible('#error')) || undefined, 'the error');
    assert.match((await grid.textContent('#error')) ?? '', /no such table: evnts \(line 2, column 6\)/);
    await page.locator('.editor-instance .squiggly-error').first().waitFor({ timeout: 10_000 });
  });

  it('a runaway query is cancelled from the panel, and the next query runs', async () => {
    await waitForEditorTab(page, 'query-1.sql').then((t) => t.click());
    await writeInEditor(
      page,
      'WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r)\nSELECT count(*) FROM r',
    );
    await runCommand(page, 'Event Store: Run Query');
    await until(async () => !(await grid.isDisabled('#cancel')) || undefined, 'Cancel enabled while running');
    await grid.click('#cancel');
    await until(async () => (await status(grid)) === 'The query was cancelled.' || undefined, 'cancelled', 15_000);
    await waitForEditorTab(page, 'query-1.sql').then((t) => t.click());
    await writeInEditor(page, 'SELECT count(*) AS events FROM events');
    await runCommand(page, 'Event Store: Run Query');
    await until(async () => /^1 row in/.test(await status(grid)) || undefined, 'the next result', 30_000);
  });

  it('the strict CSP holds: a script injected into the grid does not run', async () => {
    await grid.addScriptTag({ content: 'window.injected = true;' }).catch(() => undefined);
    assert.equal(await grid.evaluate(() => (window as unknown as { injected?: boolean }).injected), undefined);
    const csp = await grid.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    assert.match(csp ?? '', /default-src 'none'/);
    assert.match(csp ?? '', /script-src 'nonce-/);
  });

  for (const theme of ['Light+', 'Dark Modern', 'Dark High Contrast']) {
    it(`axe-core finds no serious or critical violation in the grid in ${theme}`, async () => {
      await waitForEditorTab(page, 'query-1.sql').then((t) => t.click());
      await writeInEditor(page, QUERY);
      await runCommand(page, 'Event Store: Run Query');
      await until(async () => new RegExp(`^${itemAdded.length} rows in`).test(await status(grid)) || undefined, 'rows');
      await grid.locator('#body tr[data-row] td[data-col="1"]').first().click();
      await setTheme(page, theme, grid);
      const findings = await runAxe(grid);
      console.log(
        `      axe ${theme}: ${findings.length ? findings.map((f) => `${f.id} (${f.impact}) ×${f.nodes}`).join(', ') : 'no violation'}`,
      );
      await screenshot(page, `query-axe-${theme}`);
      const severe = findings.filter((f) => f.impact === 'serious' || f.impact === 'critical');
      assert.deepEqual(severe, [], `serious or critical violations in ${theme}`);
    });
  }
});
