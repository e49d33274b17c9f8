/**
 * Storage and timelapse: disk use and what fills it (a stacked bar and its table, from
 * `GET /storage/status`), the janitor's limits and retention (`POST /storage/configure`), a cleanup
 * now (`POST /storage/cleanup`, its report shown), the timelapse settings and its videos.
 *
 * SSE `archive_updated` (a clip, snapshot or timelapse written or deleted, a cleanup) reloads the
 * figures, a burst of them once; nothing polls. Viewers see the same figures with the forms
 * disabled (the API would refuse their changes anyway).
 */
import { api } from '../lib/api';
import { bytes } from '../lib/format';
import { on } from '../lib/live';
import { isAdmin } from '../lib/session';
import { toast } from '../lib/toast';
import { byId, confirmed, debounce, fill, formatTime, h, withButton } from '../lib/ui';

interface Usage { bytes: number; files: number }

interface StorageStatus {
  enabled: boolean;
  max_percent: number;
  retention_days: Record<string, number>;
  total: number;
  used: number;
  free: number;
  percent: number;
  over_limit: boolean;
  by_kind: Record<string, Usage>;
  last_cleanup: { time: number; forced: boolean; deleted_count: number; freed_bytes: number } | null;
}

interface TimelapseStatus {
  enabled: boolean;
  interval_minutes: number;
  fps: number;
  resolution: string;
  today_frame_count: number;
  last_capture: string | null;
  stitching: string | null;
  error: string | null;
}

interface TimelapseVideo { path: string; date: string; size: number; mtime: string; thumbnail?: string }

// A colour per kind, each distinct on the dark surface; the table beside the bar names them too.
const KINDS: [string, string, string][] = [
  ['recordings', 'Recordings', '#5cc8ff'],
  ['clips', 'Clips', '#6ee7a8'],
  ['snapshots', 'Snapshots', '#ffc857'],
  ['timelapse', 'Timelapse', '#c9a7ff'],
  ['exports', 'Exports', '#ff9f6e'],
  ['cache', 'Live cache', '#a9b4c0'],
];

function renderUsage(status: StorageStatus): void {
  byId('usage-text').textContent = `${status.percent} % used — ${bytes(status.used)} of ${bytes(status.used + status.free)}, ${bytes(status.free)} free`;
  const bar = byId('usage-bar');
  bar.style.width = `${Math.min(100, status.percent)}%`;
  bar.style.background = status.percent >= status.max_percent ? 'var(--danger)' : status.percent >= status.max_percent - 10 ? 'var(--warn)' : 'var(--accent)';
  // Shares of what the appliance keeps (the disk bar above shows the whole disk).
  const kept = KINDS.reduce((sum, [kind]) => sum + (status.by_kind[kind]?.bytes ?? 0), 0) || 1;
  fill(byId('kind-chart'), ...KINDS.filter(([kind]) => (status.by_kind[kind]?.bytes ?? 0) > 0).map(([kind, name, colour]) =>
    h('span', { style: `width:${((status.by_kind[kind].bytes / kept) * 100).toFixed(3)}%;background:${colour}`, title: `${name}: ${bytes(status.by_kind[kind].bytes)}` })));
  byId('kind-chart').setAttribute('aria-label', `Space used by kind: ${KINDS.map(([kind, name]) => `${name} ${bytes(status.by_kind[kind]?.bytes ?? 0)}`).join(', ')}`);
  fill(byId('kind-table').querySelector('tbody')!, ...KINDS.map(([kind, name, colour]) => h('tr', {},
    h('td', {}, h('span', { class: 'swatch', style: `background:${colour}`, 'aria-hidden': 'true' }), name),
    h('td', {}, bytes(status.by_kind[kind]?.bytes ?? 0)),
    h('td', {}, String(status.by_kind[kind]?.files ?? 0)),
  )));
  const last = status.last_cleanup;
  byId('last-cleanup').textContent = last
    ? `Last cleanup ${formatTime(last.time)}${last.forced ? ' (by hand)' : ''}: ${last.deleted_count} file${last.deleted_count === 1 ? '' : 's'} deleted, ${bytes(last.freed_bytes)} freed.`
    : 'No cleanup yet.';
}

function renderLimits(status: StorageStatus): void {
  byId<HTMLInputElement>('l-enabled').checked = status.enabled;
  byId<HTMLInputElement>('l-max').value = String(status.max_percent);
  byId<HTMLInputElement>('l-max-range').value = String(status.max_percent);
  fill(byId('retention-fields'), ...Object.entries(status.retention_days).map(([kind, days]) => h('div', {},
    h('label', { for: `r-${kind}` }, KINDS.find(([k]) => k === kind)?.[1] ?? kind),
    h('input', { id: `r-${kind}`, 'data-kind': kind, type: 'number', min: 0, max: 3650, step: 1, value: String(days), inputmode: 'numeric' }),
  )));
}

