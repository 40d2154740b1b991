/** Creates an element with attributes and children; children are text nodes or elements, never HTML. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return node;
}

/** The element with this id, which the page's own HTML always has: a missing one is a bug, said at once. */
export function byId<T extends Element = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`Missing #${id}`);
  return node as unknown as T;
}

/** The page's channel to the extension, typed by the messages the page sends. */
export interface VsCodeApi<ToHost> {
  postMessage(message: ToHost): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi<unknown>;

/** VS Code hands a page its API once: each page calls this once, at load. */
export function vscodeApi<ToHost>(): VsCodeApi<ToHost> {
  return acquireVsCodeApi() as VsCodeApi<ToHost>;
}
