// The whole path of a replay step as a person feels it, in the real VS Code: click → webview →
// extension host → engine → step view → serialization → the connection → webview render → paint.
// Shared by the e2e tier (a store it can afford) and `npm run bench` (100k and 1M events).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { repoRoot, until } from './harness';

/** What the webview records for one answered request (see `measure` in src/webview/main.ts). */
export interface PathTiming {
  readonly seq: number;
  readonly clickToPaintMs: number;
  readonly hostMs: number;
  readonly serializeMs: number;
  readonly bytes: number;
  readonly transportMs: number;
  readonly renderMs: number;
  readonly paintMs: number;
  readonly loopDelayMaxMs?: number;
}

export const HOSTILE_NAME = '<img src=x onerror="window.pwned=1">';
const USERS = 5000;

/**
 * A store as a person would bring one: NDJSON imported with the CLI. 5,000 users created, then
 * renamed round after round; one user carries markup in its name.
 */
export function importUsersStore(workspace: string, events: number): string {
  const dir = path.join(workspace, '.eventstore');
  fs.mkdirSync(dir, { recursive: true });
  const source = path.join(dir, 'import.ndjson');
  const fd = fs.openSync(source, 'w');
  try {
    let chunk: string[] = [];
    for (let i = 0; i < events; i++) {
      const user = i % USERS;
      const line =
        i < USERS
          ? {
              streamId: `user-u${user}`,
              type: 'UserCreated',
              data: { userId: `u${user}`, name: i === 7 ? HOSTILE_NAME : `User ${user}` },
              metadata: { commandType: 'CreateUser', correlationId: `c${i}` },
            }
          : {
              streamId: `user-u${user}`,
              type: 'UserRenamed',
              data: { userId: `u${user}`, oldName: '', name: `User ${user} v${Math.floor(i / USERS)}` },
              metadata: { commandType: 'RenameUser', correlationId: `c${i}` },
            };
      chunk.push(JSON.stringify(line));
      if (chunk.length === 10_000) {
        fs.writeSync(fd, `${chunk.join('\n')}\n`);
        chunk = [];
      }
    }
    if (chunk.length > 0) fs.writeSync(fd, `${chunk.join('\n')}\n`);
  } finally {
    fs.closeSync(fd);
  }
  const store = path.join(dir, 'events.db');
  const result = spawnSync(
    process.execPath,
    [path.join(repoRoot, 'dist', 'cli.js'), 'import', '--store', store, '--batch', '10000', source],
    { encoding: 'utf8' },
  );
  fs.rmSync(source, { force: true });
  if (result.status !== 0) throw new Error(`event-store import failed (${result.status}): ${result.stderr}`);
  const summary = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as { imported?: number };
  if (summary.imported !== events)
    throw new Error(`event-store import imported ${summary.imported} events instead of ${events}`);
  return store;
}

export async function replayPosition(frame: Frame): Promise<{ n: number; m: number }> {
  const text = (await frame.textContent('[aria-label="Replay position"]')) ?? '';
  const match = /(\d+)\s*\/\s*(\d+)/.exec(text);
  if (!match) throw new Error(`Replay position reads "${text}"`);
  return { n: Number(match[1]), m: Number(match[2]) };
}

export async function waitForReplayPosition(frame: Frame, n: number, m?: number, timeoutMs = 60_000): Promise<void> {
  await until(
    async () => {
      const p = await replayPosition(frame);
      return p.n === n && (m === undefined || p.m === m);
    },
    `Replay position ${n} / ${m ?? 'M'}`,
    timeoutMs,
  );
}

async function lastTiming(frame: Frame): Promise<PathTiming | undefined> {
  const raw = await frame.evaluate(() => document.body.dataset.stepTiming);
  return raw ? (JSON.parse(raw) as PathTiming) : undefined;
}

/** Does `act` (one input), then waits for the webview to have painted the answer; returns its figures. */
export async function measured(frame: Frame, act: () => Promise<void>): Promise<PathTiming> {
  const before = (await lastTiming(frame))?.seq ?? 0;
  await act();
  return until(
    async () => {
      const t = await lastTiming(frame);
      return t && t.seq > before ? t : undefined;
    },
    'the answer to be painted',
    60_000,
  );
}

/** Moves the slider to `index` as a drag does: the value changes and an input event fires. */
export async function slideTo(frame: Frame, index: number): Promise<void> {
  await frame.evaluate((value) => {
    const slider = document.getElementById('position') as HTMLInputElement;
    slider.value = String(value);
    slider.dispatchEvent(new Event('input', { bubbles: true }));
  }, index);
}

/** The latest bare round trip through the message channel, measured after a step (EVENT_STORE_MEASURE=1). */
export async function pingMs(frame: Frame): Promise<number | undefined> {
  const raw = await frame.evaluate(() => document.body.dataset.pingMs);
  return raw === undefined ? undefined : Number(raw);
}

export const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

