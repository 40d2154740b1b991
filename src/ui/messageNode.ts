import * as vscode from 'vscode';

/** A row of any tree that only says something: empty, not opened, more not shown. */
export interface MessageNode {
  readonly kind: 'message';
  readonly text: string;
  readonly detail?: string;
  /** A codicon name; "info" when not given. */
  readonly icon?: string;
}

export const messageNode = (text: string, detail?: string, icon?: string): MessageNode => ({
  kind: 'message',
  text,
  ...(detail === undefined ? {} : { detail }),
  ...(icon === undefined ? {} : { icon }),
});

/** The row every tree shows at its root when the store cannot be opened. */
export const storeNotOpened = (reason: string): MessageNode =>
  messageNode('The event store could not be opened', reason, 'error');

export function messageTreeItem(node: MessageNode): vscode.TreeItem {
  const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
  item.description = node.detail;
  item.tooltip = node.detail;
  item.iconPath = new vscode.ThemeIcon(node.icon ?? 'info');
  return item;
}
