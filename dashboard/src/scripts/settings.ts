/**
 * Settings. Every user: their password (`POST /auth/set-password`) and two-factor sign-in
 * (`/auth/2fa/enroll` → QR code → `/auth/2fa/confirm` → recovery codes; `/auth/2fa/disable`).
 * Admins also: a new API token, API keys, users (Frigate's `/api/users`), cameras (the `Cameras`
 * settings list), the captive portal, the update check and restart/reboot.
 *
 * The QR code is drawn in the browser by lean-qr's nano build (a few KB), imported only when
 * someone starts enrolling; the secret never leaves the page otherwise. Admin sections carry
 * `data-admin` (hidden for viewers) and their data is only asked for when the user is an admin.
 */
import { api, ApiError, type Me } from '../lib/api';
import { me } from '../lib/session';
import { toast } from '../lib/toast';
import { byId, confirmed, fill, formatTime, h, withButton } from '../lib/ui';

interface ApiKey { id: number; name: string; user: string; created: string; expires_at: string | null; last_used: string | null; expired: boolean; key?: string }
interface User { username: string; role: 'admin' | 'viewer' }
type Camera = Record<string, unknown> & { name: string; enabled: boolean; source: string; url: string; path: string; width: number; height: number; fps: number; pre_capture: number; post_capture: number };

let user: Me;

function showError(id: string, error: unknown): void {
  const box = byId(id);
  box.textContent = error ? (error as Error).message : '';
  box.hidden = !error;
}

// -- password ---------------------------------------------------------------------------------------
async function changePassword(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const current = byId<HTMLInputElement>('pw-current');
  const fresh = byId<HTMLInputElement>('pw-new');
  const again = byId<HTMLInputElement>('pw-again');
  if (fresh.value !== again.value) {
    showError('pw-error', new Error('The two new passwords differ.'));
    again.focus();
    return;
  }
  try {
    await api.post('/auth/set-password', { current: current.value, new: fresh.value });
    showError('pw-error', null);
    byId<HTMLFormElement>('password-form').reset();
    toast('Password changed', 'success');
  } catch (error) {
    showError('pw-error', error);
    (error instanceof ApiError && error.body.field === 'current' ? current : fresh).focus();
  }
}

// -- two-factor -------------------------------------------------------------------------------------
async function loadTwoFactor(): Promise<void> {
  const state = await api.get<{ enabled: boolean; pending: boolean; recovery_codes_left: number }>('/auth/2fa');
  byId('tfa-status').textContent = state.enabled
    ? `On: signing in asks for a code from your app (${state.recovery_codes_left} recovery code${state.recovery_codes_left === 1 ? '' : 's'} left).`
    : 'Off: signing in needs only your password.';
  byId('tfa-start').hidden = state.enabled;
  byId('tfa-off').hidden = !state.enabled;
  byId('tfa-confirm').hidden = true;
}

async function enroll(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const password = byId<HTMLInputElement>('tfa-password');
  try {
    const [enrollment, { generate }] = await Promise.all([
      api.post<{ secret: string; otpauth_uri: string }>('/auth/2fa/enroll', { password: password.value }),
      import('lean-qr/nano'),
    ]);
    generate(enrollment.otpauth_uri).toCanvas(byId<HTMLCanvasElement>('tfa-qr'));
    byId('tfa-secret').textContent = enrollment.secret.replace(/(.{4})/g, '$1 ').trim();
    byId('tfa-start').hidden = true;
    byId('tfa-confirm').hidden = false;
    password.value = '';
    showError('tfa-error', null);
    byId('tfa-code').focus();
  } catch (error) {
    showError('tfa-error', error);
  }
}

async function confirmTwoFactor(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  try {
    const answer = await api.post<{ recovery_codes: string[] }>('/auth/2fa/confirm', { code: byId<HTMLInputElement>('tfa-code').value.replace(/\s/g, '') });
    fill(byId('tfa-code-list'), ...answer.recovery_codes.map((code) => h('li', {}, code)));
    byId('tfa-codes').hidden = false;
    showError('tfa-error', null);
    toast('Two-factor sign-in is on', 'success');
    await loadTwoFactor();
  } catch (error) {
    showError('tfa-error', error);
  }
}

