/**
 * Stats: the appliance's figures now (`GET /system_stats`) and charts of the last day: the health
 * samples (`GET /health_history`, one each 5 minutes, kept in SQLite) and events started per hour
 * (`GET /stats/history`), drawn with uPlot (about 20 KB gzipped, canvas, no animation). SSE
 * `system_info` (every 30 s while a page listens) updates the figures and extends the charts;
 * nothing polls.
 *
 * Each chart has a one-line text summary under it (latest, average, peak) for screen readers and
 * for a glance on a phone.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api } from '../lib/api';
import { bytes } from '../lib/format';
import { on } from '../lib/live';
import { toast } from '../lib/toast';
import { byId, fill, formatDuration, h } from '../lib/ui';

/** The health samples column-wise, as uPlot draws them. */
interface History {
  time: number[];
  cpu_percent: (number | null)[];
  memory_percent: (number | null)[];
  disk_percent: (number | null)[];
  cpu_temp: (number | null)[];
}

interface HealthSample {
  ts: string;
  cpu_temp_celsius: number | null;
  cpu_load_percent: number | null;
  ram_percent: number | null;
  storage_percent: number | null;
}

interface HourBucket { hour: string; label: string; count: number }

export function columns(samples: HealthSample[]): History {
  return {
    time: samples.map((sample) => Date.parse(sample.ts) / 1000),
    cpu_percent: samples.map((sample) => sample.cpu_load_percent),
    memory_percent: samples.map((sample) => sample.ram_percent),
    disk_percent: samples.map((sample) => sample.storage_percent),
    cpu_temp: samples.map((sample) => sample.cpu_temp_celsius),
  };
}

interface SystemInfo {
  cpu_percent: number;
  memory_percent: number;
  disk_percent: number | null;
  cpu_temp: number | null;
}

interface Stats {
  cpu: { percent: number; count: number; load_average: number[]; frequency_mhz: number | null };
  memory: { total: number; used: number; percent: number; process_rss: number };
  disk: { total: number; used: number; free: number; percent: number };
  temperatures: { cpu: number | null };
  uptime: { system_seconds: number; process_seconds: number };
  platform: { model: string | null; machine: string; version: string; git_branch: string | null; git_commit: string | null; hostname: string };
}

const AXIS = { stroke: '#a9b4c0', grid: { stroke: '#3a4757', width: 1 }, ticks: { stroke: '#3a4757', width: 1 } };
const charts: { plot: uPlot; element: HTMLElement }[] = [];
let history: History | null = null;

const DAY = 86400;

/** The last day, whatever the samples span (one sample alone would stretch the axis over years). */
function lastDay(): uPlot.Range.MinMax {
  const now = Date.now() / 1000;
  return [now - DAY, now];
}

function chart(id: string, series: uPlot.Series[], data: uPlot.AlignedData, range?: [number, number], bars = false): uPlot {
  const element = byId(id);
  const options: uPlot.Options = {
    width: element.clientWidth || 320,
    height: 200,
    cursor: { drag: { x: false, y: false } },
    legend: { show: series.length > 1, live: false },
    scales: { x: { time: true, range: bars ? undefined : lastDay }, y: range ? { range } : { range: (_u, min, max) => [Math.min(0, min ?? 0), Math.max(1, (max ?? 1) * 1.1)] } },
    axes: [{ ...AXIS }, { ...AXIS, size: 44 }],
    series: [{}, ...series.map((s) => (bars ? { ...s, points: { show: false }, paths: uPlot.paths.bars!({ size: [0.8, 40] }) } : s))],
  };
  const plot = new uPlot(options, data, element);
  charts.push({ plot, element });
  return plot;
}

function summary(values: (number | null)[], unit: string, digits = 0): string {
  const present = values.filter((v): v is number => v !== null);
  if (!present.length) return 'No readings yet.';
  const average = present.reduce((a, b) => a + b, 0) / present.length;
  const fmt = (v: number) => `${v.toFixed(digits)}${unit}`;
  return `Now ${fmt(present[present.length - 1])}, average ${fmt(average)}, peak ${fmt(Math.max(...present))} over ${present.length} reading${present.length === 1 ? '' : 's'}.`;
}

let cpuPlot: uPlot;
let tempPlot: uPlot;
let diskPlot: uPlot;

function drawHistory(data: History): void {
  history = data;
  cpuPlot = chart('chart-cpu', [
    { label: 'CPU', stroke: '#5cc8ff', width: 2 },
    { label: 'Memory', stroke: '#ffc857', width: 2 },
  ], [data.time, data.cpu_percent, data.memory_percent], [0, 100]);
  tempPlot = chart('chart-temp', [{ label: 'CPU °C', stroke: '#ff7b7b', width: 2 }], [data.time, data.cpu_temp]);
  diskPlot = chart('chart-disk', [{ label: 'Storage', stroke: '#6ee7a8', width: 2 }], [data.time, data.disk_percent], [0, 100]);
  summarise();
}

