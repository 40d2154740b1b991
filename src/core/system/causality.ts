import type { CommandLogEntry } from '../application/commandLog';
import { forEachInSlices, type WalkOptions } from '../eventStore/slicedRead';
import type { EventMetadata } from '../eventStore/types';
import { isForeignStore, type RecordedCommand, type StoreReader } from '../formats/storeReader';

/** An event as the causality graph needs it: from any store, native or foreign. */
export interface CausalEvent {
  readonly eventId: string;
  readonly globalPosition: number;
  readonly streamId: string;
  readonly type: string;
  readonly metadata: EventMetadata;
}

/**
 * A command as the causality graph needs it: from the command log (refusals included) or from a
 * store that keeps commands (Emmett's `'C'` messages).
 */
export interface CausalCommand {
  readonly id: string;
  readonly type: string;
  readonly outcome: 'accepted' | 'rejected' | 'conflict';
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly reason?: string;
  readonly streamId?: string;
  readonly reaction?: string;
  /** Where it happened: the store's last position when it ran, or its own position in a store that keeps commands. */
  readonly position?: number;
}

export interface CausalNode {
  readonly id: string;
  readonly kind: 'command' | 'event';
  readonly type: string;
  readonly streamId?: string;
  /** An event's global position; a command's place (see CausalCommand.position). */
  readonly position?: number;
  /** Commands only: refused commands are marked. */
  readonly outcome?: 'accepted' | 'rejected' | 'conflict';
  readonly reason?: string;
  /** The reaction that issued this command. */
  readonly reaction?: string;
  /** True for a command known only from its events' metadata (the log no longer holds it, or never did). */
  readonly inferred?: boolean;
  /** What caused it, when that is in the graph. */
  readonly parentId?: string;
  /** Steps from its root. */
  readonly depth: number;
}

export interface CausalityGraph {
  readonly correlationId: string;
  /** Depth first from each root, children in the order they happened. */
  readonly nodes: readonly CausalNode[];
  readonly edges: readonly { readonly from: string; readonly to: string }[];
  readonly streams: readonly string[];
  readonly refused: number;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The whole conversation sharing one correlation id as a tree of causes: a command causes its
 * events; a reaction's command is caused by the event it answered; a compensation by the command
 * that was refused. An event names its command by `commandId` (this store) or by `causationId`
 * (Emmett and other writers); a command names its cause by `causationId` (its own id: nothing).
 * Events whose command is not among `commands` get that command inferred from their metadata.
 */
export function buildCausalityGraph(
  correlationId: string,
  events: readonly CausalEvent[],
  commands: readonly CausalCommand[],
): CausalityGraph {
  const mine = events.filter((e) => e.metadata.correlationId === correlationId);
  const known = new Map<string, Omit<CausalNode, 'depth' | 'parentId'> & { cause?: string; order: number }>();
  const order = (position: number | undefined, tie: number) => (position ?? Number.MAX_SAFE_INTEGER) + tie / 10;
  for (const c of commands) {
    if (c.correlationId !== correlationId) continue;
    known.set(c.id, {
      id: c.id,
      kind: 'command',
      type: c.type,
      outcome: c.outcome,
      ...(c.streamId ? { streamId: c.streamId } : {}),
      ...(c.position !== undefined ? { position: c.position } : {}),
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.reaction ? { reaction: c.reaction } : {}),
      ...(c.causationId && c.causationId !== c.id ? { cause: c.causationId } : {}),
      // A command comes after the event it was decided on and before the events it appended.
      order: order(c.position, 5),
    });
  }
  for (const e of mine) {
    const commandId = text(e.metadata.commandId);
    const causationId = text(e.metadata.causationId);
    let cause = commandId ?? causationId;
    if (commandId && !known.has(commandId) && commandId !== e.eventId) {
      // The command is known from its events only: the first one places it, its metadata names it.
      const reaction = text(e.metadata.reaction);
      known.set(commandId, {
        id: commandId,
        kind: 'command',
        type: text(e.metadata.commandType) ?? '(command)',
        outcome: 'accepted',
        streamId: e.streamId,
        position: e.globalPosition - 1,
        inferred: true,
        ...(reaction ? { reaction } : {}),
        ...(causationId && causationId !== commandId ? { cause: causationId } : {}),
        order: order(e.globalPosition - 1, 5),
      });
    }
    if (cause === e.eventId) cause = undefined;
    known.set(e.eventId, {
      id: e.eventId,
      kind: 'event',
      type: e.type,
      streamId: e.streamId,
      position: e.globalPosition,
      ...(cause ? { cause } : {}),
      order: order(e.globalPosition, 0),
    });
  }

