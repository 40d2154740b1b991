import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Message } from '../domain/decider';
import { fsyncDirectory, tempNameFor, writeFileAtomic, writeFileDurable } from '../eventStore/atomicFile';
import { readRegularFile } from '../eventStore/regularFile';
import { isSealed, SEAL_HEX_LENGTH, sealOf } from '../eventStore/snapshotSeal';
import type { EventStore, RecordedEvent } from '../eventStore/types';
import { faultOf, type ProjectionFault } from '../projections/fault';
import { canHandle, copyState, type Projection } from '../projections/projection';
import { forEachInSlices } from '../eventStore/slicedRead';
import { SLICE_BUDGET_MS, inSlices, jsonBytesInSlices } from '../eventStore/slices';

export interface ReadModelSnapshot {
  readonly format: 1;
  /** Position of the last event applied. */
  readonly checkpoint: number;
  /** Id of that event: if the store no longer has it there, the snapshot belongs to another history. */
  readonly checkpointEventId: string | null;
  readonly states: Record<string, unknown>;
  /** The states at the last two multiples of the replay's snapshot interval, so a replay opens near the end. */
  readonly replayBases?: readonly { readonly position: number; readonly states: Record<string, unknown> }[];
  /** Read models that threw, by name: they stay stopped at their failing event across restarts. */
  readonly faults?: Record<string, ProjectionFault>;
}

/** Read models whose last save was at least this large are saved after appends in slices (see save()). */
const SLICED_SAVE_BYTES = 1 << 20;
/** Saved read models larger than this are not read (they are rebuilt from the events instead). */
export const MAX_SAVED_READ_MODELS_BYTES = 256 * 1024 * 1024;

export interface ProjectorOptions {
  /** Keep a copy of the states every this many events (for the replay). */
  readonly snapshotEvery?: number;
  readonly log?: (message: string) => void;
  /** Saves after appends are made in slices once a save reached this many bytes (default 1 MiB). */
  readonly slicedSaveBytes?: number;
  /** The time each slice of such a save may take (ms). */
  readonly saveSliceMs?: number;
}

export interface ReadModelStatus {
  readonly projection: Projection;
  readonly state: unknown;
  readonly checkpoint: number;
}

/**
 * Keeps every read model up to date: fed by the event bus, rebuilt from position 0 on demand,
 * saved beside the store with its checkpoint so a restart only catches up on what is new.
 */
export class Projector {
  private states = new Map<string, unknown>();
  private faultsByName = new Map<string, ProjectionFault>();
  /** Set by a rebuild between chosen positions: the read models hold there and are not saved. */
  private range: { readonly from: number; readonly to: number | undefined } | undefined;
  private checkpointPosition = 0;
  private checkpointEventId: string | null = null;
  private listeners = new Set<(events: readonly RecordedEvent[]) => void>();
  private saveTimer: NodeJS.Timeout | undefined;
  private readonly log: (message: string) => void;
  readonly snapshotEvery: number;
  /**
   * Copies of the states at the last two multiples of `snapshotEvery`: two, so that one is always
   * before the present, where the replay's first step (the last event) starts folding.
   */
  private bases: { position: number; states: Map<string, unknown> }[] = [];
  /** Positions below this are not copied (set while catching up on many events). */
  private copyFrom = 0;
  /** True while rebuildInSlices runs: the bus and catchUp leave the events to it. */
  private rebuilding = false;
  /**
   * Set while a save after appends turns the states into JSON a slice at a time: they must hold
   * still meanwhile, so the bus's events wait in the store and are applied when it ends.
   */
  private holding: { readonly done: Promise<void>; readonly generation: number } | undefined;
  /** Bumped whenever the states are thrown away (reset): a save under way of the old ones is dropped. */
  private generation = 0;
  /** Bumped by every save: a save in slices that another overtook is not written over it. */
  private saves = 0;
  private disposed = false;
  private readonly slicedSaveBytes: number;
  private readonly saveSliceMs: number;
  /** The size of the last save: a large one is written in slices next time. */
  private lastSaveBytes = 0;
  private readonly baseListeners = new Set<(position: number, states: ReadonlyMap<string, unknown>) => void>();

  constructor(
    private readonly store: EventStore,
    readonly projections: readonly Projection[],
    /** Where the read models are saved; none for a store in memory. */
    private readonly snapshotFile: string | undefined,
    options: ProjectorOptions | ((message: string) => void) = {},
  ) {
    const o = typeof options === 'function' ? { log: options } : options;
    this.log = o.log ?? (() => undefined);
    this.snapshotEvery = o.snapshotEvery ?? 1000;
    this.slicedSaveBytes = o.slicedSaveBytes ?? SLICED_SAVE_BYTES;
    this.saveSliceMs = o.saveSliceMs ?? SLICE_BUDGET_MS;
    this.reset();
  }

