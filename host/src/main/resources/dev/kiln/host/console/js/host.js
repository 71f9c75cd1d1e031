// The host: its node, instances, workers and memory, read from GET /metrics (Prometheus text)
// and GET /api/v1/limits and /api/v1/queues; refreshed every 10 s. Kiln runs as one node until
// the cluster API exists, so the node list is this host.
import * as api from './api.js';
import { h, mount, errorBox, loading, facts, fmtBytes } from './dom.js';
import { scrape, sum } from './metrics.js';

const REFRESH_MS = 10_000;

export function renderHost(main) {
  const body = h('div', loading());
  mount(main, h('section.page', h('div.page-head', h('h1', 'Host')), body));
  const load = async () => {
    try {
      const [m, limits, queues, health] = await Promise.all([
        scrape(),
        api.call('/api/v1/limits'),
        api.call('/api/v1/queues').catch(() => ({ queues: [] })),
        fetch('/healthz').then((r) => r.json()),
      ]);
      draw(m, limits, queues.queues, health);
    } catch (e) {
      mount(body, errorBox(e));
    }
  };
  const draw = (m, limits, queues, health) => {
    const g = (name, match) => sum(m, name, match);
    const heapMax = g('jvm_memory_bytes_max', { area: 'heap' });
    const budget = g('kiln_memory_budget_bytes');
    const used = g('kiln_memory_budget_used_bytes');
    const pools = new Map();
    for (const s of m.filter((x) => x.name === 'kiln_pool_instances')) {
      const k = `${s.labels.service}/${s.labels.function}`;
      const p = pools.get(k) || { idle: 0, busy: 0 };
      p[s.labels.state] = (p[s.labels.state] || 0) + s.value;
      pools.set(k, p);
    }
    const invocations = new Map();
    for (const s of m.filter((x) => x.name === 'kiln_invocations_total')) {
      const k = `${s.labels.service}/${s.labels.function}`;
      const p = invocations.get(k) || { ok: 0, errors: 0 };
      if (s.labels.outcome === 'ok') p.ok += s.value;
      else p.errors += s.value;
      invocations.set(k, p);
    }
    mount(
      body,
      h('div.totals#host-figures',
        [
          ['instances', `${g('kiln_instances')} / ${g('kiln_instances_limit')}`],
          ['leased', g('kiln_instances_leased')],
          ['workers busy', `${g('kiln_workers_busy')} / ${limits.workerThreads}`],
          ['queued for a worker', g('kiln_workers_queued')],
          ['memory budget', `${fmtBytes(used)} / ${fmtBytes(budget)}`],
          ['heap', `${fmtBytes(g('jvm_memory_bytes_used', { area: 'heap' }))} / ${fmtBytes(heapMax)}`],
        ].map(([k, v]) => h('div.total', h('span.num', v), h('span.muted', k)))),
      h(
        'div.grid-2',
        h('div.card', h('h2', 'Nodes'), h('div.table-wrap', h('table.list#nodes', h('thead', h('tr', h('th', 'Node'), h('th', 'Health'), h('th', 'Threads'), h('th', 'CPU time'))),
          h('tbody', h('tr', h('td', location.host, h('div.small.muted', 'this host (single node)')),
            h('td', h(`span.badge.${health.status === 'ok' ? 'ok' : 'bad'}`, health.status)),
            h('td', g('jvm_threads_current')), h('td', `${g('process_cpu_seconds_total').toFixed(1)} s`)))))),
        h('div.card', h('h2', 'Memory budget'), facts([
          ['compiled code', fmtBytes(g('kiln_memory_budget_used_bytes', { kind: 'compiled_code' }))],
          ['instances', fmtBytes(g('kiln_memory_budget_used_bytes', { kind: 'instances' }))],
          ['snapshots', fmtBytes(g('kiln_memory_budget_used_bytes', { kind: 'snapshots' }))],
          ['request buffers', fmtBytes(g('kiln_memory_budget_used_bytes', { kind: 'request_buffers' }))],
          ['refusals', g('kiln_memory_budget_refusals_total')],
          ['disk free', fmtBytes(g('kiln_disk_usable_bytes'))],
        ])),
      ),
      h('div.grid-2',
        h('div.card', h('h2', 'Connections and uploads'), facts([
          ['open connections', `${g('kiln_http_connections')} / ${g('kiln_http_connections_limit', { scope: 'total' })}`],
          ['uploads running', `${g('kiln_uploads_running')} / ${g('kiln_uploads_limit')}`],
          ['uploads queued', g('kiln_uploads_queued')],
          ['invocations waiting', g('kiln_invocations_waiting')],
          ['log followers', g('kiln_log_followers')],
        ])),
        h('div.card', h('h2', 'Async queues'), queues.length
          ? h('div.table-wrap', h('table.list', h('thead', h('tr', h('th', 'Function'), h('th', 'Depth'), h('th', 'In flight'), h('th', 'Dead letters'))),
              h('tbody', queues.map((q) => h('tr', h('td', h('a', { href: `#/functions/${encodeURIComponent(q.service)}/${encodeURIComponent(q.function)}/async` }, `${q.service}/${q.function}`)), h('td', q.depth), h('td', q.inFlight), h('td', q.deadLetters))))))
          : h('p.muted', 'No queued events.')),
      ),
      h('div.card', h('h2', 'Instances by function'), pools.size || invocations.size
        ? h('div.table-wrap', h('table.list#instances', h('thead', h('tr', h('th', 'Function'), h('th', 'Ready'), h('th', 'Busy'), h('th', 'Invocations'), h('th', 'Errors'))),
            h('tbody', [...new Set([...pools.keys(), ...invocations.keys()])].sort().map((k) => {
              const [s, f] = k.split('/');
              const p = pools.get(k) || { idle: 0, busy: 0 };
              const i = invocations.get(k) || { ok: 0, errors: 0 };
              return h('tr', h('td', h('a', { href: `#/functions/${encodeURIComponent(s)}/${encodeURIComponent(f)}` }, k)), h('td', p.idle), h('td', p.busy), h('td', i.ok + i.errors), h('td', i.errors));
            }))))
        : h('p.muted', 'No function has run since the host started.')),
    );
  };
  load();
  const timer = setInterval(load, REFRESH_MS);
  return () => clearInterval(timer);
}
