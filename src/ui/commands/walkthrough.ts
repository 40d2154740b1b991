import * as vscode from 'vscode';
import { followStore } from '../walkthroughProgress';
import { registerCommand, type CommandContext } from './boundary';

export const WALKTHROUGH_ID = 'learn';

export function registerWalkthroughCommands(ctx: CommandContext): vscode.Disposable[] {
  const id = `${ctx.context.extension.id}#${WALKTHROUGH_ID}`;
  if (vscode.workspace.getConfiguration('eventStore').get<boolean>('walkthrough.openOnStartup')) {
    void vscode.commands.executeCommand('workbench.action.openWalkthrough', id, false);
  }
  return [
    ...followStore(ctx.controller),
    registerCommand('eventStore.openWalkthrough', () =>
      vscode.commands.executeCommand('workbench.action.openWalkthrough', id, false),
    ),
  ];
}
