/**
 * The settings page's Picture card (admins): a camera's image tuning (`/isp_settings`), rotation
 * (`/stream_settings`) and night mode (`/night_mode`). Each control saves its own field when it
 * is let go (a slider on release, a select on change), with the camera's name, so one change
 * restarts that camera once; a refusal (the API's 400 names the field) is shown under the control
 * and the control goes back to the saved value.
 */
import { api, ApiError } from '../lib/api';
import { toast } from '../lib/toast';
import { byId, fill, h } from '../lib/ui';

type Route = '/isp_settings' | '/stream_settings' | '/night_mode';
type Value = number | string;

interface Control {
  route: Route;
  key: string;
  label: string;
  /** A slider: min, max, step. */
  range?: [number, number, number];
  /** A select: its choices (numbers stay numbers in the request). */
  choices?: Value[];
  /** A time of day (HH:MM). */
  time?: boolean;
}

const CONTROLS: Control[] = [
  { route: '/isp_settings', key: 'brightness', label: 'Brightness', range: [-1, 1, 0.05] },
  { route: '/isp_settings', key: 'contrast', label: 'Contrast', range: [0, 16, 0.1] },
  { route: '/isp_settings', key: 'saturation', label: 'Saturation', range: [0, 16, 0.1] },
  { route: '/isp_settings', key: 'sharpness', label: 'Sharpness', range: [0, 16, 0.1] },
  { route: '/isp_settings', key: 'ev', label: 'Exposure compensation (EV)', range: [-10, 10, 0.5] },
  { route: '/isp_settings', key: 'awb', label: 'White balance', choices: ['auto', 'incandescent', 'tungsten', 'fluorescent', 'indoor', 'daylight', 'cloudy'] },
  { route: '/isp_settings', key: 'exposure', label: 'Exposure', choices: ['normal', 'short', 'long'] },
  { route: '/isp_settings', key: 'denoise', label: 'Noise reduction', choices: ['off', 'cdn_off', 'cdn_fast', 'cdn_hq'] },
  { route: '/isp_settings', key: 'metering', label: 'Metering', choices: ['centre', 'spot', 'matrix'] },
  { route: '/stream_settings', key: 'rotation', label: 'Rotation (degrees)', choices: [0, 90, 180, 270] },
  { route: '/stream_settings', key: 'rotation_mode', label: 'Rotate with', choices: ['auto', 'encoder'] },
  { route: '/night_mode', key: 'mode', label: 'Night mode', choices: ['off', 'auto', 'schedule', 'on'] },
  { route: '/night_mode', key: 'dark_below', label: 'Night below brightness (0-255)', range: [0, 255, 1] },
  { route: '/night_mode', key: 'bright_above', label: 'Day above brightness (0-255)', range: [0, 255, 1] },
  { route: '/night_mode', key: 'start', label: 'Night starts (schedule)', time: true },
  { route: '/night_mode', key: 'end', label: 'Night ends (schedule)', time: true },
];

interface NightState {
  settings: Record<string, Value>;
  active: boolean;
  reason: string;
}

let camera = '';
let saved: Record<string, Value> = {};

function control(spec: Control): HTMLElement {
  const id = `picture-${spec.key}`;
  const error = h('p', { id: `${id}-error`, class: 'error', role: 'alert', hidden: true });
  let input: HTMLInputElement | HTMLSelectElement;
  let shown: HTMLOutputElement | null = null;
  if (spec.range) {
    const [min, max, step] = spec.range;
    input = h('input', { id, type: 'range', min, max, step, value: saved[spec.key] });
    shown = h('output', { for: id }, String(saved[spec.key]));
    input.addEventListener('input', () => { shown!.textContent = input.value; });
  } else if (spec.choices) {
    input = h('select', { id }, ...spec.choices.map((choice) =>
      h('option', { value: choice, selected: choice === saved[spec.key] }, String(choice))));
  } else {
    input = h('input', { id, type: 'time', value: saved[spec.key] });
  }
  input.setAttribute('aria-describedby', `${id}-error`);
  input.addEventListener('change', () => void save(spec, input, shown, error));
  return h('div', { class: 'picture-field' },
    h('label', { for: id }, spec.label, shown ? ' ' : '', shown), input, error);
}

async function save(spec: Control, input: HTMLInputElement | HTMLSelectElement, shown: HTMLOutputElement | null,
  error: HTMLElement): Promise<void> {
  const value = spec.range || typeof spec.choices?.[0] === 'number' ? Number(input.value) : input.value;
  try {
    await api.post(spec.route, { [spec.key]: value, camera });
    saved[spec.key] = value;
    error.hidden = true;
    if (spec.route === '/night_mode') void showNightState();
  } catch (failure) {
    error.textContent = failure instanceof ApiError ? failure.message : `not saved: ${(failure as Error).message}`;
    error.hidden = false;
    input.value = String(saved[spec.key]);
    if (shown) shown.textContent = input.value;
  }
}

async function showNightState(): Promise<NightState> {
  const night = await api.get<NightState>('/night_mode', { query: { camera } });
  byId('picture-night-state').textContent = `Night profile ${night.active ? 'on' : 'off'} (${night.reason}).`;
  return night;
}

async function load(): Promise<void> {
  const query = { camera };
  const [isp, stream, night] = await Promise.all([
    api.get<Record<string, Value>>('/isp_settings', { query }),
    api.get<Record<string, Value>>('/stream_settings', { query }),
    showNightState(),
  ]);
  saved = { ...isp, ...stream, ...night.settings };
  fill(byId('picture-fields'), ...CONTROLS.map(control));
}

export function startPictureCard(): void {
  const fail = (error: unknown) => toast((error as Error).message, 'error');
  const select = byId<HTMLSelectElement>('picture-camera');
  select.addEventListener('change', () => {
    camera = select.value;
    load().catch(fail);
  });
  api.get<{ cameras: { name: string }[] }>('/cameras').then(({ cameras }) => {
    fill(select, ...cameras.map(({ name }) => h('option', { value: name }, name)));
    camera = cameras[0]?.name ?? '';
    byId('picture-card').hidden = !camera;
    if (camera) return load();
  }).catch(fail);
}