  const children = new Map<string | undefined, string[]>();
  for (const node of known.values()) {
    const parent = node.cause && known.has(node.cause) ? node.cause : undefined;
    children.set(parent, [...(children.get(parent) ?? []), node.id]);
  }
  const byOrder = (a: string, b: string) => known.get(a)!.order - known.get(b)!.order;
  const nodes: CausalNode[] = [];
  const edges: { from: string; to: string }[] = [];
  const visit = (id: string, parentId: string | undefined, depth: number, seen: Set<string>) => {
    if (seen.has(id)) return; // a cycle in hand-written metadata must not loop
    seen.add(id);
    const { cause: _cause, order: _order, ...node } = known.get(id)!;
    nodes.push({ ...node, ...(parentId ? { parentId } : {}), depth });
    if (parentId) edges.push({ from: parentId, to: id });
    for (const child of (children.get(id) ?? []).sort(byOrder)) visit(child, id, depth + 1, seen);
  };
  const seen = new Set<string>();
  for (const root of (children.get(undefined) ?? []).sort(byOrder)) visit(root, undefined, 0, seen);
  return {
    correlationId,
    nodes,
    edges,
    streams: [...new Set(nodes.flatMap((n) => (n.streamId ? [n.streamId] : [])))],
    refused: nodes.filter((n) => n.kind === 'command' && n.outcome !== 'accepted').length,
  };
}

/** A command log entry as a node of the graph. */
export function commandFromLog(entry: CommandLogEntry): CausalCommand {
  return {
    id: entry.id,
    type: entry.command.type,
    outcome: entry.outcome,
    position: entry.positionBefore,
    ...(entry.correlationId ? { correlationId: entry.correlationId } : {}),
    ...(entry.causationId ? { causationId: entry.causationId } : {}),
    ...(entry.reason ? { reason: entry.reason } : {}),
    ...(entry.streamId ? { streamId: entry.streamId } : {}),
    ...(entry.reaction ? { reaction: entry.reaction } : {}),
  };
}

/** A command a foreign store keeps (Emmett's `'C'` message): it was stored, so it was accepted. */
export function commandFromStore(command: RecordedCommand): CausalCommand {
  const correlationId = text(command.metadata.correlationId);
  const causationId = text(command.metadata.causationId);
  return {
    id: command.commandId,
    type: command.type,
    outcome: 'accepted',
    streamId: command.streamId,
    position: command.globalPosition,
    ...(correlationId ? { correlationId } : {}),
    ...(causationId ? { causationId } : {}),
  };
}

/** Every event of one conversation, through the store's index when it has one, else by a walk in slices. */
export async function eventsOfCorrelation(
  store: StoreReader,
  correlationId: string,
  options: WalkOptions = {},
): Promise<CausalEvent[]> {
  if (store.findPositions) {
    return store.findPositions({ correlationId }).flatMap((p) => {
      const e = store.readEvent(p);
      return e ? [e] : [];
    });
  }
  const found: CausalEvent[] = [];
  await forEachInSlices(
    store,
    (e) => {
      if (e.metadata.correlationId === correlationId) found.push(e);
    },
    options,
  );
  return found;
}

/** Where the graph starts: an event (by position) or a command (by id). */
export type CausalityStart = { readonly position: number } | { readonly commandId: string };

/**
 * The causality graph of an event or a command of `store`: commands come from the command log and,
 * for a store that keeps them, from the store. Undefined when the start has no correlation id.
 */
export async function causalityOf(
  store: StoreReader,
  start: CausalityStart,
  log: readonly CommandLogEntry[],
  options: WalkOptions = {},
): Promise<CausalityGraph | undefined> {
  const commands = [
    ...log.map(commandFromLog),
    ...(isForeignStore(store) ? store.readCommands().map(commandFromStore) : []),
  ];
  let correlationId: string | undefined;
  if ('position' in start) correlationId = text(store.readEvent(start.position)?.metadata.correlationId);
  else correlationId = commands.find((c) => c.id === start.commandId)?.correlationId;
  if (!correlationId) return undefined;
  return buildCausalityGraph(correlationId, await eventsOfCorrelation(store, correlationId, options), commands);
}
