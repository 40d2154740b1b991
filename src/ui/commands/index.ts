import type * as vscode from 'vscode';
import type { CommandContext } from './boundary';
import { registerCartCommands } from './carts';
import { registerLogCommands } from './commandLog';
import { registerConcurrencyCommands } from './concurrency';
import { registerDomainModuleCommands } from './domainModule';
import { registerExecuteCommand } from './executeCommand';
import { registerHistoryCommands } from './history';
import { registerForeignStoreCommands } from './foreignStores';
import { registerPostgresCommands } from './postgres';
import { registerQueryCommands } from './queries';
import { registerReadModelCommands } from './readModels';
import { registerReplayCommands } from './replay';
import { registerSqlQueryCommands } from './sqlQueries';
import { registerSearchCommands } from './search';
import { registerStoreCommands } from './stores';
import { registerStreamsCommands } from './streams';
import { registerSystemCommands } from './system';
import { registerUserCommands } from './users';
import { registerWalkthroughCommands } from './walkthrough';

/** Registers every palette command; each subject lives in its own file beside this one. */
export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    ...registerUserCommands(ctx),
    ...registerCartCommands(ctx),
    ...registerExecuteCommand(ctx),
    ...registerQueryCommands(ctx),
    ...registerSqlQueryCommands(ctx),
    ...registerConcurrencyCommands(ctx),
    ...registerStoreCommands(ctx),
    ...registerForeignStoreCommands(ctx),
    ...registerPostgresCommands(ctx),
    ...registerStreamsCommands(ctx),
    ...registerReadModelCommands(ctx),
    ...registerReplayCommands(ctx),
    ...registerSearchCommands(ctx),
    ...registerLogCommands(ctx),
    ...registerDomainModuleCommands(ctx),
    ...registerWalkthroughCommands(ctx),
    ...registerSystemCommands(ctx),
    ...registerHistoryCommands(ctx),
  ];
}
