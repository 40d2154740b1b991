import * as vscode from 'vscode';
import type { CommandLogEntry } from '../../core/application/commandLog';
import { boundary, registerCommand, showEntry, type CommandContext } from './boundary';

/** Explains a command of the Command Log (by id), or the last one. */
async function showCommandLogEntry(ctx: CommandContext, id: unknown): Promise<CommandLogEntry | undefined> {
  const session = await ctx.controller.get();
  const entry = typeof id === 'string' ? session.commandLog.find(id) : session.commandLog.last();
  if (!entry) {
    void vscode.window.showInformationMessage(
      'No command yet: issue one (for example "Event Store: Add Item to Cart") and it shows up in the Command Log.',
    );
    return undefined;
  }
  await showEntry(entry);
  return entry;
}

/** The logs: the Command Log's explanations and the "Event Store" output. */
export function registerLogCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    registerCommand('eventStore.showCommandLogEntry', (id?: unknown) =>
      boundary(ctx, 'Explain Command', () => showCommandLogEntry(ctx, id)),
    ),
    registerCommand('eventStore.showLog', () => ctx.log.show()),
  ];
}
