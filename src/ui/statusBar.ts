import * as vscode from 'vscode';
import { formatOf, isForeignStore } from '../core/formats/storeReader';
import { Disposable } from './disposable';
import type { StoreController } from './storeController';

/** "$(database) 42 events": the size of the store, one click from the replay. */
export class StoreStatusBar extends Disposable {
  private readonly item = this.register(
    vscode.window.createStatusBarItem('eventStore.status', vscode.StatusBarAlignment.Left, 10),
  );

  constructor(private readonly controller: StoreController) {
    super();
    this.item.name = 'Event Store';
    this.item.command = 'eventStore.openReplay';
    this.register(controller.onDidAppend(() => this.update()));
    this.register(controller.onDidOpen(() => this.update()));
    this.update();
    this.item.show();
  }

  private update(): void {
    const session = this.controller.session;
    if (!session) {
      const error = this.controller.error;
      this.item.text = error ? '$(error) Event store' : '$(database) Event store';
      this.item.tooltip = error ? error.message : 'Opening the event store…';
      return;
    }
    const store = session.store;
    const foreign = isForeignStore(store) ? formatOf(store) : undefined;
    const count = foreign ? store.stats().events : store.lastPosition();
    this.item.text = `$(database) ${count} event${count === 1 ? '' : 's'}${foreign ? ` · ${foreign.name}${store.readOnly ? '' : ' team store'}` : ''}${store.readOnly ? ' (read-only)' : ''}`;
    this.item.tooltip = foreign
      ? `${foreign.name} store ${store.path ?? ''} (${foreign.generation}), ${store.readOnly ? 'opened read-only: it is never modified' : 'the team store: commands here append to it'}. ${count} events. Click to open the replay; "Event Store: Close Store" goes back to the workspace store.`
      : `Event store ${store.path ?? '(in memory)'}: ${count} events. Click to open the replay.`;
  }
}
