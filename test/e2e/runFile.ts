// Runs one e2e file with mocha in a process of its own, so that nothing one file does (a hung
// workbench, a crash, a failure) can stop or skip another. The tests it was going to run are
// written before the first one starts, and each result as soon as it is known: the launcher
// (run.ts) reports a planned test without a result as failed, by name.
//
//   node out/test/e2e/runFile.js FILE.e2e.js RESULTS.json
import * as fs from 'node:fs';
import Mocha from 'mocha';
import { closeAll } from './harness';

export interface TestResult {
  title: string;
  state: 'passed' | 'failed';
  error?: string;
  ms?: number;
}

export interface FileResults {
  file: string;
  planned: string[];
  results: TestResult[];
  /** Failures outside any test: a hook (before/after) or the file itself. */
  errors: string[];
  done: boolean;
}

function allTests(suite: Mocha.Suite): string[] {
  return [...suite.tests.map((test) => test.fullTitle()), ...suite.suites.flatMap(allTests)];
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.stack ?? error.message;
  return String(error);
}

async function main(file: string, resultsFile: string): Promise<number> {
  const state: FileResults = { file, planned: [], results: [], errors: [], done: false };
  const save = () => fs.writeFileSync(resultsFile, JSON.stringify(state, null, 2));

  // Starting code-server and the workbench alone takes seconds; a step waits up to minutes.
  const mocha = new Mocha({ ui: 'bdd', timeout: 180_000, reporter: 'spec' });
  mocha.addFile(file);
  try {
    // Loads the file now (run() then does not load it again), so its tests can be listed first.
    await mocha.loadFilesAsync();
  } catch (error) {
    state.errors.push(`the file did not load: ${errorText(error)}`);
    save();
    return 1;
  }
  state.planned = allTests(mocha.suite);
  save();

  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    runner.on('pass', (test) => {
      state.results.push({ title: test.fullTitle(), state: 'passed', ms: test.duration });
      save();
    });
    runner.on('fail', (runnable, error) => {
      if (runnable.type === 'test')
        state.results.push({
          title: runnable.fullTitle(),
          state: 'failed',
          error: errorText(error),
          ms: runnable.duration,
        });
      else state.errors.push(`${runnable.fullTitle()}: ${errorText(error)}`);
      save();
    });
  });
  await closeAll();
  state.done = true;
  save();
  return state.results.some((result) => result.state === 'failed') || state.errors.length > 0 ? 1 : 0;
}

process.on('SIGINT', () => {
  void closeAll().finally(() => process.exit(130));
});

const [file, resultsFile] = process.argv.slice(2);
if (!file || !resultsFile) {
  console.error('usage: node out/test/e2e/runFile.js FILE.e2e.js RESULTS.json');
  process.exit(2);
}
main(file, resultsFile).then(
  (code) => process.exit(code),
  async (error: unknown) => {
    console.error(errorText(error));
    await closeAll();
    process.exit(1);
  },
);
