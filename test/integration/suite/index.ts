// Entry of the extension-host test suite: VS Code calls run() inside the extension host, both under
// @vscode/test-electron (runElectron.ts) and in code-server (runCodeServer.ts). In the browser the
// exit code is invisible, so the results also go to the JSON file named by EVENT_STORE_TEST_RESULTS.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export interface TestResult {
  title: string;
  state: 'passed' | 'failed' | 'pending';
  error?: string;
}

export interface TestResults {
  passes: number;
  failures: number;
  tests: TestResult[];
}

function findTests(dir: string): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...findTests(full));
    else if (entry.name.endsWith('.test.js')) files.push(full);
  }
  return files.sort();
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

function writeResults(results: TestResults): void {
  const file = process.env.EVENT_STORE_TEST_RESULTS;
  if (!file) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Written whole to a temporary name and renamed, so the launcher never reads half a file.
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(results, null, 2));
  fs.renameSync(`${file}.tmp`, file);
}

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 30_000, reporter: 'spec' });
  const results: TestResults = { passes: 0, failures: 0, tests: [] };

  return new Promise<void>((resolve, reject) => {
    try {
      for (const file of findTests(__dirname)) mocha.addFile(file);
      const runner = mocha.run();
      runner.on('pass', (test) => {
        results.passes++;
        results.tests.push({ title: test.fullTitle(), state: 'passed' });
      });
      // Also emitted for failing hooks, whose title names the hook.
      runner.on('fail', (test, error) => {
        results.failures++;
        results.tests.push({ title: test.fullTitle(), state: 'failed', error: describeError(error) });
      });
      runner.on('pending', (test) => {
        results.tests.push({ title: test.fullTitle(), state: 'pending' });
      });
      runner.on('end', () => {
        if (results.passes + results.failures === 0) {
          results.failures++;
          results.tests.push({ title: 'integration suite', state: 'failed', error: 'no test ran' });
        }
        writeResults(results);
        if (results.failures > 0) reject(new Error(`${results.failures} integration test(s) failed`));
        else resolve();
      });
    } catch (error) {
      // A test file that does not even load still has to produce a result file.
      results.failures++;
      results.tests.push({ title: 'loading the integration suite', state: 'failed', error: describeError(error) });
      writeResults(results);
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}
