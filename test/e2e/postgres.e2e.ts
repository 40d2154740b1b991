// A team store on a real PostgreSQL server, as people use it: two VS Code windows connect through
// the palette (one with a connection string and a password, one step by step), browse and replay
// the events an Emmett application wrote, and a command issued in one window shows up in the other.
// A wrong password is one sentence, and the password is nowhere in the window's logs or settings.
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
