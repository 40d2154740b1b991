import * as vscode from 'vscode';
import { parseStreamPattern, StreamPatternError } from '../../core/search/streamPattern';
import { StatisticsPanel } from '../statisticsPanel';
import { boundary, registerCommand, type CommandContext } from './boundary';

/** How long the typing may pause before the view is filtered. */
const FILTER_DEBOUNCE_MS = 120;

interface FilterItem extends vscode.QuickPickItem {
  readonly filter: string;
}

/**
 * Filters the Streams view as the person types (wildcards `*` `?`, `category:NAME`, or text in the
 * id); the categories are offered as items. Enter keeps the filter, Escape puts the previous one back.
 */
async function filterStreams(ctx: CommandContext): Promise<void> {
  const session = await ctx.controller.get();
  const tree = ctx.streamsTree;
  const previous = tree.filter;
  const categories = await tree.categories(session.store);
  const pick = vscode.window.createQuickPick<FilterItem>();
  pick.title = 'Filter Streams';
  pick.placeholder = 'user-*, cart-?2, category:cart, or text in the stream id (empty: every stream)';
  pick.value = previous;
  pick.matchOnDescription = false;
  const categoryItems = (): FilterItem[] =>
    categories
      .filter((c) => pick.value.trim() === '' || `category:${c.category}`.includes(pick.value.trim()))
      .map((c) => ({
        label: `category:${c.category}`,
        description: `${c.streams} stream${c.streams === 1 ? '' : 's'}`,
        filter: `category:${c.category}`,
        alwaysShow: true,
      }));
  let problem: string | undefined;
  // The view follows the typing a moment later, so that a burst of keys costs one match, not one per key.
  let pending: NodeJS.Timeout | undefined;
  const applyNow = () => {
    clearTimeout(pending);
    pending = undefined;
    tree.setFilter(pick.value);
  };
  const update = () => {
    try {
      parseStreamPattern(pick.value);
      problem = undefined;
      clearTimeout(pending);
      pending = setTimeout(applyNow, FILTER_DEBOUNCE_MS);
    } catch (e) {
      if (!StreamPatternError.is(e)) throw e;
      clearTimeout(pending);
      pending = undefined;
      problem = e.message;
      pick.items = [{ label: `$(error) ${problem}`, filter: '', alwaysShow: true }];
      return;
    }
    const typed = pick.value.trim();
    pick.items = [
      ...(typed ? [{ label: typed, description: 'Filter by this', filter: typed, alwaysShow: true }] : []),
      ...categoryItems(),
    ];
  };
  let accepted = false;
  pick.onDidChangeValue(update);
  pick.onDidAccept(() => {
    const chosen = pick.selectedItems[0];
    if (chosen && chosen.filter !== pick.value.trim()) {
      pick.value = chosen.filter;
      update();
    }
    if (problem) return;
    applyNow();
    accepted = true;
    pick.hide();
  });
  pick.onDidHide(() => {
    clearTimeout(pending);
    if (!accepted) tree.setFilter(previous);
    pick.dispose();
  });
  update();
  pick.show();
}

/** Filtering streams and showing the store's statistics. */
export function registerSearchCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    registerCommand('eventStore.filterStreams', () => boundary(ctx, 'Filter Streams', () => filterStreams(ctx))),
    registerCommand('eventStore.clearStreamFilter', () => ctx.streamsTree.setFilter('')),
    registerCommand('eventStore.showStatistics', () =>
      boundary(ctx, 'Show Store Statistics', async () => {
        StatisticsPanel.show(ctx.context, ctx.controller, ctx.log);
      }),
    ),
  ];
}
