import * as vscode from 'vscode';
import type { StoreSession } from '../../core/application/session';
import { describeFault } from '../../core/projections/fault';
import type { Projection, QueryAnswer, ReadModelQuery } from '../../core/projections/projection';
import { pickOrType } from '../commandInput';
import { markDone, WalkthroughDone } from '../walkthroughProgress';
import { boundary, registerCommand, type CommandContext } from './boundary';

const SHOW_READ_MODELS = 'Show Read Models';
const REPLAY_TO_FAILING_EVENT = 'Replay to the Failing Event';

type QueryArgs = { readModel?: unknown; query?: unknown; argument?: unknown };

interface QueryPick extends vscode.QuickPickItem {
  readonly projection: Projection;
  readonly query: ReadModelQuery;
}

export interface QueryReport {
  readonly readModel: string;
  readonly query: string;
  readonly argument?: string;
  readonly answer: QueryAnswer;
  /** The read model's checkpoint: it answered as of this position. */
  readonly position: number;
  readonly eventsBefore: number;
  readonly eventsAfter: number;
}

async function pickQuery(session: StoreSession, args?: QueryArgs): Promise<QueryPick | undefined> {
  const all: QueryPick[] = session.projections.flatMap((projection) =>
    (projection.queries ?? []).map((query) => ({
      label: query.title,
      description: projection.title,
      detail: projection.description,
      projection,
      query,
    })),
  );
  const given = all.find((q) => q.projection.name === args?.readModel && q.query.name === args?.query);
  if (given) return given;
  return vscode.window.showQuickPick(all, {
    title: 'Query Read Model',
    placeHolder: 'What do you want to know? (answered from a read model, never from the store)',
    matchOnDescription: true,
    ignoreFocusOut: true,
  });
}

/** Asks a read model a question; the answer says at which position, and that the store did not change. */
async function queryReadModel(ctx: CommandContext, args?: QueryArgs): Promise<QueryReport | undefined> {
  const session = await ctx.controller.get();
  const chosen = await pickQuery(session, args);
  if (!chosen) return undefined;
  const { projection, query } = chosen;
  // A copy: a query only reads, and must not be able to change the read model it asks.
  const state = structuredClone(session.projector.stateOf(projection));
  let argument = typeof args?.argument === 'string' ? args.argument : undefined;
  if (query.parameter && argument === undefined) {
    argument = await pickOrType({
      title: `${query.title} (${projection.title})`,
      placeholder: query.parameter.prompt,
      items: (query.parameter.suggestions?.(state) ?? []).slice(0, 500).map((label) => ({ label })),
    });
    if (argument === undefined) return undefined;
  }
  const eventsBefore = session.store.lastPosition();
  const position = session.projector.checkpoint;
  const fault = session.projector.faultOf(projection.name);
  const answered = query.run(state, argument);
  // A faulted read model answers from the state before its failing event: said first, never hidden.
  const answer = fault
    ? {
        ...answered,
        answer: `${describeFault(fault, projection.title)} It answers as of position ${fault.position - 1}: ${answered.answer}`,
      }
    : answered;
  const eventsAfter = session.store.lastPosition();
  // The lesson first and short: a toast shows a long message cut, and the point is the last clause.
  const unchanged =
    eventsAfter === eventsBefore
      ? `Asking changed nothing: the store still has ${eventsAfter} event${eventsAfter === 1 ? '' : 's'}`
      : `Asking changed nothing: the ${eventsAfter - eventsBefore} new event(s) were appended meanwhile by others`;
  const message = `${answer.answer} ${unchanged} (answered from ${projection.title} as of position ${position}).`;
  ctx.log.info(`Query ${query.title}${argument !== undefined ? ` ${JSON.stringify(argument)}` : ''}: ${message}`);
  markDone(WalkthroughDone.questionAnswered);
  // With an action the toast opens in full rather than as one cut line.
  const show = fault ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  void show(message, ...(fault ? [REPLAY_TO_FAILING_EVENT] : []), SHOW_READ_MODELS).then((action) => {
    if (action === SHOW_READ_MODELS) void vscode.commands.executeCommand('eventStore.readModels.focus');
    if (action === REPLAY_TO_FAILING_EVENT && fault)
      void vscode.commands.executeCommand('eventStore.openReplay', fault.position);
  });
  const asked = argument !== undefined ? { argument } : {};
  return { readModel: projection.name, query: query.name, ...asked, answer, position, eventsBefore, eventsAfter };
}

export function registerQueryCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    registerCommand('eventStore.queryReadModel', (args?: QueryArgs) =>
      boundary(ctx, 'Query Read Model', () => queryReadModel(ctx, args)),
    ),
  ];
}
