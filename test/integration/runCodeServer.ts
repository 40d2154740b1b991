// Runs the extension-host suite (suite/index.ts) in code-server, the offline stand-in for
// @vscode/test-electron: code-server serves the workbench, headless Chromium opens it with
// extensionTestsPath, and the suite reports through a results file since the browser cannot
// pass on an exit code.
//
//   node out/test/integration/runCodeServer.js
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestResults } from './suite/index';
import { codeServer, launchBrowser, repoRoot, type CodeServer } from '../e2e/harness';

const TIMEOUT_MS = 5 * 60_000;

/** A temporary copy of test/fixtures/workspace (or an empty folder) to open as the workspace. */
export function prepareWorkspace(): string {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'event-store-it-ws-'));
  const fixture = path.join(repoRoot, 'test', 'fixtures', 'workspace');
  if (fs.existsSync(fixture)) fs.cpSync(fixture, workspace, { recursive: true });
  return workspace;
}

function readResults(file: string): TestResults | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as TestResults;
  } catch {
    return undefined; // not written yet
  }
}

function report(results: TestResults): void {
  for (const test of results.tests) {
    const mark = test.state === 'passed' ? '✓' : test.state === 'failed' ? '✗' : '-';
    console.log(`  ${mark} ${test.title}`);
    if (test.error) console.log(test.error.replace(/^/gm, '      '));
  }
}

async function main(): Promise<number> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'event-store-it-'));
  const resultsFile = path.join(scratch, 'results.json');
  const suite = path.join(repoRoot, 'out', 'test', 'integration', 'suite', 'index.js');
  if (!fs.existsSync(suite)) throw new Error(`${suite} is missing: run npm run compile-tests`);

  let server: CodeServer | undefined;
  const workspace = prepareWorkspace();
  const browser = await launchBrowser();
  const browserLog: string[] = [];
  try {
    server = await codeServer().startCodeServer({
      folder: workspace,
      userDataDir: path.join(scratch, 'user-data'),
      env: { EVENT_STORE_TEST_RESULTS: resultsFile },
    });
    const page = await browser.newPage();
    page.on('console', (message) => browserLog.push(`[${message.type()}] ${message.text()}`));
    let pageClosedAt: number | undefined;
    page.on('close', () => (pageClosedAt = Date.now()));
    await page.goto(server.devHostUrl(repoRoot, suite));

    const deadline = Date.now() + TIMEOUT_MS;
    let results: TestResults | undefined;
    while (!(results = readResults(resultsFile))) {
      // The page closes itself when run() settles; a suite that never wrote its file is done for.
      const closedLongAgo = pageClosedAt !== undefined && Date.now() - pageClosedAt > 5_000;
      if (closedLongAgo || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }

    if (!results) {
      console.error(`integration: no results from the suite (${pageClosedAt ? 'the page closed' : 'timed out'})`);
      console.error('--- browser console (last lines) ---');
      console.error(browserLog.slice(-40).join('\n'));
      console.error('--- code-server output (last lines) ---');
      console.error(server.output());
      console.log('integration: 0 passed, 1 failed');
      return 1;
    }
    report(results);
    console.log(`integration: ${results.passes} passed, ${results.failures} failed`);
    return results.failures > 0 || results.passes === 0 ? 1 : 0;
  } finally {
    await browser.close().catch(() => undefined);
    await server?.stop();
    for (const dir of [scratch, workspace]) fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : error);
      console.log('integration: 0 passed, 1 failed');
      process.exit(1);
    },
  );
}