function renderTimelapse(status: TimelapseStatus): void {
  const parts = [status.enabled ? `On: a frame every ${status.interval_minutes} min` : 'Off'];
  parts.push(`${status.today_frame_count} frame${status.today_frame_count === 1 ? '' : 's'} today`);
  if (status.last_capture) parts.push(`last at ${formatTime(status.last_capture)}`);
  if (status.stitching) parts.push(`making the video of ${status.stitching}`);
  byId('timelapse-status').textContent = `${parts.join(' · ')}.${status.error ? ` Error: ${status.error}` : ''}`;
  byId<HTMLInputElement>('t-enabled').checked = status.enabled;
  byId<HTMLInputElement>('t-interval').value = String(status.interval_minutes);
  byId<HTMLInputElement>('t-fps').value = String(status.fps);
  byId<HTMLSelectElement>('t-resolution').value = status.resolution;
}

function renderVideos(videos: TimelapseVideo[]): void {
  byId('videos-empty').hidden = videos.length > 0;
  fill(byId('videos'), ...videos.map((video) => h('li', { class: 'entry' },
    h('span', { class: 'entry-text' }, h('strong', {}, video.date), h('span', { class: 'muted' }, bytes(video.size))),
    h('span', { class: 'row' },
      h('button', { type: 'button', class: 'btn btn-small', 'aria-label': `Play the timelapse of ${video.date}`, onclick: () => play(video) }, 'Play'),
      h('button', { type: 'button', class: 'btn btn-small btn-danger', 'data-admin': true, 'aria-label': `Delete the timelapse of ${video.date}`,
        onclick: (e: Event) => void deleteVideo(e.currentTarget as HTMLButtonElement, video) }, 'Delete')),
  )));
}

function play(video: TimelapseVideo): void {
  const player = byId<HTMLVideoElement>('timelapse-player');
  player.hidden = false;
  player.src = `/timelapse/video?path=${encodeURIComponent(video.path)}`;
  void player.play().catch(() => undefined);
}

async function deleteVideo(button: HTMLButtonElement, video: TimelapseVideo): Promise<void> {
  if (!confirmed(`Delete the timelapse of ${video.date}?`)) return;
  if ((await withButton(button, () => api.post('/timelapse/delete', { path: video.path }), 'Timelapse deleted')) !== undefined) await load();
}

async function load(): Promise<void> {
  const [storage, timelapse, videos] = await Promise.all([
    api.get<StorageStatus>('/storage/status'),
    api.get<TimelapseStatus>('/timelapse/status'),
    api.get<TimelapseVideo[]>('/timelapse'),
  ]);
  renderUsage(storage);
  // Do not overwrite a form the user is editing.
  if (!byId('limits-form').contains(document.activeElement)) renderLimits(storage);
  if (!byId('timelapse-form').contains(document.activeElement)) renderTimelapse(timelapse);
  renderVideos(videos);
}

async function saveLimits(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const retention: Record<string, number> = {};
  for (const input of byId('retention-fields').querySelectorAll<HTMLInputElement>('input[data-kind]')) retention[input.dataset.kind!] = Number(input.value || 0);
  const answer = await withButton(event.submitter as HTMLButtonElement, () => api.post<{ clamped: boolean; max_percent: number }>('/storage/configure', {
    enabled: byId<HTMLInputElement>('l-enabled').checked,
    max_percent: Number(byId<HTMLInputElement>('l-max').value),
    retention_days: retention,
  }));
  if (answer) toast(answer.clamped ? `Limits saved (maximum set to ${answer.max_percent} %)` : 'Limits saved', 'success');
  await load();
}

async function saveTimelapse(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  await withButton(event.submitter as HTMLButtonElement, () => api.post('/timelapse/configure', {
    enabled: byId<HTMLInputElement>('t-enabled').checked,
    interval_minutes: Number(byId<HTMLInputElement>('t-interval').value),
    fps: Number(byId<HTMLInputElement>('t-fps').value),
    resolution: byId<HTMLSelectElement>('t-resolution').value,
  }), 'Timelapse saved');
  await load();
}

async function cleanup(): Promise<void> {
  if (!confirmed('Apply the limit and retention now? Footage over them is deleted.')) return;
  const report = await withButton(byId<HTMLButtonElement>('cleanup'), () =>
    api.post<{ deleted_count: number; freed_bytes: number; still_over_limit: boolean }>('/storage/cleanup'));
  if (!report) return;
  byId('cleanup-report').textContent = `${report.deleted_count} file${report.deleted_count === 1 ? '' : 's'} deleted, ${bytes(report.freed_bytes)} freed${report.still_over_limit ? '; still over the limit (what is left is locked, retained or recording)' : ''}.`;
  await load();
}

export function startStoragePage(): void {
  const range = byId<HTMLInputElement>('l-max-range');
  const number = byId<HTMLInputElement>('l-max');
  range.addEventListener('input', () => { number.value = range.value; });
  number.addEventListener('input', () => { range.value = number.value; });
  byId<HTMLFormElement>('limits-form').addEventListener('submit', (event) => void saveLimits(event));
  byId<HTMLFormElement>('timelapse-form').addEventListener('submit', (event) => void saveTimelapse(event));
  byId('cleanup').addEventListener('click', () => void cleanup());
  void isAdmin().then((admin) => {
    for (const id of ['limits-fields', 'timelapse-fields']) byId<HTMLFieldSetElement>(id).disabled = !admin;
  }).catch(() => undefined);
  const reload = debounce(() => void load().catch((error) => toast((error as Error).message, 'error')), 1000);
  on('archive_updated', reload);
  load().catch((error) => toast((error as Error).message, 'error'));
}
