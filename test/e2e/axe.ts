// axe-core in a webview's document, for the end-to-end tests that check what a person sees.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as AxeApi from 'axe-core';
import type { Frame } from 'playwright-core';
import { repoRoot } from './harness';

export interface AxeFinding {
  id: string;
  impact: string | null;
  nodes: number;
}

let source: string | undefined;

/**
 * Runs every axe-core rule up to WCAG AA, experimental ones included, in the webview's document. The library is
 * evaluated through the DevTools protocol, as a debugger would: the page's CSP does not apply to it,
 * and nothing of it ships in the product.
 */
export async function runAxe(frame: Frame): Promise<AxeFinding[]> {
  source ??= fs.readFileSync(path.join(repoRoot, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  await frame.evaluate(source);
  return frame.evaluate(async () => {
    const axe = (window as unknown as { axe: typeof AxeApi }).axe;
    // AAA rules (7:1 contrast) are above the bar VS Code's own themes are drawn to.
    const rules = axe
      .getRules()
      .filter((r) => !r.tags.includes('wcag2aaa'))
      .map((r) => r.ruleId);
    const result = await axe.run(document, { runOnly: { type: 'rule', values: rules }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact ?? null, nodes: v.nodes.length }));
  });
}
