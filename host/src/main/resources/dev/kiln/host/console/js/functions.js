// Services and functions: every function of every service the key sees, with its version,
// aliases and pool state (from /metrics), and a search box.
import * as api from './api.js';
import { h, mount, errorBox, loading, fmtTime } from './dom.js';
import { scrape, sum } from './metrics.js';

export function renderFunctions(main) {
  const search = h('input#search', { type: 'search', placeholder: 'Search functions or services', 'aria-label': 'Search' });
  const body = h('div', loading());
  const deployBox = deployForm();
  const deployButton = h('button.primary#deploy-open', { type: 'button' }, 'Deploy a function');
  deployButton.addEventListener('click', () => {
    deployBox.hidden = !deployBox.hidden;
    if (!deployBox.hidden) deployBox.querySelector('input').focus();
  });
  mount(
    main,
    h(
      'section.page',
      h('div.page-head', h('h1', 'Functions'), h('span.spacer'), search, deployButton),
      deployBox,
      body,
    ),
  );
  let rows = [];
  const draw = () => {
    const q = search.value.trim().toLowerCase();
    const shown = rows.filter((r) => !q || `${r.f.service}/${r.f.name} ${r.f.settings?.description || ''}`.toLowerCase().includes(q));
    if (!rows.length) {
      mount(body, h('div.empty', h('p', 'No functions yet.'), h('p.muted', 'Deploy one with ', h('code', 'kiln deploy service/function module.wasm'), ' or the API.')));
      return;
    }
    mount(
      body,
      h(
        'div.card.table-wrap',
        h(
          'table.list#functions-table',
          h('thead', h('tr', ['Function', 'Service', 'State', 'Version', 'Aliases', 'Updated'].map((t) => h('th', t)))),
          h(
            'tbody',
            shown.map((r) =>
              h(
                'tr',
                { dataset: { function: `${r.f.service}/${r.f.name}` } },
                h('td', h('a', { href: `#/functions/${encodeURIComponent(r.f.service)}/${encodeURIComponent(r.f.name)}` }, r.f.name), r.f.settings?.description ? h('div.muted.small', r.f.settings.description) : null),
                h('td', r.f.service),
                h('td', state(r)),
                h('td', `v${r.f.version?.number ?? '?'}`),
                h('td', r.aliases === null ? '…' : r.aliases.length ? r.aliases.map((a) => h('span.chip', `${a.name} → v${a.version}`)) : h('span.muted', '—')),
                h('td.muted', fmtTime(r.f.updatedAt)),
              ),
            ),
          ),
        ),
      ),
      shown.length ? null : h('p.muted', 'No function matches the search.'),
    );
  };
  search.addEventListener('input', draw);
  load().then(
    (r) => {
      rows = r;
      draw();
    },
    (e) => mount(body, errorBox(e)),
  );
  async function load() {
    const { services } = await api.call('/api/v1/services');
    const lists = await Promise.all(
      services.map((s) => api.call(`/api/v1/services/${encodeURIComponent(s)}/functions`).then((x) => x.functions, () => [])),
    );
    const out = lists.flat().map((f) => ({ f, aliases: null, idle: 0, busy: 0 }));
    // Pool state and aliases come after the list: the list shows at once.
    scrape().then(
      (samples) => {
        for (const r of out) {
          const m = { service: r.f.service, function: r.f.name };
          r.idle = sum(samples, 'kiln_pool_instances', { ...m, state: 'idle' });
          r.busy = sum(samples, 'kiln_pool_instances', { ...m, state: 'busy' });
          r.metrics = true;
        }
        draw();
      },
      () => {},
    );
    Promise.all(
      out.map((r) =>
        api.call(`${api.fnPath(r.f.service, r.f.name)}/aliases`).then(
          (a) => (r.aliases = a.aliases),
          () => (r.aliases = []),
        ),
      ),
    ).then(draw);
    return out;
  }
}

function state(r) {
  if (!r.metrics) return h('span.badge.neutral', 'deployed');
  if (r.busy > 0) return h('span.badge.ok', `running · ${r.busy} busy`);
  if (r.idle > 0) return h('span.badge.ok', `warm · ${r.idle} ready`);
  return h('span.badge.neutral', 'idle');
}

// A new function (or a new version of one): PUT …/functions/{f} with the chosen file.
function deployForm() {
  const service = h('input#deploy-service', { placeholder: 'service', required: true });
  const name = h('input#deploy-name', { placeholder: 'function', required: true });
  const file = h('input#deploy-file', { type: 'file', accept: '.wasm,.zip,application/wasm,application/zip', required: true });
  const status = h('div.status');
  const button = h('button.primary#deploy-button', { type: 'submit' }, 'Deploy');
  const form = h(
    'form.card#deploy-form',
    {
      hidden: true,
      on: {
        submit: async (e) => {
          e.preventDefault();
          const f = file.files[0];
          if (!f) return;
          button.disabled = true;
          mount(status, h('p.muted', `Uploading ${f.name}…`));
          try {
            const type = f.name.toLowerCase().endsWith('.zip') ? 'application/zip' : 'application/wasm';
            const res = await api.call(api.fnPath(service.value.trim(), name.value.trim()), {
              method: 'PUT',
              body: f,
              headers: { 'Content-Type': type },
            });
            location.hash = `#/functions/${encodeURIComponent(res.service)}/${encodeURIComponent(res.name)}`;
          } catch (err) {
            mount(status, errorBox(err));
            button.disabled = false;
          }
        },
      },
    },
    h('h2', 'Deploy a function'),
    h('p.muted', 'A .wasm module, or a .zip with the module and kiln.json. Deploying to an existing function adds a version.'),
    h('div.row.wrap', service, h('span.muted', '/'), name, file, button),
    status,
  );
  return form;
}
