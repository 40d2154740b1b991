import type { CommandLogEntry } from '../application/commandLog';
import { forEachInSlices, SliceClock, type WalkOptions } from '../eventStore/slicedRead';
import { isForeignStore, type StoreReader } from '../formats/storeReader';
import { ShardedMap, ShardedSet } from './sharded';
import { commandFromStore, type CausalCommand, type CausalEvent } from './causality';

/**
 * The event model of a system, drawn from what really happened: one slice per command type, with
 * the events it appended, the read models that consumed them, the reactions those events
 * triggered and the commands those reactions issued. Counts and refusals are the traffic's.
 */
export interface EventModel {
  readonly slices: readonly EventModelSlice[];
  readonly totals: { readonly commands: number; readonly refused: number; readonly events: number };
}

export interface Count {
  readonly name: string;
  readonly count: number;
}

export interface EventModelSlice {
  /** The command type, or NO_COMMAND for events whose command no record names. */
  readonly command: string;
  /** Who issued it: "palette", "cli", "demo", "reaction: Stock reservation"… */
  readonly issuedBy: readonly Count[];
  readonly accepted: number;
  readonly refused: number;
  /** The reasons of its refusals, most frequent first. */
  readonly refusals: readonly Count[];
  readonly events: readonly Count[];
  /** Read models that apply at least one of its event types, with the types they apply. */
  readonly readModels: readonly { readonly name: string; readonly eventTypes: readonly string[] }[];
  readonly reactions: readonly SliceReaction[];
}

export interface SliceReaction {
  readonly reaction: string;
  /** The event type that triggered it. */
  readonly on: string;
  readonly commands: readonly { readonly type: string; readonly accepted: number; readonly refused: number }[];
}

export interface ModelInput {
  /**
   * The events, or a function that visits them in order (a store's forEach: none held in memory),
   * which may return a promise (a walk in slices: see eventModelOfStore).
   */
  readonly events: Iterable<CausalEvent> | ((visit: (event: CausalEvent) => void) => void | Promise<void>);
  /** The command log (refusals live only there). */
  readonly log: readonly CommandLogEntry[];
  /** Commands a foreign store keeps beside its events. */
  readonly storedCommands?: readonly CausalCommand[];
  readonly projections: readonly { readonly name: string; readonly eventTypes: readonly string[] }[];
}

export const NO_COMMAND = '(no command recorded)';
const REFUSALS_KEPT = 5;

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

class Counter {
  private readonly counts = new Map<string, number>();
  add(name: string, n = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + n);
  }
  list(): Count[] {
    return [...this.counts].map(([name, count]) => ({ name, count }));
  }
  sorted(): Count[] {
    return this.list().sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
  }
}

interface SliceBuilder {
  readonly command: string;
  readonly first: number;
  readonly issuedBy: Counter;
  readonly accepted: ShardedSet;
  readonly refused: ShardedSet;
  readonly refusals: Counter;
  readonly events: Counter;
  readonly reactions: Map<
    string,
    { reaction: string; on: string; commands: Map<string, { accepted: ShardedSet; refused: ShardedSet }> }
  >;
}

interface KnownCommand {
  readonly type: string;
  readonly outcome: 'accepted' | 'rejected' | 'conflict';
  readonly issuedBy: string;
  readonly reaction?: string;
  readonly causationId?: string;
  readonly reason?: string;
  readonly position: number;
}

/** Derives the event model from recorded traffic (see EventModel); `input.events` must visit synchronously. */
export function deriveEventModel(input: ModelInput): EventModel {
  const model = modelBuilder(input);
  if (typeof input.events === 'function') {
    if (input.events(model.visit) instanceof Promise)
      throw new Error('deriveEventModel visits events synchronously: use deriveEventModelAsync.');
  } else for (const e of input.events) model.visit(e);
  const steps = model.finish();
  for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value;
}

/**
 * The same as deriveEventModel, for events visited by a walk that yields (forEachInSlices); the
 * tallies of the commands after it (one per command: a million at a million events) are cut at the
 * same budget.
 */
