import * as vscode from 'vscode';
import type { StoreController } from './storeController';

export const EVENT_SCHEME = 'eventstore-event';

/** A read-only document per event: `eventstore-event:/<stream>/<version>.json?<position>`. */
export function eventUri(streamId: string, streamVersion: number, globalPosition: number): vscode.Uri {
  return vscode.Uri.from({
    scheme: EVENT_SCHEME,
    path: `/${encodeURIComponent(streamId)}/v${streamVersion}.json`,
    query: String(globalPosition),
  });
}

/** Serves events as pretty JSON; a content provider's documents cannot be edited, so the store stays append-only. */
export class EventDocumentProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly controller: StoreController) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const position = Number(uri.query);
    if (!Number.isSafeInteger(position) || position < 1) return `// Not an event address: ${uri.toString()}`;
    const session = await this.controller.get();
    const event = session.store.readEvent(position);
    if (!event) return `// No event at position ${position} in this store.`;
    return `${JSON.stringify(event, null, 2)}\n`;
  }
}
