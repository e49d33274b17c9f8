/**
 * Events and review: per camera, a timeline of the last day(s) and the list of what happened,
 * alerts first.
 *
 * What it shows comes from two Frigate-shaped lists joined here: review items (`/api/review`,
 * severity `alert` or `detection`, reviewed per user; each gathers the overlapping events of its
 * camera in `data.detections`) and events (`/api/events`: sensor, object, motion, manual, API). An
 * event no review item gathered (a manual or API recording) is listed on its own, with nothing to
 * review. The filters (camera, label, source, zone, reviewed) apply to an item through its events:
 * an item is shown when any of them matches. Both lists are fetched for the period (up to 1,000 of
 * each) and filtered in the browser, so changing a filter costs no request.
 *
 * SSE `reviews`, `events`, `archive_updated` (a clip was made) and `recording_state` reload the
 * lists (a burst of them once); nothing polls.
 */
import { api } from '../lib/api';
import { on } from '../lib/live';
import { eventPlaylist, playHls, type Playback } from '../lib/player';
import { toast } from '../lib/toast';
import { byId, confirmed, debounce, fill, formatDuration, formatTime, h, withButton } from '../lib/ui';

export interface FrigateEvent {
  id: string;
  label: string;
  sub_label: string | null;
  camera: string;
  start_time: number;
  end_time: number | null;
  zones: string[];
  has_clip: boolean;
  has_snapshot: boolean;
  source: string;
  top_score: number | null;
  retain_indefinitely: boolean;
  data: { sensor_id?: string; gpio?: number | null; clip_error?: string; interrupted?: boolean; [key: string]: unknown };
}

export interface ReviewItem {
  id: string;
  camera: string;
  start_time: number;
  end_time: number | null;
  severity: 'alert' | 'detection';
  data: { detections: string[]; objects: string[]; sub_labels: string[]; zones: string[]; sensors: string[] };
  has_been_reviewed: boolean;
}

interface Sensor {
  id: string;
  triggered: boolean;
  config: { id: string; name: string; type: string; gpio: number | null; camera: string };
}

export type Kind = 'alert' | 'detection' | 'event';

/** One line of the timeline: a review item with its events, or an event no item gathered. */
export interface Entry {
  key: string;
  camera: string;
  start: number;
  end: number | null;
  kind: Kind;
  review: ReviewItem | null;
  events: FrigateEvent[];
}

export interface Filters {
  camera: string;
  label: string;
  source: string;
  zone: string;
  reviewed: 'unreviewed' | 'all';
}

const KIND_ORDER: Record<Kind, number> = { alert: 0, detection: 1, event: 2 };
const KIND_TITLE: Record<Kind, string> = { alert: 'Alerts', detection: 'Detections', event: 'Other recordings' };

/** Join review items and events into entries: each item with the events it gathered, then the rest. */
export function joinEntries(items: ReviewItem[], events: FrigateEvent[]): Entry[] {
  const byId = new Map(events.map((event) => [event.id, event]));
  const claimed = new Set<string>();
  const entries: Entry[] = items.map((item) => {
    const gathered = item.data.detections.map((id) => byId.get(id)).filter((event): event is FrigateEvent => !!event);
    for (const event of gathered) claimed.add(event.id);
    return { key: `r:${item.id}`, camera: item.camera, start: item.start_time, end: item.end_time, kind: item.severity, review: item, events: gathered };
  });
  for (const event of events) {
    if (claimed.has(event.id)) continue;
    entries.push({ key: `e:${event.id}`, camera: event.camera, start: event.start_time, end: event.end_time, kind: 'event', review: null, events: [event] });
  }
  return entries;
}

