// A team store on a real PostgreSQL server, as people use it: two VS Code windows connect through
// the palette (one with a connection string and a password, one step by step), browse and replay
// the events an Emmett application wrote, and a command issued in one window shows up in the other.
// A query in SQL runs on the server. A wrong password is one sentence, and the password is nowhere
// in the window's logs or settings.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import { Client } from 'pg';
import type { Frame, Page } from 'playwright-core';
import { addPasswordRole } from '../builders/postgresRoles';
import { startPostgres, type PostgresServer } from '../builders/postgresServer';
import {
  dialogText,
  findFrame,
  launchVsCode,
  notifications,
  openViewContainer,
  reloadWindow,
  runCommand,
  screenshot,
  setTheme,
  story,
  tempWorkspace,
  until,
  viewPane,
  waitForEditorTab,
  waitForNotification,
  waitForTreeItem,
  type VsCode,
} from './harness';

const PASSWORD = 'team-secret-4711';
const WRONG = 'not-the-secret-0815';
const QUICK_INPUT = '.quick-input-widget';

/** Replaces the text of the active editor, as typed without auto-closing, and saves it. */
async function writeInEditor(page: Page, text: string): Promise<void> {
  await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(text);
  await page.keyboard.press('ControlOrMeta+S');
}

async function gridStatus(grid: Frame): Promise<string> {
  return (await grid.textContent('#status')) ?? '';
}

/** Waits until the open quick input shows `expect` (its title, prompt or a row), then answers it. */
async function answer(page: Page, expect: string | RegExp, text: string): Promise<void> {
  const widget = page.locator(QUICK_INPUT);
  await until(
    async () => {
      if (!(await widget.isVisible())) return false;
      const shown =
        (await widget.innerText()) + ((await widget.locator('input').first().getAttribute('placeholder')) ?? '');
      return typeof expect === 'string' ? shown.includes(expect) : expect.test(shown);
    },
    `the quick input to show ${String(expect)}`,
    30_000,
  );
  const input = widget.locator('.quick-input-box input');
  await input.fill(text);
  await input.press('Enter');
}

/** Every file under `dir` whose text contains `secret` (a log, a setting, saved state). */
function filesHolding(dir: string, secret: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && fs.readFileSync(full).includes(secret)) found.push(full);
    }
  };
  walk(dir);
  return found;
}

async function replayPosition(frame: Frame): Promise<{ n: number; m: number }> {
  const text = (await frame.textContent('[aria-label="Replay position"]')) ?? '';
  const match = /(\d+)\s*\/\s*(\d+)/.exec(text);
  assert.ok(match, `Replay position reads "${text}"`);
  return { n: Number(match[1]), m: Number(match[2]) };
}

