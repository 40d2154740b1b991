// The system views on the demo data: the event model drawn from traffic (slices, counts, refusals),
// moved through with the keyboard, exported as Mermaid and Markdown, compared with a model file;
// the causality of a refused reaction; axe-core on both panels and screenshots in three themes.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { seedDemoData } from '../../src/core/application/demoData';
import { StoreSession } from '../../src/core/application/session';
import { builtInProjections } from '../../src/core/projections/builtIn';
import { deriveEventModel, type EventModel } from '../../src/core/system/eventModel';
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
  waitForNotification,
  type VsCode,
  story,
  keepWorkbench,
} from './harness';
import { runAxe } from './axe';

const QUICK_INPUT = '.quick-input-widget';
/** The text of the visible lines of the active editor. */
async function editorText(page: Page): Promise<string> {
  const text = await page
    .locator('.editor-group-container.active .monaco-editor .view-lines')
    .first()
    .evaluate((el) =>
      // Monaco reuses line elements: their order on screen is their top, not their place in the DOM.
      Array.from(el.children as HTMLCollectionOf<HTMLElement>)
        .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
        .map((line) => line.textContent ?? '')
        .join('\n'),
    );
  return text.replace(/\u00a0/g, ' '); // Monaco draws spaces as no-break spaces
}

async function pickRow(page: Page, title: string, text: string): Promise<void> {
  const row = page.locator(`${QUICK_INPUT} .monaco-list-row`, { hasText: text }).first();
  await until(
    async () =>
      ((await page.locator(`${QUICK_INPUT} .quick-input-title`).textContent()) ?? '').includes(title) &&
      (await row.isVisible()),
    `a quick pick "${title}" offering "${text}"`,
    20_000,
  );
  await row.click();
}

