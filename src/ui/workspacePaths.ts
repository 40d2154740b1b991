import * as path from 'node:path';
import * as vscode from 'vscode';

/** The first workspace folder when it is on disk (the store and the domain module live there). */
function folderOnDisk(): vscode.WorkspaceFolder | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0];
  return folder && folder.uri.scheme === 'file' ? folder : undefined;
}

/** A path from a setting: absolute as it is, else relative to the first workspace folder; none without a folder. */
export function resolveInWorkspace(configured: string): string | undefined {
  if (path.isAbsolute(configured)) return configured;
  const folder = folderOnDisk();
  return folder ? path.join(folder.uri.fsPath, configured) : undefined;
}

/** The inverse, for writing a setting: relative (with "/") inside the first workspace folder, else absolute. */
export function settingPathFor(file: string): string {
  const folder = folderOnDisk();
  const relative = folder ? path.relative(folder.uri.fsPath, file) : undefined;
  return relative !== undefined && !relative.startsWith('..') ? relative.split(path.sep).join('/') : file;
}