describe('PostgreSQL team store in two VS Code windows (a real server)', function () {
  const it = story();
  let server: PostgresServer;
  let url: string;
  let roleUrl: string;
  let a: VsCode;
  let b: VsCode;
  let replay: Frame;

  before(async () => {
    server = await startPostgres();
    url = await server.createDatabase('e2e_team');
    const emmett = getPostgreSQLEventStore(url);
    try {
      await emmett.appendToStream('user-ada', [{ type: 'UserCreated', data: { userId: 'ada', name: 'Ada Lovelace' } }]);
      await emmett.appendToStream('user-alan', [
        { type: 'UserCreated', data: { userId: 'alan', name: 'Alan Turing' } },
      ]);
    } finally {
      await emmett.close();
    }
    const role = await addPasswordRole(server, 'e2e_team', PASSWORD);
    const admin = new Client({ connectionString: url });
    await admin.connect();
    try {
      for (const what of ['TABLES', 'SEQUENCES', 'FUNCTIONS'])
        await admin.query(`GRANT ALL ON ALL ${what} IN SCHEMA public TO ${role}`);
    } finally {
      await admin.end();
    }
    roleUrl = url.replace('postgres@', `${role}@`);
    [a, b] = await Promise.all([
      launchVsCode({ workspace: tempWorkspace() }),
      launchVsCode({ workspace: tempWorkspace() }),
    ]);
    // The palette lists the extension's commands once its views are there.
    for (const w of [a, b]) {
      await openViewContainer(w.page, 'Event Store');
      await viewPane(w.page, 'Streams');
    }
  });
  after(async () => {
    await a?.close();
    await b?.close();
    server?.stop();
  });
  afterEach(async function () {
    if (this.currentTest?.state !== 'failed') return;
    for (const [name, w] of [
      ['a', a],
      ['b', b],
    ] as const) {
      if (!w?.page) continue;
      await screenshot(w.page, `failed-postgres-${name}-${this.currentTest.title}`).catch(() => undefined);
      const shown = await notifications(w.page).catch(() => []);
      if (shown.length > 0) console.log(`      window ${name} notifications: ${shown.join(' | ')}`);
      const dialog = await dialogText(w.page).catch(() => undefined);
      if (dialog) console.log(`      window ${name} dialog: ${dialog}`);
    }
  });

  it('window A connects with a connection string and a password, and opens the team store', async () => {
    const { page } = a;
    await runCommand(page, 'Event Store: Connect to PostgreSQL…');
    await answer(page, 'How do you want to give the connection?', 'Connection String');
    await answer(page, 'A postgres:// connection string', roleUrl);
    await answer(page, 'Password for', PASSWORD);
    await answer(page, 'Which store should the views', 'team store');
    await waitForNotification(page, /Opened schema "public" at .*team store \(read and write\)/, 60_000);
    await openViewContainer(page, 'Event Store');
    await waitForTreeItem(page, 'Streams', 'user-ada');
    await waitForTreeItem(page, 'Read Models', 'Alan Turing', { expand: ['Users directory'] });
    await screenshot(page, 'postgres-team-store');
  });

  it('window B connects step by step (host, port, database, user) to the same team store', async () => {
    const { page } = b;
    await runCommand(page, 'Event Store: Connect to PostgreSQL…');
    await answer(page, 'How do you want to give the connection?', 'Host, Port');
    await answer(page, 'Host name or address', '127.0.0.1');
    await answer(page, 'Port', String(server.port));
    await answer(page, 'Database', new URL(url).pathname.slice(1));
    await answer(page, 'User name', 'postgres');
    await answer(page, 'SSL mode', 'disable');
    await answer(page, 'Password for', '');
    await answer(page, 'Which store should the views', 'team store');
    await waitForNotification(page, /Opened schema "public" at .*team store/, 60_000);
    await openViewContainer(page, 'Event Store');
    await waitForTreeItem(page, 'Streams', 'user-alan');
  });

  it('window B replays the events', async () => {
    const { page } = b;
    await runCommand(page, 'Event Store: Open Replay');
    await waitForEditorTab(page, 'Event Replay');
    // The panel's frame may still be replaced while it loads: found again until it answers.
    await until(
      async () => {
        replay = await findFrame(page, '[aria-label="Replay position"]');
        const control = replay.locator('[aria-label="Last event"]');
        if (await control.isEnabled()) await control.click({ timeout: 5_000 });
        return (await replayPosition(replay)).n === 2;
      },
      'the replay at 2 / 2',
      30_000,
    );
    await replay.locator('[aria-label="Step back"]').click();
    await until(async () => (await replayPosition(replay)).n === 1, 'the replay at 1 / 2', 15_000);
    await screenshot(page, 'postgres-replay');
  });

  it('a command issued in window A shows up in window B, its views and its replay', async () => {
    await runCommand(a.page, 'Event Store: Create User');
    await answer(a.page, /name/i, 'Grace Hopper');
    await waitForNotification(a.page, /Created Grace Hopper .*UserCreated at position/, 30_000);
    const acknowledged = Date.now();
    await waitForTreeItem(b.page, 'Read Models', 'Grace Hopper', { expand: ['Users directory'], timeoutMs: 15_000 });
    // Polled every 250 ms here, so within a quarter of a second.
    console.log(`      window B showed it ${Date.now() - acknowledged} ms after window A acknowledged the command`);
    await until(async () => (await replayPosition(replay)).m === 3, 'window B’s replay to count 3 events', 15_000);
    await screenshot(b.page, 'postgres-second-window');
  });

  it('and one issued in window B shows up in window A', async () => {
    await runCommand(b.page, 'Event Store: Create User');
    await answer(b.page, /name/i, 'Barbara Liskov');
    await waitForNotification(b.page, /Created Barbara Liskov .*UserCreated at position/, 30_000);
    await waitForTreeItem(a.page, 'Read Models', 'Barbara Liskov', { expand: ['Users directory'], timeoutMs: 15_000 });
  });

  it('window A opens the team store again after a reload, with the password from the secret storage', async () => {
    await reloadWindow(a.page);
    await openViewContainer(a.page, 'Event Store');
    await waitForTreeItem(a.page, 'Read Models', 'Barbara Liskov', { expand: ['Users directory'], timeoutMs: 60_000 });
    await until(
      async () => ((await a.page.locator('.statusbar').innerText()) ?? '').includes('Emmett PostgreSQL team store'),
      'the status bar to name the team store',
      15_000,
    );
  });

  it('window A asks the team store in SQL: the query runs on the server, an error marks its line, Cancel stops it', async () => {
    const { page } = a;
    await runCommand(page, 'Event Store: New Query');
    await waitForEditorTab(page, 'query-1.sql');
    await writeInEditor(
      page,
      "SELECT position, data->>'name' AS name, recorded_at\nFROM events\nWHERE type = 'UserCreated'\nORDER BY position;",
    );
    await runCommand(page, 'Event Store: Run Query');
    await waitForEditorTab(page, 'Query Results');
    let grid = await findFrame(page, '#grid');
    await until(async () => /^4 rows in/.test(await gridStatus(grid)) || undefined, 'the rows from the server', 30_000);
    assert.deepEqual(await grid.locator('#head th').allTextContents(), ['#', 'position', 'name', 'recorded_at']);
    assert.deepEqual(await grid.locator('#body tr[data-row] td[data-col="1"]').allTextContents(), [
      'Ada Lovelace',
      'Alan Turing',
      'Grace Hopper',
      'Barbara Liskov',
    ]);
    await screenshot(page, 'postgres-query-results');

    await waitForEditorTab(page, 'query-1.sql').then((t) => t.click());
    await writeInEditor(page, 'SELECT position\nFROM evnts');
    await runCommand(page, 'Event Store: Run Query');
    grid = await findFrame(page, '#grid');
    await until(async () => (await grid.isVisible('#error')) || undefined, 'the error');
    assert.match((await grid.textContent('#error')) ?? '', /relation "evnts" does not exist \(line 2, column 6\)/);
    await page.locator('.editor-instance .squiggly-error').first().waitFor({ timeout: 10_000 });

    await waitForEditorTab(page, 'query-1.sql').then((t) => t.click());
    await writeInEditor(page, 'SELECT pg_sleep(60)');
    await runCommand(page, 'Event Store: Run Query');
    await until(async () => !(await grid.isDisabled('#cancel')) || undefined, 'Cancel enabled while running');
    await grid.click('#cancel');
    await until(async () => (await gridStatus(grid)) === 'The query was cancelled.' || undefined, 'cancelled', 15_000);
    const admin = new Client({ connectionString: url });
    await admin.connect();
    try {
      await until(
        async () =>
          (
            await admin.query(
              "SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()",
            )
          ).rowCount === 0 || undefined,
        'the statement gone from the server',
        10_000,
      );
    } finally {
      await admin.end();
    }
  });

  it('looks right in light, dark and high contrast', async () => {
    const { page } = a;
    const kinds = { 'Light+': 'vs', 'Dark+': 'vs-dark', 'Dark High Contrast': 'hc-black' } as const;
    for (const [theme, kind] of Object.entries(kinds)) {
      await setTheme(page, theme);
      // The theme's extension activates first: the workbench wears it a moment later.
      await page.locator(`.monaco-workbench.${kind}`).waitFor({ timeout: 20_000 });
      await screenshot(page, `postgres-team-store-${theme}`);
    }
  });

  it('a user without the right to read the store gets one sentence, and the window keeps its store', async () => {
    const { page } = b;
    const nobody = await addPasswordRole(server, 'e2e_nobody', PASSWORD);
    await runCommand(page, 'Event Store: Connect to PostgreSQL…');
    await answer(page, 'How do you want to give the connection?', 'Connection String');
    await answer(page, 'A postgres:// connection string', url.replace('postgres@', `${nobody}@`));
    await answer(page, 'Password for', PASSWORD);
    await answer(page, 'events not readable by this user', 'public');
    const message = await waitForNotification(page, 'lacks a permission', 30_000);
    assert.match(message, /^The user of postgres:\/\/e2e_nobody@.* lacks a permission this needs: permission denied/);
    await waitForTreeItem(page, 'Streams', 'user-alan');
  });

  it('a wrong password is one sentence, and no password is in the logs or settings', async () => {
    const { page } = b;
    await runCommand(page, 'Event Store: Connect to PostgreSQL…');
    await answer(page, 'How do you want to give the connection?', 'Connection String');
    await answer(page, 'A postgres:// connection string', roleUrl);
    await answer(page, 'Password for', WRONG);
    const message = await waitForNotification(page, 'refused the user name or password', 30_000);
    assert.equal(message, `PostgreSQL at ${roleUrl} refused the user name or password.`);
    await screenshot(page, 'postgres-wrong-password');
    // The window still shows the team store it had.
    await waitForTreeItem(page, 'Streams', 'user-alan');
    for (const w of [a, b]) {
      // The window's "Event Store" output is among the files looked at, with the connection in it.
      assert.ok(filesHolding(w.userDataDir, 'Connecting to schema "public" at postgres://').length > 0);
      for (const secret of [PASSWORD, WRONG]) {
        // Settings, logs (the "Event Store" output among them) and saved state alike.
        const holding = filesHolding(w.userDataDir, secret);
        assert.deepEqual(holding, [], `${secret} is written in ${holding.join(', ')}`);
      }
    }
  });
});
