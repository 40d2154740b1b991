import type { RowView } from '../shared/protocol';

const ROW_HEIGHT = 24;
const PAGE = 100;
const MAX_PAGES = 30;

export interface TimelineHost {
  request(offset: number, limit: number): void;
  select(position: number): void;
  skip(position: number, skipped: boolean): void;
}

/**
 * The event list, virtualized: the DOM holds only the rows in sight; rows come from the host a page
 * at a time and a bounded number of pages is cached, so a million events cost what twenty do.
 */
export class Timeline {
  private count = 0;
  private index = 0;
  private position = 0;
  private key = '';
  private readonly pages = new Map<number, RowView[]>();
  private readonly requested = new Set<number>();
  private renderQueued = false;

  constructor(
    private readonly viewport: HTMLElement,
    private readonly spacer: HTMLElement,
    private readonly host: TimelineHost,
  ) {
    viewport.addEventListener('scroll', () => this.queueRender());
    // A new size (a narrower window, the side bar closed) keeps the current row in sight.
    new ResizeObserver(() => {
      this.keepInView();
      this.queueRender();
    }).observe(viewport);
  }

  /** A new step: how many rows, which is current, and a key that changes when rows must be read again. */
  update(count: number, index: number, position: number, key: string): void {
    const sameRows = key === this.key && count === this.count;
    if (!sameRows) {
      this.pages.clear();
      this.requested.clear();
      this.key = key;
    }
    this.count = count;
    this.index = index;
    this.position = position;
    this.spacer.style.height = `${count * ROW_HEIGHT}px`;
    const scrolled = this.keepInView();
    // A step within the rows in sight only moves the highlight: no need to build the rows again.
    if (sameRows && !scrolled) this.markCurrent();
    else this.render();
  }

  private markCurrent(): void {
    for (const node of this.spacer.children) {
      const row = node as HTMLElement;
      const isCurrent = row.dataset.position === String(this.position);
      if (row.classList.contains('current') === isCurrent) continue;
      row.classList.toggle('current', isCurrent);
      const select = row.querySelector('.select');
      if (isCurrent) select?.setAttribute('aria-current', 'step');
      else select?.removeAttribute('aria-current');
    }
  }

  receive(offset: number, rows: RowView[], count: number): void {
    if (count !== this.count) return;
    const page = Math.floor(offset / PAGE);
    this.requested.delete(page);
    this.pages.set(page, rows);
    while (this.pages.size > MAX_PAGES) {
      const farthest = [...this.pages.keys()].sort(
        (a, b) => Math.abs(b - this.firstVisiblePage()) - Math.abs(a - this.firstVisiblePage()),
      )[0]!;
      this.pages.delete(farthest);
    }
    this.queueRender();
  }

  private firstVisiblePage(): number {
    return Math.floor(this.viewport.scrollTop / ROW_HEIGHT / PAGE);
  }

  /** Scrolls the current row into sight; true when it had to scroll. */
  private keepInView(): boolean {
    if (this.index === 0) return false;
    const top = (this.index - 1) * ROW_HEIGHT;
    const { scrollTop, clientHeight } = this.viewport;
    if (top >= scrollTop && top + ROW_HEIGHT <= scrollTop + clientHeight) return false;
    this.viewport.scrollTop = Math.max(0, top - clientHeight / 2);
    return true;
  }

  private queueRender(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      this.render();
    });
  }

  private render(): void {
    const first = Math.max(0, Math.floor(this.viewport.scrollTop / ROW_HEIGHT) - 5);
    const last = Math.min(
      this.count,
      Math.ceil((this.viewport.scrollTop + this.viewport.clientHeight) / ROW_HEIGHT) + 5,
    );
    const nodes: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const page = Math.floor(i / PAGE);
      const row = this.pages.get(page)?.[i - page * PAGE];
      if (!row) {
        if (!this.pages.has(page) && !this.requested.has(page)) {
          this.requested.add(page);
          this.host.request(page * PAGE, PAGE);
        }
        nodes.push(this.placeholder(i));
        continue;
      }
      nodes.push(this.rowNode(row, i));
    }
    this.spacer.replaceChildren(...nodes);
  }

  private placeholder(i: number): HTMLElement {
    const node = document.createElement('div');
    node.className = 'row placeholder';
    node.setAttribute('role', 'listitem');
    node.style.top = `${i * ROW_HEIGHT}px`;
    node.textContent = '…';
    return node;
  }

  /**
   * A row is a list item holding two separate controls, the skip checkbox and a button that goes to
   * the event: one control inside another cannot be reached or named properly by assistive technology.
   */
  private rowNode(row: RowView, i: number): HTMLElement {
    const node = document.createElement('div');
    const isCurrent = row.position === this.position;
    node.className = `row${isCurrent ? ' current' : ''}${row.skipped ? ' skipped' : ''}`;
    node.dataset.position = String(row.position);
    node.style.top = `${i * ROW_HEIGHT}px`;
    node.setAttribute('role', 'listitem');

    const skip = document.createElement('input');
    skip.type = 'checkbox';
    skip.className = 'skip';
    skip.checked = row.skipped;
    skip.title = 'Skip this event (what-if): read models are recomputed without it';
    skip.setAttribute('aria-label', `Skip event ${row.position}`);
    skip.addEventListener('change', () => this.host.skip(row.position, skip.checked));

    // The button's name is its visible text, so what is read out is what is on screen.
    const select = document.createElement('button');
    select.className = 'select';
    select.title = `${row.type} · ${row.streamId} v${row.streamVersion} · ${row.recordedAt}`;
    if (isCurrent) select.setAttribute('aria-current', 'step');
    const pos = document.createElement('span');
    pos.className = 'pos';
    pos.textContent = `#${row.position}`;
    const type = document.createElement('span');
    type.className = 'type';
    type.textContent = row.type;
    const stream = document.createElement('span');
    stream.className = 'stream';
    stream.textContent = row.streamId;
    select.append(pos, ' ', type, ' ', stream);
    if (row.skipped) select.append(hiddenText(', skipped'));
    if (row.rejected > 0) {
      const refused = document.createElement('span');
      refused.className = 'refused';
      refused.textContent = `✗ ${row.rejected}`;
      refused.title = `${row.rejected} command${row.rejected === 1 ? ' was' : 's were'} refused right after this event: ${row.rejected === 1 ? 'it' : 'they'} appended nothing`;
      select.append(' ', refused, hiddenText(` refused command${row.rejected === 1 ? '' : 's'}`));
    }
    select.addEventListener('click', () => this.host.select(row.position));
    node.append(skip, select);
    return node;
  }
}

/** Text for screen readers only: it completes what the row shows with a symbol or a strike-through. */
function hiddenText(text: string): HTMLElement {
  const span = document.createElement('span');
  span.className = 'visually-hidden';
  span.textContent = text;
  return span;
}
