/**
 * The appliance's REST API, same origin. A signed-in browser carries the HttpOnly session cookie
 * (`auth_token`); every change also sends `X-CSRF-Token`, copied from the readable `csrf_token`
 * cookie the login set, which another site cannot read. Errors are the API's JSON
 * `{"success": false, "message": ...}`, thrown as `ApiError`. A 401 on a page that needs a session
 * sends the browser to the login page (and back here afterwards).
 */

export const BASE = import.meta.env.BASE_URL.replace(/\/?$/, '/'); // "/ui/"

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function cookie(name: string): string | null {
  const found = document.cookie.split('; ').find((part) => part.startsWith(`${name}=`));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : null;
}

export interface RequestOptions {
  /** A JSON body (an object) or form fields (URLSearchParams / FormData). */
  body?: unknown;
  query?: Record<string, string | number | boolean | null | undefined>;
  /** Leave a 401 to the caller instead of going to the login page (the login page itself). */
  allow401?: boolean;
  signal?: AbortSignal;
}

export function loginUrl(): string {
  const here = location.pathname + location.search;
  return `${BASE}login/?next=${encodeURIComponent(here)}`;
}

export function withQuery(path: string, query: RequestOptions['query'] = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null) params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}${path.includes('?') ? '&' : '?'}${text}` : path;
}

export async function request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  let body: BodyInit | undefined;
  if (options.body instanceof URLSearchParams || options.body instanceof FormData) {
    body = options.body;
  } else if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  if (!['GET', 'HEAD'].includes(method)) {
    const csrf = cookie('csrf_token');
    if (csrf) headers['X-CSRF-Token'] = csrf;
  }
  let response: Response;
  try {
    response = await fetch(withQuery(path, options.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'the appliance does not answer (network error)');
  }
  const type = response.headers.get('Content-Type') ?? '';
  const data = type.includes('json') ? await response.json().catch(() => ({})) : await response.text();
  if (!response.ok) {
    if (response.status === 401 && !options.allow401) {
      location.assign(loginUrl());
    }
    const fields = typeof data === 'object' && data ? (data as Record<string, unknown>) : {};
    const message = String(fields.message ?? fields.error ?? (response.statusText || `HTTP ${response.status}`));
    throw new ApiError(response.status, message, fields);
  }
  return data as T;
}

export const api = {
  get: <T = unknown>(path: string, options?: RequestOptions) => request<T>('GET', path, options),
  post: <T = unknown>(path: string, body?: unknown, options?: RequestOptions) =>
    request<T>('POST', path, { ...options, body }),
  put: <T = unknown>(path: string, body?: unknown, options?: RequestOptions) =>
    request<T>('PUT', path, { ...options, body }),
  patch: <T = unknown>(path: string, body?: unknown, options?: RequestOptions) =>
    request<T>('PATCH', path, { ...options, body }),
  delete: <T = unknown>(path: string, options?: RequestOptions) => request<T>('DELETE', path, options),
};

// -- shapes of the answers the shared parts use ------------------------------------------------
export interface Me {
  id: number | null;
  username: string;
  role: 'admin' | 'viewer';
  is_2fa_enabled: boolean;
  auth_method: string;
}

export interface DeployInfo {
  git_branch: string | null;
  git_commit: string | null;
}