/** `stayingIds`: items marked reviewed on this page, kept in view (to undo) until the list is loaded again. */
export function matches(entry: Entry, filters: Filters, stayingIds: Set<string> = new Set()): boolean {
  if (filters.camera && entry.camera !== filters.camera) return false;
  if (filters.reviewed === 'unreviewed' && entry.review?.has_been_reviewed && !stayingIds.has(entry.review.id)) return false;
  if (filters.label && !(entry.events.some((e) => e.label === filters.label) || entry.review?.data.objects.includes(filters.label))) return false;
  if (filters.source && !entry.events.some((e) => e.source === filters.source)) return false;
  if (filters.zone && !(entry.events.some((e) => e.zones.includes(filters.zone)) || entry.review?.data.zones.includes(filters.zone))) return false;
  return true;
}

/** Alerts first, then detections, then other recordings; newest first within each. */
export function ordered(entries: Entry[]): Entry[] {
  return [...entries].sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || b.start - a.start);
}

// -- page state -------------------------------------------------------------------------------------
let entries: Entry[] = [];
const justReviewed = new Set<string>();
let sensors = new Map<string, Sensor>();
let cameras: string[] = [];
let windowStart = 0;
let windowEnd = 0;
let openEntry: Entry | null = null;
let openEvent: FrigateEvent | null = null;
let playback: Playback | null = null;
let playerGeneration = 0; // bumped at each start and close: a player whose generation is past is not attached

function filters(): Filters {
  const form = byId<HTMLFormElement>('filters');
  const data = new FormData(form);
  return {
    camera: String(data.get('camera') ?? ''),
    label: String(data.get('label') ?? ''),
    source: String(data.get('source') ?? ''),
    zone: String(data.get('zone') ?? ''),
    reviewed: data.get('reviewed') === 'all' ? 'all' : 'unreviewed',
  };
}

function hours(): number {
  return Number(byId<HTMLSelectElement>('f-period').value) || 24;
}

/** Keep a select's options in step with the values seen, keeping the user's choice. */
function setOptions(select: HTMLSelectElement, values: string[]): void {
  const chosen = select.value;
  const first = select.options[0];
  select.replaceChildren(first, ...values.map((value) => h('option', { value }, value)));
  select.value = values.includes(chosen) ? chosen : '';
}

async function load(): Promise<void> {
  windowEnd = Date.now() / 1000;
  windowStart = windowEnd - hours() * 3600;
  // An item active in the window may have started before it: fetch its events from an hour earlier.
  const [items, events, sensorList] = await Promise.all([
    api.get<ReviewItem[]>('/api/review', { query: { reviewed: 1, after: windowStart, before: windowEnd, limit: 1000 } }),
    api.get<FrigateEvent[]>('/api/events', { query: { after: windowStart - 3600, limit: 1000 } }),
    api.get<{ sensors: Sensor[] }>('/sensors').catch(() => ({ sensors: [] as Sensor[] })),
  ]);
  sensors = new Map(sensorList.sensors.map((sensor) => [sensor.id, sensor]));
  entries = joinEntries(items, events);
  justReviewed.clear();
  const seenCameras = new Set([...cameras, ...entries.map((e) => e.camera)]);
  setOptions(byId<HTMLSelectElement>('f-camera'), [...seenCameras].sort());
  setOptions(byId<HTMLSelectElement>('f-label'), [...new Set(events.map((e) => e.label))].sort());
  setOptions(byId<HTMLSelectElement>('f-zone'), [...new Set(entries.flatMap((e) => [...e.events.flatMap((ev) => ev.zones), ...(e.review?.data.zones ?? [])]))].sort());
  render();
  if (openEntry) {
    const again = entries.find((entry) => entry.key === openEntry?.key);
    if (again) refreshDialog(again);
  }
}

function sensorName(id: string | null | undefined): string {
  if (!id) return '';
  const sensor = sensors.get(id);
  return sensor ? sensor.config.name || sensor.id : id;
}

function entryLabels(entry: Entry): string[] {
  const labels = new Set<string>();
  for (const event of entry.events) {
    labels.add(event.source === 'sensor' ? `${sensorName(event.data.sensor_id ?? event.sub_label)} (${event.label})` : event.label);
  }
  for (const object of entry.review?.data.objects ?? []) labels.add(object);
  return [...labels];
}

