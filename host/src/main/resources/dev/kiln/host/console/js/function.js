// A function's page: its header and tabs; each tab is a module of its own.
import * as api from './api.js';
import { h, mount, errorBox, loading } from './dom.js';
import { renderOverview } from './fn-overview.js';
import { renderInvoke } from './fn-invoke.js';
import { renderLogs } from './fn-logs.js';
import { renderInvocations, renderInvocation } from './fn-invocations.js';
import { renderMetrics } from './fn-metrics.js';
import { renderAsync } from './fn-async.js';
import { renderTriggers } from './fn-triggers.js';

const TABS = [
  ['overview', 'Overview', renderOverview],
  ['invoke', 'Invoke', renderInvoke],
  ['logs', 'Logs', renderLogs],
  ['invocations', 'Invocations', renderInvocations],
  ['metrics', 'Metrics', renderMetrics],
  ['async', 'Async queue', renderAsync],
  ['triggers', 'Triggers', renderTriggers],
];

export function renderFunction(main, [service, name, tab = 'overview', id]) {
  const base = `#/functions/${encodeURIComponent(service)}/${encodeURIComponent(name)}`;
  const ctx = { service, name, path: api.fnPath(service, name), base };
  const content = h('div.tab-content', loading());
  const title = h('div.fn-title', h('a.muted', { href: '#/functions' }, service), h('span.muted', ' / '), h('h1', name));
  const meta = h('div.fn-meta');
  mount(
    main,
    h(
      'section.page',
      h('div.page-head', title, h('span.spacer'), meta),
      h(
        'nav.tabs',
        { role: 'tablist' },
        TABS.map(([key, label]) =>
          h(`a${key === tab ? '.active' : ''}`, { href: `${base}/${key}`, role: 'tab', dataset: { tab: key } }, label),
        ),
      ),
      content,
    ),
  );
  let stop = null;
  api.call(ctx.path).then(
    (fn) => {
      ctx.fn = fn;
      mount(meta, h('span.chip', `v${fn.version.number}`), h('span.chip', fn.settings.abi), h('span.chip', `${fn.settings.memoryMiB} MiB`));
      const render = TABS.find(([key]) => key === tab)?.[2];
      if (!render) {
        mount(content, h('p', 'No such tab.'));
        return;
      }
      stop = tab === 'invocations' && id ? renderInvocation(content, ctx, id) : render(content, ctx);
    },
    (e) => mount(content, errorBox(e)),
  );
  return () => stop && stop();
}
