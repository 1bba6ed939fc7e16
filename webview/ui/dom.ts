// The only way the dashboard builds DOM: elements with text children (never innerHTML), attributes from
// an allow-list (no on* handlers, no style, no src/href), listeners through addEventListener. So every
// string from a run — script paths, loader names, messages — can only ever become text.
export type Child = Node | string | number | null | undefined | false;

const FORBIDDEN_ATTR = /^(on|style$|src$|href$|srcdoc$|formaction$|action$)/i;

export interface Props {
  class?: string;
  title?: string;
  attrs?: Record<string, string>;
  onClick?: (ev: Event) => void;
}

export function h(tag: string, props: Props = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.title !== undefined) el.title = props.title;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (FORBIDDEN_ATTR.test(name)) throw new Error(`attribute ${name} is not allowed in the dashboard`);
    el.setAttribute(name, value);
  }
  if (props.onClick) el.addEventListener('click', props.onClick);
  append(el, children);
  return el;
}

export function append(el: Element, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** A vscode-elements button; `secondary` for everything but the main action. */
export function button(label: string, onClick: () => void, opts: { secondary?: boolean; disabled?: boolean; title?: string; testId?: string } = {}): HTMLElement {
  const attrs: Record<string, string> = {};
  if (opts.secondary) attrs.secondary = '';
  if (opts.disabled) attrs.disabled = '';
  if (opts.testId) attrs['data-testid'] = opts.testId;
  return h('vscode-button', { attrs, title: opts.title, onClick: () => { if (!opts.disabled) onClick(); } }, label);
}

export function clear(el: Element): void {
  el.replaceChildren();
}
