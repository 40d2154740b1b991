import type { Finding } from './emmettSqlite/integrity';

/** One line of the report that names an event, for a link to it in the replay. */
export interface ReportLink {
  /** 0-based line of the report. */
  readonly line: number;
  readonly position: number;
}

export interface CheckReportInput {
  readonly storeName: string;
  /** e.g. "Emmett SQLite (emt_messages + emt_processors (0.42 and later)), read-only". */
  readonly describedAs: string;
  /** Findings with stream and position (foreign formats) or sentences (our own store). */
  readonly findings: readonly (Finding | string)[];
  readonly checkedAt: string;
}

/** Control characters (line breaks included) would break the report's lines: shown as spaces. */
// eslint-disable-next-line no-control-regex
const oneLine = (text: string) => text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, ' ');

/**
 * The result of Check Store as a plain-text page for people: grouped by check, each finding on
 * its own line with its stream and position, and where it names an event, a link to that event
 * in the replay (the lines are returned with the text). Store text is shown as text, never markup.
 */
export function checkReport(input: CheckReportInput): { text: string; links: ReportLink[] } {
  const lines: string[] = [];
  const links: ReportLink[] = [];
  const n = input.findings.length;
  lines.push(`Check Store: ${oneLine(input.storeName)}`, '');
  lines.push(`${oneLine(input.describedAs)}.`, `Checked ${input.checkedAt}.`);
  lines.push(
    n === 0
      ? 'Sound: no finding.'
      : `${n} finding${n === 1 ? '' : 's'}. Each names its stream and position; "Show in Replay" above a finding opens its event.`,
  );
  const groups = new Map<string, (Finding | string)[]>();
  for (const f of input.findings) {
    const check = typeof f === 'string' ? 'finding' : f.check;
    groups.set(check, [...(groups.get(check) ?? []), f]);
  }
  for (const [check, list] of groups) {
    lines.push('', `${check} (${list.length})`, '');
    for (const f of list) {
      if (typeof f === 'string') {
        lines.push(`  - ${oneLine(f)}`);
        continue;
      }
      const where = [
        f.streamId === undefined ? undefined : `stream ${oneLine(f.streamId)}`,
        f.streamPosition === undefined ? undefined : `stream position ${f.streamPosition}`,
        f.position === undefined ? undefined : `global position ${f.position}`,
      ]
        .filter(Boolean)
        .join(', ');
      if (f.position !== undefined) links.push({ line: lines.length, position: f.position });
      // Where on the first line, what on the next: the lines stay short enough to read without scrolling.
      if (where) lines.push(`  - ${where}`, `      ${oneLine(f.message)}`);
      else lines.push(`  - ${oneLine(f.message)}`);
    }
  }
  return { text: `${lines.join('\n')}\n`, links };
}
