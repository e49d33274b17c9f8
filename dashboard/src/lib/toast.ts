/**
 * Toasts: short messages in the layout's live region (`#toasts`, `aria-live="polite"`), so a
 * screen reader reads them too. Errors stay until dismissed; the rest go after a few seconds.
 */

export type ToastKind = 'info' | 'success' | 'warn' | 'error';

export function toast(message: string, kind: ToastKind = 'info', seconds = kind === 'error' ? 0 : 6): void {
  const area = document.getElementById('toasts');
  if (!area) return;
  const item = document.createElement('div');
  item.className = `toast toast-${kind}`;
  item.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  const text = document.createElement('span');
  text.textContent = message;
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'toast-close';
  close.setAttribute('aria-label', 'Dismiss');
  close.textContent = '×';
  close.addEventListener('click', () => item.remove());
  item.append(text, close);
  area.append(item);
  if (seconds > 0) window.setTimeout(() => item.remove(), seconds * 1000);
}

/** Run `action`, toasting its error (the API's message) instead of throwing. */
export async function attempt<T>(action: () => Promise<T>, success?: string): Promise<T | undefined> {
  try {
    const result = await action();
    if (success) toast(success, 'success');
    return result;
  } catch (error) {
    toast((error as Error).message, 'error');
    return undefined;
  }
}