export interface PathSummary {
  readonly action: string;
  readonly samples: number;
  readonly p50: number;
  readonly p95: number;
  /** Medians of the parts. */
  readonly hostMs: number;
  readonly serializeMs: number;
  readonly bytes: number;
  readonly transportMs: number;
  readonly renderMs: number;
  readonly paintMs: number;
  readonly loopDelayMaxMs: number;
}

export function summarize(action: string, timings: readonly PathTiming[]): PathSummary {
  const med = (f: (t: PathTiming) => number) => quantile(timings.map(f), 0.5);
  return {
    action,
    samples: timings.length,
    p50: quantile(
      timings.map((t) => t.clickToPaintMs),
      0.5,
    ),
    p95: quantile(
      timings.map((t) => t.clickToPaintMs),
      0.95,
    ),
    hostMs: med((t) => t.hostMs),
    serializeMs: med((t) => t.serializeMs),
    bytes: med((t) => t.bytes),
    transportMs: med((t) => t.transportMs),
    renderMs: med((t) => t.renderMs),
    paintMs: med((t) => t.paintMs),
    loopDelayMaxMs: Math.max(0, ...timings.map((t) => t.loopDelayMaxMs ?? 0)),
  };
}

export const formatSummary = (s: PathSummary): string =>
  `${s.action.padEnd(13)} click→paint p50 ${s.p50.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms (n=${s.samples}); ` +
  `host ${s.hostMs.toFixed(1)}, serialize ${s.serializeMs.toFixed(2)} (${(s.bytes / 1024).toFixed(1)} KiB), transport ${s.transportMs.toFixed(1)}, render ${s.renderMs.toFixed(1)}, to paint ${s.paintMs.toFixed(1)}` +
  (s.loopDelayMaxMs > 0 ? `; host loop delay max ${s.loopDelayMaxMs.toFixed(1)} ms` : '');

/**
 * The four actions of the scenario, `rounds` times each: step back, step forward, a slider jump
 * (to a seeded random place) and a filter change (event type on, then off). Each input waits for
 * the painted answer before the next, so every figure is one click's whole path.
 */
export async function runScenario(
  frame: Frame,
  rounds: number,
  random: () => number,
): Promise<{ summaries: PathSummary[]; pings: number[] }> {
  const pings: number[] = [];
  const collect = async (t: PathTiming) => {
    const ping = await until(async () => pingMs(frame), 'a ping', 10_000).catch(() => undefined);
    if (ping !== undefined) pings.push(ping);
    return t;
  };
  const back: PathTiming[] = [];
  const forward: PathTiming[] = [];
  const jump: PathTiming[] = [];
  const filter: PathTiming[] = [];
  const { m } = await replayPosition(frame);
  for (let i = 0; i < rounds; i++) {
    back.push(await collect(await measured(frame, () => frame.click('[aria-label="Step back"]'))));
  }
  for (let i = 0; i < rounds; i++) {
    forward.push(await collect(await measured(frame, () => frame.click('[aria-label="Step forward"]'))));
  }
  for (let i = 0; i < rounds; i++) {
    const index = 1 + Math.floor(random() * (m - 1));
    jump.push(await collect(await measured(frame, () => slideTo(frame, index))));
  }
  for (let i = 0; i < rounds; i++) {
    const value = i % 2 === 0 ? 'UserCreated' : '';
    filter.push(await collect(await measured(frame, () => frame.fill('#filter-type', value))));
  }
  if (rounds % 2 === 1) await measured(frame, () => frame.fill('#filter-type', ''));
  return {
    summaries: [
      summarize('step back', back),
      summarize('step forward', forward),
      summarize('slider jump', jump),
      summarize('filter change', filter),
    ],
    pings,
  };
}

/**
 * Click → paint seen from outside the panel's code: a capturing listener takes the input's time and
 * an observer of the position text takes the first frame after it changes. It needs nothing from
 * the webview, so it measures any version of the panel the same way (the bench's before/after).
 */
export async function observedClickToPaint(frame: Frame, act: () => Promise<void>, changes = 1): Promise<number> {
  const before = await frame.evaluate(() => {
    type Probe = { input: number; painted: number[] };
    const w = window as unknown as { __pathProbe?: Probe };
    if (!w.__pathProbe) {
      const probe: Probe = { input: 0, painted: [] };
      w.__pathProbe = probe;
      for (const type of ['click', 'input']) document.addEventListener(type, (e) => (probe.input = e.timeStamp), true);
      const label = document.querySelector('[aria-label="Replay position"]')!;
      new MutationObserver(() =>
        requestAnimationFrame(() => setTimeout(() => probe.painted.push(performance.now()), 0)),
      ).observe(label, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    }
    return w.__pathProbe.painted.length;
  });
  await act();
  return until(
    () =>
      frame.evaluate(
        ([n, k]) => {
          const probe = (window as unknown as { __pathProbe: { input: number; painted: number[] } }).__pathProbe;
          // The slider's own label changes at once (k = 2): the answer is the change after it.
          return probe.painted.length >= n + k ? probe.painted[n + k - 1]! - probe.input : undefined;
        },
        [before, changes] as const,
      ),
    'the position to change',
    60_000,
  );
}
