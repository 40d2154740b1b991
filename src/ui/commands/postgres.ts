import * as vscode from 'vscode';
import {
  PostgresConnectionError,
  redactConnectionString,
  type PostgresTarget,
} from '../../core/formats/postgres/connection';
import {
  checkPart,
  ConnectionInputError,
  connectionStringOf,
  parseConnectionString,
  SSL_MODES,
  type SslMode,
} from '../../core/formats/postgres/connectionInput';
import type { PostgresFormatId } from '../../core/formats/postgres/dialects';
import { probePostgres, PostgresStoreError, type FoundPostgresStore } from '../../core/formats/postgres/openPostgres';
import { OpenCancelledError } from '../postgresSession';
import { OPEN_CONNECTION_KEY } from '../storeController';
import { describeConnection, PostgresConnections, type SavedConnection } from '../postgresConnections';
import { boundary, registerCommand, type CommandContext } from './boundary';

/** What Connect to PostgreSQL… may be given instead of asking (scripts, tests, a saved connection). */
export interface ConnectArgs {
  readonly connectionString?: string;
  readonly host?: string;
  readonly port?: number;
  readonly database?: string;
  readonly user?: string;
  readonly sslmode?: SslMode;
  readonly password?: string;
  /** A saved connection's id: its connection string, and its password from SecretStorage. */
  readonly connectionId?: string;
  readonly schema?: string;
  /** Open an Emmett PostgreSQL schema as the team store (read and write). */
  readonly write?: boolean;
}

/** What the command did, for scripts and tests (never the password). */
export interface ConnectResult {
  readonly connectionId: string;
  readonly label: string;
  readonly schema: string;
  readonly format: string;
  readonly events: number;
  readonly team: boolean;
}

const TRUST_FIRST =
  'Connecting to PostgreSQL uses your credentials on a server of your choice: trust the workspace first (Restricted Mode only inspects).';

function str(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ConnectionInputError(`${name} must be text.`);
  return value;
}

/** The command's arguments, checked: anything else than the documented shape is refused in a sentence. */
function checkArgs(args: unknown): ConnectArgs {
  if (args === undefined || args === null) return {};
  if (typeof args !== 'object' || Array.isArray(args))
    throw new ConnectionInputError('Connect to PostgreSQL takes an object of connection options.');
  const a = args as Record<string, unknown>;
  const port = a.port;
  if (port !== undefined && (typeof port !== 'number' || checkPart('port', String(port))))
    throw new ConnectionInputError('A port is a number from 1 to 65535.');
  const sslmode = str(a.sslmode, 'sslmode');
  if (sslmode !== undefined && !(SSL_MODES as readonly string[]).includes(sslmode))
    throw new ConnectionInputError(`sslmode=${sslmode} is not one of ${SSL_MODES.join(', ')}.`);
  if (a.write !== undefined && typeof a.write !== 'boolean')
    throw new ConnectionInputError('write must be true or false.');
  return {
    connectionString: str(a.connectionString, 'connectionString'),
    host: str(a.host, 'host'),
    port: port as number | undefined,
    database: str(a.database, 'database'),
    user: str(a.user, 'user'),
    sslmode: sslmode as SslMode | undefined,
    password: str(a.password, 'password'),
    connectionId: str(a.connectionId, 'connectionId'),
    schema: str(a.schema, 'schema'),
    write: a.write as boolean | undefined,
  };
}

async function askPart(
  title: string,
  part: 'host' | 'port' | 'database' | 'user',
  prompt: string,
  value: string,
): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title,
    prompt,
    value,
    ignoreFocusOut: true,
    validateInput: (text) => checkPart(part, text),
  });
}

/** Asks for the connection: a connection string, or host, port, database, user and SSL mode one by one. */
async function askConnection(): Promise<{ connectionString: string; password: string | undefined } | undefined> {
  const title = 'Connect to PostgreSQL';
  const how = await vscode.window.showQuickPick(
    [
      { label: 'Connection String…', detail: 'postgres://user@host:5432/database?sslmode=require', id: 'url' },
      { label: 'Host, Port, Database and User…', detail: 'one at a time', id: 'parts' },
    ],
    { title, placeHolder: 'How do you want to give the connection?', ignoreFocusOut: true },
  );
  if (!how) return undefined;
  if (how.id === 'url') {
    const typed = await vscode.window.showInputBox({
      title,
      prompt:
        "A postgres:// connection string. A password in it is moved to VS Code's secret storage, never saved in it.",
      placeHolder: 'postgres://user@host:5432/database',
      ignoreFocusOut: true,
      validateInput: (text) => {
        try {
          parseConnectionString(text);
          return undefined;
        } catch (e) {
          return (e as Error).message;
        }
      },
    });
    return typed === undefined ? undefined : parseConnectionString(typed);
  }
  const host = await askPart(title, 'host', 'Host name or address of the PostgreSQL server', 'localhost');
  if (host === undefined) return undefined;
  const port = await askPart(title, 'port', 'Port', '5432');
  if (port === undefined) return undefined;
  const database = await askPart(title, 'database', 'Database', 'postgres');
  if (database === undefined) return undefined;
  const user = await askPart(title, 'user', 'User name', 'postgres');
  if (user === undefined) return undefined;
  // pg reads prefer, require and verify-ca as verify-full: offered are the three it tells apart.
  const modes: { label: SslMode; description: string }[] = [
    { label: 'verify-full', description: "SSL, the server's certificate checked" },
    { label: 'no-verify', description: 'SSL, the certificate not checked' },
    { label: 'disable', description: 'no SSL: a server on this machine or a network you trust' },
  ];
  const local = /^(localhost|127\.0\.0\.1|::1|\[::1\])$/i.test(host.trim());
  const ssl = await vscode.window.showQuickPick(local ? [modes[2]!, modes[0]!, modes[1]!] : modes, {
    title,
    placeHolder: 'SSL mode (sslmode)',
    ignoreFocusOut: true,
  });
  if (!ssl) return undefined;
  return {
    connectionString: connectionStringOf({
      host: host.trim(),
      port: Number(port),
      database,
      user,
      sslmode: ssl.label,
    }),
    password: undefined,
  };
}