async function disableTwoFactor(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  try {
    await api.post('/auth/2fa/disable', { password: byId<HTMLInputElement>('tfa-off-password').value });
    byId<HTMLFormElement>('tfa-off').reset();
    byId('tfa-codes').hidden = true;
    showError('tfa-error', null);
    toast('Two-factor sign-in is off', 'success');
    await loadTwoFactor();
  } catch (error) {
    showError('tfa-error', error);
  }
}

// -- token and keys ---------------------------------------------------------------------------------
async function newToken(): Promise<void> {
  if (!confirmed('Make a new API token? Scripts using the old one stop working.')) return;
  const answer = await withButton(byId<HTMLButtonElement>('token-new'), () => api.post<{ token: string }>('/auth/regenerate'), 'New token made');
  if (!answer) return;
  const shown = byId('token-value');
  shown.textContent = answer.token;
  shown.hidden = false;
}

async function loadKeys(): Promise<void> {
  const keys = await api.get<ApiKey[]>('/auth/api-keys');
  fill(byId('keys-table').querySelector('tbody')!, ...(keys.length ? keys.map((key) => h('tr', {},
    h('td', {}, key.name, key.expired ? h('span', { class: 'chip chip-bad' }, ' expired') : null),
    h('td', {}, key.user),
    h('td', {}, key.last_used ? formatTime(key.last_used) : 'never'),
    h('td', {}, key.expires_at ? formatTime(key.expires_at) : 'never'),
    h('td', {}, h('button', { type: 'button', class: 'btn btn-small btn-danger', 'aria-label': `Revoke the key ${key.name}`,
      onclick: (e: Event) => void revokeKey(e.currentTarget as HTMLButtonElement, key) }, 'Revoke')),
  )) : [h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No key yet.'))]));
}

async function makeKey(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const expires = byId<HTMLInputElement>('key-expires').value;
  const answer = await withButton(event.submitter as HTMLButtonElement, () => api.post<ApiKey>('/auth/api-keys', {
    name: byId<HTMLInputElement>('key-name').value.trim(),
    expires_at: expires ? new Date(`${expires}T23:59:59`).toISOString() : undefined,
  }), 'Key made: copy it now, it is shown once');
  if (!answer) return;
  const shown = byId('key-value');
  shown.textContent = `${answer.name}: ${answer.key}`;
  shown.hidden = false;
  byId<HTMLFormElement>('key-form').reset();
  await loadKeys();
}

async function revokeKey(button: HTMLButtonElement, key: ApiKey): Promise<void> {
  if (!confirmed(`Revoke the key ${key.name}? What uses it loses access.`)) return;
  if ((await withButton(button, () => api.delete(`/auth/api-keys/${key.id}`), 'Key revoked')) !== undefined) await loadKeys();
}

// -- users ------------------------------------------------------------------------------------------
async function loadUsers(): Promise<void> {
  const users = await api.get<User[]>('/api/users');
  fill(byId('users-table').querySelector('tbody')!, ...users.map((account) => {
    const self = account.username === user.username;
    const role = h('select', { 'aria-label': `Role of ${account.username}`, disabled: self, style: 'width:auto' },
      h('option', { value: 'viewer' }, 'Viewer'), h('option', { value: 'admin' }, 'Admin'));
    role.value = account.role;
    role.addEventListener('change', () => void withButton(null, () =>
      api.put(`/api/users/${encodeURIComponent(account.username)}/role`, { role: role.value }), `${account.username} is now ${role.value}`).then(loadUsers));
    return h('tr', {},
      h('td', {}, account.username, self ? h('span', { class: 'muted' }, ' (you)') : null),
      h('td', {}, role),
      h('td', {}, h('span', { class: 'row' },
        h('button', { type: 'button', class: 'btn btn-small', 'aria-label': `Set a new password for ${account.username}`,
          onclick: (e: Event) => void resetPassword(e.currentTarget as HTMLButtonElement, account) }, 'New password'),
        self ? null : h('button', { type: 'button', class: 'btn btn-small btn-danger', 'aria-label': `Delete the user ${account.username}`,
          onclick: (e: Event) => void deleteUser(e.currentTarget as HTMLButtonElement, account) }, 'Delete'))),
    );
  }));
}

async function addUser(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const done = await withButton(event.submitter as HTMLButtonElement, () => api.post('/api/users', {
    username: byId<HTMLInputElement>('user-name').value.trim(),
    password: byId<HTMLInputElement>('user-password').value,
    role: byId<HTMLSelectElement>('user-role').value,
  }), 'User added');
  if (done === undefined) return;
  byId<HTMLFormElement>('user-form').reset();
  await loadUsers();
}

async function resetPassword(button: HTMLButtonElement, account: User): Promise<void> {
  const password = window.prompt(`New password for ${account.username} (their sessions end):`);
  if (!password) return;
  await withButton(button, () => api.put(`/api/users/${encodeURIComponent(account.username)}/password`, { password }), 'Password set');
}

async function deleteUser(button: HTMLButtonElement, account: User): Promise<void> {
  if (!confirmed(`Delete the user ${account.username}?`)) return;
  if ((await withButton(button, () => api.delete(`/api/users/${encodeURIComponent(account.username)}`), 'User deleted')) !== undefined) await loadUsers();
}

// -- cameras ----------------------------------------------------------------------------------------
let cameras: Camera[] = [];

const CAMERA_FIELDS: [keyof Camera, string, 'text' | 'number', Record<string, number>?][] = [
  ['width', 'Width (px)', 'number', { min: 64, max: 4096, step: 2 }],
  ['height', 'Height (px)', 'number', { min: 64, max: 4096, step: 2 }],
  ['fps', 'Frames per second', 'number', { min: 1, max: 60, step: 1 }],
  ['pre_capture', 'Seconds before a trigger', 'number', { min: 0, max: 60, step: 1 }],
  ['post_capture', 'Seconds after', 'number', { min: 0, max: 300, step: 1 }],
];

function cameraCard(camera: Camera, index: number): HTMLElement {
  const id = (field: string) => `cam-${index}-${field}`;
  const source = h('select', { id: id('source'), 'data-field': 'source' },
    ...[['synthetic', 'Test pattern'], ['rtsp', 'Network camera (RTSP)'], ['file', 'Video file'], ['rpi_camera', 'Raspberry Pi camera']]
      .map(([value, text]) => h('option', { value }, text)));
  source.value = camera.source;
  const url = h('div', { 'data-show': 'rtsp' }, h('label', { for: id('url') }, 'RTSP URL'),
    h('input', { id: id('url'), 'data-field': 'url', value: camera.url, placeholder: 'rtsp://user:password@192.168.1.20/stream', autocomplete: 'off' }));
  const path = h('div', { 'data-show': 'file' }, h('label', { for: id('path') }, 'File path'),
    h('input', { id: id('path'), 'data-field': 'path', value: camera.path }));
  const card = h('fieldset', { 'data-camera': index },
    h('legend', {}, camera.name || 'New camera'),
    h('div', { class: 'field-row' },
      h('div', {}, h('label', { for: id('name') }, 'Name'), h('input', { id: id('name'), 'data-field': 'name', value: camera.name, required: true, pattern: '[A-Za-z0-9_-]+', maxlength: 64 })),
      h('div', {}, h('label', { for: id('source') }, 'Source'), source),
      url, path,
      ...CAMERA_FIELDS.map(([field, label, type, bounds]) => h('div', {}, h('label', { for: id(String(field)) }, label),
        h('input', { id: id(String(field)), 'data-field': String(field), type, value: String(camera[field] ?? ''), inputmode: 'decimal', ...bounds }))),
    ),
    h('label', { class: 'inline' }, h('input', { type: 'checkbox', 'data-field': 'enabled', checked: camera.enabled }), 'Enabled'),
    h('button', { type: 'button', class: 'btn btn-small btn-danger', onclick: () => { cameras = readCameras().filter((_c, i) => i !== index); renderCameras(); } }, `Remove ${camera.name || 'this camera'}`),
  );
  const showSource = () => {
    for (const part of card.querySelectorAll<HTMLElement>('[data-show]')) part.hidden = part.dataset.show !== source.value;
  };
  source.addEventListener('change', showSource);
  showSource();
  return card;
}

function renderCameras(): void {
  fill(byId('camera-list'), ...cameras.map(cameraCard));
}

/** The cameras as the form has them, each keeping the settings the form does not show (detection, record...). */
function readCameras(): Camera[] {
  return [...byId('camera-list').querySelectorAll<HTMLElement>('[data-camera]')].map((card) => {
    const camera: Camera = { ...cameras[Number(card.dataset.camera)] };
    for (const input of card.querySelectorAll<HTMLInputElement | HTMLSelectElement>('[data-field]')) {
      const field = input.dataset.field!;
      if (input instanceof HTMLInputElement && input.type === 'checkbox') camera[field] = input.checked;
      else if (input instanceof HTMLInputElement && input.type === 'number') camera[field] = Number(input.value);
      else camera[field] = input.value.trim();
    }
    return camera;
  });
}

async function saveCameras(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const answer = await withButton(event.submitter as HTMLButtonElement, () =>
    api.post<{ settings: { Cameras: Camera[] } }>('/settings', { Cameras: readCameras() }), 'Cameras saved');
  if (answer) {
    cameras = answer.settings.Cameras;
    renderCameras();
  }
}

// -- system -----------------------------------------------------------------------------------------
async function loadCaptive(): Promise<void> {
  const state = await api.get<{ enabled: boolean; active: boolean }>('/captive-portal');
  byId<HTMLInputElement>('captive').checked = state.enabled;
  byId('captive-state').textContent = state.active ? 'The redirect is in place.' : state.enabled ? 'On, but the redirect is not in place (see the log).' : 'Off.';
}

async function checkUpdates(): Promise<void> {
  const answer = await withButton(byId<HTMLButtonElement>('update-check'), () =>
    api.get<{ available: boolean; branch?: string; commits_behind?: number; summary?: string; error?: string }>('/system/update/check'));
  if (!answer) return;
  byId('update-result').textContent = answer.error
    ? `Could not check: ${answer.error}`
    : answer.available
      ? `${answer.commits_behind} new commit${answer.commits_behind === 1 ? '' : 's'} on ${answer.branch}: ${answer.summary ?? ''}`
      : 'Up to date.';
}

async function system(path: string, question: string, button: HTMLButtonElement): Promise<void> {
  if (!confirmed(question)) return;
  const answer = await withButton(button, () => api.post<{ message: string }>(path));
  if (answer) toast(answer.message, 'info');
}

export function startSettingsPage(): void {
  byId<HTMLFormElement>('password-form').addEventListener('submit', (e) => void changePassword(e));
  byId<HTMLFormElement>('tfa-start').addEventListener('submit', (e) => void enroll(e));
  byId<HTMLFormElement>('tfa-confirm').addEventListener('submit', (e) => void confirmTwoFactor(e));
  byId<HTMLFormElement>('tfa-off').addEventListener('submit', (e) => void disableTwoFactor(e));
  const fail = (error: unknown) => toast((error as Error).message, 'error');
  me().then((who) => {
    user = who;
    byId<HTMLInputElement>('pw-user').value = who.username;
    loadTwoFactor().catch(fail);
    if (who.role !== 'admin') return;
    byId('token-new').addEventListener('click', () => void newToken());
    byId<HTMLFormElement>('key-form').addEventListener('submit', (e) => void makeKey(e));
    byId<HTMLFormElement>('user-form').addEventListener('submit', (e) => void addUser(e));
    byId<HTMLFormElement>('cameras-form').addEventListener('submit', (e) => void saveCameras(e));
    byId('camera-add').addEventListener('click', () => {
      cameras = [...readCameras(), { name: `cam${cameras.length + 1}`, enabled: true, source: 'rtsp', url: '', path: '', width: 640, height: 360, fps: 10, pre_capture: 5, post_capture: 5 }];
      renderCameras();
    });
    byId<HTMLInputElement>('captive').addEventListener('change', (e) => {
      const box = e.currentTarget as HTMLInputElement;
      void withButton(null, () => api.post('/captive-portal', { enabled: box.checked }), box.checked ? 'Captive portal on' : 'Captive portal off').then(() => loadCaptive().catch(fail));
    });
    byId('update-check').addEventListener('click', () => void checkUpdates());
    byId('restart').addEventListener('click', (e) => void system('/system/restart', 'Restart the service? Recording pauses for a few seconds.', e.currentTarget as HTMLButtonElement));
    byId('reboot').addEventListener('click', (e) => void system('/system/reboot', 'Reboot the device? It is offline for about a minute.', e.currentTarget as HTMLButtonElement));
    loadKeys().catch(fail);
    loadUsers().catch(fail);
    loadCaptive().catch(fail);
    api.get<{ Cameras: Camera[] }>('/settings').then((settings) => { cameras = settings.Cameras; renderCameras(); }).catch(fail);
  }).catch(() => undefined);
}