describe('System views: the event model and causality, on the demo data', function () {
  const it = story();
  let vscode: VsCode;
  let page: Page;
  let model: Frame;
  let causality: Frame;
  let expected: EventModel;
  let workspace: string;

  before(async () => {
    workspace = tempWorkspace('event-store-system-ws-');
    const session = await StoreSession.open({ path: path.join(workspace, '.eventstore', 'events.db') });
    await seedDemoData(session.handler);
    // What the panel must draw: the model of the same traffic, derived here from the store and its log.
    expected = deriveEventModel({
      events: session.store.readAll(),
      log: session.commandLog.entries(),
      projections: builtInProjections,
    });
    await session.close();
    fs.writeFileSync(
      path.join(workspace, 'team-model.mmd'),
      [
        'flowchart LR',
        '  c1["ConfirmCart"] --> e1["CartConfirmed"]',
        '  e1 --> r1{{"Stock reservation"}}',
        '  r1 --> c2["ReserveStock"]',
        '  c3["ShipOrder"] --> e3["OrderShipped"]',
        '',
      ].join('\n'),
    );
    vscode = await launchVsCode({ workspace });
    page = vscode.page;
    await openViewContainer(page, 'Event Store');
  });
  keepWorkbench('system', () => vscode);

  it('Show Event Model draws one slice per command of the demo, with its counts, reactions and refusals', async () => {
    await runCommand(page, 'Event Store: Show Event Model');
    await waitForEditorTab(page, 'Event Model');
    model = await findFrame(page, '[aria-label="Slices"]');
    const slices = model.locator('[role="listitem"]');
    await until(async () => (await slices.count()) === expected.slices.length || undefined, 'every slice drawn');
    const labels = await slices.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
    assert.deepEqual(
      labels,
      expected.slices.map(
        (s, i) =>
          `Slice ${i + 1} of ${expected.slices.length}: ${s.command}, ${s.accepted} accepted, ${s.refused} refused`,
      ),
    );
    // The demo: one confirmed cart short of pens, so one ReserveStock refused and compensated.
    const confirm = slices.filter({ hasText: /^Issued by.*CommandConfirmCart/ }).first();
    const confirmText = (await confirm.textContent()) ?? '';
    assert.match(confirmText, /Reaction on CartConfirmedStock reservation/);
    assert.match(confirmText, /→ ReserveStock 2 accepted 1 refused/);
    const reserve = slices.filter({ hasText: /CommandReserveStock/ }).first();
    assert.match(
      (await reserve.textContent()) ?? '',
      /Refused becauseOnly 1 × pen left in stock; cart ada-1 asks for 2\. ×1/,
    );
    const summary = (await model.textContent('#summary')) ?? '';
    assert.match(
      summary,
      new RegExp(`${expected.totals.commands} commands \\(1 refused\\) and ${expected.totals.events} events`),
    );
    await screenshot(page, 'event-model');
  });

  it('moves between slices with Left, Right, Home and End', async () => {
    const slices = model.locator('[role="listitem"]');
    await slices.first().focus();
    const focused = () => model.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '');
    await page.keyboard.press('ArrowRight');
    assert.match(await focused(), /^Slice 2 of /);
    await page.keyboard.press('End');
    assert.match(await focused(), new RegExp(`^Slice ${expected.slices.length} of `));
    await page.keyboard.press('Home');
    assert.match(await focused(), /^Slice 1 of /);
    const tabStops = await slices.evaluateAll((els) => els.filter((e) => e.getAttribute('tabindex') === '0').length);
    assert.equal(tabStops, 1, 'one tab stop for the whole list');
  });

  it('exports Mermaid and Markdown as new documents', async () => {
    await model.click('#export-mermaid');
    await until(async () => (await editorText(page)).startsWith('flowchart LR') || undefined, 'the Mermaid export');
    assert.match(await editorText(page), /\["CreateUser"\]:::command/);
    await screenshot(page, 'event-model-export-mermaid');
    await model.click('#export-markdown');
    await until(
      async () => (await editorText(page)).startsWith('# Event model of events.db') || undefined,
      'the Markdown export',
    );
    assert.match(
      await editorText(page),
      new RegExp(`${expected.totals.commands} commands \\(1 refused\\), ${expected.totals.events} events`),
    );
    await screenshot(page, 'event-model-export-markdown');
    // The exports are untitled documents: closing them asks whether to save (once for both, or once
    // each). The Markdown one may still be activating its language's extension when the palette
    // opens: close again until no export is left.
    const dialog = page.locator('.monaco-dialog-box');
    const exports = page.locator('.tabs-container .tab.dirty');
    assert.ok((await exports.count()) >= 2, 'both exports open, unsaved');
    await until(
      async () => {
        if (await dialog.isVisible()) {
          await dialog.getByRole('button', { name: "Don't Save" }).click();
          await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
        }
        if ((await exports.count()) === 0) return true;
        if (!(await dialog.isVisible())) {
          await runCommand(page, 'View: Close All Editor Groups');
          await dialog.waitFor({ state: 'visible', timeout: 10_000 });
        }
        return undefined;
      },
      'the exports closed without saving',
      90_000,
    );
  });

  it('compares with a model file: the arrow traffic never used and the traffic the model lacks', async () => {
    await runCommand(page, 'Event Store: Compare with a Model File');
    const input = page.locator(`${QUICK_INPUT} .quick-input-box input`);
    await input.waitFor({ state: 'visible', timeout: 20_000 });
    // The file dialog fills the box with its starting folder, then again once it has listed it: a path
    // typed in between is replaced or ends up behind the folder's. Type it once the folder is listed,
    // again if the dialog replaced it.
    await page
      .locator(`${QUICK_INPUT} .monaco-list-row`, { hasText: 'team-model.mmd' })
      .first()
      .waitFor({ timeout: 20_000 });
    const file = path.join(workspace, 'team-model.mmd');
    await until(async () => {
      if ((await input.inputValue()) !== file) await input.fill(file);
      return (await input.inputValue()) === file || undefined;
    }, 'the model file’s path in the box');
    await input.press('Enter');
    const toast = await waitForNotification(page, /Compared with team-model\.mmd/, 30_000);
    assert.match(toast, /3 arrows match the traffic, 1 were never used, \d+ used by the traffic are missing/);
    model = await findFrame(page, '[aria-label="Comparison with the model file"]');
    const unused = (await model.textContent('[aria-label="In the model, never used by the traffic"]')) ?? '';
    assert.match(unused, /\(1\)ShipOrder → OrderShipped/);
    const missing = (await model.textContent('[aria-label="Used by the traffic, missing from the model"]')) ?? '';
    assert.match(missing, /Stock reservation → ReleaseStock/);
    assert.match(missing, /Stock reservation → NotifyCustomer/);
    await screenshot(page, 'event-model-compared');
  });

  it('Show Causality on the refused reservation: the cart, the reaction, the refusal and its compensation', async () => {
    await runCommand(page, 'Event Store: Show Causality');
    await pickRow(page, 'Show Causality', 'rejected');
    await waitForEditorTab(page, 'Causality');
    causality = await findFrame(page, 'ul.causality[role="tree"]');
    const items = causality.locator('ul.causality [role="treeitem"]');
    await until(async () => (await items.count()) > 0, 'the causality graph');
    const texts = (await items.allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
    assert.ok(texts[0]?.startsWith('command AddItem · cart-ada-1'), texts.join(' | '));
    assert.ok(
      texts.some((t) => t.startsWith('command, rejected ReserveStock · stock-pen · by reaction Stock reservation')),
      texts.join(' | '),
    );
    const summary = (await causality.textContent('#summary')) ?? '';
    assert.match(summary, /correlation demo-seed-cart-ada-1, \d+ steps across 4 streams, 1 refused/);
    await items.first().focus();
    await page.keyboard.press('ArrowDown');
    assert.match(
      await causality.evaluate(() => document.activeElement?.textContent ?? ''),
      /^event ItemAdded · cart-ada-1 · position \d+/,
    );
    await screenshot(page, 'causality');
  });

  for (const theme of ['Light+', 'Dark Modern', 'Dark High Contrast']) {
    it(`axe-core finds no serious or critical violation in either panel, in ${theme}`, async () => {
      await setTheme(page, theme, causality);
      const findings = [...(await runAxe(causality)).map((f) => ({ ...f, panel: 'causality' }))];
      await screenshot(page, `causality-${theme}`);
      await runCommand(page, 'Event Store: Show Event Model');
      model = await findFrame(page, '[aria-label="Slices"]');
      await until(
        async () => (await model.evaluate(() => document.body.dataset.vscodeThemeName)) === theme,
        `the event model in ${theme}`,
      );
      findings.push(...(await runAxe(model)).map((f) => ({ ...f, panel: 'event model' })));
      await screenshot(page, `event-model-${theme}`);
      console.log(
        `      axe ${theme}: ${findings.length ? findings.map((f) => `${f.panel} ${f.id} (${f.impact}) ×${f.nodes}`).join(', ') : 'no violation'}`,
      );
      const severe = findings.filter((f) => f.impact === 'serious' || f.impact === 'critical');
      assert.deepEqual(severe, [], `serious or critical violations in ${theme}`);
      await runCommand(page, 'Event Store: Show Causality');
      await pickRow(page, 'Show Causality', 'rejected');
      causality = await findFrame(page, 'ul.causality[role="tree"]');
    });
  }
});
