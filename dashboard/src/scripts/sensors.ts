/**
 * Sensors: every configured sensor with its live state, and the editor that adds or changes one.
 *
 * The editor is built from `GET /sensor/types`, so a new sensor type (one driver file on the
 * appliance) appears here with no dashboard change: a radio per type, its wiring table, its default
 * pin, and a control per calibration item (a slider with a number box for `int`/`float` within
 * `min`..`max` by `step`, a checkbox for `bool`). Saving is `POST /sensors` (new) or
 * `PATCH /sensors/<id>`; the API checks everything again and a refused field is focused with its
 * message. "Test wiring" reads the pin (`POST /sensor/test`) without disturbing a running sensor.
 *
 * State comes from SSE `sensor_state` (one sensor's status, `removed` when it went); nothing polls.
 */
import { api, ApiError } from '../lib/api';
import { on } from '../lib/live';
import { toast } from '../lib/toast';
import { byId, confirmed, fill, formatDuration, h, withButton } from '../lib/ui';

export interface Calibration {
  key: string;
  label: string;
  type: 'int' | 'float' | 'bool';
  default: number | boolean;
  min: number | null;
  max: number | null;
  step: number | null;
  unit: string;
}

export interface SensorType {
  name: string;
  description: string;
  default_gpio: number | null;
  uses_gpio: boolean;
  pull_up: boolean;
  wiring: { pin: string; connect: string }[];
  calibration: Calibration[];
}

interface SensorConfig {
  id: string;
  name: string;
  type: string;
  gpio: number | null;
  enabled: boolean;
  hold_seconds: number;
  invert_logic: boolean;
  calibration: Record<string, number | boolean>;
  camera: string;
  ignore_presence: boolean;
}

export interface SensorStatus {
  id: string;
  enabled: boolean;
  armed: boolean;
  triggered: boolean;
  suppressed: boolean;
  recording_from_sensor: boolean;
  simulated: boolean;
  event_id: string | null;
  hold_remaining: number | null;
  error: string | null;
  config: SensorConfig;
  removed?: boolean;
}

let types: SensorType[] = [];
const sensors = new Map<string, SensorStatus>();
let editing: string | null = null; // the id of the sensor being changed; null: a new one

/** What a sensor is doing, in words and a chip colour. */
export function stateOf(sensor: SensorStatus): { text: string; tone: 'ok' | 'warn' | 'bad' | 'muted' } {
  if (sensor.error) return { text: `Error: ${sensor.error}`, tone: 'bad' };
  if (!sensor.enabled) return { text: 'Disarmed', tone: 'muted' };
  if (sensor.triggered && sensor.suppressed) return { text: 'Triggered (suppressed: someone is home)', tone: 'warn' };
  if (sensor.triggered) return { text: 'Triggered', tone: 'bad' };
  if (sensor.hold_remaining !== null && sensor.recording_from_sensor) return { text: 'Released, still recording', tone: 'warn' };
  if (!sensor.armed) return { text: 'Not armed', tone: 'warn' };
  return { text: 'Armed, quiet', tone: 'ok' };
}

function typeOf(name: string): SensorType | undefined {
  return types.find((type) => type.name === name);
}

// -- the list ---------------------------------------------------------------------------------------
function renderList(): void {
  const list = byId('sensor-list');
  byId('sensors-empty').hidden = sensors.size > 0;
  fill(list, ...[...sensors.values()].map(sensorCard));
}

