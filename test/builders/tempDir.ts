import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface TempDir {
  /** The folder of the running test. */
  readonly dir: string;
}

/**
 * A fresh temporary folder for every test of the suite it is called in, removed after the test.
 * Call it before the hooks that use the folder; hooks that must run before it is removed (closing
 * a store in it) are registered above the call.
 */
export function tempDirPerTest(prefix: string): TempDir {
  let current: string | undefined;
  beforeEach(() => {
    current = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  afterEach(() => {
    if (current) fs.rmSync(current, { recursive: true, force: true });
    current = undefined;
  });
  return {
    get dir(): string {
      if (current === undefined) throw new Error('The temporary folder exists only while a test runs.');
      return current;
    },
  };
}

/** Runs `body` with a fresh temporary folder and removes the folder afterwards, whatever happens. */
export async function withTempDir<T>(prefix: string, body: (dir: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  try {
    return await body(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
