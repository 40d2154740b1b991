import { createHmac, randomBytes, timingSafeEqual, type Hmac } from 'node:crypto';
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

/**
 * A seal computed piece by piece, so the open can hash each chunk right after reading it (while it
 * is still in the CPU's cache) instead of reading the whole file from memory a second time.
 * HMAC-SHA256: with the CPU's SHA instructions it is the fastest keyed hash node:crypto offers here
 * (measured against HMAC with SHA-1, SHA-512, BLAKE2b and MD5; see docs/store.md).
 */
export function newSealer(): Hmac | undefined {
  const key = sealKey();
  return key ? createHmac('sha256', key) : undefined;
}

/** The seal of snapshot bytes (hex), or undefined when no key is available. */
export function sealOf(bytes: Uint8Array): string | undefined {
  return newSealer()?.update(bytes).digest('hex');
}

/** True when the seal computed over `size` bytes is exactly the one recorded. */
export function sealMatches(
  actual: string | undefined,
  size: number,
  recorded: { readonly bytes: number; readonly seal: string } | undefined,
): boolean {
  if (!recorded || !actual || recorded.bytes !== size || actual.length !== recorded.seal.length) return false;
  return timingSafeEqual(Buffer.from(actual, 'latin1'), Buffer.from(recorded.seal, 'latin1'));
}

/** True when `bytes` carry exactly the seal recorded (same size, same HMAC under our key). */
export function isSealed(
  bytes: Uint8Array,
  recorded: { readonly bytes: number; readonly seal: string } | undefined,
): boolean {
  if (!recorded || recorded.bytes !== bytes.length) return false;
  return sealMatches(sealOf(bytes), bytes.length, recorded);
}