async function askPassword(label: string): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: 'Connect to PostgreSQL',
    prompt: `Password for ${label} (leave empty if the server asks for none). It is kept in VS Code's secret storage, never in settings.`,
    password: true,
    ignoreFocusOut: true,
  });
}

interface StoreItem extends vscode.QuickPickItem {
  readonly store: FoundPostgresStore;
  readonly write: boolean;
}

/** One row per store found; an Emmett PostgreSQL schema also as the team store (read and write). */
function storeItems(stores: readonly FoundPostgresStore[], trusted: boolean): StoreItem[] {
  return stores.flatMap((store) => {
    const count =
      store.events < 0 ? 'events not readable by this user' : `${store.events} event${store.events === 1 ? '' : 's'}`;
    const description = `${store.format.name} · ${count}`;
    const readOnly: StoreItem = { label: store.schema, description, detail: 'read-only', store, write: false };
    return store.writable && trusted
      ? [readOnly, { ...readOnly, detail: 'team store (read and write): commands here append to it', write: true }]
      : [readOnly];
  });
}

/** Connect to PostgreSQL…: a connection, its stores probed and offered, the chosen one opened live. */
async function connect(ctx: CommandContext, rawArgs: unknown): Promise<ConnectResult | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage(TRUST_FIRST);
    return undefined;
  }
  const args = checkArgs(rawArgs);
  const connections = new PostgresConnections(ctx.context);
  let connectionString: string;
  let password: string | undefined;
  let saved: SavedConnection | undefined;
  if (args.connectionId) {
    saved = connections.find(args.connectionId);
    if (!saved) throw new ConnectionInputError('That saved connection is no longer there: it was forgotten.');
    connectionString = saved.connectionString;
    password = args.password ?? (await connections.password(saved.id));
  } else if (args.connectionString !== undefined || args.host !== undefined) {
    const parsed =
      args.connectionString !== undefined
        ? parseConnectionString(args.connectionString)
        : {
            connectionString: connectionStringOf({
              host: args.host ?? '',
              port: args.port ?? 5432,
              database: args.database ?? 'postgres',
              user: args.user ?? 'postgres',
              sslmode: args.sslmode,
            }),
            password: undefined,
          };
    connectionString = parsed.connectionString;
    password = args.password ?? parsed.password;
  } else {
    const asked = await askConnection();
    if (!asked) return undefined;
    connectionString = asked.connectionString;
    password = asked.password ?? (await askPassword(redactConnectionString(connectionString)));
    if (password === undefined) return undefined;
  }
  const label = redactConnectionString(connectionString);
  const target: PostgresTarget = { connectionString, ...(password ? { password } : {}) };
  const stores = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Looking for event stores in ${label}…` },
    () => probePostgres(target),
  );
  if (stores.length === 0)
    throw new ConnectionInputError(
      `No event store was found in ${label}: no schema there holds Emmett PostgreSQL, Message DB or Marten tables.`,
    );
  let chosen: { store: FoundPostgresStore; write: boolean } | undefined;
  const wanted = args.schema ?? (args.connectionId ? saved?.schema : undefined);
  if (wanted !== undefined) {
    const store = stores.find((s) => s.schema === wanted);
    if (!store)
      throw new ConnectionInputError(
        `The schema "${wanted}" of ${label} holds no event store (stores found in: ${stores.map((s) => s.schema).join(', ')}).`,
      );
    const write = args.write ?? (args.connectionId ? (saved?.write ?? false) : false);
    if (write && !store.writable)
      throw new ConnectionInputError(
        `The schema "${wanted}" is a ${store.format.name} store: only an Emmett PostgreSQL schema can be the team store.`,
      );
    chosen = { store, write };
  } else {
    chosen = await vscode.window.showQuickPick(storeItems(stores, true), {
      title: `Event stores in ${label}`,
      placeHolder: 'Which store should the views, the replay and the commands use?',
      matchOnDescription: true,
      matchOnDetail: true,
      ignoreFocusOut: true,
    });
    if (!chosen) return undefined;
  }
  const { store, write } = chosen;
  const sourceLabel = `schema "${store.schema}" at ${label}`;
  ctx.log.info(`Connecting to ${sourceLabel} (${store.format.name}${write ? ', team store' : ', read-only'}).`);
  // On failure the store shown so far stays open.
  const connectionId = saved?.id ?? connections.idFor(connectionString);
  const session = await ctx.controller.openPostgres({
    target: { ...target, schema: store.schema, format: store.format.id as PostgresFormatId, write },
    label: sourceLabel,
    connectionId,
  });
  // Saved once it opened: a connection that does not work is not offered again.
  const connection = await connections.save(
    { id: connectionId, connectionString, schema: store.schema, format: store.format.id, write },
    password,
  );
  const events = session.store.stats().events;
  const team = !session.store.readOnly;
  void vscode.window.showInformationMessage(
    `Opened ${sourceLabel}: ${store.format.name}, ${events} event${events === 1 ? '' : 's'}, ${team ? 'team store (read and write)' : 'read-only'}. Close Store goes back to the workspace store.`,
  );
  return {
    connectionId: connection.id,
    label: sourceLabel,
    schema: store.schema,
    format: store.format.id,
    events,
    team,
  };
}

/** Forget PostgreSQL Connection…: the saved connection and its password are removed. */
async function forget(ctx: CommandContext, id: unknown): Promise<boolean> {
  const connections = new PostgresConnections(ctx.context);
  let connectionId = typeof id === 'string' ? id : undefined;
  if (!connectionId) {
    const list = connections.list();
    if (list.length === 0) {
      void vscode.window.showInformationMessage('There is no saved PostgreSQL connection.');
      return false;
    }
    const picked = await vscode.window.showQuickPick(
      list.map((c) => ({
        label: describeConnection(c),
        description: c.schema ? `schema ${c.schema}` : undefined,
        id: c.id,
      })),
      { title: 'Forget PostgreSQL Connection', placeHolder: 'Its password is removed from the secret storage too' },
    );
    if (!picked) return false;
    connectionId = picked.id;
  }
  const connection = connections.find(connectionId);
  const forgotten = await connections.forget(connectionId);
  if (forgotten && connection) {
    ctx.log.info(`Forgot the connection ${describeConnection(connection)} and its password.`);
    void vscode.window.showInformationMessage(`Forgot ${describeConnection(connection)} and its password.`);
  }
  return forgotten;
}

/** The saved connections as rows for a store picker (Open Store…). */
export function savedConnectionItems(
  ctx: CommandContext,
): (vscode.QuickPickItem & { readonly connectionId: string })[] {
  if (!vscode.workspace.isTrusted) return [];
  return new PostgresConnections(ctx.context).list().map((c) => ({
    label: `$(database) ${describeConnection(c)}`,
    description: c.schema ? `schema ${c.schema}${c.write ? ' · team store' : ''}` : undefined,
    connectionId: c.id,
  }));
}

/**
 * The boundary for connecting: what was typed or what the server said is one sentence, as an
 * error, and the log gets the same sentence (never a password); anything else goes to the boundary.
 */
async function explained<T>(ctx: CommandContext, title: string, run: () => Promise<T>): Promise<T | undefined> {
  return boundary(ctx, title, async () => {
    try {
      return await run();
    } catch (e) {
      if (
        ConnectionInputError.is(e) ||
        e instanceof PostgresConnectionError ||
        PostgresStoreError.is(e) ||
        OpenCancelledError.is(e)
      ) {
        ctx.log.warn(`${title}: ${e.message}`);
        const show = OpenCancelledError.is(e) ? vscode.window.showInformationMessage : vscode.window.showErrorMessage;
        void show(e.message);
        return undefined;
      }
      throw e;
    }
  });
}

/** After a reload, the PostgreSQL store the workspace showed is opened again (trusted workspaces only). */
function reopenLastConnection(ctx: CommandContext): void {
  const id = ctx.context.workspaceState.get<unknown>(OPEN_CONNECTION_KEY);
  if (typeof id !== 'string' || !vscode.workspace.isTrusted) return;
  const connection = new PostgresConnections(ctx.context).find(id);
  if (!connection) return;
  ctx.log.info(`Opening again the PostgreSQL store this workspace showed: ${describeConnection(connection)}.`);
  void vscode.commands.executeCommand('eventStore.connectPostgres', { connectionId: id });
}

/** Connecting to PostgreSQL and forgetting saved connections. */
export function registerPostgresCommands(ctx: CommandContext): vscode.Disposable[] {
  setTimeout(() => reopenLastConnection(ctx), 0);
  return [
    registerCommand('eventStore.connectPostgres', (args?: unknown) =>
      explained(ctx, 'Connect to PostgreSQL', () => connect(ctx, args)),
    ),
    registerCommand('eventStore.forgetPostgresConnection', (id?: unknown) =>
      explained(ctx, 'Forget PostgreSQL Connection', () => forget(ctx, id)),
    ),
  ];
}
