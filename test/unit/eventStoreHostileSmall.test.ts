import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { CommandLog, MAX_COMMAND_LOG_READ_BYTES, commandLogFileFor } from '../../src/core/application/commandLog';
import { StoreSession, readModelsFileFor } from '../../src/core/application/session';
import { MAX_IMPORT_LINE_CHARS } from '../../src/cliInput';
import { InvalidEventError, StoreUnreadableError } from '../../src/core/eventStore/errors';
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import { storeFiles } from '../../src/core/eventStore/storeFiles';
import { MAX_EVENTS_PER_APPEND } from '../../src/core/eventStore/validation';
import { verifyStore } from '../../src/core/eventStore/verify';
import { runCli } from '../builders/cliInProcess';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require('better-sqlite3') as new (file: string) => {
  pragma(sql: string): unknown;
  exec(sql: string): void;
  prepare(sql: string): { run(...params: unknown[]): unknown };
  close(): void;
};

const CLI = path.resolve(__dirname, '..', '..', '..', 'dist', 'cli.js');
const BOUND_MS = 8000;

const cli = (args: string[], stdin: Readable) => runCli(args, stdin);

function oneSentence(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.length > 0);
  assert.equal(lines.length, 1, `one line on stderr, got: ${stderr}`);
  return lines[0]!;
}

