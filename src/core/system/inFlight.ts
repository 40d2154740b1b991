/**
 * Positions in flight versus real gaps. A store that numbers events from a sequence (PostgreSQL)
 * hands out a position when a transaction inserts, and the row becomes visible when it commits:
 * a later position can commit first. A reader that remembers "last seen 42" and asks for more
 * never sees 41 when it commits afterwards. Missing positions are therefore of two kinds: still
 * in flight (wait for them) and gaps (a rolled-back transaction took the number; nothing will come).
 */

/** What a reader knows about open transactions when it read. */
export interface InFlightEvidence {
  /** Transactions writing to the store that were still open when the positions were read. */
  readonly openTransactions: number;
  /** Positions known to be held by open transactions, when the reader can tell. */
  readonly heldPositions?: readonly number[];
  /**
   * No open transaction can still commit a position below this one: e.g. the lowest position any
   * open transaction holds, or (Emmett's PostgreSQL store) one past the highest position whose
   * transaction id is below the snapshot's xmin, or, after waiting for every transaction that was
   * open at the first read, one past the last position read then.
   */
  readonly settledBelow?: number;
}

export interface MissingPositions {
  /** Missing positions an open transaction may still commit: read them again later. */
  readonly inFlight: readonly number[];
  /** Missing positions nothing will fill: the number was taken by a transaction that rolled back. */
  readonly gaps: readonly number[];
}

/**
 * Classifies the positions missing from `read` between `from` and `to` (default: 1 and the
 * highest position read; pass the sequence's last value as `to` to include the tail).
 */
export function classifyMissingPositions(
  read: Iterable<number>,
  evidence: InFlightEvidence,
  range: { readonly from?: number; readonly to?: number } = {},
): MissingPositions {
  const seen = new Set<number>();
  let highest = 0;
  for (const p of read) {
    seen.add(p);
    if (p > highest) highest = p;
  }
  const from = range.from ?? 1;
  const to = range.to ?? highest;
  const held = new Set(evidence.heldPositions ?? []);
  const inFlight: number[] = [];
  const gaps: number[] = [];
  for (let p = from; p <= to; p++) {
    if (seen.has(p)) continue;
    const open =
      held.has(p) ||
      (evidence.openTransactions > 0 &&
        held.size === 0 &&
        (evidence.settledBelow === undefined || p >= evidence.settledBelow));
    (open ? inFlight : gaps).push(p);
  }
  return { inFlight, gaps };
}

// ---------------------------------------------------------------------------------------------
// The simulation: two appenders, one sequence, and two readers that poll.

interface Transaction {
  readonly name: string;
  readonly position: number;
  committed: boolean;
}

/** A table numbered by a sequence: a position is taken at insert and visible at commit. */
export class SimulatedLog {
  private next: number;
  private readonly transactions: Transaction[] = [];
  constructor(firstPosition = 1) {
    this.next = firstPosition;
  }
  /** A transaction inserts one event: it takes the next position, visible to nobody yet. */
  begin(name: string): number {
    const position = this.next++;
    this.transactions.push({ name, position, committed: false });
    return position;
  }
  commit(name: string): void {
    const t = this.transactions.find((x) => x.name === name && !x.committed);
    if (!t) throw new Error(`No open transaction named ${name}.`);
    t.committed = true;
  }
  /** Committed positions, in order: what a query sees. */
  visible(): number[] {
    return this.transactions
      .filter((t) => t.committed)
      .map((t) => t.position)
      .sort((a, b) => a - b);
  }
  /** The lowest position an open transaction holds (what Emmett reads as the snapshot's xmin). */
  lowestInFlight(): number | undefined {
    const open = this.transactions.filter((t) => !t.committed).map((t) => t.position);
    return open.length > 0 ? Math.min(...open) : undefined;
  }
  inFlight(): number[] {
    return this.transactions
      .filter((t) => !t.committed)
      .map((t) => t.position)
      .sort((a, b) => a - b);
  }
}

export interface PollingReader {
  readonly name: string;
  readonly lastSeen: number;
  readonly seen: readonly number[];
  poll(log: SimulatedLog): number[];
}

/** Asks for everything after the last position it saw. */
export class NaiveReader implements PollingReader {
  readonly name = 'naive reader';
  lastSeen: number;
  readonly seen: number[] = [];
  constructor(lastSeen = 0) {
    this.lastSeen = lastSeen;
  }
  poll(log: SimulatedLog): number[] {
    const fresh = log.visible().filter((p) => p > this.lastSeen);
    this.seen.push(...fresh);
    if (fresh.length > 0) this.lastSeen = fresh[fresh.length - 1]!;
    return fresh;
  }
}

/**
 * Reads only below the lowest position still in flight, as Emmett's PostgreSQL store does with
 * transaction ids (`transaction_id < pg_snapshot_xmin(pg_current_snapshot())`): what it has not
 * read yet can no longer be overtaken.
 */
