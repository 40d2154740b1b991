// Runs every out/test/e2e/*.e2e.js with mocha: Playwright drives VS Code (code-server) in
// headless Chromium. Screenshots land in test-results/screenshots/.
//
//   node out/test/e2e/run.js
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import { closeAll } from './harness';

async function main(): Promise<number> {
  // Starting code-server and the workbench alone takes seconds; a step waits up to minutes.
  const mocha = new Mocha({ ui: 'bdd', timeout: 180_000, reporter: 'spec' });
  const files = fs
    .readdirSync(__dirname)
    .filter((name) => name.endsWith('.e2e.js'))
    .sort();
  for (const name of files) mocha.addFile(path.join(__dirname, name));

  const { passes, failures } = await new Promise<{ passes: number; failures: number }>((resolve) => {
    const runner = mocha.run(() => resolve({ passes: runner.stats?.passes ?? 0, failures: runner.stats?.failures ?? 0 }));
  });
  await closeAll();
  // Running nothing is a failure too: it would hide a build that lost the tests.
  const failed = passes + failures === 0 ? 1 : failures;
  console.log(`e2e: ${passes} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

process.on('SIGINT', () => {
  void closeAll().finally(() => process.exit(130));
});

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    await closeAll();
    console.log('e2e: 0 passed, 1 failed');
    process.exit(1);
  },
);
