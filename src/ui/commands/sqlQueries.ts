import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_QUERY_LIMIT, QueryError, type QuerySource } from '../../core/query/querySource';
import { EVENTS_VIEW_COLUMNS, STREAMS_VIEW_COLUMNS } from '../../core/query/queryViews';
import { WorkerQuerySource } from '../../core/query/workerQuerySource';
import type { EventStore } from '../../core/eventStore/types';
import { PostgresStore } from '../../core/formats/postgres/postgresStore';
import { PostgresQuerySource } from '../../core/query/postgresQuery';
import { QueryResultsPanel } from '../queryResultsPanel';
import { boundary, registerCommand, type CommandContext } from './boundary';

/** Saved queries live here, in the first workspace folder. */
const QUERIES_FOLDER = path.join('.eventstore', 'queries');
/** The query worker holds a copy of the store: it is let go after this long without a query. */
const IDLE_WORKER_MS = 5 * 60_000;
const QUERY_FILES: vscode.DocumentFilter = { pattern: '**/.eventstore/queries/**/*.sql' };

const TEMPLATE = `-- One read-only statement over the views
--   events(${EVENTS_VIEW_COLUMNS.join(', ')})
--   streams(${STREAMS_VIEW_COLUMNS.join(', ')})
-- data and metadata are JSON: data->>'sku' reads a field. Run it with "Run Query" above.
-- The SQL is SQLite's on a store file, e.g. json_extract(data, '$.lines[0].sku'), strftime('%Y', recorded_at);
-- PostgreSQL's on a PostgreSQL store, e.g. data->'lines'->0->>'sku', (data->>'qty')::int, recorded_at::timestamptz.
-- A result row with a position opens in the Event Replay.
SELECT type, count(*) AS events, max(position) AS last_position
FROM events
GROUP BY type
ORDER BY events DESC;
`;

function nextQueryFile(folder: string): string {
  for (let n = 1; ; n++) {
    const file = path.join(folder, `query-${n}.sql`);
    if (!fs.existsSync(file)) return file;
  }
}

/** The first line of the query that says something, for the results' title. */
function titleOf(sql: string): string {
  const line = sql.split('\n').find((l) => l.trim() !== '' && !l.trim().startsWith('--')) ?? sql;
  return line.trim().slice(0, 200);
}

/** "Run Query" above every saved query. */
class RunQueryLens implements vscode.CodeLensProvider {
  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    return [
      new vscode.CodeLens(new vscode.Range(0, 0, 0, 0), {
        title: '$(play) Run Query',
        tooltip: 'Run this query, read-only, against the event store',
        command: 'eventStore.runQuery',
        arguments: [document.uri],
      }),
    ];
  }
}

/**
 * Runs queries from the editor: one at a time, in a worker with its own read-only copy of the
 * store, the rows in the Query Results panel; a SQLite error marks its line and column in the editor.
 */
class QueryRunner implements vscode.Disposable {
  private source: QuerySource | undefined;
  private sourcePath: string | undefined;
  private running: AbortController | undefined;
  readonly diagnostics = vscode.languages.createDiagnosticCollection('eventStore.query');

  constructor(private readonly ctx: CommandContext) {}

  /**
   * A store file: a worker with its own copy. A PostgreSQL store: its server, on a connection per
   * query made from the store's own target (the password stays in this process, from secret storage).
   */
  private sourceFor(store: EventStore): QuerySource {
    const key = store.path;
    if (!key) throw new Error('this store lives in memory only; queries read a store file');
    if (this.source && this.sourcePath === key) return this.source;
    void this.source?.close();
    this.sourcePath = key;
    if (store instanceof PostgresStore)
      return (this.source = new PostgresQuerySource({ ...store.target, schema: store.schema }));
    return (this.source = new WorkerQuerySource(key, { idleMs: IDLE_WORKER_MS }));
  }

  cancel(): void {
    this.running?.abort();
  }

  async run(document: vscode.TextDocument): Promise<void> {
    const session = await this.ctx.controller.get();
    const source = this.sourceFor(session.store);
    const sql = document.getText();
    this.diagnostics.delete(document.uri);
    this.running?.abort();
    const controller = (this.running = new AbortController());
    const panel = QueryResultsPanel.show(this.ctx.context, this.ctx.log, {
      cancel: () => this.cancel(),
      openReplay: (position) => void vscode.commands.executeCommand('eventStore.openReplay', position),
    });
    const title = titleOf(sql);
    panel.running(title);
    try {
      const result = await source.run(sql, {
        limit: DEFAULT_QUERY_LIMIT,
        signal: controller.signal,
      });
      this.ctx.log.info(`Query ran in ${result.elapsedMs.toFixed(1)} ms: ${result.rows.length} rows. ${title}`);
      panel.result({ ...result, limit: DEFAULT_QUERY_LIMIT, title });
    } catch (e) {
      if (!QueryError.is(e)) {
        panel.failed(`The query failed: ${(e as Error)?.message ?? String(e)}`, false);
        throw e;
      }
      panel.failed(e.message, e.code === 'cancelled');
      if (e.line !== undefined && e.column !== undefined) this.mark(document, e);
      if (e.code !== 'cancelled') this.ctx.log.info(`Query refused: ${e.message}`);
    } finally {
      if (this.running === controller) this.running = undefined;
    }
  }

  private mark(document: vscode.TextDocument, e: QueryError): void {
    const line = Math.min(e.line! - 1, document.lineCount - 1);
    const start = new vscode.Position(line, Math.max(0, e.column! - 1));
    const word = document.getWordRangeAtPosition(start);
    const range = word ?? new vscode.Range(start, start.translate(0, 1));
    const diagnostic = new vscode.Diagnostic(range, e.message, vscode.DiagnosticSeverity.Error);
    diagnostic.source = 'Event Store query';
    this.diagnostics.set(document.uri, [diagnostic]);
  }

  dispose(): void {
    this.running?.abort();
    void this.source?.close();
    this.diagnostics.dispose();
  }
}

export function registerSqlQueryCommands(ctx: CommandContext): vscode.Disposable[] {
  const runner = new QueryRunner(ctx);
  return [
    runner,
    vscode.languages.registerCodeLensProvider(QUERY_FILES, new RunQueryLens()),
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.contentChanges.length > 0) runner.diagnostics.delete(e.document.uri);
    }),
    registerCommand('eventStore.newQuery', () =>
      boundary(ctx, 'New Query', async () => {
        const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file');
        let document: vscode.TextDocument;
        if (folder) {
          const dir = path.join(folder.uri.fsPath, QUERIES_FOLDER);
          fs.mkdirSync(dir, { recursive: true });
          const file = nextQueryFile(dir);
          fs.writeFileSync(file, TEMPLATE, { flag: 'wx' });
          document = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
        } else document = await vscode.workspace.openTextDocument({ language: 'sql', content: TEMPLATE });
        await vscode.window.showTextDocument(document);
      }),
    ),
    registerCommand('eventStore.runQuery', (uri?: unknown) =>
      boundary(ctx, 'Run Query', async () => {
        const document =
          uri instanceof vscode.Uri
            ? await vscode.workspace.openTextDocument(uri)
            : vscode.window.activeTextEditor?.document;
        if (!document) {
          void vscode.window.showWarningMessage('Run Query: open a query first (Event Store: New Query).');
          return;
        }
        await runner.run(document);
      }),
    ),
    registerCommand('eventStore.cancelQuery', () => runner.cancel()),
  ];
}
