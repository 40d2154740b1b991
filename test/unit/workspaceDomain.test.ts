import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StoreSession } from '../../src/core/application/session';
import { builtInAggregates } from '../../src/core/domain/aggregates';
import { DomainError } from '../../src/core/domain/errors';
import { loadDomainModule } from '../../src/core/workspaceDomain/loadDomainModule';
import { DomainModuleError, type DomainProblem } from '../../src/core/workspaceDomain/moduleErrors';
import { reservedNames } from '../../src/core/workspaceDomain/moduleShape';
import { builtInProjections } from '../../src/core/projections/builtIn';
import { tempDirPerTest } from '../builders/tempDir';

const fixture = path.resolve(
  __dirname,
  '..',
  '..',
  '..',
  'test',
  'fixtures',
  'workspace-domain',
  '.eventstore',
  'domain.js',
);
const reserved = reservedNames(builtInAggregates, builtInProjections);

/** A valid module whose parts a test can replace, as source text. */
function moduleSource(
  parts: {
    decide?: string;
    evolve?: string;
    projectionEvolve?: string;
    extra?: string;
    events?: string;
    commands?: string;
  } = {},
): string {
  return `
const counter = {
  name: 'Counter',
  streamPrefix: 'counter-',
  idField: 'counterId',
  commands: ${parts.commands ?? `[{ type: 'Increment', fields: [{ name: 'counterId', type: 'string' }, { name: 'by', type: 'integer', minimum: 1, maximum: 10 }] }]`},
  events: ${parts.events ?? `['Incremented']`},
  initialState: { value: 0 },
  decide(command, state) {
    ${parts.decide ?? `if (state.value + command.data.by > 20) throw new Error('A counter stops at 20.'); return [{ type: 'Incremented', data: { counterId: command.data.counterId, by: command.data.by } }];`}
  },
  evolve(state, event) {
    ${parts.evolve ?? `return { value: state.value + event.data.by };`}
  },
};
const totals = {
  name: 'counterTotals',
  title: 'Counter totals',
  eventTypes: ['Incremented'],
  initialState: () => ({ total: 0 }),
  evolve(state, event) {
    ${parts.projectionEvolve ?? `state.total += event.data.by; return state;`}
  },
};
${parts.extra ?? ''}
module.exports = { aggregates: [counter], projections: [totals] };
`;
}

