import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readRegularFile } from './regularFile';

/**
 * A snapshot this store wrote is sealed: the journal's header carries an HMAC-SHA256 of its bytes,
 * keyed by a secret kept outside every workspace (in the user's configuration folder). A sealed
 * snapshot came from a database that was checked when it was opened and has not changed by one byte
 * since, so the scans on open can be skipped. A workspace file cannot forge the seal: it cannot read
 * the key. Without a key (a read-only home, another user's store) every snapshot gets the full check.
 */

const KEY_BYTES = 32;

function keyFile(): string {
  const dir =
    process.env.EVENT_STORE_KEY_DIR ??
    path.join(process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'event-store-inspector');
  return path.join(dir, 'snapshot-seal.key');
}

let cached: { file: string; key: Buffer | undefined } | undefined;

/** The sealing key, created on first use (0600, written whole before it is linked into place). */
function sealKey(): Buffer | undefined {
  const file = keyFile();
  if (cached?.file === file) return cached.key;
  let key: Buffer | undefined;
  try {
    key = readRegularFile(file, 1024);
    if (!key) {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
      fs.writeFileSync(tmp, randomBytes(KEY_BYTES), { mode: 0o600 });
      try {
        fs.linkSync(tmp, file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // another process made it first: use theirs
      } finally {
        fs.rmSync(tmp, { force: true });
      }
      key = readRegularFile(file, 1024);
    }
    if (key && key.length < KEY_BYTES) key = undefined;
  } catch {
    key = undefined;
  }
  cached = { file, key };
  return key;
}

/** The seal of snapshot bytes (hex), or undefined when no key is available. */
export function sealOf(bytes: Uint8Array): string | undefined {
  const key = sealKey();
  return key ? createHmac('sha256', key).update(bytes).digest('hex') : undefined;
}

/** True when `bytes` carry exactly the seal recorded (same size, same HMAC under our key). */
export function isSealed(
  bytes: Uint8Array,
  recorded: { readonly bytes: number; readonly seal: string } | undefined,
): boolean {
  if (!recorded || recorded.bytes !== bytes.length) return false;
  const actual = sealOf(bytes);
  if (!actual || actual.length !== recorded.seal.length) return false;
  return timingSafeEqual(Buffer.from(actual, 'latin1'), Buffer.from(recorded.seal, 'latin1'));
}
