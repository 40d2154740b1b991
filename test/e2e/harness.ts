// Playwright helpers that drive the real VS Code workbench (code-server) in headless Chromium the
// way a person does: the activity bar, the command palette, input boxes, tree rows, notifications
// and webviews. Used by the end-to-end tests and by the integration launcher.
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
export async function until<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
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

  /** Lets the workbench write and read the system clipboard (the browser asks the user otherwise). */
  async allowClipboard(): Promise<void> {
    await this.context!.grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: new URL(this.page.url()).origin,
    });
  }

  /** The text on the system clipboard, as the workbench's page reads it. */
  clipboardText(): Promise<string> {
    return this.page.evaluate(() => navigator.clipboard.readText());
  }

  async start(): Promise<void> {
    openSessions.add(this);
    this.server = await codeServer().startCodeServer({
      folder: this.options.workspace,
      userDataDir: this.options.userDataDir,
      // Reduced motion: the walkthrough then focuses a step it selects at once, instead of from a
      // timer after its slide animation, which on a loaded machine fired after a palette opened
      // meanwhile and closed it (the palette closes when it loses focus).
      settings: { 'workbench.reduceMotion': 'on', ...this.options.settings },
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

/**
 * Where keyboard focus is, as a person would say it: the element of the workbench that has it, and
 * when that is a frame (a webview, the walkthrough's diagram), the element inside it.
 */
export async function describeFocus(page: Page): Promise<string> {
  return page
    .evaluate(() => {
      const name = (el: Element | null): string => {
        if (!el) return 'nothing';
        const label = el.getAttribute('aria-label');
        const cls =
          typeof el.className === 'string' && el.className
            ? `.${el.className.trim().split(/\s+/).slice(0, 3).join('.')}`
            : '';
        return `${el.tagName.toLowerCase()}${cls}${label ? ` "${label.slice(0, 40)}"` : ''}`;
      };
      const active = document.activeElement;
      const host = active?.closest('.part, .editor-instance, .getting-started-media, .webview') ?? null;
      return `${name(active)}${host && host !== active ? ` in ${name(host)}` : ''}; document has focus: ${document.hasFocus()}`;
    })
    .catch((error: unknown) => `unknown (${error instanceof Error ? error.message : String(error)})`);
}

/**
 * Gives keyboard focus back to the workbench when a frame that cannot pass keys on holds it. A
 * key pressed while an iframe has focus goes to that frame's document: a webview forwards it to
 * the workbench once its content is loaded (VS Code marks its iframe `ready`), but one still
 * loading drops it. A ready webview keeps focus, as it would for a person: blurring it leaves
 * the workbench without a focused element, and when the palette then closes VS Code focuses the
 * active editor, the webview, asynchronously, which can close the quick pick the command opens.
 */
export async function focusWorkbench(page: Page): Promise<string | undefined> {
  return page.evaluate(() => {
    const active = document.activeElement;
    if (!(active instanceof HTMLIFrameElement) || active.classList.contains('ready')) return undefined;
    const what = `${active.tagName.toLowerCase()}${active.className ? `.${String(active.className).trim().split(/\s+/).join('.')}` : ''}`;
    active.blur();
    return what;
  });
}

/**
 * Starts recording, in the page, whether the palette shows at all and where focus goes, so that a
 * palette that did not open can say why: never shown (the key went nowhere) or shown and closed
 * again (it lost focus to something that took it).
 */
async function watchPalette(page: Page): Promise<void> {
  await page.evaluate(() => {
    type Watch = { shown: boolean; focus: string[]; stop: () => void };
    const w = window as unknown as { __paletteWatch?: Watch };
    w.__paletteWatch?.stop();
    const watch: Watch = { shown: false, focus: [], stop: () => undefined };
    const describe = (el: Element | null) =>
      el
        ? `${el.tagName.toLowerCase()}${el.getAttribute('aria-label') ? ` "${el.getAttribute('aria-label')!.slice(0, 30)}"` : ''}`
        : 'nothing';
    const onFocus = (event: FocusEvent) => watch.focus.push(describe(event.target as Element));
    document.addEventListener('focusin', onFocus, true);
    let frame = 0;
    const poll = () => {
      const input = document.querySelector<HTMLElement>('.quick-input-widget .quick-input-box input');
      if (input && input.offsetParent !== null) watch.shown = true;
      frame = requestAnimationFrame(poll);
    };
    poll();
    watch.stop = () => {
      cancelAnimationFrame(frame);
      document.removeEventListener('focusin', onFocus, true);
    };
    w.__paletteWatch = watch;
  });
}

/** What watchPalette() saw since it started, in words. */
async function paletteHistory(page: Page): Promise<string> {
  return page
    .evaluate(() => {
      const watch = (window as unknown as { __paletteWatch?: { shown: boolean; focus: string[]; stop: () => void } })
        .__paletteWatch;
      if (!watch) return 'nothing recorded';
      watch.stop();
      const moves =
        watch.focus.length > 0 ? `focus went to ${watch.focus.slice(-4).join(' → ')}` : 'focus did not move';
      return `${watch.shown ? 'the palette showed, then closed again' : 'the palette never showed'}; ${moves}`;
    })
    .catch(() => 'nothing recorded');
}

/** Logs a retry of the harness with its reason, so that a run that needed one says so. */
export function logRetry(what: string, reason: string): void {
  console.log(`      [retry] ${what}: ${reason}`);
}

/**
 * Opens the command palette: F1, as a person does, with focus given back to the workbench first;
 * should F1 open nothing, once more, then by a click on the title bar's command center, which
 * needs no keyboard focus at all. Every retry is logged with where focus was.
 */
export async function openCommandPalette(page: Page): Promise<void> {
  const input = quickInput(page);
  if (await input.isVisible()) {
    // A quick input left open (another picker, or the palette itself): start from a closed one.
    await page.keyboard.press('Escape');
    await input.waitFor({ state: 'hidden', timeout: 10_000 });
  }
  const ways: Array<{ name: string; open: () => Promise<void> }> = [
    { name: 'F1', open: () => page.keyboard.press('F1') },
    { name: 'F1 again', open: () => page.keyboard.press('F1') },
    {
      name: 'a click on the command center',
      open: () => page.locator('.command-center .action-item').first().click({ timeout: 10_000 }),
    },
  ];
  for (const [i, way] of ways.entries()) {
    const blurred = await focusWorkbench(page);
    if (blurred)
      console.log(`      [focus] a key pressed now would go to ${blurred}: focus given back to the workbench`);
    await watchPalette(page);
    await way.open();
    const opened = await input.waitFor({ state: 'visible', timeout: 10_000 }).then(
      () => true,
      () => false,
    );
    if (opened) return;
    const dialog = await dialogText(page);
    const state = `${await paletteHistory(page)}; focus now: ${await describeFocus(page)}${dialog ? `; dialog: ${dialog}` : ''}`;
    if (i === ways.length - 1)
      throw new Error(`the command palette did not open (by F1, F1 again, the command center); ${state}`);
    logRetry(`${way.name} opened no command palette within 10 s`, state);
  }
}

/** Runs a command by its full palette title, e.g. `Event Store: Create User`. */
export async function runCommand(page: Page, title: string): Promise<void> {
  const input = quickInput(page);
  const focused = page.locator(`${QUICK_INPUT} .monaco-list-row.focused`);
  for (let attempt = 1; ; attempt++) {
    await openCommandPalette(page);
    // The palette's value starts with '>' (commands mode): keep it when replacing the text (the
    // command center opens Quick Open, which the '>' turns into the command palette).
    const typed = await input.fill(`>${title}`, { timeout: 5_000 }).then(
      () => true,
      () => false,
    );
    // Highlighted, or closed meanwhile: a late focus change elsewhere (the walkthrough focusing
    // the step it just selected) closes the palette, and Enter would then fall on that element.
    const outcome = typed
      ? await until(
          async () => {
            if (!(await input.isVisible())) return 'closed';
            const label = (await focused.first().textContent({ timeout: 1_000 })) ?? '';
            return label.includes(title) ? 'highlighted' : undefined;
          },
          `"${title}" to be highlighted in the command palette`,
          15_000,
        )
      : 'closed';
    if (outcome === 'highlighted' && (await input.isVisible())) {
      await input.press('Enter');
      return;
    }
    const why = `the palette closed before "${title}" could be run; focus now: ${await describeFocus(page)}`;
    if (attempt === 3) throw new Error(why);
    logRetry('command palette', why);
  }
}

/**
 * Reloads the window through the palette, as a person does, and waits for the new page. The old
 * page stays on screen until the reload starts, so waiting for the workbench alone could pass on
 * the page that is about to go (and a frame found there is detached a moment later).
 */
export async function reloadWindow(page: Page, timeoutMs = 120_000): Promise<void> {
  const reloaded = page.waitForEvent('framenavigated', {
    predicate: (frame) => frame === page.mainFrame(),
    timeout: timeoutMs,
  });
  await runCommand(page, 'Developer: Reload Window');
  await reloaded;
  await page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
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
  const shown = page.locator('.sidebar .composite.title', { hasText: title }).first();
  const checked =
    (await entry.getAttribute('aria-selected')) === 'true' || (await entry.getAttribute('class'))?.includes('checked');
  if (!checked) {
    await item.click();
    // Off the activity bar, so its hover does not cover the view in screenshots.
    await page.mouse.move(700, 450);
  }
  // After a window reload the container can come back selected with its side bar hidden: a click shows it.
  await until(
    async () => {
      if (await shown.isVisible().catch(() => false)) return true;
      const visible = await shown
        .waitFor({ timeout: 5_000 })
        .then(() => true)
        .catch(() => false);
      if (visible) return true;
      await item.click();
      await page.mouse.move(700, 450);
      return false;
    },
    `the side bar showing ${title}`,
    30_000,
  );
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
  await openCommandPalette(page);
  const input = page.locator(`${QUICK_INPUT_BOX}`);
  await input.fill('>Preferences: Color Theme');
  await page
    .locator(`${QUICK_INPUT} .monaco-list-row`, { hasText: /^Preferences: Color Theme/ })
    .first()
    .click();
  await waitForInputBox(page);
  await input.fill(theme);
  const exact = new RegExp(`^${theme.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const row = page
    .locator(`${QUICK_INPUT} .monaco-list-row`)
    .filter({ has: page.locator('.label-name', { hasText: exact }) })
    .first();
  await row.waitFor({ state: 'visible', timeout: 10_000 });
  await row.click();
  await page.locator(QUICK_INPUT).waitFor({ state: 'hidden', timeout: 10_000 });
  // The webview receives the theme's colours and its name in the same update.
  if (frame)
    await until(
      async () => (await frame.evaluate(() => document.body.dataset.vscodeThemeName)) === theme,
      `the webview in ${theme}`,
      20_000,
    );
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

// ---------------------------------------------------------------------------------------------
// Stories: tests that build on each other

/**
 * Declares the steps of a story: tests of one suite that each build on the state the one before
 * left. After a step fails, the later steps still appear in the report, each failed by name with
 * the step that broke the story, instead of running on a broken state or being dropped silently.
 * Call it inside `describe`.
 */
export function story(): (title: string, fn: (this: Mocha.Context) => Promise<void>) => Mocha.Test {
  let broken: string | undefined;
  afterEach(function () {
    // Also catches a step that timed out, whose own body never got to say it failed.
    if (this.currentTest?.state === 'failed') broken ??= this.currentTest.title;
  });
  return (title, fn) =>
    it(title, async function () {
      if (broken !== undefined) throw new Error(`not run: the earlier step "${broken}" failed`);
      await fn.call(this);
    });
}

/**
 * For a suite that launches one workbench: closes it after the suite, and keeps a screenshot of the
 * page of every failed test (`failed-NAME-<test title>`).
 */
export function keepWorkbench(name: string, current: () => VsCode | undefined): void {
  after(async () => {
    await current()?.close();
  });
  afterEach(async function () {
    const page = current()?.page;
    if (this.currentTest?.state === 'failed' && page)
      await screenshot(page, `failed-${name}-${this.currentTest.title}`).catch(() => undefined);
  });
}
