import * as vscode from 'vscode';
import { StoreSession } from '../core/application/session';
import type { AggregateDefinition } from '../core/domain/aggregates';
import type { RecordedEvent } from '../core/eventStore/types';
import {
  explainPostgresError,
  PostgresConnectionError,
  type PostgresTarget,
} from '../core/formats/postgres/connection';
import type { PostgresFormatId } from '../core/formats/postgres/dialects';
import { openPostgresStore, PostgresStoreError, type PostgresStore } from '../core/formats/postgres/openPostgres';
import type { Projection } from '../core/projections/projection';

/** A PostgreSQL store to show in place of the store file. */
export interface PostgresSource {
  readonly target: PostgresTarget & {
    readonly schema: string;
    readonly format: PostgresFormatId;
    readonly write?: boolean;
  };
  /** For people, never with a password: `schema "public" at postgres://user@host:5432/db`. */
  readonly label: string;
  /** The saved connection it was opened through. */
  readonly connectionId?: string;
}

/** Opening was cancelled from its progress notification. */
export class OpenCancelledError extends Error {
  constructor(label: string) {
    super(`Opening ${label} was cancelled.`);
    this.name = 'OpenCancelledError';
  }
  static is(e: unknown): e is OpenCancelledError {
    return e instanceof OpenCancelledError;
  }
}

/** How often a PostgreSQL store is asked for what other writers committed. */
export const POLL_INTERVAL_MS = 1_000;

interface OpenSourceOptions {
  readonly log: vscode.LogOutputChannel;
  readonly aggregates: readonly AggregateDefinition[];
  readonly projections: readonly Projection[];
  /** Whether the session is still the one the views show (polling stops when it is not). */
  readonly isCurrent: (session: StoreSession) => boolean;
  /** Events that became readable without changing the read models (this window's own appends). */
  readonly onShown: (events: readonly RecordedEvent[]) => void;
  /** Opening again after a lost connection: progress in the status bar, not as a notification. */
  readonly quiet?: boolean;
  /** A new connection and session in place of this one, once the server answers; false while it does not. */
  readonly reconnect: () => Promise<boolean>;
}

/** What pg says when the store's connection itself is gone (not a failed statement on a live one). */
function connectionLost(e: unknown): boolean {
  const { code, message } = e as { code?: string; message?: string };
  return (
    ['57P01', '57P02', '57P03', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'].includes(code ?? '') ||
    /terminated|not queryable|connection (is )?closed|ended/i.test(message ?? '')
  );
}

/** Reconnection attempts back off from one second to half a minute. */
const MAX_RECONNECT_DELAY_MS = 30_000;

/**
 * Streams the store's events in under a cancellable progress notification, puts a session (write
 * model, bus, read models, replay) over it and keeps it live: what other writers commit arrives
 * on the bus within about a second.
 */
export async function openPostgresSource(
  source: PostgresSource,
  options: OpenSourceOptions,
): Promise<{ session: StoreSession; live: vscode.Disposable }> {
  const store = await vscode.window.withProgress(
    {
      // Reconnecting happens in the background: its attempts stay in the status bar.
      location: options.quiet ? vscode.ProgressLocation.Window : vscode.ProgressLocation.Notification,
      title: `Opening ${source.label}`,
      cancellable: !options.quiet,
    },
    async (progress, token) => {
      const abort = new AbortController();
      const cancelled = token.onCancellationRequested(() => abort.abort());
      let reported = 0;
      try {
        return await openPostgresStore(source.target, {
          signal: abort.signal,
          onProgress: (loaded, total) => {
            const percent = total > 0 ? Math.min(100, Math.floor((loaded / total) * 100)) : 0;
            progress.report({ message: `${loaded} of ${total} events`, increment: Math.max(0, percent - reported) });
            reported = Math.max(reported, percent);
          },
        });
      } catch (e) {
        if (abort.signal.aborted) throw new OpenCancelledError(source.label);
        throw e instanceof PostgresConnectionError || PostgresStoreError.is(e)
          ? e
          : explainPostgresError(e, source.target);
      } finally {
        cancelled.dispose();
      }
    },
  );
  const session = StoreSession.over(store, {
    log: (m) => options.log.warn(m),
    aggregates: options.aggregates,
    projections: options.projections,
  });
  return { session, live: followPostgres(store, session, source, options) };
}

/**
 * Polls the store about once a second, never two polls at once. Everything a poll makes readable
 * in global order goes on the bus: other writers' events, and this window's own appends, which the
 * store shows in global order only once no in-flight append can still take a lower position (the
 * read models skip what they already applied). A lost connection is said once (and logged),
 * retried quietly, and its return said once too.
 */
export function followPostgres(
  store: PostgresStore,
  session: StoreSession,
  source: PostgresSource,
  options: Pick<OpenSourceOptions, 'log' | 'isCurrent' | 'onShown' | 'reconnect'>,
): vscode.Disposable {
  let polling = false;
  let lost: string | undefined;
  let gone = false;
  let attempts = 0;
  let nextAttempt = 0;
  let stopped = false;
  const live = () => !stopped && options.isCurrent(session);
  const poll = async (): Promise<void> => {
    if (polling || !live()) return;
    polling = true;
    try {
      if (gone) {
        // The store's connection is gone for good: a new one replaces this session when it can.
        if (Date.now() < nextAttempt) return;
        attempts++;
        if (!(await options.reconnect()))
          nextAttempt = Date.now() + Math.min(MAX_RECONNECT_DELAY_MS, POLL_INTERVAL_MS * 2 ** attempts);
        return;
      }
      const before = store.lastPosition();
      const others = await store.poll();
      if (lost !== undefined) {
        options.log.info(`${source.label} answers again.`);
        void vscode.window.showInformationMessage(`The connection to ${source.label} is back.`);
        lost = undefined;
      }
      if (!live()) return;
      // A transaction that was held open when the store was opened commits late: its event is
      // added in its place, below what the read models applied, so they are folded again.
      const late = others.filter((e) => e.globalPosition <= session.projector.checkpoint);
      if (late.length > 0) {
        options.log.info(
          `${late.length} event${late.length === 1 ? '' : 's'} committed late below position ${before}: read models rebuilt.`,
        );
        session.rebuildReadModels();
        options.onShown(late);
      }
      if (store.lastPosition() === before) return;
      const shown = store.readAll({ after: before });
      const checkpoint = session.projector.checkpoint;
      await session.bus.publish(shown);
      // Only this window's own appends became readable: the read models had them, the views did not.
      if (session.projector.checkpoint === checkpoint && live()) options.onShown(shown);
    } catch (e) {
      const sentence = (e instanceof PostgresConnectionError ? e : explainPostgresError(e, source.target)).message;
      gone = connectionLost(e);
      if (lost === undefined && live()) {
        lost = sentence;
        options.log.warn(`Lost the connection to ${source.label}: ${sentence} Reconnecting in the background.`);
        void vscode.window.showWarningMessage(
          `Lost the connection to ${source.label}: ${sentence} The views keep what they have and update when it is back.`,
        );
      }
    } finally {
      polling = false;
    }
  };
  const timer = setInterval(() => void poll(), POLL_INTERVAL_MS);
  return {
    dispose: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
