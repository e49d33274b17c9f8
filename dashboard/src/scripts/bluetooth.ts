/**
 * Bluetooth presence: who is home, the tracked devices, pairing a phone and scanning.
 *
 * `GET /devices/bt` once, then SSE `presence_change` (a device came or went, with `anyone_home`)
 * keeps it current. "Make discoverable" is one long request (`POST /bt/discoverable`, answered
 * when a phone pairs or the window closes, 408); the countdown beside it is the browser's own
 * clock, not a poll. A scan (`POST /bt/scan`) lists what is near with a button to track it.
 * Without an adapter the API answers 503 and the page says so.
 */
import { api, ApiError } from '../lib/api';
import { on } from '../lib/live';
import { toast } from '../lib/toast';
import { byId, confirmed, fill, formatTime, h, withButton } from '../lib/ui';

interface Device {
  address: string;
  name: string | null;
  present: boolean;
  last_seen: number | null;
  rssi: number | null;
}

interface Tracked {
  devices: Device[];
  anyone_home: boolean;
  presence_enabled: boolean;
}

let tracked: Tracked = { devices: [], anyone_home: false, presence_enabled: true };

function render(): void {
  const home = tracked.devices.filter((device) => device.present);
  byId('anyone-home').textContent = !tracked.presence_enabled
    ? 'Presence is off'
    : home.length
      ? `Home: ${home.map((device) => device.name || device.address).join(', ')}`
      : 'Nobody is home';
  byId('presence-note').textContent = tracked.presence_enabled
    ? 'While someone is home, sensor triggers are suppressed (unless a sensor ignores presence).'
    : 'Presence detection is off: nobody counts as home, sensors always alert.';
  byId('tracked-empty').hidden = tracked.devices.length > 0;
  byId('tracked-table').hidden = tracked.devices.length === 0;
  fill(byId('tracked-table').querySelector('tbody')!, ...tracked.devices.map((device) =>
    h('tr', { 'data-address': device.address },
      h('td', {}, h('strong', {}, device.name || 'Unnamed'), h('br'), h('span', { class: 'muted' }, device.address)),
      h('td', {}, h('span', { class: `chip ${device.present ? 'chip-ok' : 'chip-muted'}` }, device.present ? 'Home' : 'Away')),
      h('td', {}, device.last_seen ? formatTime(device.last_seen) : 'never'),
      h('td', {}, h('button', {
        type: 'button', class: 'btn btn-small btn-danger', 'data-admin': true, 'aria-label': `Forget ${device.name || device.address}`,
        onclick: (event: Event) => void forget(event.currentTarget as HTMLButtonElement, device),
      }, 'Forget')),
    )));
}

async function load(): Promise<void> {
  tracked = await api.get<Tracked>('/devices/bt');
  render();
}

async function forget(button: HTMLButtonElement, device: Device): Promise<void> {
  if (!confirmed(`Stop tracking ${device.name || device.address} (and unpair it)?`)) return;
  if ((await withButton(button, () => api.post('/devices/bt/remove', { address: device.address }), 'Device forgotten')) !== undefined) await load();
}

async function track(button: HTMLButtonElement, device: { address: string; name: string | null }, pair: boolean): Promise<void> {
  const done = await withButton(button, () => api.post('/devices/bt/add', { address: device.address, name: device.name || undefined, pair }),
    `${device.name || device.address} is tracked`);
  if (done !== undefined) await load();
}

async function scan(): Promise<void> {
  const status = byId('scan-status');
  status.textContent = 'Scanning…';
  const answer = await withButton(byId<HTMLButtonElement>('scan'), () =>
    api.post<{ devices: (Device & { tracked: boolean })[]; duration: number }>('/bt/scan'));
  if (!answer) {
    status.textContent = '';
    return;
  }
  status.textContent = `${answer.devices.length} device${answer.devices.length === 1 ? '' : 's'} found in ${answer.duration} s.`;
  fill(byId('scan-results'), ...answer.devices.map((device) =>
    h('li', { class: 'entry' },
      h('span', { class: 'entry-text' }, h('strong', {}, device.name || 'Unnamed'),
        h('span', { class: 'muted' }, `${device.address}${device.rssi !== null ? ` · ${device.rssi} dBm` : ''}`)),
      device.tracked
        ? h('span', { class: 'chip chip-ok' }, 'tracked')
        : h('span', { class: 'row' },
            h('button', { type: 'button', class: 'btn btn-small', onclick: (e: Event) => void track(e.currentTarget as HTMLButtonElement, device, true) }, 'Pair & track'),
            h('button', { type: 'button', class: 'btn btn-small', title: 'For a BLE tag or beacon', onclick: (e: Event) => void track(e.currentTarget as HTMLButtonElement, device, false) }, 'Track tag')),
    )));
}

async function discoverable(): Promise<void> {
  const seconds = Number(byId<HTMLSelectElement>('pair-timeout').value);
  const button = byId<HTMLButtonElement>('discoverable');
  const countdown = byId('countdown');
  const meter = byId<HTMLMeterElement>('countdown-meter');
  const until = Date.now() + seconds * 1000;
  meter.max = seconds;
  meter.hidden = false;
  const left = byId('countdown-left');
  const tick = (): void => {
    const secondsLeft = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    meter.value = secondsLeft;
    left.textContent = `${secondsLeft} s left`;
    // The live region speaks every 15 s only: one that changes every second is noise to a screen reader.
    if (secondsLeft % 15 === 0 || secondsLeft === seconds) countdown.textContent = `Discoverable: ${secondsLeft} s left. Pair from the phone now.`;
  };
  tick();
  const timer = window.setInterval(tick, 1000);
  button.disabled = true;
  try {
    const answer = await api.post<{ device: Device }>('/bt/discoverable', { timeout: seconds });
    countdown.textContent = `Paired with ${answer.device.name || answer.device.address}: it is tracked now.`;
    toast(`Paired with ${answer.device.name || answer.device.address}`, 'success');
    await load();
  } catch (error) {
    countdown.textContent = error instanceof ApiError && error.status === 408
      ? 'No phone paired in time. Try again, with the phone\'s Bluetooth settings open.'
      : (error as Error).message;
  } finally {
    window.clearInterval(timer);
    meter.hidden = true;
    left.textContent = '';
    button.disabled = false;
  }
}

export function startBluetoothPage(): void {
  byId('scan').addEventListener('click', () => void scan());
  byId('discoverable').addEventListener('click', () => void discoverable());
  on<Device & { anyone_home: boolean }>('presence_change', ({ data }) => {
    const known = tracked.devices.find((device) => device.address === data.address);
    if (known) Object.assign(known, data);
    tracked.anyone_home = data.anyone_home;
    render();
  });
  load().catch((error) => {
    byId('anyone-home').textContent = error instanceof ApiError && error.status === 503 ? 'No Bluetooth adapter' : 'Unknown';
    byId('presence-note').textContent = (error as Error).message;
  });
}