  /** The latest copies of the states taken at multiples of `snapshotEvery` (for the replay). */
  get replayBases(): readonly { readonly position: number; readonly states: ReadonlyMap<string, unknown> }[] {
    return this.bases;
  }

  onReplayBase(listener: (position: number, states: ReadonlyMap<string, unknown>) => void): { dispose(): void } {
    this.baseListeners.add(listener);
    return { dispose: () => void this.baseListeners.delete(listener) };
  }

  get checkpoint(): number {
    return this.checkpointPosition;
  }

  /**
   * The current state of a read model. Given the projection, typed as its state (one this projector
   * does not run has applied no event: its initial state); given only a name (a read model of the
   * workspace domain, known at run time), unknown.
   */
  stateOf<S, E extends Message>(projection: Projection<S, E>): S;
  stateOf(name: string): unknown;
  stateOf(which: string | Projection<unknown, Message>): unknown {
    if (typeof which === 'string') return this.states.get(which);
    return this.states.has(which.name) ? this.states.get(which.name) : which.initialState();
  }

  /** Where a read model threw, if it did: it applies nothing from that event on. */
  faultOf(name: string): ProjectionFault | undefined {
    return this.faultsByName.get(name);
  }

  get faults(): readonly ProjectionFault[] {
    return [...this.faultsByName.values()];
  }

  /** The positions of the last rebuild between chosen positions (undefined after a full one). */
  get rebuiltRange(): { readonly from: number; readonly to: number | undefined } | undefined {
    return this.range;
  }

  status(): ReadModelStatus[] {
    return this.projections.map((projection) => ({
      projection,
      state: this.states.get(projection.name),
      checkpoint: this.checkpointPosition,
    }));
  }