function sensorCard(sensor: SensorStatus): HTMLElement {
  const { config } = sensor;
  const state = stateOf(sensor);
  const type = typeOf(config.type);
  const pin = type?.uses_gpio === false ? 'no wiring' : `GPIO ${config.gpio ?? type?.default_gpio ?? '?'}`;
  const title = config.name || config.id;
  const buttons: (HTMLElement | null)[] = [
    config.type === 'mock'
      ? h('button', { type: 'button', class: 'btn btn-small', 'data-admin': true, onclick: (e: Event) => void mock(e, true) }, 'Trigger')
      : null,
    config.type === 'mock'
      ? h('button', { type: 'button', class: 'btn btn-small', 'data-admin': true, onclick: (e: Event) => void mock(e, false) }, 'Release')
      : null,
    h('button', {
      type: 'button', class: 'btn btn-small', 'data-admin': true, 'aria-label': `${sensor.enabled ? 'Disarm' : 'Arm'} ${title}`,
      onclick: (e: Event) => void change(e, sensor.id, { enabled: !sensor.enabled }, sensor.enabled ? 'Disarmed' : 'Armed'),
    }, sensor.enabled ? 'Disarm' : 'Arm'),
    h('button', { type: 'button', class: 'btn btn-small', 'data-admin': true, 'aria-label': `Edit ${title}`, onclick: () => openEditor(sensor) }, 'Edit'),
    h('button', { type: 'button', class: 'btn btn-small btn-danger', 'data-admin': true, 'aria-label': `Remove ${title}`, onclick: (e: Event) => void remove(e, sensor) }, 'Remove'),
  ];
  return h('article', { class: `card sensor-card${sensor.triggered ? ' state-triggered' : ''}`, 'data-sensor': sensor.id, 'aria-label': `Sensor ${title}` },
    h('header', {},
      h('h3', {}, title),
      h('span', { class: `chip chip-${state.tone}`, 'data-state': '' }, state.text),
    ),
    h('p', { class: 'chips' },
      h('span', { class: 'chip' }, config.type),
      h('span', { class: 'chip' }, pin),
      h('span', { class: 'chip' }, `camera ${config.camera}`),
      h('span', { class: 'chip' }, `hold ${formatDuration(config.hold_seconds)}`),
      sensor.simulated ? h('span', { class: 'chip chip-muted', title: 'No real pin here: simulated' }, 'simulated') : null,
      config.ignore_presence ? h('span', { class: 'chip chip-muted' }, 'ignores presence') : null,
      config.invert_logic ? h('span', { class: 'chip chip-muted' }, 'inverted') : null,
    ),
    h('div', { class: 'row' }, ...buttons),
  );
}

async function mock(event: Event, active: boolean): Promise<void> {
  await withButton(event.currentTarget as HTMLButtonElement, () => api.post(`/sensor/mock/${active ? 'trigger' : 'release'}`));
}

async function change(event: Event, id: string, fields: Partial<SensorConfig>, success: string): Promise<void> {
  const answer = await withButton(event.currentTarget as HTMLButtonElement,
    () => api.patch<{ sensor: SensorStatus }>(`/sensors/${encodeURIComponent(id)}`, fields), success);
  if (answer) update(answer.sensor);
}

async function remove(event: Event, sensor: SensorStatus): Promise<void> {
  if (!confirmed(`Remove the sensor ${sensor.config.name || sensor.id}? Its events stay.`)) return;
  const done = await withButton(event.currentTarget as HTMLButtonElement,
    () => api.delete(`/sensors/${encodeURIComponent(sensor.id)}`), 'Sensor removed');
  if (done !== undefined) {
    sensors.delete(sensor.id);
    renderList();
  }
}

function update(status: SensorStatus): void {
  if (status.removed) sensors.delete(status.id);
  else sensors.set(status.id, status);
  renderList();
}

// -- the editor ------------------------------------------------------------------------------------
function renderPicker(): void {
  const picker = byId('type-picker');
  const legend = picker.querySelector('legend');
  fill(picker, legend, ...types.map((type) =>
    h('label', { class: 'type-option' },
      h('input', { type: 'radio', name: 'type', value: type.name, onchange: () => chooseType(type.name) }),
      h('strong', {}, type.name.replace(/_/g, ' ')),
      h('span', { class: 'hint' }, type.description),
    )));
}

function calibrationControl(item: Calibration, value: number | boolean): HTMLElement {
  const id = `cal-${item.key}`;
  if (item.type === 'bool') {
    return h('label', { class: 'inline' }, h('input', { type: 'checkbox', id, 'data-key': item.key, checked: Boolean(value) }), item.label);
  }
  const unit = item.unit ? ` (${item.unit})` : '';
  const bounds = { min: item.min ?? undefined, max: item.max ?? undefined, step: item.step ?? (item.type === 'int' ? 1 : 'any') };
  const number = h('input', { type: 'number', id, 'data-key': item.key, value: String(value), inputmode: 'decimal', ...bounds,
    'aria-describedby': `${id}-hint` });
  const slider = h('input', { type: 'range', value: String(value), 'aria-label': `${item.label}${unit} slider`, ...bounds });
  slider.addEventListener('input', () => { number.value = slider.value; });
  number.addEventListener('input', () => { slider.value = number.value; });
  const range = item.min !== null && item.max !== null ? `${item.min}–${item.max}${item.unit ? ` ${item.unit}` : ''}` : '';
  return h('div', {},
    h('label', { for: id }, `${item.label}${unit}`),
    h('div', { class: 'range-pair' }, slider, number),
    h('p', { class: 'hint', id: `${id}-hint` }, `${range ? `${range}; ` : ''}default ${item.default}`),
  );
}

