import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { StoreSession } from '../core/application/session';
import type { AggregateDefinition } from '../core/domain/aggregates';
import {
  checkField,
  describeField,
  fieldTitle,
  parseFieldInput,
  type CommandSchema,
  type FieldSchema,
} from '../core/domain/commandSchema';

/** A short new id for a new aggregate instance, e.g. "a1b2c3d4". */
export const newInstanceId = (): string => randomUUID().slice(0, 8);

/** The instance ids of an aggregate that have a stream already, newest streams last. */
export function existingIds(
  session: StoreSession,
  aggregate: AggregateDefinition,
  limit = 200,
): { id: string; version: number }[] {
  return session.store
    .listStreams({ prefix: aggregate.streamPrefix, limit })
    .map((s) => ({ id: s.streamId.slice(aggregate.streamPrefix.length), version: s.version }));
}

interface ValuePick extends vscode.QuickPickItem {
  readonly value?: unknown;
  readonly typeOwn?: boolean;
}

/**
 * A quick pick that also accepts what the person types: the typed text is offered as the first
 * item once it is valid. Returns the chosen or typed text; undefined when dismissed.
 */
export async function pickOrType(options: {
  title: string;
  placeholder: string;
  items: readonly vscode.QuickPickItem[];
  validate?: (text: string) => string | undefined;
}): Promise<string | undefined> {
  const pick = vscode.window.createQuickPick<vscode.QuickPickItem>();
  pick.title = options.title;
  pick.placeholder = options.placeholder;
  pick.ignoreFocusOut = true;
  pick.matchOnDescription = true;
  const base = [...options.items];
  pick.items = base;
  const typedDescription = '(typed)';
  pick.onDidChangeValue((value) => {
    const text = value.trim();
    const error = text && options.validate ? options.validate(text) : undefined;
    if (!text || base.some((i) => i.label === text)) pick.items = base;
    // An invalid value is shown with its reason and cannot be accepted.
    else
      pick.items = [
        { label: text, description: error ? `$(warning) ${error}` : typedDescription, alwaysShow: true },
        ...base,
      ];
  });
  return new Promise<string | undefined>((resolve) => {
    let settled = false;
    pick.onDidAccept(() => {
      const chosen = pick.selectedItems[0]?.label ?? pick.value.trim();
      if (!chosen || (options.validate && options.validate(chosen))) return;
      settled = true;
      resolve(chosen);
      pick.hide();
    });
    pick.onDidHide(() => {
      if (!settled) resolve(undefined);
      pick.dispose();
    });
    pick.show();
  });
}

/** Asks for one field with the right kind of input, validated by its schema. `undefined`: dismissed. */
export async function askForField(
  session: StoreSession,
  aggregate: AggregateDefinition,
  schema: CommandSchema,
  field: FieldSchema,
  step: { index: number; count: number },
): Promise<{ value: unknown } | undefined> {
  const title = `${schema.type} (${step.index}/${step.count}): ${fieldTitle(field)}`;
  const prompt = describeField(field);

  if (field.id) {
    const ids = existingIds(session, aggregate);
    const items: ValuePick[] = [
      { label: `$(add) New ${aggregate.name.toLowerCase()}…`, description: 'a new id', typeOwn: true },
      ...ids.reverse().map((s) => ({
        label: s.id,
        description: `${aggregate.streamPrefix}${s.id} · ${s.version} event${s.version === 1 ? '' : 's'}`,
        value: s.id,
      })),
    ];
    const picked = await vscode.window.showQuickPick(items, {
      title,
      placeHolder: `Which ${aggregate.name.toLowerCase()}? (existing streams of ${aggregate.name}, or a new one)`,
      ignoreFocusOut: true,
      matchOnDescription: true,
    });
    if (!picked) return undefined;
    if (!picked.typeOwn) return { value: picked.value };
    const typed = await vscode.window.showInputBox({
      title,
      prompt,
      value: newInstanceId(),
      ignoreFocusOut: true,
      validateInput: (text) => inputError(field, text),
    });
    return typed === undefined ? undefined : parsed(field, typed);
  }

  if (field.enum || field.type === 'boolean') {
    const values: readonly (string | number | boolean)[] = field.enum ?? [true, false];
    const items: ValuePick[] = values.map((v) => ({ label: String(v), value: v }));
    if (field.optional) items.push({ label: '(none)', description: 'leave it out', value: undefined });
    const picked = await vscode.window.showQuickPick(items, { title, placeHolder: prompt, ignoreFocusOut: true });
    return picked ? { value: picked.value } : undefined;
  }

  const typed = await vscode.window.showInputBox({
    title,
    prompt: field.optional ? `${prompt} — leave empty to leave it out` : prompt,
    placeHolder: field.examples?.length ? `e.g. ${field.examples.join(', ')}` : undefined,
    ignoreFocusOut: true,
    validateInput: (text) => inputError(field, text),
  });
  return typed === undefined ? undefined : parsed(field, typed);
}

function inputError(field: FieldSchema, text: string): string | undefined {
  const result = parseFieldInput(field, text);
  return 'error' in result ? result.error : undefined;
}

function parsed(field: FieldSchema, text: string): { value: unknown } {
  const result = parseFieldInput(field, text);
  return 'value' in result ? { value: result.value } : { value: text };
}

/**
 * Fills a command's data field by field: values already given (and valid) are kept, the others
 * are asked for. Returns undefined when the person dismisses a step.
 */
export async function askForCommandData(
  session: StoreSession,
  aggregate: AggregateDefinition,
  schema: CommandSchema,
  given: Readonly<Record<string, unknown>> = {},
): Promise<Record<string, unknown> | undefined> {
  const data: Record<string, unknown> = {};
  const missing = schema.fields.filter((f) => !(f.name in given) || checkField(f, given[f.name]) !== undefined);
  for (const field of schema.fields)
    if (!missing.includes(field) && given[field.name] !== undefined) data[field.name] = given[field.name];
  let index = 0;
  for (const field of missing) {
    index++;
    const answer = await askForField(session, aggregate, schema, field, { index, count: missing.length });
    if (!answer) return undefined;
    if (answer.value !== undefined)
      data[field.name] = typeof answer.value === 'string' ? answer.value.trim() : answer.value;
  }
  return data;
}
