import * as vscode from 'vscode';
import type { StoreSession } from '../../core/application/session';
import { aggregateForCommand, commandSchemaFor, type AggregateDefinition } from '../../core/domain/aggregates';
import { isRecord } from '../../shared/json';
import { askForCommandData } from '../commandInput';
import { boundary, issue, registerCommand, type CommandContext } from './boundary';

type ExecuteArgs = { type?: unknown; aggregate?: unknown; data?: unknown };

async function pickAggregate(session: StoreSession): Promise<AggregateDefinition | undefined> {
  const picked = await vscode.window.showQuickPick(
    session.aggregates.map((a) => ({
      label: a.name,
      description: `${a.commandTypes.length} commands · ${a.streamPrefix}… streams`,
      detail: a.description,
      aggregate: a,
    })),
    {
      title: 'Execute Command (1/2): aggregate',
      placeHolder: 'Which aggregate receives the command?',
      ignoreFocusOut: true,
    },
  );
  return picked?.aggregate;
}

async function pickCommandType(aggregate: AggregateDefinition): Promise<string | undefined> {
  const picked = await vscode.window.showQuickPick(
    aggregate.commandTypes.map((t) => {
      const schema = commandSchemaFor(aggregate, t);
      const fields = schema?.fields.map((f) => (f.optional ? `${f.name}?` : f.name)).join(', ');
      return { label: t, description: fields, detail: schema?.description };
    }),
    {
      title: `Execute Command (2/2): ${aggregate.name} command`,
      placeHolder: `Which command for ${aggregate.name}?`,
      ignoreFocusOut: true,
    },
  );
  return picked?.label;
}

/** Data for a command without a schema: typed as a JSON object. */
async function askJsonData(type: string): Promise<Record<string, unknown> | undefined> {
  const typed = await vscode.window.showInputBox({
    title: `${type}: data`,
    prompt: `${type} has no schema: type its data as a JSON object`,
    value: '{}',
    ignoreFocusOut: true,
    validateInput: (text) => {
      try {
        return isRecord(JSON.parse(text)) ? undefined : 'The data must be a JSON object.';
      } catch (e) {
        return `Not JSON: ${(e as Error).message}`;
      }
    },
  });
  return typed === undefined ? undefined : (JSON.parse(typed) as Record<string, unknown>);
}

/** Any command of any aggregate (built-in or the workspace's): what is not given as an argument is asked. */
async function executeCommand(ctx: CommandContext, args?: ExecuteArgs) {
  const session = await ctx.controller.get();
  let type = typeof args?.type === 'string' ? args.type : undefined;
  let aggregate = type ? aggregateForCommand(session.aggregates, type) : undefined;
  if (!aggregate && typeof args?.aggregate === 'string')
    aggregate = session.aggregates.find((a) => a.name === args.aggregate);
  if (!aggregate && type && isRecord(args?.data)) {
    // Unknown type with data: let the write model refuse it, so it is logged like any refusal.
    return issue(ctx, type, { type, data: args.data });
  }
  aggregate ??= await pickAggregate(session);
  if (!aggregate) return undefined;
  if (!type || !aggregate.commandTypes.includes(type)) type = await pickCommandType(aggregate);
  if (!type) return undefined;
  const schema = commandSchemaFor(aggregate, type);
  let data: Record<string, unknown> | undefined;
  if (isRecord(args?.data))
    data = args.data; // given whole: the write model checks it
  else if (schema) data = await askForCommandData(session, aggregate, schema);
  else data = await askJsonData(type);
  if (!data) return undefined;
  return issue(ctx, type, { type, data });
}

export function registerExecuteCommand(ctx: CommandContext): vscode.Disposable[] {
  return [
    registerCommand('eventStore.executeCommand', (args?: ExecuteArgs) =>
      boundary(ctx, 'Execute Command', () => executeCommand(ctx, args)),
    ),
  ];
}
