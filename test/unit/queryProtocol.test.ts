import * as assert from 'node:assert/strict';
import { csvLines, ndjsonLines, tableLines } from '../../src/core/query/resultFormat';
import {
  compareCells,
  parseQueryHostMessage,
  parseQueryWebviewMessage,
  positionColumn,
  sortedOrder,
} from '../../src/shared/queryProtocol';

describe('Query Results: messages, order and formats', () => {
  it('accepts the webview messages it knows, exactly, and nothing else', () => {
    assert.deepEqual(parseQueryWebviewMessage({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parseQueryWebviewMessage({ type: 'openReplay', position: 7 }), {
      type: 'openReplay',
      position: 7,
    });
    assert.deepEqual(
      parseQueryWebviewMessage({ type: 'export', format: 'csv', sort: { column: 1, descending: true } }),
      {
        type: 'export',
        format: 'csv',
        sort: { column: 1, descending: true },
      },
    );
    for (const bad of [
      null,
      'ready',
      { type: 'ready', extra: 1 },
      { type: 'openReplay', position: 0 },
      { type: 'openReplay', position: 1.5 },
      { type: 'openReplay', position: '3' },
      { type: 'export', format: 'xml', sort: null },
      { type: 'export', format: 'csv' },
      { type: 'export', format: 'csv', sort: { column: -1, descending: false } },
      { type: 'copy', text: 5, what: 'cell' },
      { type: 'copy', text: 'x', what: 'table' },
      { type: 'run', sql: 'DELETE FROM events' },
    ])
      assert.equal(parseQueryWebviewMessage(bad), undefined, JSON.stringify(bad));
  });

  it('accepts results whose rows match their columns, with cells of SQLite types only', () => {
    const ok = {
      type: 'result',
      columns: ['a', 'b'],
      rows: [
        [1, 'x'],
        [null, 2.5],
      ],
      truncated: false,
      elapsedMs: 3,
      limit: 10,
      title: 'q',
    };
    assert.deepEqual(parseQueryHostMessage(ok), ok);
    assert.equal(parseQueryHostMessage({ ...ok, rows: [[1]] }), undefined);
    assert.equal(parseQueryHostMessage({ ...ok, rows: [[1, { html: '<b>' }]] }), undefined);
    assert.equal(parseQueryHostMessage({ ...ok, rows: [[1, Number.NaN]] }), undefined);
    assert.equal(parseQueryHostMessage({ ...ok, columns: [1, 2] }), undefined);
    assert.deepEqual(parseQueryHostMessage({ type: 'failed', message: 'm', cancelled: true }), {
      type: 'failed',
      message: 'm',
      cancelled: true,
    });
    assert.equal(parseQueryHostMessage({ type: 'failed', message: 'm' }), undefined);
  });

  it('sorts as SQLite orders values (NULL, numbers, text), stably, both ways', () => {
    const rows = [['b'], [2], [null], ['a'], [10], [2]];
    assert.deepEqual(sortedOrder(rows, { column: 0, descending: false }), [2, 1, 5, 4, 3, 0]);
    assert.deepEqual(sortedOrder(rows, { column: 0, descending: true }), [0, 3, 4, 1, 5, 2]);
    assert.deepEqual(sortedOrder(rows, null), [0, 1, 2, 3, 4, 5]);
    assert.ok(compareCells('B', 'a') < 0, 'text compares by code unit, as BINARY');
    assert.equal(positionColumn(['stream_id', 'Position']), 1);
    assert.equal(positionColumn(['last_position']), -1);
  });

  it('writes CSV (RFC 4180), NDJSON and a table', () => {
    const result = {
      columns: ['n', 'text'],
      rows: [
        [1, 'a,"b"'],
        [null, 'line\nbreak'],
        [2, ' padded'],
      ],
    };
    assert.equal(csvLines(result).join(''), 'n,text\r\n1,"a,""b"""\r\n,"line\nbreak"\r\n2," padded"\r\n');
    assert.deepEqual(
      ndjsonLines(result).map((l) => JSON.parse(l) as unknown),
      [
        { n: 1, text: 'a,"b"' },
        { n: null, text: 'line\nbreak' },
        { n: 2, text: ' padded' },
      ],
    );
    assert.equal(
      tableLines(result).join(''),
      'n     text\n----  -----------\n1     a,"b"\nNULL  line\\nbreak\n2      padded\n',
    );
  });
});