function render(): void {
  const chosen = filters();
  const shown = ordered(entries.filter((entry) => matches(entry, chosen, justReviewed)));
  const alerts = shown.filter((e) => e.kind === 'alert' && !e.review?.has_been_reviewed).length;
  byId('events-summary').textContent = shown.length
    ? `${shown.length} shown, ${alerts} unreviewed alert${alerts === 1 ? '' : 's'}, in the ${hours() === 24 ? 'last 24 hours' : `last ${hours() / 24} days`}.`
    : 'Nothing matches these filters in this period.';
  const perCamera = new Map<string, Entry[]>();
  for (const entry of shown) perCamera.set(entry.camera, [...(perCamera.get(entry.camera) ?? []), entry]);
  fill(byId('timeline'), ...[...perCamera.keys()].sort().map((camera) => cameraSection(camera, perCamera.get(camera) ?? [])));
}

function cameraSection(camera: string, list: Entry[]): HTMLElement {
  const unreviewedAlerts = list.filter((e) => e.kind === 'alert' && e.review && !e.review.has_been_reviewed);
  const markAll = unreviewedAlerts.length
    ? h('button', { type: 'button', class: 'btn btn-small', onclick: (event: Event) => void markReviewed(event.currentTarget as HTMLButtonElement, unreviewedAlerts.map((e) => e.review!.id), true) },
        `Mark ${unreviewedAlerts.length} alert${unreviewedAlerts.length === 1 ? '' : 's'} reviewed`)
    : null;
  const section = h('section', { class: 'camera-timeline card', 'aria-labelledby': `cam-${camera}` },
    h('div', { class: 'row between' }, h('h2', { id: `cam-${camera}` }, camera), markAll),
    strip(list),
  );
  for (const kind of ['alert', 'detection', 'event'] as Kind[]) {
    const ofKind = list.filter((entry) => entry.kind === kind);
    if (!ofKind.length) continue;
    section.append(h('h3', { class: `kind-title kind-${kind}` }, `${KIND_TITLE[kind]} (${ofKind.length})`),
      h('ul', { class: 'entries' }, ...ofKind.map(entryRow)));
  }
  return section;
}

/** The period as a bar with a mark per entry (a picture of the list below it, so hidden from screen readers). */
function strip(list: Entry[]): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'strip');
  svg.setAttribute('viewBox', '0 0 1000 24');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('aria-hidden', 'true');
  const span = windowEnd - windowStart;
  for (const entry of list) {
    const x = ((Math.max(entry.start, windowStart) - windowStart) / span) * 1000;
    const width = Math.max(3, (((entry.end ?? windowEnd) - Math.max(entry.start, windowStart)) / span) * 1000);
    const rect = document.createElementNS(ns, 'rect');
    rect.setAttribute('x', x.toFixed(1));
    rect.setAttribute('y', '2');
    rect.setAttribute('width', width.toFixed(1));
    rect.setAttribute('height', '20');
    rect.setAttribute('class', `mark-${entry.kind}${entry.review?.has_been_reviewed ? ' mark-reviewed' : ''}`);
    svg.append(rect);
  }
  return svg;
}

function entryRow(entry: Entry): HTMLLIElement {
  const first = entry.events[0];
  const reviewed = entry.review?.has_been_reviewed ?? false;
  const inProgress = entry.end === null;
  const length = (entry.end ?? Date.now() / 1000) - entry.start;
  const thumb = first
    ? h('img', { src: `/api/events/${encodeURIComponent(first.id)}/thumbnail.jpg`, alt: '', loading: 'lazy', width: 112, height: 63 })
    : h('span', { class: 'thumb-none', 'aria-hidden': 'true' });
  const open = h('button', { type: 'button', class: 'entry-open', 'data-entry': entry.key, onclick: () => openDialog(entry) },
    thumb,
    h('span', { class: 'entry-text' },
      h('strong', {}, formatTime(entry.start)),
      h('span', { class: 'muted' }, inProgress ? ' · in progress' : ` · ${formatDuration(length)}`),
      h('span', { class: 'chips' }, ...entryLabels(entry).map((label) => h('span', { class: 'chip' }, label)),
        first?.has_clip ? null : h('span', { class: 'chip chip-muted' }, first?.data.clip_error ? 'no clip' : 'clip pending')),
    ),
  );
  const toggle = entry.review
    ? h('button', {
        type: 'button', class: 'btn btn-small review-toggle', 'aria-pressed': String(reviewed),
        'aria-label': `${reviewed ? 'Reviewed' : 'Mark as reviewed'}: ${entry.camera} ${formatTime(entry.start)}`,
        onclick: (event: Event) => void markReviewed(event.currentTarget as HTMLButtonElement, [entry.review!.id], !reviewed),
      }, reviewed ? '✓ Reviewed' : 'Mark reviewed')
    : null;
  return h('li', { class: `entry entry-${entry.kind}${reviewed ? ' entry-reviewed' : ''}` }, open, toggle);
}