  onDidChange(listener: (events: readonly RecordedEvent[]) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  /** Loads the saved read models if they belong to this store's history, then applies what is new. */
  start(): { loaded: boolean; caughtUp: number } {
    const loaded = this.loadSnapshot();
    if (!loaded) this.reset();
    const before = this.checkpointPosition;
    this.catchUp();
    return { loaded, caughtUp: this.checkpointPosition - before };
  }

  /** Applies events the read models have not seen yet, straight from the store. */
  catchUp(): number {
    if (this.rebuilding) return 0; // the rebuild in progress reads them
    if (this.held()) return 0; // applied when the save in progress has its JSON
    const applied: RecordedEvent[] = [];
    const to = this.range?.to;
    if (to !== undefined && this.checkpointPosition >= to) return 0;
    // Only the last two copies are kept: while catching up, skip the copies that would be dropped.
    const last = this.store.lastPosition();
    this.copyFrom = (Math.floor(last / this.snapshotEvery) - 1) * this.snapshotEvery;
    try {
      this.store.forEach(
        (e) => {
          this.applyOne(e);
          if (applied.length < 1000) applied.push(e);
        },
        { after: this.checkpointPosition, ...(to !== undefined ? { to } : {}) },
      );
    } finally {
      this.copyFrom = 0;
    }
    if (applied.length > 0) this.changed(applied);
    return applied.length;
  }

  /** The bus handler: applies in order, ignoring what was already applied (delivery is at least once). */
  handle(events: readonly RecordedEvent[]): void {
    if (this.rebuilding || this.range?.to !== undefined) return; // a rebuild in progress reads them from the store
    if (this.held()) return; // read from the store when the save in progress has its JSON
    const fresh = events.filter((e) => e.globalPosition > this.checkpointPosition);
    if (fresh.length === 0) return;
    if (fresh[0]!.globalPosition !== this.checkpointPosition + 1) {
      // A gap: events appended elsewhere arrived first. Read them from the store in order.
      this.catchUp();
      return;
    }
    for (const e of fresh) this.applyOne(e);
    this.changed(fresh);
  }

  /** Throws every read model away and replays the whole stream from position 0. */
  rebuild(): number {
    if (this.rebuilding) throw new Error('The read models are already being rebuilt.');
    this.reset();
    this.catchUp();
    this.saveNow();
    return this.checkpointPosition;
  }

  /**
   * The same as rebuild(), in slices of about `sliceMs` of work with a turn of the event loop between
   * them, so that the window stays responsive while millions of events are applied. Events appended
   * meanwhile are read by the rebuild itself, up to the store's last position when it ends.
   */
  async rebuildInSlices(sliceMs = SLICE_BUDGET_MS): Promise<number> {
    if (this.rebuilding) throw new Error('The read models are already being rebuilt.');
    this.rebuilding = true;
    await this.holding?.done;
    const applied: RecordedEvent[] = [];
    const pause = () => new Promise<void>((resolve) => setImmediate(resolve));
    const apply = (e: RecordedEvent) => {
      this.applyOne(e);
      if (applied.length < 1000) applied.push(e);
    };
    try {
      this.reset();
      let read = 0;
      for (let last = this.store.lastPosition(); read < last; last = this.store.lastPosition()) {
        // As in catchUp: only the copies that will be kept are taken.
        this.copyFrom = (Math.floor(last / this.snapshotEvery) - 1) * this.snapshotEvery;
        await inSlices(
          read,
          last,
          (after, to) => {
            // A copy of every state (tens of milliseconds on a large store) gets a slice of its own.
            const copyAt = Math.max(this.copyFrom, (Math.floor(after / this.snapshotEvery) + 1) * this.snapshotEvery);
            const end = copyAt > after && copyAt <= to ? (copyAt - 1 > after ? copyAt - 1 : copyAt) : to;
            this.store.forEach(apply, { after, to: end });
            read = end;
            return end < to || end === copyAt ? end : undefined;
          },
          { pause, budgetMs: sliceMs },
        );
      }
      this.copyFrom = 0;
      // Saved while the bus still leaves the states alone, so that they hold still while written.
      await this.saveInSlices(pause);
    } finally {
      this.copyFrom = 0;
      this.rebuilding = false;
    }
    // What was appended while the read models were saved (saved in turn, later, as any append).
    if (this.store.lastPosition() > this.checkpointPosition) this.catchUp();
    if (applied.length > 0) this.changed(applied, { save: false });
    return this.checkpointPosition;
  }

  /**
   * Rebuilds from the events between `from` and `to` only (both included), e.g. to stop just before
   * a failing event or to start after it. The result is for inspection: it is not saved, and with
   * `to` the read models hold there until the next full rebuild.
   */
  rebuildBetween(from: number, to?: number): number {
    this.reset();
    this.range = { from: Math.max(1, from), to };
    this.checkpointPosition = this.range.from - 1;
    this.checkpointEventId = null;
    this.catchUp();
    if (to !== undefined && this.checkpointPosition < to)
      this.checkpointPosition = Math.min(to, this.store.lastPosition());
    this.changed([]);
    return this.checkpointPosition;
  }

  /** The same as rebuildBetween(), in slices with a turn of the event loop between them (see rebuildInSlices). */
  async rebuildBetweenInSlices(from: number, to?: number, sliceMs = SLICE_BUDGET_MS): Promise<number> {
    if (this.rebuilding) throw new Error('The read models are already being rebuilt.');
    this.rebuilding = true;
    try {
      await this.holding?.done;
      this.reset();
      this.range = { from: Math.max(1, from), to };
      this.checkpointPosition = this.range.from - 1;
      this.checkpointEventId = null;
      // As in catchUp: only the copies that will be kept are taken.
      const last = Math.min(to ?? Number.POSITIVE_INFINITY, this.store.lastPosition());
      this.copyFrom = (Math.floor(last / this.snapshotEvery) - 1) * this.snapshotEvery;
      await forEachInSlices(this.store, (e) => this.applyOne(e), {
        after: this.checkpointPosition,
        ...(to !== undefined ? { to } : {}),
        sliceMs,
      });
    } finally {
      this.copyFrom = 0;
      this.rebuilding = false;
    }
    if (to !== undefined && this.checkpointPosition < to)
      this.checkpointPosition = Math.min(to, this.store.lastPosition());
    this.changed([]);
    return this.checkpointPosition;
  }

  /** Saves now (on close). */
  flush(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.saveNow();
  }

  dispose(): void {
    this.disposed = true;
    this.flush();
    this.listeners.clear();
  }

  /** The projections that handle each event type, worked out once per type (rebuilds apply millions). */
  private readonly handlers = new Map<string, readonly Projection[]>();

  private handlersOf(event: RecordedEvent): readonly Projection[] {
    let list = this.handlers.get(event.type);
    if (!list) this.handlers.set(event.type, (list = this.projections.filter((p) => canHandle(p, event))));
    return list;
  }

  private applyOne(event: RecordedEvent): void {
    for (const projection of this.handlersOf(event)) {
      if (this.faultsByName.has(projection.name)) continue;
      try {
        this.states.set(projection.name, projection.evolve(this.states.get(projection.name), event));
      } catch (e) {
        // Loud, never an empty success: the read model stops here and says where and why.
        const fault = faultOf(projection, event, e);
        this.faultsByName.set(projection.name, fault);
        this.log(
          `Read model ${projection.title} is faulted at ${fault.position}: ${fault.error}\n${fault.stack ?? ''}`,
        );
      }
    }
    this.checkpointPosition = event.globalPosition;
    this.checkpointEventId = event.eventId;
    // States folded from a later start are not the history's: the replay must not take them as its copies.
    const partial = (this.range?.from ?? 1) > 1;
    if (!partial && event.globalPosition % this.snapshotEvery === 0 && event.globalPosition >= this.copyFrom) {
      const base = {
        position: event.globalPosition,
        states: new Map(this.projections.map((p) => [p.name, copyState(p, this.states.get(p.name))])),
      };
      this.bases = [...this.bases.slice(-1), base];
      for (const listener of this.baseListeners) listener(base.position, base.states);
    }
  }

  private reset(): void {
    this.generation++;
    this.states = new Map(this.projections.map((p) => [p.name, p.initialState()]));
    this.checkpointPosition = 0;
    this.checkpointEventId = null;
    this.bases = [];
    this.faultsByName = new Map();
    this.range = undefined;
  }

  private changed(events: readonly RecordedEvent[], options: { readonly save?: boolean } = {}): void {
    if (options.save !== false) this.scheduleSave();
    for (const listener of this.listeners) listener(events);
  }

  private scheduleSave(): void {
    if (!this.snapshotFile || this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.save();
    }, 500);
  }

