// The replay on a large store imported with the CLI: every click answered through the whole path
// (with where the time went, printed; goals are checked by `npm run bench`, not here), and the
// place (position, filter, skipped events) kept across ten window reloads at random positions,
// the store still opening when the panel comes back.
//
// 100,001 events: large enough that opening the store takes seconds in the extension host (so every
// reload restores the panel while the store is opening) and that steps fold thousands of events;
// small enough that importing it and ten reloads keep this file within a few minutes. 1M is in the bench.
import * as assert from 'node:assert/strict';
import type { Frame, Page } from 'playwright-core';
import { prng } from '../builders/prng';
import {
  findFrame,
  launchVsCode,
  openViewContainer,
  runCommand,
  screenshot,
  tempWorkspace,
  until,
  waitForEditorTab,
  type VsCode,
  reloadWindow,
} from './harness';
import { formatSummary, importUsersStore, replayPosition, runScenario, waitForReplayPosition } from './replayPath';

const EVENTS = Number(process.env.EVENT_STORE_E2E_LARGE_EVENTS ?? 100_001);
const SEED = Number(process.env.EVENT_STORE_E2E_SEED ?? 20261201);

describe(`Event Replay on a ${EVENTS}-event store`, function () {
  this.bail(true);
  this.timeout(600_000);
  let vscode: VsCode;
  let page: Page;
  let replay: Frame;

  before(async () => {
    const workspace = tempWorkspace('event-store-large-ws-');
    importUsersStore(workspace, EVENTS);
    vscode = await launchVsCode({ workspace, env: { EVENT_STORE_MEASURE: '1' } });
    page = vscode.page;
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page)
      await screenshot(page, `failed-replay-large-${this.currentTest.title}`).catch(() => undefined);
  });

  after(async () => {
    await vscode?.close();
  });

  const globalPosition = async (frame: Frame = replay) => {
    const title = (await frame.getAttribute('[aria-label="Replay position"]', 'title')) ?? '';
    return Number(/Global position (\d+)/.exec(title)?.[1] ?? NaN);
  };

  it('answers step back, step forward, a slider jump and a filter change through the whole path', async () => {
    await openViewContainer(page, 'Event Store');
    await runCommand(page, 'Event Store: Open Replay');
    await waitForEditorTab(page, 'Event Replay', 120_000);
    replay = await findFrame(page, '[aria-label="Replay position"]', 120_000);
    await waitForReplayPosition(replay, EVENTS, EVENTS, 180_000);
    const { summaries, pings } = await runScenario(replay, 5, prng(SEED));
    for (const s of summaries) console.log(`      ${formatSummary(s)}`);
    pings.sort((a, b) => a - b);
    console.log(
      `      baseline: bare postMessage round trip p50 ${pings[Math.floor(pings.length / 2)]?.toFixed(1)} ms (n=${pings.length})`,
    );
    for (const s of summaries) {
      assert.equal(s.samples, 5, s.action);
      for (const v of [s.p50, s.p95, s.hostMs, s.transportMs, s.renderMs])
        assert.ok(Number.isFinite(v) && v >= 0, `${s.action}: ${JSON.stringify(s)}`);
      assert.ok(s.bytes > 0, `${s.action} sent a step`);
    }
    assert.ok(pings.length > 0, 'the bare round trip was measured');
    const { m } = await replayPosition(replay);
    assert.equal(m, EVENTS);
    assert.equal(await replay.evaluate(() => (window as unknown as { pwned?: unknown }).pwned), undefined);
  });

  it('a held arrow key tracks the key: presses made while a step is on its way add up, none is lost or replayed', async () => {
    const start = (await replayPosition(replay)).n;
    const seqBefore = JSON.parse((await replay.evaluate(() => document.body.dataset.stepTiming)) ?? '{"seq":0}') as {
      seq: number;
    };
    await replay.click('#explanation');
    // Auto-repeat as a keyboard sends it: keydowns one after another, nobody waiting for the panel.
    for (let i = 0; i < 30; i++) await page.keyboard.press('ArrowLeft');
    await waitForReplayPosition(replay, start - 30, EVENTS, 120_000);
    const seqAfter = JSON.parse((await replay.evaluate(() => document.body.dataset.stepTiming)) ?? '{"seq":0}') as {
      seq: number;
    };
    console.log(`      30 presses answered by ${seqAfter.seq - seqBefore.seq} requests`);
    assert.ok(seqAfter.seq - seqBefore.seq <= 30);
    for (let i = 0; i < 30; i++) await page.keyboard.press('ArrowRight');
    await waitForReplayPosition(replay, start, EVENTS, 120_000);
  });

  it('comes back to its position, filter and skipped events after 10 reloads at random positions', async () => {
    const random = prng(SEED + 1);
    // The workbench may build a webview's frame again (hidden and shown): find the live one.
    const live = async () => {
      if (replay.isDetached()) replay = await findFrame(page, '[aria-label="Replay position"]', 120_000);
      return replay;
    };
    for (let i = 0; i < 10; i++) {
      await live();
      // Every third reload with a filter on, every fourth with a skipped event.
      const filtered = i % 3 === 1;
      const withSkip = i % 4 === 2;
      await replay.fill('#filter-type', filtered ? 'UserCreated' : '');
      const inView = filtered ? 5000 : EVENTS;
      await until(async () => (await replayPosition(await live())).m === inView, `${inView} events in view`, 60_000);
      // UserCreated events are positions 1..5000: a random one of them, or any position.
      const target = 1 + Math.floor(random() * (inView - 1));
      await replay.fill('#goto', String(target));
      await replay.press('#goto', 'Enter');
      await until(async () => (await live(), await globalPosition()) === target, `global position ${target}`, 60_000);
      if (withSkip) {
        await replay.click(`[aria-label="Skip event ${target}"]`);
        await until(
          async () => ((await replay.textContent('#whatif-text')) ?? '').includes(`#${target}`),
          `event ${target} skipped`,
          60_000,
        );
      }
      const expected = { target, index: target, inView, filter: filtered ? 'UserCreated' : '', skipped: withSkip };
      await reloadWindow(page);
      await waitForEditorTab(page, 'Event Replay', 120_000);
      replay = await findFrame(page, '[aria-label="Replay position"]', 120_000);
      // The first step drawn after the reload is the restored place (read again if the frame is rebuilt meanwhile).
      const restored = await until(
        async () => {
          const frame = await live();
          const global = await globalPosition(frame);
          if (!Number.isFinite(global)) return undefined;
          return {
            ...(await replayPosition(frame)),
            global,
            filter: await frame.inputValue('#filter-type'),
            skipped: await frame.isVisible('#whatif-banner'),
          };
        },
        'the first step after the reload',
        180_000,
      );
      await live();
      assert.deepEqual(
        restored,
        {
          n: expected.index,
          m: expected.inView,
          global: expected.target,
          filter: expected.filter,
          skipped: expected.skipped,
        },
        `reload ${i + 1}`,
      );
      if (withSkip) {
        assert.ok(((await replay.textContent('#whatif-text')) ?? '').includes(`#${target}`));
        await replay.click('#whatif-clear');
        await until(async () => !(await replay.isVisible('#whatif-banner')), 'the skipped event cleared', 60_000);
      }
      console.log(
        `      reload ${i + 1}: back at ${restored.n} / ${restored.m}${filtered ? ' (filtered)' : ''}${withSkip ? ' with a skipped event' : ''}`,
      );
    }
  });
});
