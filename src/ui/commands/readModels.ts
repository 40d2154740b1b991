import * as vscode from 'vscode';
import { markDone, WalkthroughDone } from '../walkthroughProgress';
import { boundary, registerCommand, type CommandContext } from './boundary';

async function rebuildReadModels(ctx: CommandContext): Promise<number> {
  const session = await ctx.controller.get();
  const position = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Rebuilding read models from position 0…' },
    () => session.rebuildReadModelsInSlices(),
  );
  const message = `Rebuilt ${session.projections.length} read models from position 0 by replaying ${position} events.`;
  ctx.log.info(message);
  markDone(WalkthroughDone.readModelsRebuilt);
  void vscode.window.showInformationMessage(message);
  return position;
}

export function registerReadModelCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    registerCommand('eventStore.rebuildReadModels', () =>
      boundary(ctx, 'Rebuild Read Models', () => rebuildReadModels(ctx)),
    ),
  ];
}
