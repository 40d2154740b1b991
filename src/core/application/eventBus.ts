import type { RecordedEvent } from '../eventStore/types';

export type EventHandler = (events: readonly RecordedEvent[]) => void | Promise<void>;

export interface Subscription {
  dispose(): void;
}

export interface Delivery {
  readonly subscriber: string;
  readonly error?: Error;
}

/**
 * The in-process message broker: every appended event is published once, in global order,
 * to every subscriber. A failing subscriber is reported and does not stop the others.
 */
export class EventBus {
  private readonly subscribers = new Map<number, { name: string; handler: EventHandler }>();
  private nextId = 1;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly onError: (subscriber: string, error: Error) => void = () => undefined) {}

  subscribe(name: string, handler: EventHandler): Subscription {
    const id = this.nextId++;
    this.subscribers.set(id, { name, handler });
    return { dispose: () => void this.subscribers.delete(id) };
  }

  get subscriberNames(): string[] {
    return [...this.subscribers.values()].map((s) => s.name);
  }

  /** Delivers in publish order: a second publish waits until every subscriber has seen the first. */
  publish(events: readonly RecordedEvent[]): Promise<Delivery[]> {
    const run = this.queue.then(() => this.deliver(events));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async deliver(events: readonly RecordedEvent[]): Promise<Delivery[]> {
    if (events.length === 0) return [];
    const deliveries: Delivery[] = [];
    for (const { name, handler } of [...this.subscribers.values()]) {
      try {
        await handler(events);
        deliveries.push({ subscriber: name });
      } catch (e) {
        const error = e instanceof Error ? e : new Error(String(e));
        this.onError(name, error);
        deliveries.push({ subscriber: name, error });
      }
    }
    return deliveries;
  }
}