export async function deriveEventModelAsync(input: ModelInput, walk: WalkOptions = {}): Promise<EventModel> {
  const model = modelBuilder(input);
  if (typeof input.events === 'function') await input.events(model.visit);
  else for (const e of input.events) model.visit(e);
  const clock = new SliceClock(walk);
  const steps = model.finish();
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return step.value;
    const pause = clock.tick();
    if (pause) await pause;
  }
}

/** How many commands the tallies go through between two looks at the clock. */
const STEP = 4096;

/** The model's tallies: `visit` takes the events in order, `finish` adds the log and builds the slices. */
function modelBuilder(input: ModelInput): {
  visit: (event: CausalEvent) => void;
  finish: () => Generator<undefined, EventModel>;
} {
  const commands = new Map<string, KnownCommand>();
  for (const c of input.storedCommands ?? [])
    commands.set(c.id, {
      type: c.type,
      outcome: c.outcome,
      issuedBy: c.reaction ? `reaction: ${c.reaction}` : 'stored command',
      position: c.position ?? 0,
      ...(c.causationId && c.causationId !== c.id ? { causationId: c.causationId } : {}),
      ...(c.reaction ? { reaction: c.reaction } : {}),
    });
  for (const e of input.log)
    commands.set(e.id, {
      type: e.command.type,
      outcome: e.outcome,
      issuedBy: e.reaction ? `reaction: ${e.reaction}` : (e.source ?? 'unknown'),
      position: e.positionBefore,
      ...(e.causationId && e.causationId !== e.id ? { causationId: e.causationId } : {}),
      ...(e.reaction ? { reaction: e.reaction } : {}),
      ...(e.reason ? { reason: e.reason } : {}),
    });

  const eventTypeById = new ShardedMap<string>();
  const slices = new Map<string, SliceBuilder>();
  const slice = (command: string, first: number): SliceBuilder => {
    let s = slices.get(command);
    if (!s) {
      s = {
        command,
        first,
        issuedBy: new Counter(),
        accepted: new ShardedSet(),
        refused: new ShardedSet(),
        refusals: new Counter(),
        events: new Counter(),
        reactions: new Map(),
      };
      slices.set(command, s);
    }
    return s;
  };
  let eventCount = 0;

  // Commands seen only through their events (a bounded log, another process, a foreign writer).
  const counted = new ShardedSet();
  const count = (id: string, c: KnownCommand) => {
    if (counted.has(id)) return;
    counted.add(id);
    const s = slice(c.type, c.position);
    s.issuedBy.add(c.issuedBy);
    (c.outcome === 'accepted' ? s.accepted : s.refused).add(id);
    if (c.outcome !== 'accepted') s.refusals.add(c.reason ?? '(no reason recorded)');
  };

  const visit = (e: CausalEvent) => {
    eventCount++;
    eventTypeById.set(e.eventId, e.type);
    const commandId = text(e.metadata.commandId);
    const causationId = text(e.metadata.causationId);
    // This store names the command (commandId); Emmett names it as the cause of its events.
    const id = commandId ?? (causationId && commands.has(causationId) ? causationId : undefined);
    let command = id ? commands.get(id) : undefined;
    if (!command && commandId) {
      const reaction = text(e.metadata.reaction);
      command = {
        type: text(e.metadata.commandType) ?? NO_COMMAND,
        outcome: 'accepted',
        issuedBy: reaction ? `reaction: ${reaction}` : (text(e.metadata.source) ?? 'unknown'),
        position: e.globalPosition - 1,
        ...(reaction ? { reaction } : {}),
        ...(causationId && causationId !== commandId ? { causationId } : {}),
      };
      commands.set(commandId, command);
    }
    if (command && id) count(id, command);
    slice(command?.type ?? NO_COMMAND, e.globalPosition).events.add(e.type);
  };
  return { visit, finish };

  /** Yields now and then, so that a caller may pause between pieces. */
  function* finish(): Generator<undefined, EventModel> {
    let n = 0;
    // Refusals (and accepted commands that decided nothing) are in the log only.
    for (const [id, c] of commands) {
      count(id, c);
      if (++n % STEP === 0) yield;
    }

    // A reaction's command hangs under the slice whose event triggered it; a compensation under its refused command's.
    const triggerOf = (c: KnownCommand, depth = 0): string | undefined => {
      if (!c.causationId || depth > 16) return undefined;
      const type = eventTypeById.get(c.causationId);
      if (type) return type;
      const cause = commands.get(c.causationId);
      return cause ? triggerOf(cause, depth + 1) : undefined;
    };
    const sliceOfEventType = new Map<string, SliceBuilder>();
    for (const s of slices.values()) for (const { name } of s.events.list()) sliceOfEventType.set(name, s);
    for (const [id, c] of commands) {
      if (++n % STEP === 0) yield;
      if (!c.reaction) continue;
      const on = triggerOf(c);
      const owner = on ? sliceOfEventType.get(on) : undefined;
      if (!owner || !on) continue;
      const key = `${c.reaction}\u0000${on}`;
      let r = owner.reactions.get(key);
      if (!r) owner.reactions.set(key, (r = { reaction: c.reaction, on, commands: new Map() }));
      let tally = r.commands.get(c.type);
      if (!tally) r.commands.set(c.type, (tally = { accepted: new ShardedSet(), refused: new ShardedSet() }));
      (c.outcome === 'accepted' ? tally.accepted : tally.refused).add(id);
    }

    const built = [...slices.values()]
      .sort((a, b) => a.first - b.first || a.command.localeCompare(b.command))
      .map((s): EventModelSlice => {
        const events = s.events.list();
        const types = new Set(events.map((e) => e.name));
        return {
          command: s.command,
          issuedBy: s.issuedBy.sorted(),
          accepted: s.accepted.size,
          refused: s.refused.size,
          refusals: s.refusals.sorted().slice(0, REFUSALS_KEPT),
          events,
          readModels: input.projections.flatMap((p) => {
            const applied = [...types].filter((t) => p.eventTypes.length === 0 || p.eventTypes.includes(t));
            return applied.length > 0 ? [{ name: p.name, eventTypes: applied }] : [];
          }),
          reactions: [...s.reactions.values()].map((r) => ({
            reaction: r.reaction,
            on: r.on,
            commands: [...r.commands].map(([type, t]) => ({
              type,
              accepted: t.accepted.size,
              refused: t.refused.size,
            })),
          })),
        };
      });
    return {
      slices: built,
      totals: {
        commands: built.reduce((n, s) => n + s.accepted + s.refused, 0),
        refused: built.reduce((n, s) => n + s.refused, 0),
        events: eventCount,
      },
    };
  }
}

