// Runs the extension-host suite (suite/index.ts) in VS Code's Electron build, downloaded by
// @vscode/test-electron. Needs internet access; offline, runCodeServer.ts runs the same suite.
//
//   npm run test:electron
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { prepareWorkspace } from './runCodeServer';

async function main(): Promise<void> {
  const extensionDevelopmentPath = path.resolve(__dirname, '..', '..', '..');
  const extensionTestsPath = path.resolve(__dirname, 'suite', 'index.js');
  await runTests({
    // The VS Code that code-server 4.100.3 serves, so both launchers test the same workbench.
    version: process.env.VSCODE_TEST_VERSION ?? '1.100.3',
    extensionDevelopmentPath,
    extensionTestsPath,
    launchArgs: [prepareWorkspace(), '--disable-extensions', '--disable-workspace-trust'],
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
