// Builds the bundles into a fresh dist/: the extension (Node, vscode external), the CLI (Node), the
// workers (Node: the full check of a store, queries), the replay webview, the query results webview
// and the system views' webview (browser). The sql.js wasm is copied beside them and loaded from disk.
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, rmSync, chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const dist = path.resolve('dist');

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
cpSync(path.join(path.dirname(require.resolve('sql.js')), 'sql-wasm.wasm'), path.join(dist, 'sql-wasm.wasm'));

const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'info', legalComments: 'none' };
const builds = [
  {
    ...common,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
  },
  {
    ...common,
    entryPoints: ['src/cli.ts'],
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
  },
  {
    // The full check of an unsealed store, run on a worker thread by the extension (backgroundCheck.ts).
    ...common,
    entryPoints: ['src/core/eventStore/checkWorker.ts'],
    outfile: 'dist/checkWorker.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  },
  {
    // A compaction's new snapshot is built here, off the extension host's thread (foldOffThread.ts).
    ...common,
    entryPoints: ['src/core/eventStore/foldWorker.ts'],
    outfile: 'dist/foldWorker.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  },
  {
    // Queries run here, off the extension host's (and the CLI's) thread.
    ...common,
    entryPoints: ['src/core/query/queryWorker.ts'],
    outfile: 'dist/queryWorker.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  },
  {
    ...common,
    entryPoints: ['src/webview/main.ts'],
    outfile: 'dist/webview.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  },
  {
    ...common,
    entryPoints: ['src/webview/queryGrid.ts'],
    outfile: 'dist/queryGrid.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  },
  {
    ...common,
    entryPoints: ['src/webview/system.ts'],
    outfile: 'dist/system.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  },
  {
    // The full-text index's thread, beside the extension and the CLI that start it.
    ...common,
    entryPoints: ['src/core/search/ftsWorker.ts'],
    outfile: 'dist/ftsWorker.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  },
  {
    ...common,
    entryPoints: ['src/webview/statistics.ts'],
    outfile: 'dist/statistics.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  },
];

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  chmodSync(path.join(dist, 'cli.js'), 0o755);
}
