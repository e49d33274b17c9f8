/**
 * The tab's one connection to the appliance's server-sent events (`GET /events`).
 *
 * Every island subscribes here by message type (`on('archive_updated', fn)`) instead of opening
 * its own EventSource: the appliance holds a thread per stream, so one per tab. The browser's own
 * EventSource retries a dropped connection and sends `Last-Event-ID`; when it gives up (the server
 * answered an error, e.g. 503 when full, or was restarting) we open a new one after a growing pause,
 * passing the last id as `?last_event_id=` (an EventSource cannot set headers), so no message in
 * between is lost. The last id is kept in sessionStorage, so the next page of the same tab resumes
 * where this one stopped rather than missing what happened during the navigation.
 */

export interface LiveMessage<T = Record<string, unknown>> {
  type: string;
  id: number | null;
  data: T;
}

type Handler = (message: LiveMessage<any>) => void;
export type ConnectionState = 'connecting' | 'open' | 'retrying';

const LAST_ID_KEY = 'securitycam.lastEventId';
const handlers = new Map<string, Set<Handler>>();
const stateHandlers = new Set<(state: ConnectionState) => void>();
const listening = new Set<string>();
let source: EventSource | null = null;
let retryDelay = 1000;
let retryTimer: number | undefined;

function lastId(): string | null {
  return sessionStorage.getItem(LAST_ID_KEY);
}

function setState(state: ConnectionState): void {
  for (const handler of stateHandlers) handler(state);
}

function dispatch(type: string, event: MessageEvent): void {
  if (event.lastEventId) sessionStorage.setItem(LAST_ID_KEY, event.lastEventId);
  let data: Record<string, unknown> = {};
  try {
    data = JSON.parse(event.data);
  } catch {
    data = { text: event.data };
  }
  const message: LiveMessage = { type, id: event.lastEventId ? Number(event.lastEventId) : null, data };
  for (const handler of handlers.get(type) ?? []) {
    try {
      handler(message);
    } catch (error) {
      console.error(`live: a ${type} handler failed`, error);
    }
  }
}

function listen(type: string): void {
  if (!source || listening.has(type)) return;
  listening.add(type);
  source.addEventListener(type, (event) => dispatch(type, event as MessageEvent));
}

function connect(): void {
  const id = lastId();
  const url = `/events${id ? `?last_event_id=${encodeURIComponent(id)}` : ''}`;
  source = new EventSource(url, { withCredentials: true });
  listening.clear();
  setState('connecting');
  source.onopen = () => {
    retryDelay = 1000;
    setState('open');
  };
  source.onerror = () => {
    if (source?.readyState === EventSource.CLOSED) {
      // The browser gave up (an HTTP error): our own retry, with back-off up to 30 s.
      source = null;
      setState('retrying');
      window.clearTimeout(retryTimer);
      retryTimer = window.setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30_000);
    } else {
      setState('retrying');
    }
  };
  for (const type of handlers.keys()) listen(type);
}

/** Call `handler` for every message of `type`; returns the function that stops it. */
export function on<T = Record<string, unknown>>(type: string, handler: (message: LiveMessage<T>) => void): () => void {
  let set = handlers.get(type);
  if (!set) {
    set = new Set();
    handlers.set(type, set);
  }
  set.add(handler as Handler);
  if (!source && retryTimer === undefined) connect();
  listen(type);
  return () => set.delete(handler as Handler);
}

/** Follow the connection's state (for a "reconnecting" hint). */
export function onState(handler: (state: ConnectionState) => void): () => void {
  stateHandlers.add(handler);
  return () => stateHandlers.delete(handler);
}

// Leaving the page closes the stream at once (its thread on the appliance is freed); a page restored
// from the back/forward cache opens it again.
window.addEventListener('pagehide', () => {
  source?.close();
  source = null;
});
window.addEventListener('pageshow', (event) => {
  if (event.persisted && !source && handlers.size) connect();
});
