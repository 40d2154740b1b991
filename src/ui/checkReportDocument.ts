import * as vscode from 'vscode';
import { checkReport, type CheckReportInput, type ReportLink } from '../core/formats/checkReport';

export const CHECK_SCHEME = 'eventstore-check';

/**
 * Check Store's report as a read-only document, with a "Show in Replay" lens above each finding
 * that names an event. Reports are kept in memory, by URI, for as long as the window lives.
 */
export class CheckReportDocuments implements vscode.TextDocumentContentProvider, vscode.CodeLensProvider {
  private readonly reports = new Map<string, { text: string; links: ReportLink[] }>();
  private count = 0;

  /** Writes the report and returns the URI that shows it. */
  add(input: CheckReportInput): vscode.Uri {
    this.count += 1;
    const uri = vscode.Uri.from({
      scheme: CHECK_SCHEME,
      path: `/Check Store - ${input.storeName.replace(/[/\\]/g, '_')}.txt`,
      query: String(this.count),
    });
    this.reports.set(uri.toString(), checkReport(input));
    return uri;
  }

  linksOf(uri: vscode.Uri): readonly ReportLink[] {
    return this.reports.get(uri.toString())?.links ?? [];
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.reports.get(uri.toString())?.text ?? 'This report is no longer available: run Check Store again.\n';
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    return this.linksOf(document.uri).map(
      (link) =>
        new vscode.CodeLens(new vscode.Range(link.line, 0, link.line, 0), {
          title: `Show in Replay (event #${link.position})`,
          command: 'eventStore.replayFromHere',
          arguments: [{ event: { globalPosition: link.position } }],
        }),
    );
  }

  register(): vscode.Disposable[] {
    return [
      vscode.workspace.registerTextDocumentContentProvider(CHECK_SCHEME, this),
      vscode.languages.registerCodeLensProvider({ scheme: CHECK_SCHEME }, this),
    ];
  }
}
