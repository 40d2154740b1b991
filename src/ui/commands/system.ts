import * as vscode from 'vscode';
import { describeSimulation, simulateInFlightCommits } from '../../core/system/inFlight';
import type { ModelExportFormat } from '../../shared/systemProtocol';
import { CausalityPanel, EventModelPanel, exportEventModel } from '../systemPanel';
import { markDone, WalkthroughDone } from '../walkthroughProgress';
import { boundary, registerCommand, type CommandContext } from './boundary';

const SYSTEM_SCHEME = 'eventstore-system';
const IN_FLIGHT_URI = vscode.Uri.from({ scheme: SYSTEM_SCHEME, path: '/In-flight commits.md' });

/** What Show Causality can start from: an event of the Streams view, a Command Log entry, or an id. */
type CausalityArg =
  | { readonly event?: { readonly globalPosition?: unknown } }
  | { readonly entry?: { readonly id?: unknown } }
  | number
  | string
  | undefined;

async function pickCommand(ctx: CommandContext): Promise<string | undefined> {
  const session = await ctx.controller.get();
  const entries = session.commandLog.entries().slice(-200).reverse();
  if (entries.length === 0) {
    void vscode.window.showInformationMessage(
      'No command in the Command Log yet: issue one, or pick an event in the Streams view and choose Show Causality.',
    );
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    entries.map((e) => ({
      label: e.command.type,
      description: `${e.outcome}${e.reaction ? ` · by ${e.reaction}` : ''}${e.streamId ? ` · ${e.streamId}` : ''}`,
      detail: e.reason,
      id: e.id,
    })),
    { title: 'Show Causality', placeHolder: 'The command whose whole conversation to show' },
  );
  return picked?.id;
}

async function showCausality(ctx: CommandContext, arg: CausalityArg): Promise<void> {
  let start: { position: number } | { commandId: string } | undefined;
  if (typeof arg === 'number') start = { position: arg };
  else if (typeof arg === 'string') start = { commandId: arg };
  else if (arg && 'event' in arg && typeof arg.event?.globalPosition === 'number')
    start = { position: arg.event.globalPosition };
  else if (arg && 'entry' in arg && typeof arg.entry?.id === 'string') start = { commandId: arg.entry.id };
  else {
    const id = await pickCommand(ctx);
    if (!id) return;
    start = { commandId: id };
  }
  const shown = await CausalityPanel.show(ctx.context, ctx.controller, ctx.log, start);
  if (!shown)
    void vscode.window.showInformationMessage(
      'This has no correlation id in its metadata, so there is no conversation to follow.',
    );
}

async function pickModelFile(): Promise<vscode.Uri | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title: 'Compare with a Model File',
    openLabel: 'Compare',
    canSelectMany: false,
    filters: { 'Model files (arrows, Mermaid, Markdown)': ['mmd', 'mermaid', 'md', 'txt'] },
  });
  return picked?.[0];
}

/** The system views: the event model, causality, and the in-flight commits simulation. */
export function registerSystemCommands(ctx: CommandContext): vscode.Disposable[] {
  const { context, controller, log } = ctx;
  return [
    vscode.workspace.registerTextDocumentContentProvider(SYSTEM_SCHEME, {
      provideTextDocumentContent: () => describeSimulation(simulateInFlightCommits(41)),
    }),
    registerCommand('eventStore.showEventModel', () =>
      boundary(ctx, 'Show Event Model', async () => {
        await controller.get();
        EventModelPanel.show(context, controller, log);
      }),
    ),
    registerCommand('eventStore.exportEventModel', (format?: unknown) =>
      boundary(ctx, 'Export Event Model', async () => {
        let chosen: ModelExportFormat | undefined = format === 'mermaid' || format === 'markdown' ? format : undefined;
        chosen ??= (
          await vscode.window.showQuickPick(
            [
              { label: 'Mermaid flowchart', format: 'mermaid' as const },
              { label: 'Markdown', format: 'markdown' as const },
            ],
            { title: 'Export Event Model' },
          )
        )?.format;
        if (!chosen) return;
        await exportEventModel(await controller.get(), chosen);
      }),
    ),
    registerCommand('eventStore.compareEventModel', (uri?: unknown) =>
      boundary(ctx, 'Compare with a Model File', async () => {
        const file = uri instanceof vscode.Uri ? uri : await pickModelFile();
        if (!file) return;
        const panel = EventModelPanel.show(context, controller, log);
        const result = await panel.compareWith(file);
        if (!result) return;
        void vscode.window.showInformationMessage(
          `Compared with ${result.file}: ${result.matched} arrow${result.matched === 1 ? '' : 's'} match the traffic, ` +
            `${result.unused.length} were never used, ${result.missing.length} used by the traffic are missing from the model` +
            `${result.problems.length ? `; ${result.problems.length} line${result.problems.length === 1 ? '' : 's'} could not be read` : ''}.`,
        );
      }),
    ),
    registerCommand('eventStore.showCausality', (arg?: CausalityArg) =>
      boundary(ctx, 'Show Causality', () => showCausality(ctx, arg)),
    ),
    registerCommand('eventStore.simulateInFlightCommits', () =>
      boundary(ctx, 'Simulate In-Flight Commits', async () => {
        await vscode.commands.executeCommand('markdown.showPreviewToSide', IN_FLIGHT_URI);
        markDone(WalkthroughDone.inFlightSeen);
      }),
    ),
  ];
}
