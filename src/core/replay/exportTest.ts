import { aggregateForStream, type AggregateDefinition } from '../domain/aggregates';
import type { EventStore, RecordedEvent } from '../eventStore/types';

export interface KnownCommand {
  readonly type: string;
  readonly data: unknown;
}

/** A JavaScript identifier made from a name (letters, digits, _ and $ kept; anything else becomes _). */
const identifier = (name: string): string => {
  const id = name.replace(/[^A-Za-z0-9_$]/g, '_');
  return /^[A-Za-z_$]/.test(id) ? id : `_${id}`;
};
const json = (v: unknown, indent: string): string => JSON.stringify(v, null, 2).replace(/\n/g, `\n${indent}`);
const message = (e: { type: string; data: unknown }) => ({ type: e.type, data: e.data });

/**
 * Writes a given/when/then test for the decider from the event at `position`: the stream's prior
 * events (given), the command that produced it if known (when), and the events that command
 * appended (then). The command is known from the command log, else only its type from the metadata.
 */
export function givenWhenThenTest(
  store: EventStore,
  aggregates: readonly AggregateDefinition[],
  position: number,
  commandFor?: (event: RecordedEvent) => KnownCommand | undefined,
): string {
  const event = store.readEvent(position);
  if (!event) throw new RangeError(`There is no event at position ${position}: step to an event first.`);
  const aggregate = aggregateForStream(aggregates, event.streamId);
  const history = store.readStream(event.streamId);
  const causation = event.metadata.causationId;
  const produced = history.filter((e) =>
    causation ? e.metadata.causationId === causation : e.globalPosition === event.globalPosition,
  );
  const firstProduced = produced[0] ?? event;
  const prior = history.filter((e) => e.streamVersion < firstProduced.streamVersion);
  const command = commandFor?.(firstProduced);
  const commandType =
    command?.type ?? (typeof event.metadata.commandType === 'string' ? event.metadata.commandType : undefined);
  const name = aggregate?.name ?? 'Unknown';
  // Everything from the store or the domain enters the code as a JSON string literal or a sanitised
  // identifier, never raw: a stream id holding a line break and code must stay a string.
  const deciderName = identifier(`${name.charAt(0).toLowerCase()}${name.slice(1)}Decider`);
  const when = command
    ? json(message(command), '      ')
    : `{ type: ${JSON.stringify(commandType ?? 'UnknownCommand')}, data: {} /* the command's data was not recorded: fill it in */ }`;
  return [
    `// Given/When/Then for a decider, from the event named in \`source\` below.`,
    `// Exported by Event Store Inspector. Run it with mocha after pointing the import at your decider.`,
    `import * as assert from 'node:assert/strict';`,
    `import { ${deciderName} as decider } from ${JSON.stringify(`./${name.toLowerCase()}`)};`,
    ``,
    `const source = ${JSON.stringify({ aggregate: name, streamId: event.streamId, globalPosition: position })};`,
    ``,
    `describe(${JSON.stringify(`${name}: ${commandType ?? event.type} on `)} + source.streamId, () => {`,
    `  it(${JSON.stringify(`emits ${produced.map((e) => e.type).join(', ')}`)}, () => {`,
    `    const given = ${json(prior.map(message), '    ')};`,
    `    const when = ${when};`,
    `    const then = ${json(produced.map(message), '    ')};`,
    `    const state = given.reduce((s, e) => decider.evolve(s, e as never), decider.initialState());`,
    `    assert.deepEqual(decider.decide(when as never, state), then);`,
    `  });`,
    `});`,
    ``,
  ].join('\n');
}