function chooseType(name: string, config?: SensorConfig): void {
  const type = typeOf(name);
  if (!type) return;
  for (const radio of document.querySelectorAll<HTMLInputElement>('#type-picker input[name="type"]')) radio.checked = radio.value === name;
  byId('type-details').hidden = false;
  const same = config && config.type === name;
  const tbody = byId('wiring-table').querySelector('tbody')!;
  fill(tbody, ...type.wiring.map((wire) => h('tr', {}, h('td', {}, wire.pin), h('td', {}, wire.connect))));
  byId('wiring-table').hidden = type.wiring.length === 0;
  byId('wiring-none').hidden = type.wiring.length > 0;
  byId('wiring-caption').textContent = type.uses_gpio
    ? `${type.name.replace(/_/g, ' ')}: ${type.pull_up ? 'the Pi\'s internal pull-up is used' : 'the module drives the pin itself'}`
    : '';
  byId('gpio-field').hidden = !type.uses_gpio;
  byId('invert-field').hidden = !type.uses_gpio;
  byId('test-wiring').hidden = !type.uses_gpio;
  byId<HTMLInputElement>('s-gpio').value = same && config.gpio !== null ? String(config.gpio) : String(type.default_gpio ?? '');
  byId('test-result').textContent = '';
  const fields = byId('calibration-fields');
  fill(fields, ...type.calibration.map((item) => calibrationControl(item, same && item.key in config.calibration ? config.calibration[item.key] : item.default)));
  byId('calibration').hidden = type.calibration.length === 0;
}

function openEditor(sensor?: SensorStatus): void {
  editing = sensor?.id ?? null;
  const form = byId<HTMLFormElement>('sensor-form');
  form.reset();
  byId('form-error').hidden = true;
  byId('editor-title').textContent = sensor ? `Change ${sensor.config.name || sensor.id}` : 'Add a sensor';
  byId('type-details').hidden = true;
  for (const radio of form.querySelectorAll<HTMLInputElement>('input[name="type"]')) radio.checked = false;
  if (sensor) {
    const { config } = sensor;
    byId<HTMLInputElement>('s-name').value = config.name;
    byId<HTMLSelectElement>('s-camera').value = config.camera;
    byId<HTMLInputElement>('s-hold').value = String(config.hold_seconds);
    byId<HTMLInputElement>('s-enabled').checked = config.enabled;
    byId<HTMLInputElement>('s-invert').checked = config.invert_logic;
    byId<HTMLInputElement>('s-presence').checked = config.ignore_presence;
    chooseType(config.type, config);
  }
  const editor = byId('editor');
  editor.hidden = false;
  editor.scrollIntoView({ block: 'start' });
  (form.querySelector<HTMLInputElement>('input[name="type"]:checked') ?? form.querySelector<HTMLInputElement>('input[name="type"]'))?.focus();
}

function chosenType(): SensorType | undefined {
  const radio = document.querySelector<HTMLInputElement>('#type-picker input[name="type"]:checked');
  return radio ? typeOf(radio.value) : undefined;
}