async function markReviewed(button: HTMLButtonElement | null, ids: string[], reviewed: boolean): Promise<void> {
  await withButton(button, async () => {
    await api.post('/api/reviews/viewed', { ids, reviewed });
    for (const entry of entries) {
      if (entry.review && ids.includes(entry.review.id)) entry.review.has_been_reviewed = reviewed;
    }
    for (const id of ids) justReviewed.add(id);
    render();
    if (openEntry?.review && ids.includes(openEntry.review.id)) refreshDialog(openEntry);
  });
}

// -- the event dialog: player, snapshot, facts, actions ---------------------------------------------
function openDialog(entry: Entry): void {
  const dialog = byId<HTMLDialogElement>('event-dialog');
  refreshDialog(entry);
  if (!dialog.open) dialog.showModal();
}

function refreshDialog(entry: Entry): void {
  const keepEvent = openEntry?.key === entry.key && openEvent ? entry.events.find((e) => e.id === openEvent?.id) : undefined;
  openEntry = entry;
  byId('event-title').textContent = `${entry.camera} · ${formatTime(entry.start)}${entry.review ? ` · ${entry.review.severity}` : ''}`;
  const reviewButton = byId<HTMLButtonElement>('event-reviewed');
  reviewButton.hidden = !entry.review;
  const reviewed = entry.review?.has_been_reviewed ?? false;
  reviewButton.setAttribute('aria-pressed', String(reviewed));
  reviewButton.textContent = reviewed ? '✓ Reviewed (undo)' : 'Mark as reviewed';
  const tabs = byId('event-tabs');
  fill(tabs, ...(entry.events.length > 1
    ? entry.events.map((event) => h('button', {
        type: 'button', class: 'btn btn-small', 'aria-pressed': 'false', 'data-event': event.id,
        onclick: () => selectEvent(event),
      }, `${formatTime(event.start_time, false)} ${event.label}`))
    : []));
  const chosen = keepEvent ?? entry.events[0];
  if (chosen) selectEvent(chosen, chosen.id === openEvent?.id);
  else fill(byId('event-meta'), h('dt', {}, 'Events'), h('dd', {}, 'none kept for this item'));
}

function fact(name: string, value: string | null | undefined): Node[] {
  return value ? [h('dt', {}, name), h('dd', {}, value)] : [];
}

