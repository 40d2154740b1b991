// The e2e launcher's promise: no failure hides another. Fake e2e files (plain mocha, no browser)
// fail in each way a real one can, and every test they declare is counted, by name.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDirPerTest } from '../builders/tempDir';

const RUN = path.resolve(__dirname, '..', 'e2e', 'run.js');
const HARNESS = path.resolve(__dirname, '..', 'e2e', 'harness.js');

describe('The e2e launcher', function () {
  this.timeout(120_000);
  const tmp = tempDirPerTest('esi-e2e-runner-');

  function write(name: string, body: string): void {
    fs.writeFileSync(path.join(tmp.dir, name), `const { story } = require(${JSON.stringify(HARNESS)});\n${body}\n`);
  }

  function run(env: NodeJS.ProcessEnv = {}): { code: number | null; out: string } {
    const r = spawnSync(process.execPath, [RUN], {
      env: { ...process.env, E2E_DIR: tmp.dir, ...env },
      encoding: 'utf8',
    });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
  }

  it('runs every file although one fails, crashes or fails in a hook, and names each test it could not run', () => {
    write(
      'a-story.e2e.js',
      `describe('story', function () {
        const it = story();
        it('one', async () => {});
        it('two breaks', async () => { throw new Error('boom'); });
        it('three', async () => {});
      });`,
    );
    write(
      'b-crash.e2e.js',
      `describe('crash', function () {
        it('c1', () => {});
        it('c2 ends the process', () => { process.exit(3); });
        it('c3', () => {});
      });`,
    );
    write(
      'c-hook.e2e.js',
      `describe('hook', function () {
        before(() => { throw new Error('no workbench'); });
        it('h1', () => {});
      });`,
    );
    write('d-fine.e2e.js', `describe('fine', function () { it('passes', () => {}); });`);
    const { code, out } = run();
    assert.equal(code, 1);
    assert.match(out, /^e2e: 3 passed, 5 failed$/m);
    assert.match(out, /✗ story three\n\s+Error: not run: the earlier step "two breaks" failed/);
    assert.match(out, /✗ crash c3\n\s+not run: its process ended early \(exit 3\)/);
    assert.match(out, /✗ hook h1\n\s+not run: hook "before all" hook for "h1": Error: no workbench/);
    assert.match(out, /d-fine\.e2e\.js: 1 passed, 0 failed/);
  });

  it('E2E_REPEAT runs the tier again and reports the flake rate', () => {
    write('only.e2e.js', `describe('only', function () { it('passes', () => {}); });`);
    const { code, out } = run({ E2E_REPEAT: '3' });
    assert.equal(code, 0);
    assert.match(out, /e2e stress: 3 rounds, 0 with a failure; 3 test runs, 0 failed/);
    assert.match(out, /^e2e: 3 passed, 0 failed$/m);
  });

  it('fails when there is no test at all', () => {
    const { code, out } = run();
    assert.equal(code, 1);
    assert.match(out, /e2e: 0 passed, 1 failed/);
  });
});
