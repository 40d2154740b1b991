import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as ts from 'typescript';
import { StoreSession } from '../../src/core/application/session';
import { builtInAggregates } from '../../src/core/domain/aggregates';
import { builtInProjections } from '../../src/core/projections/builtIn';
import { givenWhenThenTest } from '../../src/core/replay/exportTest';
import { loadDomainModule } from '../../src/core/workspaceDomain/loadDomainModule';
import { reservedNames } from '../../src/core/workspaceDomain/moduleShape';
import { EmmettWriter, fingerprint } from '../builders/emmettWriter';
import { tempDirPerTest } from '../builders/tempDir';

/** A workspace domain whose event types are the ones the Emmett application writes. */
const DOMAIN = `
const counter = {
  name: 'Counter',
  streamPrefix: 'counter-',
  idField: 'counterId',
  commands: [{ type: 'Increment', fields: [{ name: 'counterId', type: 'string' }, { name: 'by', type: 'integer', minimum: 1, maximum: 10 }] }],
  events: ['Incremented'],
  initialState: { value: 0 },
  decide(command, state) {
    if (state.value + command.data.by > 20) throw new Error('A counter stops at 20.');
    return [{ type: 'Incremented', data: { counterId: command.data.counterId, by: command.data.by } }];
  },
  evolve(state, event) {
    return { value: state.value + event.data.by };
  },
};
const totals = {
  name: 'counterTotals',
  title: 'Counter totals',
  eventTypes: ['Incremented'],
  initialState: () => ({ total: 0 }),
  evolve(state, event) {
    return { total: state.total + event.data.by };
  },
};
module.exports = { aggregates: [counter], projections: [totals] };
`;

/** Runs an exported given/when/then test (TypeScript) with `describe`/`it` collected here; throws what it throws. */
function runExportedTest(source: string, dir: string): void {
  const js = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const file = path.join(dir, 'exported.test.js');
  fs.writeFileSync(file, js);
  const tests: (() => void)[] = [];
  const run = new Function('describe', 'it', 'require', 'exports', js) as (
    d: (name: string, body: () => void) => void,
    i: (name: string, body: () => void) => void,
    r: NodeJS.Require,
    e: object,
  ) => void;
  run(
    (_name, body) => body(),
    (_name, body) => tests.push(body),
    createRequire(file),
    {},
  );
  assert.equal(tests.length, 1);
  tests[0]!();
}

describe("A workspace domain over an Emmett store's events", function () {
  this.timeout(60_000);
  const tmp = tempDirPerTest('esi-emmett-domain-');
  let writer: EmmettWriter | undefined;
  let session: StoreSession | undefined;
  afterEach(async () => {
    await session?.close();
    session = undefined;
    await writer?.kill();
    writer = undefined;
  });

  it('folds its projections as read models, live, and its deciders give a given/when/then test that passes', async () => {
    const file = path.join(tmp.dir, 'app', 'counters.db');
    fs.mkdirSync(path.dirname(file));
    writer = await EmmettWriter.start(file);
    const meta = { commandType: 'Increment' };
    await writer.append('counter-1', [
      { type: 'Incremented', data: { counterId: 'counter-1', by: 2 }, metadata: meta },
    ]);
    await writer.append('cart-1', [{ type: 'ItemAdded', data: { sku: 'pen' } }]);
    await writer.append('counter-1', [
      { type: 'Incremented', data: { counterId: 'counter-1', by: 3 }, metadata: meta },
    ]);
    await writer.append('counter-2', [
      { type: 'Incremented', data: { counterId: 'counter-2', by: 7 }, metadata: meta },
    ]);
    let before = fingerprint(file);

    const domainFile = path.join(tmp.dir, 'domain.js');
    fs.writeFileSync(domainFile, DOMAIN);
    const domain = loadDomainModule(domainFile, { reserved: reservedNames(builtInAggregates, builtInProjections) });
    const aggregates = [...builtInAggregates, ...domain.aggregates];
    session = await StoreSession.open({
      path: file,
      aggregates,
      projections: [...builtInProjections, ...domain.projections],
    });
    assert.equal(session.store.readOnly, true);
    assert.deepEqual(session.projector.stateOf('counterTotals'), { total: 12 });

    // The replay shows the decider's state of the stream and the read model at each step.
    const step = session.replay.step(3);
    assert.equal(step.stream?.aggregate, 'Counter');
    assert.deepEqual([step.stream?.before, step.stream?.after], [{ value: 2 }, { value: 5 }]);
    assert.deepEqual(step.readModels.find((r) => r.name === 'counterTotals')?.state, { total: 5 });

    // Events the application appends reach the workspace's read model.
    await writer.append('counter-2', [
      { type: 'Incremented', data: { counterId: 'counter-2', by: 1 }, metadata: meta },
    ]);
    before = fingerprint(file);
    await session.refresh();
    assert.deepEqual(session.projector.stateOf('counterTotals'), { total: 13 });

    // The export for the event at 3: given the stream's earlier event, the command's type from the
    // metadata (Emmett keeps no data of the command), then the event. With the data filled in, it passes.
    const text = givenWhenThenTest(session.store, aggregates, 3);
    assert.match(text, /import \{ counterDecider as decider \} from "\.\/counter";/);
    assert.match(text, /"type": "Incremented",\s+"data": \{\s+"counterId": "counter-1",\s+"by": 2/);
    assert.match(text, /\{ type: "Increment", data: \{\} \/\* the command's data was not recorded: fill it in \*\/ \}/);
    const filled = text.replace(/data: \{\} \/\*[^*]*\*\//, 'data: { counterId: "counter-1", by: 3 }');
    const deciderDir = path.join(tmp.dir, 'tests');
    fs.mkdirSync(deciderDir);
    fs.writeFileSync(
      path.join(deciderDir, 'counter.js'),
      `const [counter] = require(${JSON.stringify(domainFile)}).aggregates;
exports.counterDecider = { decide: counter.decide, evolve: counter.evolve, initialState: () => counter.initialState };`,
    );
    runExportedTest(filled, deciderDir);
    // The same test with another amount fails: the export is checked against the decider, not echoed.
    assert.throws(() =>
      runExportedTest(text.replace(/data: \{\} \/\*[^*]*\*\//, 'data: { counterId: "counter-1", by: 4 }'), deciderDir),
    );
    assert.equal(fingerprint(file), before, 'the inspector changed no file of the store');
  });
});