/** The sensor the form describes, in the API's fields. */
function formSensor(type: SensorType): Record<string, unknown> {
  const calibration: Record<string, number | boolean> = {};
  for (const input of byId('calibration-fields').querySelectorAll<HTMLInputElement>('input[data-key]')) {
    const item = type.calibration.find((c) => c.key === input.dataset.key);
    if (!item) continue;
    calibration[item.key] = item.type === 'bool' ? input.checked : Number(input.value);
  }
  const gpio = byId<HTMLInputElement>('s-gpio').value.trim();
  return {
    type: type.name,
    name: byId<HTMLInputElement>('s-name').value.trim(),
    gpio: type.uses_gpio ? (gpio === '' ? null : Number(gpio)) : null,
    camera: byId<HTMLSelectElement>('s-camera').value || undefined,
    hold_seconds: Number(byId<HTMLInputElement>('s-hold').value || 0),
    enabled: byId<HTMLInputElement>('s-enabled').checked,
    invert_logic: type.uses_gpio ? byId<HTMLInputElement>('s-invert').checked : false,
    ignore_presence: byId<HTMLInputElement>('s-presence').checked,
    calibration,
  };
}

function showFormError(error: unknown): void {
  const box = byId('form-error');
  box.textContent = (error as Error).message;
  box.hidden = false;
  const field = error instanceof ApiError ? String(error.body.field ?? '') : '';
  const key = field.replace(/^calibration\./, '');
  const target = document.querySelector<HTMLElement>(`[data-key="${CSS.escape(key)}"]`) ?? document.querySelector<HTMLElement>(`#sensor-form [name="${CSS.escape(field)}"]`);
  target?.focus();
}

async function save(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const type = chosenType();
  if (!type) {
    showFormError(new Error('Choose a sensor type first.'));
    return;
  }
  const button = byId<HTMLButtonElement>('save-sensor');
  button.disabled = true;
  byId('form-error').hidden = true;
  try {
    const body = formSensor(type);
    const answer = editing
      ? await api.patch<{ sensor: SensorStatus }>(`/sensors/${encodeURIComponent(editing)}`, body)
      : await api.post<{ sensor: SensorStatus }>('/sensors', body);
    update(answer.sensor);
    toast(editing ? 'Sensor changed' : `Sensor ${answer.sensor.config.name || answer.sensor.id} added`, 'success');
    byId('editor').hidden = true;
    editing = null;
    document.querySelector<HTMLElement>(`[data-sensor="${CSS.escape(answer.sensor.id)}"] h3`)?.scrollIntoView({ block: 'center' });
  } catch (error) {
    showFormError(error);
  } finally {
    button.disabled = false;
  }
}

async function testWiring(): Promise<void> {
  const type = chosenType();
  if (!type) return;
  const gpio = byId<HTMLInputElement>('s-gpio').value.trim();
  const result = byId('test-result');
  result.textContent = 'Reading the pin…';
  const answer = await withButton(byId<HTMLButtonElement>('test-wiring'), () =>
    api.post<{ gpio: number; level: string; would_trigger: boolean; in_use_by: string | null }>('/sensor/test',
      { type: type.name, gpio: gpio === '' ? null : Number(gpio) }));
  if (!answer) {
    result.textContent = '';
    return;
  }
  const meaning = answer.would_trigger ? 'this level means triggered' : 'this level means quiet';
  result.textContent = `GPIO ${answer.gpio} reads ${answer.level}: ${meaning}${answer.in_use_by ? ` (pin used by ${answer.in_use_by})` : ''}.`;
}

export function startSensorsPage(): void {
  byId('add-sensor').addEventListener('click', () => openEditor());
  byId('cancel-edit').addEventListener('click', () => { byId('editor').hidden = true; editing = null; });
  byId('test-wiring').addEventListener('click', () => void testWiring());
  byId<HTMLFormElement>('sensor-form').addEventListener('submit', (event) => void save(event));
  on<SensorStatus>('sensor_state', ({ data }) => update(data));
  Promise.all([
    api.get<{ types: SensorType[] }>('/sensor/types'),
    api.get<{ sensors: SensorStatus[] }>('/sensors'),
    api.get<{ cameras: { name: string }[] }>('/cameras'),
  ]).then(([typeList, sensorList, cameraList]) => {
    // Real parts first, the software mock last.
    types = [...typeList.types].sort((a, b) => Number(!a.uses_gpio) - Number(!b.uses_gpio) || a.name.localeCompare(b.name));
    fill(byId('s-camera'), ...cameraList.cameras.map((camera) => h('option', { value: camera.name }, camera.name)));
    renderPicker();
    for (const sensor of sensorList.sensors) sensors.set(sensor.id, sensor);
    renderList();
  }).catch((error) => toast((error as Error).message, 'error'));
}
