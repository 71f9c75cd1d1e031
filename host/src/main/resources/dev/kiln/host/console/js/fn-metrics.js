// Charts over time from GET …/stats?from=&to=&step= (per-minute statistics the host keeps,
// docs/adr/0043), drawn with the vendored uPlot; refreshed every 15 s while shown.
import * as api from './api.js';
import { h, mount, errorBox } from './dom.js';
import { chart } from './chart.js';

const RANGES = [
  ['3600', '60', 'last hour'],
  ['21600', '300', 'last 6 h'],
  ['86400', '900', 'last 24 h'],
  ['604800', '3600', 'last 7 days'],
];
const REFRESH_MS = 15_000;

export function renderMetrics(el, ctx) {
  const range = h('select#metrics-range', RANGES.map(([s, step, t]) => h('option', { value: s, dataset: { step } }, t)));
  const problem = h('div');
  const boxes = {
    invocations: h('div.chart#chart-invocations'),
    latency: h('div.chart#chart-latency'),
    fuel: h('div.chart#chart-fuel'),
    starts: h('div.chart#chart-starts'),
  };
  const totals = h('div.totals#metrics-totals');
  mount(
    el,
    h('div.row', h('h2', 'Metrics'), h('span.spacer'), range),
    problem,
    totals,
    h(
      'div.charts',
      h('div.card', h('h3', 'Invocations and errors per second'), boxes.invocations),
      h('div.card', h('h3', 'Latency (ms)'), boxes.latency),
      h('div.card', h('h3', 'Fuel per step'), boxes.fuel),
      h('div.card', h('h3', 'Start kinds per step'), boxes.starts),
    ),
  );
  let charts = [];
  const load = async () => {
    const seconds = Number(range.value);
    const step = range.selectedOptions[0].dataset.step;
    const to = new Date();
    const from = new Date(to.getTime() - seconds * 1000);
    const q = new URLSearchParams({ from: from.toISOString(), to: to.toISOString(), step });
    try {
      const stats = await api.call(`${ctx.path}/stats?${q}`);
      mount(problem);
      draw(stats);
    } catch (e) {
      mount(problem, errorBox(e));
    }
  };
  const draw = (stats) => {
    charts.forEach((c) => c.destroy());
    const p = stats.points;
    const x = p.map((pt) => Date.parse(pt.time) / 1000);
    const step = stats.stepSeconds;
    const errs = (pt) => Object.values(pt.errors || {}).reduce((a, b) => a + b, 0);
    const count = p.reduce((a, pt) => a + pt.count, 0);
    const errors = p.reduce((a, pt) => a + errs(pt), 0);
    const fuel = p.reduce((a, pt) => a + (pt.fuel?.sum || 0), 0);
    mount(
      totals,
      h('div.total', h('span.num', count), h('span.muted', 'invocations')),
      h('div.total', h('span.num', errors), h('span.muted', 'errors')),
      h('div.total', h('span.num', count ? `${((errors / count) * 100).toFixed(1)} %` : '—'), h('span.muted', 'error rate')),
      h('div.total', h('span.num', fuel), h('span.muted', 'fuel')),
    );
    charts = [
      chart(boxes.invocations, x, [
        ['invocations/s', '#2563eb', p.map((pt) => pt.count / step)],
        ['errors/s', '#dc2626', p.map((pt) => errs(pt) / step)],
      ]),
      chart(boxes.latency, x, [
        ['p50', '#059669', p.map((pt) => pt.latencyMs?.p50 ?? null)],
        ['p99', '#d97706', p.map((pt) => pt.latencyMs?.p99 ?? null)],
      ]),
      chart(boxes.fuel, x, [['fuel', '#7c3aed', p.map((pt) => pt.fuel?.sum ?? null)]]),
      chart(boxes.starts, x, [
        ['pool', '#0891b2', p.map((pt) => pt.starts?.pool ?? 0)],
        ['warm', '#ca8a04', p.map((pt) => pt.starts?.warm ?? 0)],
        ['cold', '#4f46e5', p.map((pt) => pt.starts?.cold ?? 0)],
      ]),
    ];
  };
  range.addEventListener('change', load);
  load();
  const timer = setInterval(load, REFRESH_MS);
  return () => {
    clearInterval(timer);
    charts.forEach((c) => c.destroy());
  };
}
