// Runs every out/test/e2e/*.e2e.js, each file in a process of its own (runFile.ts) with its own
// workbench and user data: a failure, a hang or a crash in one file never skips another. Every
// test the files declare is counted in the closing line; one that never reported a result counts
// as failed, by name. Screenshots land in test-results/screenshots/.
//
//   node out/test/e2e/run.js [NAME ...]      only the files whose name contains one of NAME
//   E2E_REPEAT=10 node out/test/e2e/run.js   the whole tier ten times in a row: a stress run that
//                                            reports each round and the flake rate at the end
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FileResults, TestResult } from './runFile';

/** A file whose tests have not all settled by then is stopped (its tests without a result fail). */
const FILE_TIMEOUT_MS = 25 * 60_000;

interface FileOutcome {
  file: string;
  seconds: number;
  tests: TestResult[];
  errors: string[];
}

function readResults(file: string): FileResults | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as FileResults;
  } catch {
    return undefined;
  }
}

/** Runs one file in a child process and turns what it wrote into one result per planned test. */
async function runFile(file: string, scratch: string): Promise<FileOutcome> {
  const resultsFile = path.join(scratch, `${path.basename(file)}.${Date.now()}.json`);
  const started = Date.now();
  const child = spawn(process.execPath, [path.join(__dirname, 'runFile.js'), file, resultsFile], { stdio: 'inherit' });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGINT'); // lets it close its workbenches; SIGKILL if it does not
    setTimeout(() => child.kill('SIGKILL'), 20_000).unref();
  }, FILE_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.on('close', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);

  const results = readResults(resultsFile);
  const seconds = Math.round((Date.now() - started) / 1000);
  const errors = [...(results?.errors ?? [])];
  if (!results) errors.push(`the file wrote no results (exit ${code})`);
  else if (!results.done) {
    errors.push(
      timedOut ? `stopped after ${FILE_TIMEOUT_MS / 60_000} minutes` : `its process ended early (exit ${code})`,
    );
  }
  // The last word on each test wins (mocha may report a test that passed, then failed in a hook).
  const byTitle = new Map<string, TestResult>();
  for (const result of results?.results ?? []) byTitle.set(result.title, result);
  const why = errors[0]?.split('\n')[0] ?? 'no result';
  const tests = (results?.planned ?? []).map(
    (title): TestResult => byTitle.get(title) ?? { title, state: 'failed', error: `not run: ${why}` },
  );
  for (const [title, result] of byTitle) if (!tests.some((test) => test.title === title)) tests.push(result);
  // A file that ran nothing, or failed outside its tests, fails too: it would hide lost tests.
  if (tests.length === 0 || (errors.length > 0 && tests.every((test) => test.state === 'passed'))) {
    tests.push({
      title: `${path.basename(file)}: ${why}`,
      state: 'failed',
      error: errors.join('\n') || 'no test found',
    });
  }
  return { file, seconds, tests, errors };
}

function firstLine(text = ''): string {
  return (
    text
      .split('\n')
      .find((line) => line.trim())
      ?.trim() ?? ''
  );
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  const repeat = Math.max(1, Number(process.env.E2E_REPEAT ?? '1') || 1);
  const files = fs
    .readdirSync(__dirname)
    .filter((name) => name.endsWith('.e2e.js'))
    .filter((name) => filters.length === 0 || filters.some((filter) => name.includes(filter)))
    .sort()
    .map((name) => path.join(__dirname, name));
  if (files.length === 0) {
    console.log('e2e: 0 passed, 1 failed (no e2e file found)');
    return 1;
  }
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'event-store-e2e-results-'));

  const rounds: FileOutcome[][] = [];
  for (let round = 1; round <= repeat; round++) {
    if (repeat > 1) console.log(`\n##### e2e round ${round} of ${repeat}`);
    const outcomes: FileOutcome[] = [];
    for (const file of files) {
      console.log(`\n=== ${path.basename(file)} ===`);
      outcomes.push(await runFile(file, scratch));
    }
    rounds.push(outcomes);
    console.log(`\n--- e2e files${repeat > 1 ? ` (round ${round})` : ''} ---`);
    for (const outcome of outcomes) {
      const passed = outcome.tests.filter((test) => test.state === 'passed').length;
      const failed = outcome.tests.length - passed;
      console.log(`${path.basename(outcome.file)}: ${passed} passed, ${failed} failed (${outcome.seconds} s)`);
      for (const test of outcome.tests.filter((t) => t.state === 'failed'))
        console.log(`  ✗ ${test.title}\n      ${firstLine(test.error)}`);
      for (const error of outcome.errors) console.log(`  ! ${firstLine(error)}`);
    }
  }
  fs.rmSync(scratch, { recursive: true, force: true });

  const all = rounds.flat().flatMap((outcome) => outcome.tests);
  const passed = all.filter((test) => test.state === 'passed').length;
  const failed = all.length - passed;
  if (repeat > 1) {
    const failedRounds = rounds.filter((round) =>
      round.some((outcome) => outcome.tests.some((test) => test.state === 'failed')),
    ).length;
    console.log(
      `\ne2e stress: ${repeat} rounds, ${failedRounds} with a failure; ${all.length} test runs, ${failed} failed ` +
        `(flake rate ${((100 * failed) / all.length).toFixed(2)}% of test runs)`,
    );
  }
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    console.log('e2e: 0 passed, 1 failed');
    process.exit(1);
  },
);
