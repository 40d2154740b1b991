import * as assert from 'node:assert/strict';
import { checkReport } from '../../src/core/formats/checkReport';

describe('The Check Store report', () => {
  it('groups findings by check, names stream and positions, and links each event line to its position', () => {
    const { text, links } = checkReport({
      storeName: 'shop.sqlite',
      describedAs: 'Emmett SQLite (0.42), read-only',
      checkedAt: '2026-12-01T10:00:00.000Z',
      findings: [
        {
          check: 'odd-partition',
          message: 'Partition "[object Object]".',
          streamId: 'cart-1',
          position: 3,
          streamPosition: 2,
        },
        { check: 'position-gap', message: 'Positions 7 to 9 are missing.', position: 7 },
        { check: 'checkpoint-beyond-last-position', message: 'Processor "mailer" is at 99.' },
      ],
    });
    const lines = text.split('\n');
    assert.equal(lines[0], 'Check Store: shop.sqlite');
    assert.match(text, /3 findings\./);
    assert.deepEqual(
      links.map((l) => l.position),
      [3, 7],
    );
    assert.deepEqual(lines.slice(links[0]!.line, links[0]!.line + 2), [
      '  - stream cart-1, stream position 2, global position 3',
      '      Partition "[object Object]".',
    ]);
    assert.deepEqual(lines.slice(links[1]!.line, links[1]!.line + 2), [
      '  - global position 7',
      '      Positions 7 to 9 are missing.',
    ]);
    assert.ok(lines.includes('checkpoint-beyond-last-position (1)'));
    assert.ok(lines.includes('  - Processor "mailer" is at 99.'));
  });

  it('keeps text from the store on one line each, and says when the store is sound', () => {
    const { text, links } = checkReport({
      storeName: 'a.db',
      describedAs: 'Event Store Inspector store, writable',
      checkedAt: 't',
      findings: [{ check: 'odd-partition', message: 'x\ny', streamId: 'evil\n# heading\u2028', position: 1 }],
    });
    assert.deepEqual(text.split('\n').slice(links[0]!.line, links[0]!.line + 2), [
      '  - stream evil # heading , global position 1',
      '      x y',
    ]);
    assert.match(
      checkReport({ storeName: 'a.db', describedAs: 'd', checkedAt: 't', findings: [] }).text,
      /Sound: no finding\./,
    );
  });
});
