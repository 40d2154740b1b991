import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CommandLog, commandLogFileFor, type CommandLogEntry } from '../../src/core/application/commandLog';
import { seedDemoData } from '../../src/core/application/demoData';
import { StoreSession } from '../../src/core/application/session';
import { tempDirPerTest } from '../builders/tempDir';

const entry = (n: number, outcome: CommandLogEntry['outcome'] = 'accepted'): CommandLogEntry => ({
  id: `c${n}`,
  at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  command: { type: 'CreateUser', data: { userId: `u${n}`, name: `User ${n}` } },
  outcome,
  positionBefore: n,
  ...(outcome === 'accepted' ? { eventPositions: [n + 1] } : { reason: 'no' }),
});

describe('Command log', () => {
  const tmp = tempDirPerTest('esi-log-');
  let file: string;
  beforeEach(() => {
    file = path.join(tmp.dir, 'events.db');
  });

  it('records accepted, rejected and conflicting commands with the position before each, beside the store and not in it', async () => {
    const s = await StoreSession.open({ path: file });
    await s.execute({ type: 'CreateUser', data: { userId: 'u1', name: 'Ada' }, metadata: { source: 'test' } });
    await assert.rejects(s.execute({ type: 'CreateUser', data: { userId: 'u1', name: 'Bob' } }));
    await assert.rejects(s.execute({ type: 'LaunchRocket', data: {} }));
    const entries = s.commandLog.entries();
    assert.deepEqual(
      entries.map((e) => [e.command.type, e.outcome, e.positionBefore, e.eventPositions]),
      [
        ['CreateUser', 'accepted', 0, [1]],
        ['CreateUser', 'rejected', 1, undefined],
        ['LaunchRocket', 'rejected', 1, undefined],
      ],
    );
    assert.equal(entries[0]!.source, 'test');
    assert.equal(entries[0]!.streamId, 'user-u1');
    assert.deepEqual(entries[0]!.deliveredTo, ['read models']);
    assert.equal(
      entries[0]!.id,
      s.store.readEvent(1)!.metadata.causationId,
      'the entry id is the command id the events point to',
    );
    assert.match(entries[1]!.reason!, /already exists/);
    assert.equal(entries[1]!.errorName, 'IllegalStateError');
    assert.equal(entries[1]!.streamId, 'user-u1');
    assert.match(entries[2]!.reason!, /Unknown command "LaunchRocket"/);
    assert.ok(!Number.isNaN(Date.parse(entries[0]!.at)));
    assert.equal(s.store.lastPosition(), 1, 'rejections are not events');
    await s.close();
    assert.equal(fs.readFileSync(commandLogFileFor(file), 'utf8').trim().split('\n').length, 3);
  });

  it('comes back after a restart', async () => {
    let s = await StoreSession.open({ path: file });
    await s.execute({ type: 'CreateUser', data: { userId: 'u1', name: 'Ada' } });
    await assert.rejects(s.execute({ type: 'RenameUser', data: { userId: 'u9', name: 'X' } }));
    const before = s.commandLog.entries();
    await s.close();
    s = await StoreSession.open({ path: file });
    assert.deepEqual(s.commandLog.entries(), before);
    await s.close();
  });

  it('is bounded: keeps the newest entries and compacts its file', () => {
    const log = CommandLog.open(commandLogFileFor(file), { maxEntries: 5 });
    for (let n = 1; n <= 12; n++) log.record(entry(n));
    assert.deepEqual(
      log.entries().map((e) => e.id),
      ['c8', 'c9', 'c10', 'c11', 'c12'],
    );
    const lines = fs.readFileSync(commandLogFileFor(file), 'utf8').trim().split('\n');
    assert.ok(lines.length <= 10, `${lines.length} lines on disk`);
    assert.deepEqual(
      CommandLog.open(commandLogFileFor(file), { maxEntries: 5 })
        .entries()
        .map((e) => e.id),
      ['c8', 'c9', 'c10', 'c11', 'c12'],
    );
  });

  it('skips a torn or foreign line instead of failing', () => {
    const logFile = commandLogFileFor(file);
    fs.writeFileSync(
      logFile,
      `${JSON.stringify(entry(1))}\n{"id": 3\n${JSON.stringify({ hello: 'world' })}\n${JSON.stringify(entry(2, 'rejected'))}\n`,
    );
    const messages: string[] = [];
    const log = CommandLog.open(logFile, { log: (m) => messages.push(m) });
    assert.deepEqual(
      log.entries().map((e) => e.id),
      ['c1', 'c2'],
    );
    assert.match(messages[0]!, /2 unreadable lines/);
  });

  it('sees lines another process appended to the same file', () => {
    const logFile = commandLogFileFor(file);
    const mine = CommandLog.open(logFile);
    const theirs = CommandLog.open(logFile);
    mine.record(entry(1));
    theirs.record(entry(2, 'rejected'));
    mine.record(entry(3));
    assert.deepEqual(
      mine.entries().map((e) => e.id),
      ['c1', 'c2', 'c3'],
    );
  });

  it('writes nothing for a store opened read-only, and nothing without a file', async () => {
    const readOnly = CommandLog.open(commandLogFileFor(file), { readOnly: true });
    readOnly.record(entry(1));
    assert.equal(fs.existsSync(commandLogFileFor(file)), false);
    assert.equal(readOnly.entries().length, 1);
    const s = await StoreSession.open();
    await s.execute({ type: 'CreateUser', data: { userId: 'u1', name: 'Ada' } });
    assert.equal(s.commandLog.entries().length, 1);
    assert.equal(s.commandLog.file, undefined);
    await s.close();
  });

  it('tells listeners about each entry, and finds entries by id and by position', () => {
    const log = CommandLog.open(undefined);
    const heard: string[] = [];
    const sub = log.onDidRecord((e) => heard.push(e.id));
    log.record(entry(1));
    log.record(entry(1, 'rejected'));
    sub.dispose();
    log.record(entry(2));
    assert.deepEqual(heard, ['c1', 'c1']);
    assert.deepEqual(
      log.at(1).map((e) => e.outcome),
      ['accepted', 'rejected'],
    );
    assert.equal(log.last()?.id, 'c2');
  });

  it('does not copy very large command data into the log', () => {
    const log = CommandLog.open(undefined);
    log.record({ ...entry(1, 'rejected'), command: { type: 'CreateUser', data: { name: 'x'.repeat(100_000) } } });
    assert.match(String(log.entries()[0]!.command.data), /too large for the log/);
  });

  it('logs the demo seeding once and no rejection when seeding twice', async () => {
    const s = await StoreSession.open();
    await seedDemoData(s.handler);
    const count = s.commandLog.entries().length;
    await seedDemoData(s.handler);
    assert.equal(s.commandLog.entries().length, count);
    const refused = s.commandLog.entries().filter((e) => e.outcome !== 'accepted');
    // The one refusal of the demo is the stock reservation's, issued by a reaction: seeding again repeats none.
    assert.deepEqual(
      refused.map((e) => [e.command.type, e.outcome, e.source, e.reaction]),
      [['ReserveStock', 'rejected', 'reaction', 'Stock reservation']],
    );
    await s.close();
  });
});
