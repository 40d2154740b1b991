import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');

describe('The .vsix package', () => {
  it('holds the bundles and the wasm, and nothing from src/, test/ or node_modules/', function () {
    this.timeout(60_000);
    // `vsce ls` lists exactly what `npm run package` puts in the .vsix.
    const listing = execFileSync(
      process.execPath,
      [path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce'), 'ls', '--no-dependencies'],
      { cwd: root, encoding: 'utf8' },
    );
    const files = listing
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    for (const needed of [
      'dist/extension.js',
      'dist/webview.js',
      'dist/system.js',
      'dist/sql-wasm.wasm',
      'dist/cli.js',
      'dist/checkWorker.js',
      'dist/foldWorker.js',
      'dist/queryWorker.js',
      'dist/queryGrid.js',
      'media/queryResults.html',
      'media/replay.html',
      'media/base.css',
      'media/replay.css',
      'media/system.html',
      'media/system.css',
      'package.json',
      'README.md',
      'LICENSE',
    ]) {
      assert.ok(files.includes(needed), `${needed} is missing from the package`);
    }
    const leaked = files.filter(
      (f) =>
        /^(src|test|out|node_modules|\.vscode-test|test-results)\//.test(f) || f.endsWith('.map') || f.endsWith('.ts'),
    );
    assert.deepEqual(leaked, []);
  });

  it('every file the manifest names exists', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    for (const file of [
      manifest.main,
      manifest.bin['event-store'],
      ...manifest.contributes.viewsContainers.activitybar.map((c: { icon: string }) => c.icon),
    ]) {
      assert.ok(fs.existsSync(path.join(root, file)), `${file} does not exist`);
    }
  });
});
