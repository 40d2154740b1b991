// Playwright helpers that drive the real VS Code workbench (code-server) in headless Chromium the
// way a person does: the activity bar, the command palette, input boxes, tree rows, notifications
// and webviews. Used by the end-to-end tests and by the integration launcher.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Frame, type Locator, type Page } from 'playwright-core';

/** The repository root (this file runs as out/test/e2e/harness.js). */
export const repoRoot = path.resolve(__dirname, '..', '..', '..');

// ---------------------------------------------------------------------------------------------
// code-server (scripts/codeServer.mjs)

export interface StartCodeServerOptions {
  folder: string;
  userDataDir?: string;
  extensionsDir?: string;
  settings?: Record<string, unknown>;
  env?: Record<string, string>;
  /** A fixed port; a free one by default. */
  port?: number;
  verbose?: boolean;
}

export interface CodeServer {
  port: number;
  url: string;
  folder: string;
  userDataDir: string;
  extensionsDir: string;
  devHostUrl(extensionDevelopmentPath: string, extensionTestsPath?: string): string;
  output(): string;
  /** Settles when the server has exited, on stop() or on its own. */
  exited: Promise<void>;
  stop(): Promise<void>;
}

export interface CodeServerModule {
  ensureCodeServer(): Promise<string>;
  startCodeServer(options: StartCodeServerOptions): Promise<CodeServer>;
}

/**
 * scripts/codeServer.mjs stays plain ESM so `node scripts/...` runs it without a build. This
 * code is compiled to CommonJS, where TypeScript would turn import() into require() anyway;
 * Node 20.19+ loads an ES module through require() (it has no top-level await).
 */
export function codeServer(): CodeServerModule {
  const load = createRequire(__filename);
  return load(path.join(repoRoot, 'scripts', 'codeServer.mjs')) as CodeServerModule;
}

// ---------------------------------------------------------------------------------------------
// Chromium

