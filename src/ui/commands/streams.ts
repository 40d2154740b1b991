import * as vscode from 'vscode';
import { eventUri } from '../eventDocument';
import { boundary, registerCommand, type CommandContext } from './boundary';

/** Opens one event as a read-only JSON document. */
async function openEvent(ctx: CommandContext, position: unknown): Promise<void> {
  if (typeof position !== 'number') return;
  const session = await ctx.controller.get();
  const event = session.store.readEvent(position);
  if (!event) throw new Error(`There is no event at position ${position}.`);
  const doc = await vscode.workspace.openTextDocument(
    eventUri(event.streamId, event.streamVersion, event.globalPosition),
  );
  await vscode.languages.setTextDocumentLanguage(doc, 'json');
  await vscode.window.showTextDocument(doc, { preview: true });
}

/** The commands of the Streams view: open an event, load more rows, pick up new events. */
export function registerStreamsCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    registerCommand('eventStore.openEvent', (position?: unknown) =>
      boundary(ctx, 'Open Event', () => openEvent(ctx, position)),
    ),
    registerCommand('eventStore.loadMore', (node?: { parent?: unknown }) => {
      if (node && typeof node.parent === 'string') ctx.streamsTree.loadMore({ parent: node.parent });
    }),
    registerCommand('eventStore.refresh', () =>
      boundary(ctx, 'Refresh', async () => {
        await (await ctx.controller.get()).refresh();
        ctx.streamsTree.refresh();
      }),
    ),
  ];
}
