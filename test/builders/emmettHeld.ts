import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';

/** A promise with its resolve, to hold a transaction open until the test lets it go. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/**
 * Emmett's own store, holding its transaction open while it appends a `Held` event: an inline
 * projection that waits runs before the commit. `reached` opens once the position is taken;
 * opening `held` lets it commit.
 */
export function emmettHoldingHeld(url: string) {
  const held = gate();
  const reached = gate();
  const slow = getPostgreSQLEventStore(url, {
    projections: [
      {
        type: 'inline',
        projection: {
          canHandle: ['Held'],
          handle: async () => {
            reached.open();
            await held.promise;
          },
        },
      },
    ] as never,
  });
  return { held, reached, slow };
}