/** Debian's Chromium; the flags keep it from reaching for the network, which is closed here. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

// ---------------------------------------------------------------------------------------------
// Small waiting helpers

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value other than undefined/false, or fails with `what`. */
export async function until<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error; // the page may be mid-render: try again
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}`);
    }
    await sleep(250);
  }
}

// ---------------------------------------------------------------------------------------------
// A VS Code session: code-server + Chromium + the workbench page

export interface LaunchOptions {
  workspace: string;
  userDataDir?: string;
  settings?: Record<string, unknown>;
  /** Extra environment for code-server and its extension host (e.g. EVENT_STORE_MEASURE=1). */
  env?: Record<string, string>;
  /** Echo code-server's output (also on with EVENT_STORE_E2E_VERBOSE=1). */
  verbose?: boolean;
}

const openSessions = new Set<VsCode>();
/** Temporary folders made here, removed by closeAll() once the run is over. */
const tempDirs: string[] = [];

function makeTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export class VsCode {
  page!: Page;
  server!: CodeServer;
  private browser?: Browser;
  private context?: BrowserContext;
  readonly consoleErrors: string[] = [];

  constructor(private readonly options: LaunchOptions & { userDataDir: string }) {}

  get workspace(): string {
    return this.options.workspace;
  }

  get userDataDir(): string {
    return this.options.userDataDir;
  }

  async start(): Promise<void> {
    openSessions.add(this);
    this.server = await codeServer().startCodeServer({
      folder: this.options.workspace,
      userDataDir: this.options.userDataDir,
      settings: this.options.settings,
      env: this.options.env,
      verbose: this.options.verbose ?? process.env.EVENT_STORE_E2E_VERBOSE === '1',
    });
    this.browser = await launchBrowser();
    this.context = await this.browser.newContext({ viewport: { width: 1400, height: 900 } });
    this.page = await this.context.newPage();
    this.page.on('console', (message) => {
      if (message.type() === 'error') this.consoleErrors.push(message.text());
    });
    // EVENT_STORE_E2E_EXTENSION runs another build of the extension (the bench's before/after).
    await this.page.goto(this.server.devHostUrl(process.env.EVENT_STORE_E2E_EXTENSION ?? repoRoot));
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
  }

  /** Closes the browser and code-server, then opens the same workspace and profile again. */
  async restart(): Promise<void> {
    await this.close();
    await this.start();
  }

  async close(): Promise<void> {
    openSessions.delete(this);
    await this.browser?.close().catch(() => undefined);
    this.browser = undefined;
    this.context = undefined;
    await this.server?.stop();
  }
}

/** Starts code-server on `workspace` with this repository as the extension under development. */
export async function launchVsCode(options: LaunchOptions): Promise<VsCode> {
  const userDataDir = options.userDataDir ?? makeTempDir('event-store-e2e-ud-');
  const session = new VsCode({ ...options, userDataDir });
  try {
    await session.start();
  } catch (error) {
    await session.close();
    throw error;
  }
  return session;
}

/** Closes every session still open (a failed test may leave one) and removes the temporary folders. */
export async function closeAll(): Promise<void> {
  await Promise.all([...openSessions].map((session) => session.close()));
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** A fresh empty folder to open as the workspace. */
export function tempWorkspace(prefix = 'event-store-e2e-ws-'): string {
  return makeTempDir(prefix);
}

// ---------------------------------------------------------------------------------------------
// Command palette and input boxes

const QUICK_INPUT = '.quick-input-widget';
const QUICK_INPUT_BOX = `${QUICK_INPUT} .quick-input-box input`;

function quickInput(page: Page): Locator {
  return page.locator(QUICK_INPUT_BOX);
}

/** Opens the command palette and types `>title`; false if the palette closed before taking the text. */
async function openPaletteWith(page: Page, title: string): Promise<boolean> {
  const input = quickInput(page);
  // F1 opens the palette from anywhere in the workbench; if focus sits somewhere that swallows
  // it (a webview that has not forwarded the key yet), try the other binding; a focused webview
  // may keep both: then focus goes to the workbench first (the active editor's tab).
  for (const key of ['F1', 'Control+Shift+P', 'focus-workbench', 'F1']) {
    if (key === 'focus-workbench') {
      const tab = page.locator('.tabs-container .tab.active').first();
      if (await tab.isVisible()) await tab.click();
      else await page.locator('.statusbar').first().click({ position: { x: 2, y: 2 } });
      continue;
    }
    await page.keyboard.press(key);
    // Generous: on a machine under load the palette can take seconds to appear.
    const opened = await input.waitFor({ state: 'visible', timeout: 10_000 }).then(
      () => true,
      () => false,
    );
    if (opened) break;
  }
  // The palette's value starts with '>' (commands mode): keep it when replacing the text. A late
  // focus change elsewhere (a view or the walkthrough settling) closes it: then say so.
  return input.fill(`>${title}`, { timeout: 5_000 }).then(
    () => true,
    () => false,
  );
}

/** Runs a command by its full palette title, e.g. `Event Store: Create User`. */
export async function runCommand(page: Page, title: string): Promise<void> {
  const input = quickInput(page);
  const focused = page.locator(`${QUICK_INPUT} .monaco-list-row.focused`);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (!(await openPaletteWith(page, title))) continue;
    await until(
      async () => {
        const label = (await focused.first().textContent({ timeout: 1_000 })) ?? '';
        return label.includes(title);
      },
      `"${title}" to be highlighted in the command palette`,
      15_000,
    );
    // Still open: a palette closed meanwhile would let Enter fall on whatever has the focus.
    if (!(await input.isVisible())) continue;
    await input.press('Enter');
    return;
  }
  assert.fail(`the command palette did not stay open to run "${title}"`);
}

/**
 * Waits for an input box (showInputBox / createInputBox) rather than the command palette that
 * may still be closing, and returns the prompt it shows.
 */
export async function waitForInputBox(page: Page, timeoutMs = 15_000): Promise<string> {
  await until(
    async () => {
      const input = quickInput(page);
      if (!(await input.isVisible())) return false;
      return !(await input.inputValue()).startsWith('>');
    },
    'an input box',
    timeoutMs,
  );
  return (await page.locator(`${QUICK_INPUT} .quick-input-message`).textContent()) ?? '';
}

/**
 * Types `text` into the open input box and presses Enter. With `expectClose` (default) waits for
 * the box to accept and close; without, leaves it to the caller (e.g. to read a validation).
 */
export async function typeInInputBox(page: Page, text: string, { expectClose = true } = {}): Promise<void> {
  await waitForInputBox(page);
  const input = quickInput(page);
  await input.fill(text);
  await input.press('Enter');
  if (expectClose) await page.locator(QUICK_INPUT).waitFor({ state: 'hidden', timeout: 15_000 });
}

/** The error the open input box shows for its current value, or undefined if none. */
export async function inputBoxValidation(page: Page): Promise<string | undefined> {
  // VS Code marks the box with an error decoration and shows the message below it.
  const decorated = await page.locator(`${QUICK_INPUT} .monaco-inputbox.error`).count();
  if (decorated === 0) return undefined;
  const message = (await page.locator(`${QUICK_INPUT} .quick-input-message`).textContent()) ?? '';
  return message.trim() || undefined;
}

export async function isQuickInputOpen(page: Page): Promise<boolean> {
  return page.locator(QUICK_INPUT).isVisible();
}

// ---------------------------------------------------------------------------------------------
// Notifications

/** Waits for a notification toast containing `text`; returns its whole message. */
export async function waitForNotification(page: Page, text: string | RegExp, timeoutMs = 15_000): Promise<string> {
  const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: text }).first();
  await toast.waitFor({ state: 'visible', timeout: timeoutMs });
  return ((await toast.locator('.notification-list-item-message').textContent()) ?? '').trim();
}

/** Messages of the notification toasts on screen. */
export async function notifications(page: Page): Promise<string[]> {
  const messages = await page.locator('.notifications-toasts .notification-list-item-message').allTextContents();
  return messages.map((message) => message.trim());
}

/** Text of a modal dialog on screen (VS Code shows a command's uncaught error in one), if any. */
export async function dialogText(page: Page): Promise<string | undefined> {
  const dialog = page.locator('.monaco-dialog-box');
  if ((await dialog.count()) === 0) return undefined;
  return ((await dialog.first().innerText()) ?? '').replace(/\s+/g, ' ').trim();
}

// ---------------------------------------------------------------------------------------------
// Views and trees

/** Clicks the activity-bar entry of a view container (e.g. `Event Store`) unless it is open. */
export async function openViewContainer(page: Page, title: string): Promise<void> {
  const item = page.locator(`.activitybar .action-item a.action-label[aria-label^="${title}"]`).first();
  await item.waitFor({ state: 'visible', timeout: 30_000 });
  const entry = item.locator('xpath=..');
  const checked = (await entry.getAttribute('aria-selected')) === 'true' || (await entry.getAttribute('class'))?.includes('checked');
  if (!checked) {
    await item.click();
    // Off the activity bar, so its hover does not cover the view in screenshots.
    await page.mouse.move(700, 450);
  }
  await page.locator('.sidebar .composite.title', { hasText: title }).first().waitFor({ timeout: 15_000 });
}

/** The pane of a view (by its name, e.g. `Read Models`) in the side bar; expands it if collapsed. */
export async function viewPane(page: Page, name: string): Promise<Locator> {
  const header = page.locator('.sidebar .pane-header', { has: page.locator('h3.title', { hasText: name }) }).first();
  await header.waitFor({ state: 'visible', timeout: 30_000 });
  if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
  return header.locator('xpath=..');
}

/** The text of every row shown in a view's tree, top to bottom. */
export async function treeRows(page: Page, view: string): Promise<string[]> {
  const pane = await viewPane(page, view);
  const rows = await pane.locator('.pane-body .monaco-list-row').allTextContents();
  return rows.map((row) => row.trim());
}

/** Expands collapsed rows of a view whose text contains one of `labels`. */
export async function expandTreeItems(page: Page, view: string, labels: string[]): Promise<void> {
  const pane = await viewPane(page, view);
  for (const label of labels) {
    const rows = pane.locator('.pane-body .monaco-list-row[aria-expanded="false"]', { hasText: label });
    for (let i = (await rows.count()) - 1; i >= 0; i--) await rows.nth(i).locator('.monaco-tl-twistie').click();
  }
}

/**
 * Waits until a row of the view's tree contains `text`, expanding the rows named in `expand`
 * (e.g. `Users directory`) as they appear. Returns the row's text.
 */
export async function waitForTreeItem(
  page: Page,
  view: string,
  text: string,
  { expand = [] as string[], timeoutMs = 30_000 } = {},
): Promise<string> {
  return until(
    async () => {
      await expandTreeItems(page, view, expand);
      return (await treeRows(page, view)).find((row) => row.includes(text));
    },
    `a row containing "${text}" in the ${view} view`,
    timeoutMs,
  );
}

// ---------------------------------------------------------------------------------------------
// Editors and webviews

/** Waits for an editor tab titled `title` (e.g. the `Event Replay` panel). */
export async function waitForEditorTab(page: Page, title: string, timeoutMs = 30_000): Promise<Locator> {
  const tab = page.locator('.tabs-container .tab', { has: page.locator('.label-name', { hasText: title }) }).first();
  await tab.waitFor({ state: 'visible', timeout: timeoutMs });
  return tab;
}

/**
 * The frame holding `selector`. A webview is an iframe inside an iframe, created lazily, so the
 * frames are polled until one has the element.
 */
export async function findFrame(page: Page, selector: string, timeoutMs = 30_000): Promise<Frame> {
  return until(
    async () => {
      for (const frame of page.frames()) {
        if (frame.isDetached()) continue;
        if (await frame.$(selector).catch(() => null)) return frame;
      }
      return undefined;
    },
    `a frame with ${selector}`,
    timeoutMs,
  );
}

/**
 * Switches the colour theme through its picker (e.g. `Light+`, `Dark High Contrast`) and waits for
 * the workbench, and the webview in `frame` if given, to wear it.
 */
export async function setTheme(page: Page, theme: string, frame?: Frame): Promise<void> {
  // "Browse Color Themes in Marketplace" ranks first for this title: pick the command's own row.
  await page.keyboard.press('F1');
  const input = page.locator(`${QUICK_INPUT_BOX}`);
  await input.fill('>Preferences: Color Theme');
  await page.locator(`${QUICK_INPUT} .monaco-list-row`, { hasText: /^Preferences: Color Theme/ }).first().click();
  await waitForInputBox(page);
  await input.fill(theme);
  const exact = new RegExp(`^${theme.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const row = page.locator(`${QUICK_INPUT} .monaco-list-row`).filter({ has: page.locator('.label-name', { hasText: exact }) }).first();
  await row.waitFor({ state: 'visible', timeout: 10_000 });
  await row.click();
  await page.locator(QUICK_INPUT).waitFor({ state: 'hidden', timeout: 10_000 });
  // The webview receives the theme's colours and its name in the same update.
  if (frame) await until(async () => (await frame.evaluate(() => document.body.dataset.vscodeThemeName)) === theme, `the webview in ${theme}`, 20_000);
}

// ---------------------------------------------------------------------------------------------
// Screenshots

export const screenshotDir = path.join(repoRoot, 'test-results', 'screenshots');

/** Saves a screenshot of the whole workbench to test-results/screenshots/NAME.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path: file });
  return file;
}
