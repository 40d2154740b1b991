import { randomUUID } from 'node:crypto';
import type * as vscode from 'vscode';
import { redactConnectionString, type PostgresTarget } from '../core/formats/postgres/connection';

/**
 * A PostgreSQL connection kept for next time: in the extension's global state (never in settings,
 * which a workspace could supply), without its password, which lives in VS Code's SecretStorage.
 */
export interface SavedConnection {
  readonly id: string;
  /** Without a password, ever. */
  readonly connectionString: string;
  /** The store last opened through it. */
  readonly schema?: string;
  readonly format?: string;
  readonly write?: boolean;
}

const STATE_KEY = 'eventStore.postgres.connections';
const secretKey = (id: string) => `eventStore.postgres.password.${id}`;

/** Saved connections and their passwords. */
export class PostgresConnections {
  constructor(private readonly context: vscode.ExtensionContext) {}

  list(): SavedConnection[] {
    const saved = this.context.globalState.get<unknown>(STATE_KEY);
    if (!Array.isArray(saved)) return [];
    // Global state is ours, but a saved entry is still checked before use.
    return saved.filter(
      (c): c is SavedConnection =>
        typeof c === 'object' &&
        c !== null &&
        typeof (c as SavedConnection).id === 'string' &&
        typeof (c as SavedConnection).connectionString === 'string',
    );
  }

  find(id: string): SavedConnection | undefined {
    return this.list().find((c) => c.id === id);
  }

  /** Saves (or updates, for the same connection string) a connection; its password goes to SecretStorage. */
  async save(
    connection: Omit<SavedConnection, 'id'> & { readonly id?: string },
    password: string | undefined,
  ): Promise<SavedConnection> {
    const list = this.list();
    const connectionString = redactConnectionString(connection.connectionString);
    const existing = list.find((c) => c.id === connection.id || c.connectionString === connectionString);
    const saved: SavedConnection = {
      ...connection,
      connectionString,
      id: existing?.id ?? connection.id ?? randomUUID(),
    };
    await this.context.globalState.update(STATE_KEY, [saved, ...list.filter((c) => c.id !== saved.id)]);
    if (password) await this.context.secrets.store(secretKey(saved.id), password);
    else await this.context.secrets.delete(secretKey(saved.id));
    return saved;
  }

  async forget(id: string): Promise<boolean> {
    const list = this.list();
    const kept = list.filter((c) => c.id !== id);
    await this.context.globalState.update(STATE_KEY, kept);
    await this.context.secrets.delete(secretKey(id));
    return kept.length !== list.length;
  }

  /** The id a connection string is (or will be) saved under. */
  idFor(connectionString: string): string {
    const redacted = redactConnectionString(connectionString);
    return this.list().find((c) => c.connectionString === redacted)?.id ?? randomUUID();
  }

  password(id: string): Thenable<string | undefined> {
    return this.context.secrets.get(secretKey(id));
  }

  /** What to connect with: the saved connection string and its password from SecretStorage. */
  async target(connection: SavedConnection): Promise<PostgresTarget> {
    const password = await this.password(connection.id);
    return { connectionString: connection.connectionString, ...(password ? { password } : {}) };
  }
}

/** How a saved connection reads in pickers: `postgres://user@host:port/db`, and the store last opened. */
export function describeConnection(connection: SavedConnection): string {
  return redactConnectionString(connection.connectionString);
}
