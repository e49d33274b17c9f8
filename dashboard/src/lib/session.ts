/**
 * What every signed-in page does once: find out who is signed in (`GET /auth/me`; a 401 goes to the
 * login page), mark the document with the role (`<html data-role="admin|viewer">`: elements with
 * `data-admin` are shown to admins only, by CSS), and wire the navbar: the version pill, the
 * Archive badge and health toasts.
 *
 * The Archive badge counts clips, snapshots and timelapses newer than the last visit of the archive
 * page (kept in localStorage): `GET /archive/new_count?since=` on load, again on each SSE
 * `archive_updated`; no polling.
 */
import { api, BASE, type DeployInfo, type Me } from './api';
import { on } from './live';
import { toast } from './toast';

const SEEN_KEY = 'securitycam.archiveSeen';
/** When the archive page was last visited before this page loaded (what is newer is "new"). */
export const previousArchiveVisit: string | null = localStorage.getItem(SEEN_KEY);
let mePromise: Promise<Me> | null = null;

/** The signed-in user (one request per page, shared by every island). */
export function me(): Promise<Me> {
  mePromise ??= api.get<Me>('/auth/me');
  return mePromise;
}

export async function isAdmin(): Promise<boolean> {
  return (await me()).role === 'admin';
}

export function markArchiveSeen(): void {
  localStorage.setItem(SEEN_KEY, new Date().toISOString());
  showBadge(0);
}

function showBadge(count: number): void {
  const badge = document.getElementById('archive-badge');
  if (!badge) return;
  badge.textContent = count > 99 ? '99+' : String(count);
  badge.hidden = count === 0;
  badge.setAttribute('aria-label', `${count} new`);
}

async function refreshBadge(): Promise<void> {
  if (document.body.dataset.page === 'archive') return markArchiveSeen();
  const since = localStorage.getItem(SEEN_KEY);
  if (!since) {
    // A first visit: everything already there is not "new".
    localStorage.setItem(SEEN_KEY, new Date().toISOString());
    return showBadge(0);
  }
  const { count } = await api.get<{ count: number }>('/archive/new_count', { query: { since } });
  showBadge(count);
}

async function showVersion(): Promise<void> {
  const pill = document.getElementById('version-pill');
  if (!pill) return;
  const info = await api.get<DeployInfo>('/deploy_info');
  const text = [info.git_branch, info.git_commit].filter(Boolean).join(' @ ');
  pill.textContent = text || 'securitycam';
  pill.title = text ? `branch ${info.git_branch ?? '?'}, commit ${info.git_commit ?? '?'}` : '';
}

/** SSE `system_alert`: the health state and what changed (`GET /system_alert_state` plus `changed`). */
interface AlertMessage {
  overall: string;
  alerts: Record<string, string>;
  values: Record<string, unknown>;
  changed: Record<string, { from: string; to: string }>;
}

const METRIC_NAMES: Record<string, string> = {
  cpu_temp: 'CPU temperature',
  throttle: 'Power/throttling',
  storage: 'Storage',
  sd_health: 'SD card health',
  mqtt: 'MQTT broker',
  mqtt_queue: 'MQTT queue',
  storage_limit: 'Storage limit',
};

/** One toast per metric whose level changed: "Storage: warn (87 %)", or the alert's own message. */
function toastAlert(alert: AlertMessage): void {
  for (const [metric, { to }] of Object.entries(alert.changed ?? {})) {
    const value = alert.values?.[metric];
    const name = METRIC_NAMES[metric] ?? metric;
    const detail = value ?? '';
    const text = to === 'ok' ? `${name} is back to normal` : `${name}: ${to}${detail !== '' ? ` (${detail})` : ''}`;
    toast(text, to === 'critical' ? 'error' : to === 'warn' ? 'warn' : 'success');
  }
}

async function signOut(): Promise<void> {
  await api.post('/auth/logout').catch(() => undefined);
  location.assign(`${BASE}login/`);
}

export function startSession(): void {
  me()
    .then((user) => {
      document.documentElement.dataset.role = user.role;
      const who = document.getElementById('who');
      if (who) who.textContent = `${user.username} (${user.role})`;
    })
    .catch(() => undefined); // a 401 has already sent the browser to the login page
  showVersion().catch(() => undefined);
  refreshBadge().catch(() => undefined);
  on('archive_updated', () => {
    refreshBadge().catch(() => undefined);
  });
  on<AlertMessage>('system_alert', ({ data }) => toastAlert(data));
  document.getElementById('sign-out')?.addEventListener('click', () => void signOut());
}