  /**
   * Saves the read models now (after appends, 500 ms after the first): in one go while they are
   * small; once large (tens of megabytes at a million events, where JSON.stringify alone held the
   * event loop 130-200 ms), their JSON made a slice at a time while they hold still — the events
   * appended meanwhile wait in the store and are applied as soon as the JSON is made, before it is
   * sealed and written.
   */
  async save(): Promise<void> {
    if (this.lastSaveBytes < this.slicedSaveBytes) this.saveNow();
    else if (this.holding || this.rebuilding)
      this.scheduleSave(); // one is under way: again after it
    else await this.saveHeld();
  }

  private saveNow(): void {
    if (!this.savable()) return;
    this.saves++;
    let body: Buffer;
    try {
      body = Buffer.from(JSON.stringify(this.snapshot()));
    } catch (e) {
      this.log(`Could not save the read models to ${this.snapshotFile}: ${(e as Error).message}`);
      return;
    }
    this.lastSaveBytes = body.length;
    this.writeSnapshot(body);
  }

  private async saveHeld(): Promise<void> {
    const pause = () => new Promise<void>((resolve) => setImmediate(resolve));
    const generation = this.generation;
    let release!: () => void;
    this.holding = { done: new Promise<void>((resolve) => (release = resolve)), generation };
    let body: Buffer | undefined;
    try {
      if (this.savable()) body = await jsonBytesInSlices(this.snapshot(), { pause, budgetMs: this.saveSliceMs });
    } catch (e) {
      this.log(`Could not save the read models to ${this.snapshotFile}: ${(e as Error).message}`);
    } finally {
      this.holding = undefined;
      release();
    }
    if (this.disposed) return; // saved in one go on the way out
    try {
      this.catchUp();
    } catch (e) {
      this.log(`Could not apply the events appended during a save of the read models: ${(e as Error).message}`);
    }
    if (body && generation === this.generation) await this.writeInSlices(body, pause);
  }

  /**
   * True while a save holds the states still. States thrown away meanwhile (a rebuild) are not the
   * ones being written: they are folded at once, and that save is dropped.
   */
  private held(): boolean {
    return this.holding !== undefined && this.holding.generation === this.generation;
  }

  /**
   * The same save, its JSON written a slice at a time (tens of megabytes at a million events). The
   * caller keeps the states still meanwhile: a rebuild in progress, which the bus leaves alone.
   */
  private async saveInSlices(pause: () => Promise<void>): Promise<void> {
    if (!this.savable()) return;
    let body: Buffer | undefined;
    try {
      body = await jsonBytesInSlices(this.snapshot(), { pause });
    } catch (e) {
      this.log(`Could not save the read models to ${this.snapshotFile}: ${(e as Error).message}`);
      return;
    }
    await this.writeInSlices(body!, pause);
  }

