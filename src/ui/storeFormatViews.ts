import * as vscode from 'vscode';
import { formatOf, isForeignStore } from '../core/formats/storeReader';
import { Disposable } from './disposable';
import type { StoreController } from './storeController';

/** "Emmett SQLite (…) · read-only": which store the views show, in their title bars; and a context key for menus. */
export function storeFormatLabel(controller: StoreController): string | undefined {
  const store = controller.session?.store;
  if (!store || !isForeignStore(store)) return store?.readOnly ? 'read-only' : undefined;
  const format = formatOf(store);
  return `${format.name}, ${format.generation} · ${store.readOnly ? 'read-only' : 'team store'}`;
}

/** Keeps the views' descriptions and the `eventStore.foreignStore` context key in step with the open store. */
export class StoreFormatViews extends Disposable {
  constructor(
    private readonly controller: StoreController,
    private readonly views: readonly vscode.TreeView<unknown>[],
  ) {
    super();
    this.register(controller.onDidOpen(() => this.update()));
    this.update();
  }

  private update(): void {
    const store = this.controller.session?.store;
    const label = storeFormatLabel(this.controller);
    for (const view of this.views) view.description = label;
    void vscode.commands.executeCommand(
      'setContext',
      'eventStore.foreignStore',
      store !== undefined && isForeignStore(store),
    );
  }
}
