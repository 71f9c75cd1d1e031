// Triggers: topic subscriptions and timers, with enable/disable (PATCH) and delete, and a form
// that adds one (POST).
import * as api from './api.js';
import { h, mount, errorBox, loading, fmtTime } from './dom.js';

export function renderTriggers(el, ctx) {
  const list = h('div', loading());
  const status = h('div.status');
  const type = h('select#trigger-type', h('option', { value: 'timer' }, 'timer (cron)'), h('option', { value: 'topic' }, 'topic subscription'));
  const id = h('input#trigger-id', { placeholder: 'id (optional)', pattern: '[a-z0-9][a-z0-9_-]{0,62}' });
  const spec = h('input#trigger-spec', { placeholder: 'cron, e.g. */5 * * * *' });
  type.addEventListener('change', () => (spec.placeholder = type.value === 'timer' ? 'cron, e.g. */5 * * * *' : 'topic name'));
  const add = h(
    'form.row.wrap',
    {
      on: {
        submit: async (e) => {
          e.preventDefault();
          const body = { type: type.value };
          if (id.value.trim()) body.id = id.value.trim();
          body[type.value === 'timer' ? 'cron' : 'topic'] = spec.value.trim();
          try {
            await api.json('POST', `${ctx.path}/triggers`, body);
            mount(status, h('p.ok', 'Trigger added.'));
            load();
          } catch (err) {
            mount(status, errorBox(err));
          }
        },
      },
    },
    type, id, spec, h('button.primary', { type: 'submit' }, 'Add trigger'),
  );
  mount(el, h('div.card', h('h2', 'Triggers'), list, h('h3', 'Add a trigger'), add, status));
  const load = () =>
    api.call(`${ctx.path}/triggers`).then(
      ({ triggers }) =>
        mount(
          list,
          triggers.length
            ? h('div.table-wrap', h('table.list#triggers', h('thead', h('tr', ['Id', 'Type', 'Source', 'Qualifier', 'Next fire', 'Enabled', ''].map((t) => h('th', t)))),
                h('tbody', triggers.map((t) => {
                  const toggle = h('button.small', { type: 'button' }, t.enabled ? 'Disable' : 'Enable');
                  toggle.addEventListener('click', () => change(() => api.json('PATCH', `${ctx.path}/triggers/${encodeURIComponent(t.id)}`, { enabled: !t.enabled })));
                  const del = h('button.small.danger', { type: 'button' }, 'Delete');
                  del.addEventListener('click', () => confirm(`Delete trigger ${t.id}?`) && change(() => api.call(`${ctx.path}/triggers/${encodeURIComponent(t.id)}`, { method: 'DELETE' })));
                  return h('tr', h('td', h('code', t.id)), h('td', t.type),
                    h('td', t.type === 'timer' ? h('code', `${t.cron}${t.timezone ? ` (${t.timezone})` : ''}`) : h('span', 'topic ', h('code', t.topic))),
                    h('td', t.qualifier), h('td.muted', t.nextFireAt ? fmtTime(t.nextFireAt) : '—'),
                    h('td', h(`span.badge.${t.enabled ? 'ok' : 'neutral'}`, t.enabled ? 'on' : 'off')), h('td.nowrap', toggle, ' ', del));
                }))))
            : h('p.muted', 'No triggers: this function runs when invoked or called over HTTP.'),
        ),
      (e) => mount(list, errorBox(e)),
    );
  const change = async (fn) => {
    try {
      await fn();
      mount(status);
      load();
    } catch (e) {
      mount(status, errorBox(e));
    }
  };
  load();
}
