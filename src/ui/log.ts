import * as vscode from 'vscode';

/** The "Event Store" output channel: every unexpected error is written here with its detail. */
export function createLog(): vscode.LogOutputChannel {
  return vscode.window.createOutputChannel('Event Store', { log: true });
}
