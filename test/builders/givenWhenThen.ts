import * as assert from 'node:assert/strict';
import type { Decider, Message } from '../../src/core/domain/decider';
import { fold } from '../../src/core/domain/decider';

/**
 * Given/When/Then over a decider: given past events, when a command, then the new events
 * (or the error the command is rejected with).
 */
export function given<C extends Message, E extends Message, S>(decider: Decider<C, E, S>, events: readonly E[] = []) {
  return {
    when(command: C) {
      const run = () => decider.decide(command, fold(decider, events));
      return {
        then(expected: readonly E[]): void {
          assert.deepEqual(run(), expected);
        },
        thenRejects(errorName: string, message: RegExp): void {
          assert.throws(run, (e: Error) => {
            assert.equal(e.name, errorName);
            assert.match(e.message, message);
            return true;
          });
        },
      };
    },
  };
}