describe('Workspace domain module', () => {
  const tmp = tempDirPerTest('esi-domain-');
  let file: string;
  const write = (source: string) => fs.writeFileSync(file, source);
  const load = (onProblem?: (p: DomainProblem) => void) =>
    loadDomainModule(file, { reserved, ...(onProblem ? { onProblem } : {}) });
  const open = async (onProblem?: (p: DomainProblem) => void) => {
    const domain = load(onProblem);
    return StoreSession.open({
      aggregates: [...builtInAggregates, ...domain.aggregates],
      projections: [...builtInProjections, ...domain.projections],
    });
  };
  const failsWith = (kind: string, message: RegExp) => (e: unknown) => {
    assert.ok(DomainModuleError.is(e), `not a DomainModuleError: ${String(e)}`);
    assert.equal(e.kind, kind);
    assert.match(e.message, message);
    return true;
  };

  beforeEach(() => {
    file = path.join(tmp.dir, 'domain.js');
  });

  describe('a good module', () => {
    it('the shipped example drives commands, read models and queries beside the built-in domain', async () => {
      const domain = loadDomainModule(fixture, { reserved });
      assert.deepEqual(
        domain.aggregates.map((a) => [a.name, a.commandTypes]),
        [['Room', ['BookRoom', 'CancelBooking']]],
      );
      const s = await StoreSession.open({
        aggregates: [...builtInAggregates, ...domain.aggregates],
        projections: [...builtInProjections, ...domain.projections],
      });
      const booked = await s.execute({
        type: 'BookRoom',
        data: { roomId: 'atlas', slot: '2026-03-02 am', bookedBy: 'Ada' },
      });
      assert.equal(booked.streamId, 'room-atlas');
      assert.deepEqual(
        booked.events.map((e) => e.type),
        ['RoomBooked'],
      );
      await assert.rejects(
        s.execute({ type: 'BookRoom', data: { roomId: 'atlas', slot: '2026-03-02 am', bookedBy: 'Bob' } }),
        (e: unknown) => DomainError.is(e) && /already booked .* by Ada/.test(e.message),
      );
      await assert.rejects(
        s.execute({ type: 'BookRoom', data: { roomId: 'atlas', slot: 'tomorrow', bookedBy: 'Bob' } }),
        /Slot "tomorrow" is not valid: use a date and am or pm/,
      );
      await s.execute({ type: 'CreateUser', data: { userId: 'u1', name: 'Ada' } });
      const view = s.projections.find((p) => p.name === 'bookingsPerPerson')!;
      assert.deepEqual(
        view.view(s.projector.stateOf('bookingsPerPerson')).map((r) => [r.label, r.description]),
        [['Ada', '1 booking(s)']],
      );
      assert.equal(
        view.queries![0]!.run(s.projector.stateOf('bookingsPerPerson'), 'Ada').answer,
        'Ada booked atlas (2026-03-02 am).',
      );
      assert.deepEqual(
        s.commandLog.entries().map((e) => e.outcome),
        ['accepted', 'rejected', 'rejected', 'accepted'],
      );
      assert.equal(s.replay.step(1).stream?.aggregate, 'Room');
      await s.close();
    });

    it('a rejection is an Error thrown by decide: it reaches the user as a domain rejection', async () => {
      write(moduleSource());
      const s = await open();
      await s.execute({ type: 'Increment', data: { counterId: 'a', by: 10 } });
      await s.execute({ type: 'Increment', data: { counterId: 'a', by: 10 } });
      await assert.rejects(
        s.execute({ type: 'Increment', data: { counterId: 'a', by: 1 } }),
        (e: unknown) => DomainError.is(e) && e.message === 'A counter stops at 20.',
      );
      assert.deepEqual(s.projector.stateOf('counterTotals'), { total: 20 });
      await s.close();
    });

    it('each load reads the file again: a changed module is a new domain', () => {
      write(moduleSource());
      const first = load();
      write(moduleSource({ events: `['Incremented', 'Reset']` }));
      const second = load();
      assert.notEqual(first.hash, second.hash);
      assert.deepEqual(second.aggregates[0]!.eventTypes, ['Incremented', 'Reset']);
    });

    it('the schema of each command is checked before decide, with a message per field', async () => {
      write(moduleSource());
      const s = await open();
      await assert.rejects(
        s.execute({ type: 'Increment', data: { counterId: 'a', by: 11 } }),
        /by must be from 1 to 10/,
      );
      await assert.rejects(
        s.execute({ type: 'Increment', data: { counterId: '' } }),
        /counterId is required\. by is required\./,
      );
      await s.close();
    });
  });

  describe('a bad module is reported, never half loaded', () => {
    it('a missing file', () => assert.throws(() => load(), failsWith('missing', /does not exist/)));

    it('a syntax error, with its line', () => {
      write('module.exports = {\n  aggregates: [\n    { name: "x" oops }\n  ]\n};');
      assert.throws(
        () => load(),
        (e: unknown) =>
          failsWith('syntax', /does not compile: SyntaxError/)(e) &&
          (e as DomainModuleError).location === 'domain.js:3',
      );
    });

    it('a module that throws while loading', () => {
      write('const x = undefined;\nx.boom();\n');
      assert.throws(
        () => load(),
        (e: unknown) =>
          failsWith('load', /threw while loading: TypeError/)(e) &&
          (e as DomainModuleError).location?.startsWith('domain.js:2'),
      );
    });

    it('exports of the wrong shape, every problem listed', () => {
      write(
        `module.exports = { aggregates: [{ name: 'A', streamPrefix: 'user-', commands: [{ type: 'CreateUser', fields: [{ name: 'id', type: 'date' }] }], events: [], initialState: {} }], projections: [{ name: 'summary' }] };`,
      );
      assert.throws(
        () => load(),
        (e: unknown) => {
          failsWith('shape', /does not have the expected shape/)(e);
          const message = (e as Error).message;
          for (const expected of [
            /streamPrefix "user-" overlaps "user-"/,
            /decide must be a function/,
            /evolve must be a function/,
            /events must list/,
            /type must be one of string/,
            /"CreateUser" is already handled/,
            /read model named "summary" already exists/,
            /needs "idField"/,
          ]) {
            assert.match(message, expected);
          }
          return true;
        },
      );
    });

    it('nothing exported', () => {
      write('exports.something = 1;');
      assert.throws(() => load(), failsWith('shape', /exports no aggregates and no projections/));
    });
  });

  describe('a module that misbehaves at run time', () => {
    it('a decide that throws a TypeError is a bug in the module, shown with where it happened', async () => {
      write(moduleSource({ decide: 'return command.data.missing.length;' }));
      const s = await open();
      await assert.rejects(s.execute({ type: 'Increment', data: { counterId: 'a', by: 1 } }), (e: unknown) => {
        failsWith('decide', /decide of Counter threw TypeError/)(e);
        assert.match((e as DomainModuleError).location ?? '', /^domain\.js:\d+:\d+$/);
        return true;
      });
      assert.equal(s.store.lastPosition(), 0);
      assert.equal(s.commandLog.last()?.errorName, 'DomainModuleError');
      await s.close();
    });

    it('a decide that returns an unknown event type, or not a list', async () => {
      write(
        moduleSource({
          decide: `return command.data.by === 1 ? [{ type: 'Exploded', data: {} }] : command.data.by === 2 ? { type: 'Incremented' } : [{ type: 'Incremented', data: 5 }];`,
        }),
      );
      const s = await open();
      await assert.rejects(
        s.execute({ type: 'Increment', data: { counterId: 'a', by: 1 } }),
        failsWith('event', /type "Exploded" is not one of Counter's events \(Incremented\)/),
      );
      await assert.rejects(
        s.execute({ type: 'Increment', data: { counterId: 'a', by: 2 } }),
        failsWith('event', /must return an array of events/),
      );
      await assert.rejects(
        s.execute({ type: 'Increment', data: { counterId: 'a', by: 3 } }),
        failsWith('event', /Incremented\.data must be a JSON object/),
      );
      assert.equal(s.store.lastPosition(), 0, 'nothing bad reached the store');
      await s.close();
    });

    it('an evolve that throws stops that command with a clear error', async () => {
      write(moduleSource({ evolve: `throw new Error('cannot fold');` }));
      const s = await open();
      await s.execute({ type: 'Increment', data: { counterId: 'a', by: 1 } });
      await assert.rejects(
        s.execute({ type: 'Increment', data: { counterId: 'a', by: 1 } }),
        failsWith('evolve', /evolve of Counter threw Error: cannot fold on Incremented/),
      );
      await s.close();
    });

    it('a projection that throws on an event is reported and faulted there; the store and the other read models go on', async () => {
      write(
        moduleSource({
          projectionEvolve: `if (event.data.by === 2) throw new RangeError('two is not allowed'); state.total += event.data.by; return state;`,
        }),
      );
      const problems: DomainProblem[] = [];
      const s = await open((p) => problems.push(p));
      await s.execute({ type: 'Increment', data: { counterId: 'a', by: 1 } });
      await s.execute({ type: 'Increment', data: { counterId: 'a', by: 2 } });
      await s.execute({ type: 'CreateUser', data: { userId: 'u1', name: 'Ada' } });
      assert.equal(s.store.lastPosition(), 3);
      assert.deepEqual(s.projector.stateOf('counterTotals'), { total: 1 });
      assert.equal((s.projector.stateOf('summary') as { totalEvents: number }).totalEvents, 3);
      assert.equal(problems.length, 1);
      assert.match(problems[0]!.at, /Counter totals, Incremented at position 2/);
      assert.match(problems[0]!.message, /RangeError: two is not allowed/);
      const fault = s.projector.faultOf('counterTotals');
      assert.equal(fault?.position, 2);
      assert.equal(fault?.error, 'RangeError: two is not allowed');
      assert.match(fault?.stack ?? '', /domain\.js:\d+/);
      await s.close();
    });
  });
});