/** One arrow of a model: what leads to what. */
export interface ModelArrow {
  readonly from: string;
  readonly to: string;
}

/** The arrows the traffic used: command → event, event → read model, event → reaction, reaction → command. */
export function modelArrows(model: EventModel): ModelArrow[] {
  const arrows = new Map<string, ModelArrow>();
  const add = (from: string, to: string) => arrows.set(`${from}\u0000${to}`, { from, to });
  for (const s of model.slices) {
    for (const e of s.events) {
      if (s.command !== NO_COMMAND) add(s.command, e.name);
    }
    for (const rm of s.readModels) for (const type of rm.eventTypes) add(type, rm.name);
    for (const r of s.reactions) {
      add(r.on, r.reaction);
      for (const c of r.commands) add(r.reaction, c.type);
    }
  }
  return [...arrows.values()];
}

/**
 * The event model of a store: one pass over its events in slices (none kept), its command log and
 * its projections.
 */
export function eventModelOfStore(
  store: StoreReader,
  log: readonly CommandLogEntry[],
  projections: ModelInput['projections'],
  options: WalkOptions = {},
): Promise<EventModel> {
  return deriveEventModelAsync(
    {
      events: async (visit) => void (await forEachInSlices(store, visit, options)),
      log,
      storedCommands: isForeignStore(store) ? store.readCommands().map(commandFromStore) : [],
      projections,
    },
    options,
  );
}
