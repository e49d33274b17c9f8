/**
 * Logs: the appliance's own log and MediaMTX's, parsed (`GET /logs/api|mediamtx` with `level`,
 * `search` and `limit`, newest first), and the raw script logs (installation, updates, Bluetooth
 * pairing transcripts: `GET /logs/install`, `/logs/script/<category>/<file>`).
 *
 * Level, search and line count are asked of the API; the source (the logger, e.g.
 * `securitycam.sensors.manager`) is filtered here, from the sources the answer holds. Logs have no
 * live stream: "Refresh" reads them again.
 */
import { api } from '../lib/api';
import { toast } from '../lib/toast';
import { byId, debounce, fill, formatTime, h } from '../lib/ui';

interface Entry { ts: string; level: string; source: string; message: string }
interface ScriptLog { name: string; size: number; category: string; mtime: string }

let entries: Entry[] = [];

function value(id: string): string {
  return (byId(id) as HTMLInputElement | HTMLSelectElement).value;
}

function showMode(log: string): void {
  for (const element of document.querySelectorAll<HTMLElement>('[data-for]')) {
    element.hidden = (element.dataset.for === 'scripts') !== (log === 'scripts');
  }
  byId('log-lines').hidden = log === 'scripts';
  byId('script-log').hidden = log !== 'scripts';
}

function render(): void {
  const source = value('g-source');
  const shown = source ? entries.filter((entry) => entry.source === source) : entries;
  byId('log-count').textContent = `${shown.length} line${shown.length === 1 ? '' : 's'}${source ? ` from ${source}` : ''}.`;
  fill(byId('log-lines'), ...(shown.length ? shown.map((entry) => h('li', {},
    h('time', { datetime: entry.ts, class: 'muted' }, formatTime(entry.ts)),
    h('span', { class: `level-${entry.level}` }, entry.level),
    h('span', { class: 'muted' }, entry.source),
    h('span', { class: 'message' }, entry.message),
  )) : [h('li', { class: 'muted' }, 'Nothing matches.')]));
}

async function loadParsed(log: string): Promise<void> {
  entries = await api.get<Entry[]>(`/logs/${log}`, {
    query: { level: value('g-level') || null, search: value('g-search').trim() || null, limit: value('g-limit') },
  });
  const select = byId<HTMLSelectElement>('g-source');
  const chosen = select.value;
  const sources = [...new Set(entries.map((entry) => entry.source))].sort();
  select.replaceChildren(select.options[0], ...sources.map((source) => h('option', { value: source }, source)));
  select.value = sources.includes(chosen) ? chosen : '';
  render();
}

async function loadScripts(): Promise<void> {
  const files = await api.get<ScriptLog[]>('/logs/install');
  const select = byId<HTMLSelectElement>('g-file');
  const chosen = select.value;
  select.replaceChildren(...files.map((file) => h('option', { value: file.name }, `${file.name} (${formatTime(file.mtime)})`)));
  if (files.some((file) => file.name === chosen)) select.value = chosen;
  byId('log-count').textContent = `${files.length} file${files.length === 1 ? '' : 's'}.`;
  await loadScript();
}

async function loadScript(): Promise<void> {
  const name = value('g-file');
  const target = byId('script-log');
  if (!name) {
    target.textContent = 'No script log yet.';
    return;
  }
  // name is "<category>/<file>"; each part is its own path segment.
  const text = await api.get<string>(`/logs/script/${name.split('/').map(encodeURIComponent).join('/')}`);
  target.textContent = text || '(empty)';
}

async function load(): Promise<void> {
  const log = value('g-log');
  showMode(log);
  if (log === 'scripts') await loadScripts();
  else await loadParsed(log);
}

export function startLogsPage(): void {
  const reload = (): void => void load().catch((error) => toast((error as Error).message, 'error'));
  const typed = debounce(reload, 400);
  const form = byId<HTMLFormElement>('log-filters');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    reload();
  });
  form.addEventListener('change', (event) => {
    const id = (event.target as HTMLElement).id;
    if (id === 'g-source') render();
    else if (id === 'g-file') void loadScript().catch((error) => toast((error as Error).message, 'error'));
    else if (id !== 'g-search') reload();
  });
  byId('g-search').addEventListener('input', typed);
  byId('log-refresh').addEventListener('click', reload);
  reload();
}
