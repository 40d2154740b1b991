import { modelArrows, NO_COMMAND, type EventModel, type ModelArrow } from './eventModel';

/**
 * The event model as text: a Mermaid flowchart (the Mermaid this project could bundle has no
 * `eventmodeling` diagram), a Markdown report, and the model file a team writes by hand — one
 * arrow a line, `From -> To`, or any Mermaid flowchart — compared with the traffic.
 */

/** Mermaid node labels: quotes and the characters Mermaid reads as markup become entities. */
const label = (s: string) => `"${s.replace(/[#"<>]/g, (c) => `#${c.charCodeAt(0)};`)}"`;

export function toMermaid(model: EventModel): string {
  const ids = new Map<string, string>();
  const lines = ['flowchart LR'];
  const node = (name: string, kind: 'command' | 'event' | 'readModel' | 'reaction', refused = false) => {
    const key = `${kind}\u0000${name}`;
    let id = ids.get(key);
    if (!id) {
      id = `${kind[0]}${ids.size + 1}`;
      ids.set(key, id);
      const shape = kind === 'reaction' ? [`{{`, `}}`] : kind === 'readModel' ? ['[(', ')]'] : ['[', ']'];
      lines.push(`  ${id}${shape[0]}${label(name)}${shape[1]}:::${refused ? 'refused' : kind}`);
    }
    return id;
  };
  const edge = (from: string, to: string, text?: string) =>
    lines.push(`  ${from} -->${text ? `|${label(text)}|` : ''} ${to}`);
  for (const s of model.slices) {
    const command = s.command === NO_COMMAND ? undefined : node(s.command, 'command', s.refused > 0);
    for (const e of s.events) {
      const event = node(e.name, 'event');
      if (command) edge(command, event, `${e.count}`);
    }
    for (const rm of s.readModels) for (const t of rm.eventTypes) edge(node(t, 'event'), node(rm.name, 'readModel'));
    for (const r of s.reactions) {
      const reaction = node(r.reaction, 'reaction');
      edge(node(r.on, 'event'), reaction);
      for (const c of r.commands)
        edge(
          reaction,
          node(c.type, 'command', c.refused > 0),
          c.refused > 0 ? `${c.accepted} accepted, ${c.refused} refused` : `${c.accepted}`,
        );
    }
  }
  lines.push(
    '  classDef command fill:#dbeafe,stroke:#1d4ed8,color:#111',
    '  classDef event fill:#ffedd5,stroke:#c2410c,color:#111',
    '  classDef readModel fill:#dcfce7,stroke:#15803d,color:#111',
    '  classDef reaction fill:#f3e8ff,stroke:#7e22ce,color:#111',
    '  classDef refused fill:#fee2e2,stroke:#b91c1c,stroke-width:2px,color:#111',
  );
  return `${lines.join('\n')}\n`;
}

/** Markdown table cells: a pipe or a line break would end the cell. */
const cell = (s: string) =>
  s
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ');

export function toMarkdown(model: EventModel, title = 'Event model'): string {
  const out = [
    `# ${cell(title)}`,
    '',
    `${model.totals.commands} commands (${model.totals.refused} refused), ${model.totals.events} events, ${model.slices.length} slices.`,
    '',
  ];
  for (const s of model.slices) {
    out.push(`## ${cell(s.command)}`, '');
    out.push(`- Accepted: ${s.accepted}; refused: ${s.refused}`);
    if (s.issuedBy.length) out.push(`- Issued by: ${s.issuedBy.map((i) => `${cell(i.name)} (${i.count})`).join(', ')}`);
    if (s.events.length) out.push(`- Events: ${s.events.map((e) => `${cell(e.name)} (${e.count})`).join(', ')}`);
    if (s.readModels.length) out.push(`- Read models: ${s.readModels.map((r) => cell(r.name)).join(', ')}`);
    for (const r of s.reactions)
      out.push(
        `- Reaction ${cell(r.reaction)} on ${cell(r.on)}: ${r.commands
          .map((c) => `${cell(c.type)} (${c.accepted} accepted${c.refused ? `, ${c.refused} refused` : ''})`)
          .join(', ')}`,
      );
    if (s.refusals.length) {
      out.push('', '| Refused because | Times |', '| --- | ---: |');
      for (const r of s.refusals) out.push(`| ${cell(r.name)} | ${r.count} |`);
    }
    out.push('');
  }
  out.push('## Flow', '', '```mermaid', toMermaid(model).trimEnd(), '```', '');
  return out.join('\n');
}