describe('Smaller hostile inputs', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esi-small-'));
    file = path.join(dir, 'events.db');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('ids with a lone surrogate, a bidi control or a zero-width character are refused', async () => {
    const store = await SqlJsEventStore.open({ path: file });
    for (const [id, reason] of [
      ['a\ud800', /lone UTF-16 surrogate/],
      ['b\udc00', /lone UTF-16 surrogate/],
      ['user-\u202eevil', /bidirectional controls or zero-width/],
      ['user\u200bx', /bidirectional controls or zero-width/],
      ['us\ufeffer', /bidirectional controls or zero-width/],
    ] as const) {
      await assert.rejects(
        store.append(id, [{ type: 'T', data: {} }]),
        (e: unknown) => InvalidEventError.is(e) && reason.test(e.message),
        JSON.stringify(id),
      );
      await assert.rejects(
        store.append('ok', [{ type: 'T', data: {}, eventId: id }]),
        (e: unknown) => InvalidEventError.is(e),
        `event id ${JSON.stringify(id)}`,
      );
    }
    await store.append('user-😀', [{ type: 'T', data: {} }]); // a whole surrogate pair is a character like any other
    assert.equal(store.lastPosition(), 1);
    await store.close();
  });

  it('import: bytes that are not UTF-8 are refused with their line, the lines before are imported', async () => {
    const input = Buffer.concat([
      Buffer.from('{"streamId":"s","type":"T","data":{}}\n{"streamId":"s","type":"T","data":{"x":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}}\n'),
    ]);
    const r = await cli(['import', '--store', file], Readable.from([input]));
    assert.equal(r.code, 1);
    assert.match(oneSentence(r.stderr), /^Line 2 is not valid UTF-8; nothing from it was imported\.$/);
    const store = await SqlJsEventStore.open({ path: file, readOnly: true });
    assert.equal(store.lastPosition(), 1);
    await store.close();
  });

  it('import: --batch above the per-batch maximum is split, not refused', async () => {
    const total = MAX_EVENTS_PER_APPEND + 500;
    const lines = Array.from(
      { length: total },
      (_, i) => `{"streamId":"s-${i % 7}","type":"T","data":{"i":${i}}}\n`,
    ).join('');
    const r = await cli(
      ['import', '--batch', String(MAX_EVENTS_PER_APPEND * 3), '--store', file],
      Readable.from([Buffer.from(lines)]),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`"imported":${total}`));
  });

  it('import: a line longer than any event is refused as soon as that much has arrived, not buffered whole', async () => {
    let pulled = 0;
    const chunk = Buffer.alloc(1024 * 1024, 0x78);
    // 256 MB of one line, produced only as it is read.
    const input = Readable.from(
      (function* () {
        yield Buffer.from('{"streamId":"s","type":"T","data":{}}\n{"streamId":"s","type":"T","data":"');
        for (let i = 0; i < 256; i++) {
          pulled += 1;
          yield chunk;
        }
      })(),
    );
    const r = await cli(['import', '--store', file], input);
    assert.equal(r.code, 1);
    assert.match(oneSentence(r.stderr), new RegExp(`^Line 2 is longer than ${MAX_IMPORT_LINE_CHARS} characters`));
    assert.ok(pulled <= MAX_IMPORT_LINE_CHARS / chunk.length + 3, `read ${pulled} MB of the line before refusing it`);
    const store = await SqlJsEventStore.open({ path: file, readOnly: true });
    assert.equal(store.lastPosition(), 1, 'the line before it was imported');
    await store.close();
  });

  it('export | head -1 ends quietly, without an EPIPE trace', async () => {
    const store = await SqlJsEventStore.open({ path: file });
    await store.importEvents(
      Array.from({ length: 5000 }, (_, i) => ({
        streamId: `s-${i % 9}`,
        type: 'T',
        data: { i, text: 'x'.repeat(200) },
      })),
    );
    await store.close();
    const child = spawn(process.execPath, [CLI, 'export', '--store', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const first = await new Promise<string>((resolve) =>
      child.stdout.once('data', (c: Buffer) => resolve(c.toString().split('\n')[0]!)),
    );
    child.stdout.destroy(); // the reader goes away, as head does after its first line
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.match(first, /"globalPosition":1/);
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });

  describe('stale locks', () => {
    async function appendsDespite(lock: object, mtime?: Date): Promise<void> {
      const store = await SqlJsEventStore.open({ path: file, lockTimeoutMs: BOUND_MS });
      await store.append('s', [{ type: 'T', data: {} }]);
      fs.writeFileSync(storeFiles(file).lock, JSON.stringify(lock));
      if (mtime) fs.utimesSync(storeFiles(file).lock, mtime, mtime);
      const t0 = Date.now();
      await store.append('s', [{ type: 'T', data: {} }]);
      assert.ok(Date.now() - t0 < BOUND_MS);
      assert.equal(store.lastPosition(), 2);
      await store.close();
    }

    it('a lock from another host dated in the future is broken', () =>
      appendsDespite(
        { pid: 1, host: 'elsewhere.example', since: '2999-01-01T00:00:00.000Z', token: 'forged' },
        new Date('2999-01-01T00:00:00Z'),
      ));

    it('a lock whose pid now belongs to a process started after it was taken is broken', async function () {
      if (!fs.existsSync('/proc/self/stat')) this.skip(); // the start time of a process is read from /proc
      const other = spawn('sleep', ['60']);
      try {
        const hourAgo = new Date(Date.now() - 3600_000);
        await appendsDespite(
          { pid: other.pid, host: os.hostname(), since: hourAgo.toISOString(), token: 'old' },
          hourAgo,
        );
      } finally {
        other.kill();
      }
    });

    it('a lock held by a live process that took it is still respected', async () => {
      const store = await SqlJsEventStore.open({ path: file, lockTimeoutMs: 300 });
      await store.append('s', [{ type: 'T', data: {} }]);
      const other = spawn('sleep', ['60']);
      try {
        fs.writeFileSync(
          storeFiles(file).lock,
          JSON.stringify({
            pid: other.pid,
            host: os.hostname(),
            since: new Date(Date.now() + 3000).toISOString(),
            token: 'live',
          }),
        );
        await assert.rejects(store.append('s', [{ type: 'T', data: {} }]), /is locked by process/);
      } finally {
        other.kill();
        fs.rmSync(storeFiles(file).lock, { force: true });
        await store.close();
      }
    });
  });

  describe('files beside the store', () => {
    const entry = (id: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        id,
        at: '2026-01-01T00:00:00.000Z',
        command: { type: 'CreateUser', data: {} },
        outcome: 'rejected',
        reason: 'no',
        positionBefore: 0,
        ...extra,
      });

    it('command log: a line with fields of the wrong type is skipped; a byte that is not UTF-8 does not make every read reload the file', () => {
      const logFile = commandLogFileFor(file);
      fs.writeFileSync(
        logFile,
        Buffer.concat([
          Buffer.from(`${entry('a')}\n${entry('b', { reason: 42 })}\n${entry('c', { deliveredTo: 'all' })}\n`),
          ...entry('d', { reason: 'bad byte: MARK' })
            .split('MARK')
            .flatMap((part, i) => (i === 0 ? [Buffer.from(part)] : [Buffer.from([0xff]), Buffer.from(part)])),
          Buffer.from('\n'),
        ]),
      );
      const logged: string[] = [];
      const log = CommandLog.open(logFile, { readOnly: true, log: (m) => logged.push(m) });
      for (let i = 0; i < 3; i++)
        assert.deepEqual(
          log.entries().map((e) => e.id),
          ['a', 'd'],
        );
      assert.equal(
        logged.filter((m) => /had 2 unreadable lines/.test(m)).length,
        1,
        `read once: ${logged.join(' | ')}`,
      );
    });

    it('command log: only the newest part of a very large file is read', () => {
      const logFile = commandLogFileFor(file);
      const filler = `${entry('old', { reason: 'x'.repeat(10_000) })}\n`;
      const fd = fs.openSync(logFile, 'w');
      for (let written = 0; written <= MAX_COMMAND_LOG_READ_BYTES; written += filler.length) fs.writeSync(fd, filler);
      fs.writeSync(fd, `${entry('newest')}\n`);
      fs.closeSync(fd);
      const logged: string[] = [];
      const log = CommandLog.open(logFile, { readOnly: true, maxEntries: 5, log: (m) => logged.push(m) });
      assert.equal(log.last()?.id, 'newest');
      assert.ok(
        logged.some((m) => /only its newest \d+ bytes were read/.test(m)),
        logged.join(' | '),
      );
    });

    it('saved read models forged in the workspace are set aside and rebuilt from the events', async () => {
      let s = await StoreSession.open({ path: file });
      await s.execute({ type: 'CreateUser', data: { userId: 'u1', name: 'Ada' } });
      const eventId = s.store.readEvent(1)?.eventId ?? null;
      await s.close();
      const forged = {
        format: 1,
        checkpoint: 1,
        checkpointEventId: eventId,
        states: { usersDirectory: { users: { mallory: { name: 'Mallory' } } }, summary: 'not an object' },
      };
      fs.writeFileSync(readModelsFileFor(file), JSON.stringify(forged));
      const logged: string[] = [];
      s = await StoreSession.open({ path: file, readOnly: true, log: (m) => logged.push(m) });
      const users = (s.projector.stateOf('usersDirectory') as { users: Record<string, unknown> }).users;
      assert.deepEqual(Object.keys(users), ['u1']);
      assert.ok(
        logged.some((m) => /carry no seal of this user/.test(m)),
        logged.join(' | '),
      );
      await s.close();
    });
  });

  it('a store of ours left in WAL mode with rows in its -wal file is refused, not shown without them', async () => {
    const store = await SqlJsEventStore.open({ path: file });
    await store.append('s', [{ type: 'T', data: {} }]);
    await store.close();
    fs.rmSync(storeFiles(file).journal);
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.prepare("INSERT INTO events VALUES (2, 's', 2, 'e2', 'T', '{}', '{}', '2026-01-01T00:00:00.000Z')").run();
    // Copied while the other program still has it open: its rows are only in the -wal file.
    const copy = path.join(dir, 'copy');
    fs.mkdirSync(copy);
    fs.copyFileSync(file, path.join(copy, 'events.db'));
    fs.copyFileSync(`${file}-wal`, path.join(copy, 'events.db-wal'));
    db.close();
    const copied = path.join(copy, 'events.db');
    const before = fs.readFileSync(copied);
    for (const readOnly of [true, false]) {
      await assert.rejects(
        SqlJsEventStore.open({ path: copied, readOnly }),
        (e: unknown) =>
          StoreUnreadableError.is(e) &&
          /left in SQLite's WAL mode by another program, and events\.db-wal holds changes/.test(e.message),
      );
    }
    assert.equal((await verifyStore(copied)).ok, false);
    assert.deepEqual(fs.readFileSync(copied), before);
    const r = spawnSync(process.execPath, [CLI, 'stats', '--store', copied], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 4);
    assert.match(oneSentence(r.stderr), /WAL mode/);
  });
});
