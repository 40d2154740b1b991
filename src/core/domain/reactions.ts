import type { CartState } from './cart';
import type { Message } from './decider';
import { MAX_NOTICE_LENGTH, type ReleaseStock, type ReserveStock, type NotifyCustomer } from './inventory';

/** The event a reaction sees: what happened, and on which stream. */
export interface ReactionEvent extends Message {
  readonly streamId: string;
}

/** What a reaction may read while deciding: the write-model state of a stream (never the read models). */
export interface ReactionContext {
  stateOf(streamId: string): unknown;
}

/** A command a reaction issued that the write model refused, with the commands it had issued before it. */
export interface ReactionRefusal {
  readonly command: Message;
  readonly reason: string;
  /** Commands of the same reaction that were accepted before the refusal, in order. */
  readonly accepted: readonly Message[];
}

/**
 * A reaction (a process manager): it listens to some event types and answers with commands to
 * aggregates. Its commands run one after another; at the first refusal the rest are dropped and
 * `onRefused` may answer with compensating commands (undo what was accepted, tell someone).
 */
export interface ReactionDefinition {
  /** Shown to people: "Stock reservation". */
  readonly name: string;
  readonly description?: string;
  /** The event types it reacts to. */
  readonly eventTypes: readonly string[];
  /** The command types it may issue, compensations included (drawn in the event model). */
  readonly commandTypes: readonly string[];
  react(event: ReactionEvent, context: ReactionContext): Message[];
  onRefused?(refusal: ReactionRefusal, event: ReactionEvent): Message[];
}

/**
 * The shop's order process: a confirmed cart reserves each of its products; when one product is
 * short, the products already reserved are released and the customer is told why.
 */
export const stockReservation: ReactionDefinition = {
  name: 'Stock reservation',
  description:
    'A confirmed cart reserves its products; when one is short, the others are released and the customer told.',
  eventTypes: ['CartConfirmed'],
  commandTypes: ['ReserveStock', 'ReleaseStock', 'NotifyCustomer'],
  react(event, context) {
    const cartId = (event.data as { cartId?: unknown }).cartId;
    if (typeof cartId !== 'string') return [];
    const cart = context.stateOf(event.streamId) as CartState | undefined;
    return Object.entries(cart?.lines ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([productId, line]): ReserveStock => ({
        type: 'ReserveStock',
        data: { productId, quantity: line.quantity, cartId },
      }));
  },
  onRefused(refusal, event) {
    const cartId = (event.data as { cartId: string }).cartId;
    const release = refusal.accepted
      .filter((c): c is ReserveStock => c.type === 'ReserveStock')
      .map((c): ReleaseStock => ({ type: 'ReleaseStock', data: { productId: c.data.productId, cartId } }));
    const message = `Your order could not be reserved: ${refusal.reason}`.slice(0, MAX_NOTICE_LENGTH);
    const notify: NotifyCustomer = {
      type: 'NotifyCustomer',
      data: { cartId, message },
    };
    return [...release, notify];
  },
};

export const builtInReactions: readonly ReactionDefinition[] = [stockReservation];
