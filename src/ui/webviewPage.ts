import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as vscode from 'vscode';

/** What every webview page of the extension is built from. */
export interface WebviewPage {
  /** Fresh for each page: only scripts carrying it run. */
  readonly nonce: string;
  /** Nothing but the extension's own styles, images and fonts, and scripts with the nonce. */
  readonly csp: string;
  /** The webview URI of a file of the extension, e.g. asset('media', 'replay.css'). */
  asset(...segments: string[]): string;
}

export function webviewPage(webview: vscode.Webview, extensionUri: vscode.Uri): WebviewPage {
  const nonce = randomBytes(18).toString('base64');
  const csp = [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `img-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
  ].join('; ');
  return {
    nonce,
    csp,
    asset: (...segments) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...segments)).toString(),
  };
}

/**
 * A page from an HTML template in media/: `{{csp}}`, `{{nonce}}`, `{{baseCss}}` (media/base.css, which
 * every page shares), `{{css}}` and `{{script}}` filled in,
 * and any `extra` placeholders (their values must be text the extension chose, never event data).
 */
export function templatePage(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  files: { readonly html: string; readonly css: string; readonly script: string },
  extra: Readonly<Record<string, string>> = {},
): string {
  const page = webviewPage(webview, extensionUri);
  let html = fs
    .readFileSync(vscode.Uri.joinPath(extensionUri, 'media', files.html).fsPath, 'utf8')
    .replaceAll('{{csp}}', page.csp)
    .replaceAll('{{nonce}}', page.nonce);
  for (const [key, value] of Object.entries(extra)) html = html.replaceAll(`{{${key}}}`, value);
  return html
    .replaceAll('{{baseCss}}', page.asset('media', 'base.css'))
    .replaceAll('{{css}}', page.asset('media', files.css))
    .replaceAll('{{script}}', page.asset('dist', files.script));
}
