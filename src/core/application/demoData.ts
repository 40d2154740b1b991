import type { CommandHandler, CommandResult } from './commandHandler';

/** A small story that shows every event type: people join, one is renamed, one leaves. */
export const DEMO_USERS: readonly { readonly userId: string; readonly name: string }[] = [
  { userId: 'ada', name: 'Ada Lovelace' },
  { userId: 'grace', name: 'Grace Hopper' },
  { userId: 'alan', name: 'Alan Turing' },
  { userId: 'margaret', name: 'Margaret Hamilton' },
  { userId: 'edsger', name: 'Edsger Dijkstra' },
];

/**
 * Issues the demo commands through the write model, like a person would.
 * Users that already exist are skipped, so seeding twice adds nothing twice.
 */
export async function seedDemoData(handler: CommandHandler, source = 'demo'): Promise<CommandResult[]> {
  const results: CommandResult[] = [];
  const correlationId = `demo-seed`;
  const run = async (type: string, data: Record<string, unknown>) => {
    const userId = data.userId as string;
    if (type === 'CreateUser' && handler.stateOf(`user-${userId}`)?.version) return;
    try {
      results.push(await handler.execute({ type, data, metadata: { correlationId, source } }));
    } catch (e) {
      // Rename/deactivate may already have happened in an earlier seeding; anything else is real.
      if (!(e instanceof Error && e.name === 'IllegalStateError')) throw e;
    }
  };
  for (const user of DEMO_USERS) await run('CreateUser', user);
  await run('RenameUser', { userId: 'grace', name: 'Rear Admiral Grace Hopper' });
  await run('DeactivateUser', { userId: 'edsger', reason: 'Left the team' });
  await run('RenameUser', { userId: 'margaret', name: 'Margaret H. Hamilton' });
  return results;
}
