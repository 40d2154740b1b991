import * as vscode from 'vscode';
import { isDemoSeeding } from '../core/application/demoData';
import type { StoreSession } from '../core/application/session';
import type { StoreController } from './storeController';

/**
 * The walkthrough's steps are completed by context keys (`onContext:` in package.json) that the code
 * sets when the person has done the thing: a command accepted, a step back in the replay, a conflict
 * seen. Opening a picker or a view sets none of them, so a cancelled picker ticks nothing.
 */
export const WalkthroughDone = {
  /** The store has events (seeded here, or already there). */
  storeHasEvents: 'eventStore.hasEvents',
  commandAccepted: 'eventStore.walkthrough.commandAccepted',
  commandExplained: 'eventStore.walkthrough.commandExplained',
  /** The replay showed an event that changed two read models or more. */
  readModelsCompared: 'eventStore.walkthrough.readModelsCompared',
  questionAnswered: 'eventStore.walkthrough.questionAnswered',
  steppedBack: 'eventStore.walkthrough.steppedBack',
  readModelsRebuilt: 'eventStore.walkthrough.readModelsRebuilt',
  rejectionSeen: 'eventStore.rejectedCommandSeen',
  conflictSeen: 'eventStore.walkthrough.conflictSeen',
  domainModuleCreated: 'eventStore.walkthrough.domainModuleCreated',
  /** A reaction answered a command the person issued (not the demo seeding). */
  reactionSeen: 'eventStore.walkthrough.reactionSeen',
  /** The in-flight commits simulation ran to its end. */
  inFlightSeen: 'eventStore.walkthrough.inFlightSeen',
} as const;

export type WalkthroughKey = (typeof WalkthroughDone)[keyof typeof WalkthroughDone];

/** Marks a step as done by its context key. */
export function markDone(key: WalkthroughKey): void {
  void vscode.commands.executeCommand('setContext', key, true);
}

/**
 * Follows the open store: whether it has events (step 1 knows a store seeded before it opened), and
 * refusals and conflicts recorded in its Command Log, whichever way the command came.
 */
export function followStore(controller: StoreController): vscode.Disposable[] {
  let logListener: { dispose(): void } | undefined;
  const hasEvents = (session: StoreSession | undefined) =>
    void vscode.commands.executeCommand(
      'setContext',
      WalkthroughDone.storeHasEvents,
      (session?.store.lastPosition() ?? 0) > 0,
    );
  const follow = (session: StoreSession | undefined) => {
    hasEvents(session);
    logListener?.dispose();
    logListener = session?.commandLog.onDidRecord((entry) => {
      // The demo's own refusal (its stock reservation) happens while seeding: nobody has seen it yet.
      if (isDemoSeeding(entry)) return;
      if (entry.outcome !== 'accepted') markDone(WalkthroughDone.rejectionSeen);
      if (entry.reaction) markDone(WalkthroughDone.reactionSeen);
      if (entry.outcome === 'conflict') markDone(WalkthroughDone.conflictSeen);
    });
  };
  const opened = controller.onDidOpen(follow);
  const appended = controller.onDidAppend(() => hasEvents(controller.session));
  if (controller.session) follow(controller.session);
  return [opened, appended, { dispose: () => logListener?.dispose() }];
}
