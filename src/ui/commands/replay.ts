import type * as vscode from 'vscode';
import { ReplayPanel } from '../replayPanel';
import { registerCommand, type CommandContext } from './boundary';

export function registerReplayCommands(ctx: CommandContext): vscode.Disposable[] {
  const { context, controller, log } = ctx;
  return [
    registerCommand('eventStore.openReplay', (position?: unknown) => {
      ReplayPanel.show(context, controller, log, typeof position === 'number' ? position : undefined);
    }),
    registerCommand('eventStore.replayFromHere', (node?: { event?: { globalPosition?: unknown } }) => {
      const position = node?.event?.globalPosition;
      ReplayPanel.show(context, controller, log, typeof position === 'number' ? position : undefined);
    }),
  ];
}
