// `npm test` (after `pretest` has built dist/ and compiled out/): the unit, integration and
// end-to-end tiers, in that order and always all three, then one closing line with the totals.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ensureCodeServer, repoRoot } from './codeServer.mjs';

/** Runs a command with its output shown live and kept for reading the counts. */
function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      output += chunk;
    });
    child.stderr.on('data', (chunk) => process.stderr.write(chunk));
    child.on('error', (error) => resolve({ code: 1, output: `${output}\n${error.message}` }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

const lastMatch = (text, pattern) => [...text.matchAll(pattern)].at(-1);

/** Counts from mocha's spec reporter: "N passing", "N failing". */
function mochaCounts(output) {
  const passing = lastMatch(output, /^\s*(\d+) passing/gm);
  if (!passing) return undefined;
  const failing = lastMatch(output, /^\s*(\d+) failing/gm);
  return { passed: Number(passing[1]), failed: failing ? Number(failing[1]) : 0 };
}

/** Counts from the launchers' closing line: "tier: N passed, N failed". */
function launcherCounts(output) {
  const match = lastMatch(output, /^(?:\w+: )?(\d+) passed, (\d+) failed/gm);
  return match ? { passed: Number(match[1]), failed: Number(match[2]) } : undefined;
}

const tiers = [
  {
    name: 'unit',
    command: process.execPath,
    args: [
      path.join(repoRoot, 'node_modules', 'mocha', 'bin', 'mocha.js'),
      '--config',
      '.mocharc.json',
      '--reporter',
      'spec',
    ],
    counts: mochaCounts,
  },
  {
    name: 'integration',
    command: process.execPath,
    args: ['out/test/integration/runCodeServer.js'],
    counts: launcherCounts,
    needsCodeServer: true,
  },
  {
    name: 'e2e',
    command: process.execPath,
    args: ['out/test/e2e/run.js'],
    counts: launcherCounts,
    needsCodeServer: true,
  },
];

let codeServerError;
try {
  await ensureCodeServer();
} catch (error) {
  // The unit tier does not need it: it still runs, and the other two are reported as failed.
  codeServerError = error instanceof Error ? error.message : String(error);
  console.error(`code-server could not be installed:\n${codeServerError}`);
}

const summary = [];
for (const tier of tiers) {
  console.log(`\n=== ${tier.name} ===`);
  if (tier.needsCodeServer && codeServerError) {
    summary.push({ name: tier.name, passed: 0, failed: 1, note: 'code-server missing' });
    continue;
  }
  const started = Date.now();
  const { code, output } = await run(tier.command, tier.args);
  const counts = tier.counts(output) ?? { passed: 0, failed: 0 };
  // A tier that exits non-zero without a failed test (a crash, no test found) still fails.
  const failed = code !== 0 && counts.failed === 0 ? 1 : counts.failed;
  summary.push({
    name: tier.name,
    passed: counts.passed,
    failed,
    seconds: Math.round((Date.now() - started) / 1000),
    code,
  });
}

console.log('\n=== summary ===');
for (const tier of summary) {
  const detail = tier.note ?? `exit ${tier.code}, ${tier.seconds} s`;
  console.log(`${tier.name}: ${tier.passed} passed, ${tier.failed} failed (${detail})`);
}
const passed = summary.reduce((sum, tier) => sum + tier.passed, 0);
const failed = summary.reduce((sum, tier) => sum + tier.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