  /** Seals and writes a save, each in a turn of its own, the writing and the fsync off the event loop. */
  private async writeInSlices(body: Buffer, pause: () => Promise<void>): Promise<void> {
    this.lastSaveBytes = body.length;
    const save = ++this.saves;
    await pause();
    const file = this.snapshotFile!;
    const seal = sealOf(body) ?? 'unsealed';
    await pause();
    const sealed = Buffer.concat([Buffer.from(`${seal}\n`), body]);
    await pause();
    // As writeFileAtomic, with the writing and the fsync off the event loop.
    const tmp = tempNameFor(file);
    try {
      await writeFileDurable(tmp, sealed);
      // A later save (on close, a rebuild) was written meanwhile: this older one must not replace it.
      if (save !== this.saves) {
        fs.rmSync(tmp, { force: true });
        return;
      }
      fs.renameSync(tmp, file);
      fsyncDirectory(path.dirname(file));
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      this.log(`Could not save the read models to ${file}: ${(e as Error).message}`);
    }
  }

  private savable(): boolean {
    return !!this.snapshotFile && !this.store.readOnly && !this.range;
  }

  private snapshot(): ReadModelSnapshot {
    return {
      format: 1,
      checkpoint: this.checkpointPosition,
      checkpointEventId: this.checkpointEventId,
      states: Object.fromEntries(this.states),
      replayBases: this.bases.map((b) => ({ position: b.position, states: Object.fromEntries(b.states) })),
      ...(this.faultsByName.size ? { faults: Object.fromEntries(this.faultsByName) } : {}),
    };
  }

  private writeSnapshot(body: Buffer): void {
    try {
      // The first line seals the rest (see snapshotSeal.ts): a file forged in the workspace is never shown as the read models.
      writeFileAtomic(this.snapshotFile!, Buffer.concat([Buffer.from(`${sealOf(body) ?? 'unsealed'}\n`), body]));
    } catch (e) {
      // Read models are derived data: losing the file only costs a rebuild at the next start.
      this.log(`Could not save the read models to ${this.snapshotFile}: ${(e as Error).message}`);
    }
  }

  private loadSnapshot(): boolean {
    if (!this.snapshotFile || !fs.existsSync(this.snapshotFile)) return false;
    try {
      const bytes = readRegularFile(this.snapshotFile, MAX_SAVED_READ_MODELS_BYTES);
      if (!bytes) return false;
      this.lastSaveBytes = bytes.length; // a large save is made in slices from the first append on
      const newline = bytes.indexOf(0x0a);
      const body = bytes.subarray(newline + 1);
      if (
        newline !== SEAL_HEX_LENGTH ||
        !isSealed(body, { bytes: body.length, seal: bytes.toString('latin1', 0, SEAL_HEX_LENGTH) })
      ) {
        this.log(
          `Saved read models ${this.snapshotFile} could not be read as this user's (they carry no seal of this user: written elsewhere or changed from outside): set aside, rebuilding from position 0.`,
        );
        return false;
      }
      const snapshot = JSON.parse(body.toString('utf8')) as ReadModelSnapshot;
      if (
        snapshot.format !== 1 ||
        typeof snapshot.checkpoint !== 'number' ||
        typeof snapshot.states !== 'object' ||
        snapshot.states === null
      ) {
        this.log('Saved read models are in an unknown format; rebuilding from position 0.');
        return false;
      }
      const names = this.projections.map((p) => p.name);
      if (names.some((n) => !(n in snapshot.states))) {
        this.log('Saved read models do not match the current projections; rebuilding from position 0.');
        return false;
      }
      if (
        snapshot.checkpoint > 0 &&
        this.store.readEvent(snapshot.checkpoint)?.eventId !== snapshot.checkpointEventId
      ) {
        this.log('Saved read models belong to another history of this store; rebuilding from position 0.');
        return false;
      }
      this.states = new Map(names.map((n) => [n, snapshot.states[n]]));
      this.checkpointPosition = snapshot.checkpoint;
      this.checkpointEventId = snapshot.checkpointEventId;
      this.faultsByName = new Map(
        Object.entries(snapshot.faults ?? {}).filter(
          ([name, f]) => names.includes(name) && typeof f?.position === 'number' && typeof f.error === 'string',
        ),
      );
      this.bases = (Array.isArray(snapshot.replayBases) ? snapshot.replayBases : [])
        .filter(
          (b) =>
            typeof b?.position === 'number' &&
            b.position <= snapshot.checkpoint &&
            names.every((n) => n in (b.states ?? {})),
        )
        .map((b) => ({ position: b.position, states: new Map(names.map((n) => [n, b.states[n]])) }));
      return true;
    } catch (e) {
      this.log(
        `Saved read models ${this.snapshotFile} could not be read (${(e as Error).message}): set aside, rebuilding from position 0.`,
      );
      return false;
    }
  }
}
