import * as vscode from 'vscode';
import type { StoreSession } from '../../core/application/session';
import { registerCommand, type CommandContext } from './boundary';

export const WALKTHROUGH_ID = 'learn';
/** Context keys the walkthrough completes its steps on. */
export const REJECTION_SEEN = 'eventStore.rejectedCommandSeen';

/** The walkthrough's "rejected command" step completes on the first refusal the person sees. */
function followRefusals(ctx: CommandContext): vscode.Disposable[] {
  let logListener: { dispose(): void } | undefined;
  const follow = (session: StoreSession | undefined) => {
    logListener?.dispose();
    logListener = session?.commandLog.onDidRecord((entry) => {
      if (entry.outcome !== 'accepted') void vscode.commands.executeCommand('setContext', REJECTION_SEEN, true);
    });
  };
  const opened = ctx.controller.onDidOpen(follow);
  if (ctx.controller.session) follow(ctx.controller.session);
  return [opened, { dispose: () => logListener?.dispose() }];
}

export function registerWalkthroughCommands(ctx: CommandContext): vscode.Disposable[] {
  const id = `${ctx.context.extension.id}#${WALKTHROUGH_ID}`;
  return [
    ...followRefusals(ctx),
    registerCommand('eventStore.openWalkthrough', () =>
      vscode.commands.executeCommand('workbench.action.openWalkthrough', id, false),
    ),
  ];
}