function drawEvents(buckets: HourBucket[]): void {
  const middles = buckets.map((bucket) => Date.parse(bucket.hour) / 1000 + 1800);
  const counts = buckets.map((bucket) => bucket.count);
  chart('chart-events', [{ label: 'Events', stroke: '#c9a7ff', fill: '#c9a7ff88', width: 1 }], [middles, counts], undefined, true);
  const total = counts.reduce((a, b) => a + b, 0);
  const busiest = buckets.reduce((best, bucket) => (bucket.count > best.count ? bucket : best), buckets[0]);
  byId('summary-events').textContent = `${total} event${total === 1 ? '' : 's'} in the last ${buckets.length} hours`
    + (busiest && busiest.count ? `; the busiest hour, ${busiest.label}, had ${busiest.count}.` : '.');
}

function summarise(): void {
  if (!history) return;
  byId('summary-cpu').textContent = `CPU: ${summary(history.cpu_percent, ' %')} Memory: ${summary(history.memory_percent, ' %')}`;
  byId('summary-temp').textContent = history.cpu_temp.some((v) => v !== null) ? summary(history.cpu_temp, ' °C', 1) : 'This machine reports no CPU temperature.';
  byId('summary-disk').textContent = summary(history.disk_percent, ' %', 1);
}

/** A live reading: appended to the history (the charts redraw), the figures updated. */
function addReading(reading: SystemInfo): void {
  if (!history) return;
  history.time.push(Date.now() / 1000);
  history.cpu_percent.push(reading.cpu_percent);
  history.memory_percent.push(reading.memory_percent);
  history.disk_percent.push(reading.disk_percent);
  history.cpu_temp.push(reading.cpu_temp);
  cpuPlot.setData([history.time, history.cpu_percent, history.memory_percent]);
  tempPlot.setData([history.time, history.cpu_temp]);
  diskPlot.setData([history.time, history.disk_percent]);
  summarise();
  setFigure('cpu', `${Math.round(reading.cpu_percent)} %`);
  setFigure('memory', `${Math.round(reading.memory_percent)} %`);
  if (reading.disk_percent !== null) setFigure('disk', `${reading.disk_percent} %`);
  setFigure('temp', reading.cpu_temp === null ? '–' : `${reading.cpu_temp.toFixed(1)} °C`);
}

function setFigure(key: string, value: string): void {
  const element = document.querySelector(`[data-figure="${key}"]`);
  if (element) element.textContent = value;
}

function figure(key: string, name: string, value: string, detail = ''): HTMLElement {
  return h('div', {}, h('div', { class: 'muted' }, name), h('div', { class: 'big', 'data-figure': key }, value), detail ? h('div', { class: 'hint' }, detail) : null);
}

function drawFigures(stats: Stats): void {
  fill(byId('figures'),
    figure('cpu', 'CPU', `${Math.round(stats.cpu.percent)} %`, `${stats.cpu.count} cores, load ${stats.cpu.load_average.join(' / ')}`),
    figure('temp', 'Temperature', stats.temperatures.cpu === null ? '–' : `${stats.temperatures.cpu.toFixed(1)} °C`),
    figure('memory', 'Memory', `${Math.round(stats.memory.percent)} %`, `${bytes(stats.memory.used)} of ${bytes(stats.memory.total)}; the appliance ${bytes(stats.memory.process_rss)}`),
    figure('disk', 'Storage', `${stats.disk.percent} %`, `${bytes(stats.disk.free)} free`),
    figure('uptime', 'Up', formatDuration(stats.uptime.system_seconds), `service ${formatDuration(stats.uptime.process_seconds)}`),
  );
  const p = stats.platform;
  byId('platform').textContent = `${p.model ?? p.machine} · ${p.hostname} · securitycam ${p.version}${p.git_commit ? ` (${p.git_branch ?? '?'} @ ${p.git_commit})` : ''}`;
}

export function startStatsPage(): void {
  api.get<Stats>('/system_stats').then(drawFigures).catch((error) => toast((error as Error).message, 'error'));
  api.get<HealthSample[]>('/health_history', { query: { hours: 24 } }).then((samples) => drawHistory(columns(samples)))
    .catch((error) => toast((error as Error).message, 'error'));
  api.get<HourBucket[]>('/stats/history').then(drawEvents).catch((error) => toast((error as Error).message, 'error'));
  on<SystemInfo>('system_info', ({ data }) => addReading(data));
  const resize = new ResizeObserver(() => {
    for (const { plot, element } of charts) plot.setSize({ width: element.clientWidth, height: 200 });
  });
  for (const id of ['chart-cpu', 'chart-temp', 'chart-disk', 'chart-events']) resize.observe(byId(id));
}