export class CarefulReader implements PollingReader {
  readonly name = 'careful reader';
  lastSeen: number;
  readonly seen: number[] = [];
  constructor(lastSeen = 0) {
    this.lastSeen = lastSeen;
  }
  poll(log: SimulatedLog): number[] {
    const limit = log.lowestInFlight() ?? Number.POSITIVE_INFINITY;
    const fresh = log.visible().filter((p) => p > this.lastSeen && p < limit);
    this.seen.push(...fresh);
    if (fresh.length > 0) this.lastSeen = fresh[fresh.length - 1]!;
    return fresh;
  }
}

export interface SimulationStep {
  readonly title: string;
  /** What happened, in one sentence. */
  readonly detail: string;
  readonly committed: readonly number[];
  readonly inFlight: readonly number[];
  readonly naive: { readonly got: readonly number[]; readonly lastSeen: number };
  readonly careful: { readonly got: readonly number[]; readonly lastSeen: number };
}

export interface SimulationResult {
  readonly steps: readonly SimulationStep[];
  /** Positions committed that the naive reader never saw. */
  readonly naiveLost: readonly number[];
  readonly carefulLost: readonly number[];
}

/**
 * Two appenders take positions `first` and `first + 1` (41 and 42 by default); the second
 * commits first; both readers poll between every move. The naive reader loses `first`.
 */
export function simulateInFlightCommits(first = 41): SimulationResult {
  const log = new SimulatedLog(first - 1);
  log.begin('earlier');
  log.commit('earlier'); // everything up to first - 1 is committed and read by both
  const naive = new NaiveReader();
  const careful = new CarefulReader();
  const steps: SimulationStep[] = [];
  const move = (title: string, detail: string) => {
    const got = { naive: naive.poll(log), careful: careful.poll(log) };
    steps.push({
      title,
      detail,
      committed: log.visible(),
      inFlight: log.inFlight(),
      naive: { got: got.naive, lastSeen: naive.lastSeen },
      careful: { got: got.careful, lastSeen: careful.lastSeen },
    });
  };
  move('Both readers are up to date', `Every position up to ${first - 1} is committed and read.`);
  log.begin('A');
  move(
    `Appender A takes ${first}`,
    `A inserts its event: the sequence gives it position ${first}; A has not committed.`,
  );
  log.begin('B');
  move(`Appender B takes ${first + 1}`, `B inserts its event at position ${first + 1}; neither has committed.`);
  log.commit('B');
  move(
    `B commits ${first + 1} first`,
    `${first + 1} is visible, ${first} is not. The naive reader reads ${first + 1} and remembers it; the careful one waits below ${first}.`,
  );
  log.commit('A');
  move(
    `A commits ${first}`,
    `${first} is visible now, but the naive reader only asks for positions after ${first + 1}: it never sees ${first}.`,
  );
  move('Both readers poll again', `The careful reader has every event; the naive one has lost ${first} for good.`);
  const all = log.visible();
  return {
    steps,
    naiveLost: all.filter((p) => p >= first && !naive.seen.includes(p)),
    carefulLost: all.filter((p) => p >= first && !careful.seen.includes(p)),
  };
}

const list = (positions: readonly number[]) => (positions.length ? positions.join(', ') : '—');

/** The simulation told step by step, as Markdown. */
export function describeSimulation(result: SimulationResult): string {
  const out = [
    '# In-flight commits',
    '',
    'Two appenders write to a store that numbers events from a sequence, as PostgreSQL does. A position',
    'is taken when a transaction inserts; the event becomes visible when it commits.',
    '',
  ];
  result.steps.forEach((step, i) => {
    out.push(`## ${i + 1}. ${step.title}`, '', step.detail, '');
    out.push('| | Positions |', '| --- | --- |');
    out.push(`| Committed (visible) | ${list(step.committed)} |`);
    out.push(`| In flight (taken, not committed) | ${list(step.inFlight)} |`);
    out.push(`| Naive reader got | ${list(step.naive.got)} (last seen ${step.naive.lastSeen}) |`);
    out.push(`| Careful reader got | ${list(step.careful.got)} (last seen ${step.careful.lastSeen}) |`, '');
  });
  out.push(
    '## What was lost',
    '',
    `- The naive reader lost: ${list(result.naiveLost)}.`,
    `- The careful reader lost: ${list(result.carefulLost)}.`,
    '',
    '## How real stores avoid it',
    '',
    "- **Emmett's PostgreSQL store** keeps each event's transaction id and reads only events whose",
    '  transaction is older than every transaction still running',
    '  (`transaction_id < pg_snapshot_xmin(pg_current_snapshot())`): what it has not read yet can no',
    '  longer be overtaken — the careful reader above.',
    "- **This extension's own store** appends under a lock held from taking the position to committing",
    '  it: positions are handed out in commit order, so a reader never sees 42 before 41 and there is',
    '  nothing in flight to wait for.',
    '- **Checking a store**: a missing position is *in flight* while a transaction that may still',
    '  commit it is open, and a *gap* otherwise (a rolled-back transaction took the number).',
    '',
  );
  return out.join('\n');
}
