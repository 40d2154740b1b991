import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';
import { builtInAggregates } from '../../src/core/domain/aggregates';
import { APPLICATION_ID, SCHEMA_SQL, SCHEMA_VERSION } from '../../src/core/eventStore/schema';
import { SqlJsEventStore } from '../../src/core/eventStore/sqlJsEventStore';
import { givenWhenThenTest } from '../../src/core/replay/exportTest';

/** better-sqlite3 writes rows the store's own validation would refuse, as another tool could. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require('better-sqlite3') as new (file: string) => {
  exec(sql: string): void;
  prepare(sql: string): { run(...params: unknown[]): unknown };
  close(): void;
};

const MARKER = 'PWNED_MARKER';
/** Pieces that end a comment, a string or a line in generated code, plus code worth running. */
const PIECES = [
  '\n',
  '\r\n',
  '\u2028',
  '\u2029',
  '*/',
  '/*',
  '//',
  '`',
  '${',
  '"',
  "'",
  '\\',
  '</script>',
  '\u202e',
  '\u200b',
  '\ufeff',
  `require("child_process").execSync("touch ${MARKER}")`,
  `${MARKER}`,
  'cart-',
  'user-',
  ' ',
  '}',
  ');',
  'é',
  '😀',
];

/** A small seeded generator (mulberry32): the same cases on every run, so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hostileText(next: () => number, prefix: string): string {
  const parts = [prefix];
  const n = 1 + Math.floor(next() * 6);
  for (let i = 0; i < n; i++) parts.push(PIECES[Math.floor(next() * PIECES.length)]!);
  parts.push(MARKER);
  return parts.join('');
}

/** Every token of the generated code that carries the marker is a string literal: nothing else holds data. Returns `source`. */
function markerOnlyInStrings(code: string): unknown {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, code);
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if (!scanner.getTokenText().includes(MARKER)) continue;
    assert.equal(
      kind,
      ts.SyntaxKind.StringLiteral,
      `the marker is in a ${ts.SyntaxKind[kind]} token: ${JSON.stringify(scanner.getTokenText())}`,
    );
  }
  const file = ts.createSourceFile('exported.test.ts', code, ts.ScriptTarget.Latest, true);
  assert.deepEqual(
    file.statements.map((s) =>
      ts.isImportDeclaration(s)
        ? 'import'
        : ts.isVariableStatement(s)
          ? 'const'
          : ts.isExpressionStatement(s)
            ? 'expression'
            : 'other',
    ),
    ['import', 'import', 'const', 'expression'],
    'the generated test is two imports, the source and one describe',
  );
  assert.equal(
    (file as unknown as { parseDiagnostics: unknown[] }).parseDiagnostics.length,
    0,
    'it parses without errors',
  );
  const source = (file.statements[2] as ts.VariableStatement).declarationList.declarations[0]!;
  assert.equal(source.name.getText(file), 'source');
  return JSON.parse(source.initializer!.getText(file)) as unknown;
}

describe('Export as test: data from the store never becomes code', () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esi-export-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('300 hostile stream ids, types and data each stay a string literal, and the source names the exact stream id', async () => {
    const file = path.join(dir, 'events.db');
    const next = random(12);
    const cases = Array.from({ length: 300 }, (_, i) => ({
      streamId: hostileText(next, i % 2 === 0 ? `cart-${i}-` : `user-${i}-`),
      type: hostileText(next, 'T'),
      data: { [hostileText(next, 'k')]: hostileText(next, 'v') },
      metadata: { commandType: hostileText(next, 'C') },
    }));
    const db = new Database(file);
    db.exec(`PRAGMA application_id = ${APPLICATION_ID}; PRAGMA user_version = ${SCHEMA_VERSION};`);
    db.exec(SCHEMA_SQL);
    const insert = db.prepare('INSERT INTO events VALUES (?, ?, 1, ?, ?, ?, ?, ?)');
    const stream = db.prepare('INSERT INTO streams VALUES (?, 1, ?)');
    cases.forEach((c, i) => {
      insert.run(
        i + 1,
        c.streamId,
        `id-${i}`,
        c.type,
        JSON.stringify(c.data),
        JSON.stringify(c.metadata),
        '2026-01-01T00:00:00.000Z',
      );
      stream.run(c.streamId, i + 1);
    });
    db.close();

    const store = await SqlJsEventStore.open({ path: file, readOnly: true });
    try {
      for (let i = 0; i < cases.length; i++) {
        const c = cases[i]!;
        const code = givenWhenThenTest(store, builtInAggregates, i + 1);
        const source = markerOnlyInStrings(code) as { streamId: string };
        assert.equal(source.streamId, c.streamId, `case ${i}: the exact stream id`);
        // The same with a recorded command whose type and data are hostile.
        const withCommand = givenWhenThenTest(store, builtInAggregates, i + 1, () => ({
          type: hostileText(next, 'Cmd'),
          data: { [hostileText(next, 'k')]: hostileText(next, 'v') },
        }));
        markerOnlyInStrings(withCommand);
      }
    } finally {
      await store.close();
    }
  });

  it('a stream id holding a line break and code, as reported, does not run when the exported test is loaded', async () => {
    const file = path.join(dir, 'events-2.db');
    const db = new Database(file);
    db.exec(`PRAGMA application_id = ${APPLICATION_ID}; PRAGMA user_version = ${SCHEMA_VERSION};`);
    db.exec(SCHEMA_SQL);
    const touched = path.join(dir, 'touched');
    const streamId = `user-x\nrequire("fs").writeFileSync(${JSON.stringify(touched)}, "ran");//`;
    db.prepare('INSERT INTO events VALUES (1, ?, 1, ?, ?, ?, ?, ?)').run(
      streamId,
      'e1',
      'UserCreated',
      '{"userId":"x","name":"X"}',
      '{"commandType":"CreateUser"}',
      '2026-01-01T00:00:00.000Z',
    );
    db.prepare('INSERT INTO streams VALUES (?, 1, 1)').run(streamId);
    db.close();
    const store = await SqlJsEventStore.open({ path: file, readOnly: true });
    const code = givenWhenThenTest(store, builtInAggregates, 1);
    await store.close();
    // Transpiled and loaded as a module, with a decider module beside it and mocha's describe given.
    const js = ts.transpileModule(code, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    fs.writeFileSync(
      path.join(dir, 'user.js'),
      'exports.userDecider = { initialState: {}, evolve: (s) => s, decide: () => [] };',
    );
    fs.writeFileSync(path.join(dir, 'exported.test.js'), js);
    const names: string[] = [];
    const g = globalThis as unknown as { describe: unknown };
    const saved = g.describe;
    g.describe = (name: string) => names.push(name);
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(path.join(dir, 'exported.test.js'));
    } finally {
      g.describe = saved;
    }
    assert.equal(fs.existsSync(touched), false, 'the code in the stream id did not run');
    assert.deepEqual(names, [`User: CreateUser on ${streamId}`]);
  });
});