function selectEvent(event: FrigateEvent, keepPlayer = false): void {
  openEvent = event;
  for (const tab of byId('event-tabs').querySelectorAll('button')) {
    tab.setAttribute('aria-pressed', String(tab.dataset.event === event.id));
  }
  const end = event.end_time;
  const sensorId = event.data.sensor_id ?? (event.source === 'sensor' ? event.sub_label : null);
  const sensor = sensorId ? sensors.get(sensorId) : undefined;
  const sensorText = sensorId
    ? `${sensorName(sensorId)} — ${sensor?.config.type ?? event.label}${sensor?.config.gpio !== null && sensor?.config.gpio !== undefined ? `, GPIO ${sensor.config.gpio}` : ''}${sensor?.triggered ? ' (triggered now)' : ''}`
    : null;
  const otherSensors = (openEntry?.review?.data.sensors ?? []).filter((name) => name !== sensorId).map(sensorName);
  fill(byId('event-meta'),
    ...fact('Source', event.source),
    ...fact('Label', event.sub_label && event.source !== 'sensor' ? `${event.label} (${event.sub_label})` : event.label),
    ...fact('Sensor', sensorText),
    ...fact('Other sensors in this item', otherSensors.join(', ')),
    ...fact('Started', formatTime(event.start_time)),
    ...fact('Length', end === null ? 'in progress' : formatDuration(end - event.start_time)),
    ...fact('Zones', event.zones.join(', ')),
    ...fact('Score', event.top_score !== null ? `${Math.round(event.top_score * 100)} %` : null),
    ...fact('Clip', event.has_clip ? 'made' : event.data.clip_error ? `none: ${event.data.clip_error}` : 'being made'),
    ...fact('Note', event.data.interrupted ? 'ended by a restart' : null),
  );
  const clip = byId<HTMLAnchorElement>('event-clip');
  clip.hidden = !event.has_clip;
  clip.href = `/api/events/${encodeURIComponent(event.id)}/clip.mp4`;
  const snapshot = byId<HTMLImageElement>('event-snapshot');
  snapshot.src = `/api/events/${encodeURIComponent(event.id)}/snapshot.jpg`;
  if (!keepPlayer) void startPlayer(event);
}

async function startPlayer(event: FrigateEvent): Promise<void> {
  const video = byId<HTMLVideoElement>('event-video');
  const error = byId('event-video-error');
  const generation = ++playerGeneration;
  playback?.destroy();
  playback = null;
  error.hidden = true;
  video.dataset.event = event.id;
  try {
    const started = await playHls(video, eventPlaylist(event.id), (message) => {
      error.textContent = message;
      error.hidden = false;
    }, { stillWanted: () => generation === playerGeneration, notFound: 'no footage kept for this event' });
    if (generation === playerGeneration) playback = started;
  } catch (failure) {
    error.textContent = `the player could not load: ${(failure as Error).message}`;
    error.hidden = false;
  }
}

function closeDialog(): void {
  playerGeneration += 1;
  playback?.destroy();
  playback = null;
  const video = byId<HTMLVideoElement>('event-video');
  video.pause();
  video.removeAttribute('src');
  openEntry = null;
  openEvent = null;
}

async function deleteEvent(button: HTMLButtonElement): Promise<void> {
  const event = openEvent;
  if (!event || !confirmed(`Delete this ${event.label} event with its clip and snapshot? This cannot be undone.`)) return;
  const done = await withButton(button, () => api.delete(`/api/events/${encodeURIComponent(event.id)}`), 'Event deleted');
  if (done !== undefined) {
    byId<HTMLDialogElement>('event-dialog').close();
    await load();
  }
}

export function startEventsPage(): void {
  const reload = debounce(() => void load().catch((error) => toast((error as Error).message, 'error')), 800);
  byId('filters').addEventListener('change', (event) => {
    if ((event.target as HTMLElement).id === 'f-period') reload();
    else render();
  });
  byId('filters').addEventListener('submit', (event) => event.preventDefault());
  const dialog = byId<HTMLDialogElement>('event-dialog');
  byId('event-close').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', closeDialog);
  byId('event-reviewed').addEventListener('click', (event) => {
    const review = openEntry?.review;
    if (review) void markReviewed(event.currentTarget as HTMLButtonElement, [review.id], !review.has_been_reviewed);
  });
  byId('event-delete').addEventListener('click', (event) => void deleteEvent(event.currentTarget as HTMLButtonElement));
  api.get<{ cameras: { name: string }[] }>('/cameras')
    .then(({ cameras: list }) => { cameras = list.map((camera) => camera.name); })
    .catch(() => undefined)
    .finally(() => void load().catch((error) => toast((error as Error).message, 'error')));
  for (const type of ['reviews', 'events', 'archive_updated', 'recording_state']) on(type, reload);
}
