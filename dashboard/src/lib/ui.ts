/**
 * Small DOM helpers the pages share: build elements without innerHTML (every text from the API is
 * set as text, never parsed as HTML), format bytes, times and durations, and run a button's action
 * with the button disabled meanwhile (its error toasted). Byte counts: `bytes()` of format.ts.
 */
import { attempt } from './toast';

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;

/** `h('button', {type: 'button', onclick: fn}, 'Save')`: attributes (false/null left out), `on*` listeners. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else if (value !== false && value !== null && value !== undefined) element.setAttribute(name, String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Element, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === 'number' ? String(child) : child);
  }
}

/** Replace everything in `parent` with `children`. */
export function fill(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`no #${id} on this page`);
  return element as T;
}

/** Epoch seconds or an ISO string as the browser's local date and time. */
export function formatTime(when: number | string | null | undefined, withDate = true): string {
  if (when === null || when === undefined) return '–';
  const date = typeof when === 'number' ? new Date(when * 1000) : new Date(when);
  return withDate
    ? date.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' })
    : date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  const whole = Math.max(0, Math.round(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  if (h) return `${h} h ${m} min`;
  if (m) return `${m} min ${s} s`;
  return `${s} s`;
}

/** Call `fn` once, `wait` ms after the last of a burst of calls. */
export function debounce(fn: () => void, wait = 400): () => void {
  let timer: number | undefined;
  return () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(fn, wait);
  };
}

/** `attempt(action, success)` (toast.ts) with `button` disabled and `aria-busy` meanwhile. */
export async function withButton<T>(button: HTMLButtonElement | null, action: () => Promise<T>, success?: string): Promise<T | undefined> {
  if (button) {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
  }
  try {
    return await attempt(action, success);
  } finally {
    if (button) {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }
}

/** Ask before something that cannot be undone (the browser's own dialog: keyboard and screen reader friendly). */
export function confirmed(question: string): boolean {
  return window.confirm(question);
}