export interface ParsedModel {
  readonly arrows: readonly ModelArrow[];
  /** Lines that looked like arrows but could not be read, with their line numbers. */
  readonly problems: readonly string[];
}

export const MAX_MODEL_FILE_CHARS = 1024 * 1024;

// A Mermaid node: `id`, `id[label]`, `id(label)`, `id{{label}}`, `id[(label)]`, `id>label]`…, and `:::class`.
const NODE =
  /^([A-Za-z0-9_.-]+)\s*(?:(\[\[|\[\(|\(\(|\(\[|\{\{|\[|\(|\{|>)\s*(.*?)\s*(\]\]|\)\]|\)\)|\]\)|\}\}|\]|\)|\})\s*)?(?::::[A-Za-z0-9_-]+)?$/;
const unquote = (s: string) =>
  (s.startsWith('"') && s.endsWith('"') && s.length >= 2 ? s.slice(1, -1) : s).replace(/#(\d+);/g, (_, n: string) =>
    String.fromCharCode(Number(n)),
  );

/**
 * Reads a model file: `From -> To` lines, or a Mermaid flowchart (also inside a Markdown
 * ```mermaid block). Node ids resolve to their labels wherever a label was given.
 */
export function parseModelFile(source: string): ParsedModel {
  if (source.length > MAX_MODEL_FILE_CHARS)
    return {
      arrows: [],
      problems: [`The model file has ${source.length} characters; at most ${MAX_MODEL_FILE_CHARS}.`],
    };
  const labels = new Map<string, string>();
  const pending: { from: string; to: string }[] = [];
  const problems: string[] = [];
  const nodeName = (raw: string): string | undefined => {
    const m = NODE.exec(raw.trim());
    // A plain model line names things as people do: "Stock reservation -> ReserveStock".
    if (!m) return /^[^[\](){}<>|"]+$/.test(raw.trim()) ? raw.trim() : undefined;
    if (m[3] !== undefined) labels.set(m[1]!, unquote(m[3]));
    return m[1]!;
  };
  source.split(/\r?\n/).forEach((line, i) => {
    const body = line.replace(/%%.*$/, '').trim();
    if (body === '' || body.startsWith('#') || body.startsWith('```')) return;
    // Edge labels (`-->|3|`, `-- text -->`) are counts or notes, not part of the model.
    const parts = body.split(/\s*(?:-->|->|==>|-\.->)(?:\|[^|]*\|)?\s*/);
    if (parts.length < 2) {
      nodeName(body); // a node declared on its own line, e.g. `c1["ConfirmCart"]:::command`
      return;
    }
    const names = parts.map(nodeName);
    if (names.some((n) => n === undefined || n === '')) {
      problems.push(`Line ${i + 1} is not an arrow this reader understands: ${body.slice(0, 120)}`);
      return;
    }
    for (let k = 0; k + 1 < names.length; k++) pending.push({ from: names[k]!, to: names[k + 1]! });
  });
  const seen = new Map<string, ModelArrow>();
  for (const a of pending) {
    const arrow = { from: labels.get(a.from) ?? a.from, to: labels.get(a.to) ?? a.to };
    seen.set(`${arrow.from}\u0000${arrow.to}`, arrow);
  }
  return { arrows: [...seen.values()], problems };
}

export interface ModelComparison {
  /** Arrows the model draws that the traffic never used. */
  readonly unused: readonly ModelArrow[];
  /** Arrows the traffic used that the model lacks. */
  readonly missing: readonly ModelArrow[];
  readonly matched: number;
}

export function compareModel(model: EventModel, written: readonly ModelArrow[]): ModelComparison {
  const traffic = modelArrows(model);
  const key = (a: ModelArrow) => `${a.from}\u0000${a.to}`;
  const used = new Set(traffic.map(key));
  const drawn = new Set(written.map(key));
  return {
    unused: written.filter((a) => !used.has(key(a))),
    missing: traffic.filter((a) => !drawn.has(key(a))),
    matched: written.filter((a) => used.has(key(a))).length,
  };
}
