import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const BUILT_CLI = path.resolve(__dirname, '..', '..', '..', 'dist', 'cli.js');

/** A private copy of the bundled CLI and its wasm, so a rebuild of dist/ meanwhile cannot pull it away. */
export function copyCli(into: string): string {
  assert.ok(fs.existsSync(BUILT_CLI), 'dist/cli.js is built (npm run build)');
  const bin = path.join(into, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  for (const name of ['cli.js', 'sql-wasm.wasm'])
    fs.copyFileSync(path.join(path.dirname(BUILT_CLI), name), path.join(bin, name));
  return path.join(bin, 'cli.js');
}
