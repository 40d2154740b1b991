import * as readline from 'node:readline';
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';

/**
 * A writer process whose journal is folded on a worker thread while it keeps appending, as the
 * extension host does. Usage:
 *   node foldingWriter.js STORE append COUNT   appends COUNT events one by one, printing `{"ack":P,"eventId":ID}`
 *                                             once each is acknowledged; every 25 appends it starts a
 *                                             compaction without waiting for it and prints `{"folding":N}`
 *   node foldingWriter.js STORE compact        appends one event, prints `{"ready":true}`, waits for a line
 *                                             on stdin, compacts, prints `{"compacted":true|false}`, closes
 */
async function main(file: string, mode: string, count: number): Promise<void> {
  const store = await SqlJsEventStore.open({ path: file, compaction: { onClose: 'never' } });
  const print = (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`);
  if (mode === 'compact') {
    await store.append(`s-${process.pid}`, [{ type: 'Appended', data: { pid: process.pid } }]);
    print({ ready: true });
    const lines = readline.createInterface({ input: process.stdin });
    await new Promise<void>((resolve) => lines.once('line', () => resolve()));
    lines.close(); // stdin no longer keeps the process alive
    print({ compacted: await store.compact() });
    await store.close();
    return;
  }
  const folds: Promise<boolean>[] = [];
  for (let i = 0; i < count; i++) {
    const eventId = `${process.pid}-${i}`;
    const r = await store.append(`s-${i % 7}`, [{ type: 'Appended', data: { i, text: 'x'.repeat(200) }, eventId }]);
    print({ ack: r.lastPosition, eventId });
    if (i % 25 === 24) {
      folds.push(store.compact());
      print({ folding: folds.length });
    }
  }
  await Promise.all(folds);
  await store.close();
}

const [file, mode, count] = process.argv.slice(2);
main(file!, mode ?? 'append', Number(count ?? 100)).catch((e: Error) => {
  process.stderr.write(`${e.stack ?? e.message}\n`);
  process.exit(1);
});
