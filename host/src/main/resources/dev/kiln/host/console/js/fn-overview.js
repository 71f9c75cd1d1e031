// Overview: the settings (viewed, and edited with PATCH), a new version from a file (PUT), the
// versions and the aliases.
import * as api from './api.js';
import { h, mount, errorBox, facts, fmtTime, fmtBytes } from './dom.js';

// What the form edits; every other setting is shown but changed with the API or the CLI.
const NUMBERS = ['timeoutMs', 'memoryMiB', 'fuel', 'maxConcurrency', 'minInstances', 'maxInstances'];
const CHOICES = {
  isolation: ['fresh', 'reuse'],
  httpAuth: ['anonymous', 'key'],
  record: ['none', 'failures', 'all'],
};

export function renderOverview(el, ctx) {
  const fn = ctx.fn;
  const s = fn.settings;
  const settingsBox = h('div.card');
  const uploadBox = h('div.card');
  const versionsBox = h('div.card', h('h2', 'Versions'), h('p.muted', 'Loading…'));
  const aliasesBox = h('div.card', h('h2', 'Aliases'), h('p.muted', 'Loading…'));
  mount(
    el,
    h('div.grid-2', facts([
      ['HTTP trigger', h('code', fn.urls?.http ?? '')],
      ['Latest version', `v${fn.version.number} · ${fmtBytes(fn.version.sizeBytes)} · ${fn.version.sha256.slice(0, 12)}`],
      ['Created', fmtTime(fn.createdAt)],
      ['Updated', fmtTime(fn.updatedAt)],
      ['Secrets', (fn.secrets || []).map((x) => x.name).join(', ') || '—'],
    ]), uploadBox),
    settingsBox,
    h('div.grid-2', versionsBox, aliasesBox),
  );

  // Settings form.
  const inputs = {};
  const field = (name, control, label = name) => h('label.field', h('span', label), (inputs[name] = control));
  const status = h('div.status');
  const form = h(
    'form#settings-form',
    {
      on: {
        submit: async (e) => {
          e.preventDefault();
          const patch = {};
          const description = inputs.description.value;
          if (description !== (s.description ?? '')) patch.description = description;
          for (const n of NUMBERS) {
            const v = Number(inputs[n].value);
            if (inputs[n].value !== '' && v !== s[n]) patch[n] = v;
          }
          for (const n of Object.keys(CHOICES)) if (inputs[n].value !== s[n]) patch[n] = inputs[n].value;
          try {
            const env = JSON.parse(inputs.env.value || '{}');
            if (JSON.stringify(env) !== JSON.stringify(s.env || {})) patch.env = env;
          } catch {
            mount(status, errorBox({ code: 'bad_request', message: 'env must be a JSON object of strings' }));
            return;
          }
          if (!Object.keys(patch).length) {
            mount(status, h('p.muted', 'Nothing changed.'));
            return;
          }
          try {
            const updated = await api.json('PATCH', ctx.path, patch);
            ctx.fn = updated;
            mount(status, h('p.ok', `Saved: ${Object.keys(patch).join(', ')} (now v${updated.version.number}).`));
            Object.assign(s, updated.settings);
          } catch (err) {
            mount(status, errorBox(err));
          }
        },
      },
    },
    h(
      'div.form-grid',
      field('description', h('input', { name: 'description', value: s.description ?? '' })),
      NUMBERS.map((n) => field(n, h('input', { name: n, type: 'number', min: 0, value: s[n] }))),
      Object.entries(CHOICES).map(([n, opts]) =>
        field(n, h('select', { name: n }, opts.map((o) => h('option', { value: o, selected: o === s[n] }, o)))),
      ),
    ),
    field('env', h('textarea', { name: 'env', rows: 3, spellcheck: 'false' }, JSON.stringify(s.env || {})), 'env (JSON object)'),
    h('div.readonly', facts([
      ['handler', s.handler],
      ['abi', s.abi],
      ['allowedOutboundHosts', (s.allowedOutboundHosts || []).join(', ') || '—'],
    ])),
    h('div.actions', h('button.primary#save-settings', { type: 'submit' }, 'Save settings')),
    status,
  );
  mount(settingsBox, h('h2', 'Settings'), form);

  // Upload a new version.
  const file = h('input#upload-file', { type: 'file', accept: '.wasm,.zip,application/wasm,application/zip' });
  const upStatus = h('div.status');
  const upButton = h('button.primary#upload-button', { type: 'button' }, 'Upload');
  upButton.addEventListener('click', async () => {
    const f = file.files[0];
    if (!f) {
      mount(upStatus, h('p.muted', 'Choose a .wasm module or a .zip with kiln.json first.'));
      return;
    }
    upButton.disabled = true;
    mount(upStatus, h('p.muted', `Uploading ${f.name} (${fmtBytes(f.size)})…`));
    try {
      const type = f.name.toLowerCase().endsWith('.zip') ? 'application/zip' : 'application/wasm';
      const res = await api.call(ctx.path, { method: 'PUT', body: f, headers: { 'Content-Type': type } });
      mount(upStatus, h('p.ok#upload-result', `Deployed v${res.version.number} (${res.version.sha256.slice(0, 12)}).`));
      ctx.fn = res;
      loadVersions();
    } catch (err) {
      mount(upStatus, errorBox(err));
    } finally {
      upButton.disabled = false;
    }
  });
  mount(uploadBox, h('h2', 'New version'), h('p.muted', 'A .wasm module, or a .zip with the module and kiln.json.'), h('div.row', file, upButton), upStatus);

  function loadVersions() {
    api.call(`${ctx.path}/versions`).then(
      ({ versions }) =>
        mount(
          versionsBox,
          h('h2', 'Versions'),
          h('div.table-wrap', h('table.list', h('thead', h('tr', h('th', 'Version'), h('th', 'Size'), h('th', 'SHA-256'), h('th', 'Created'))),
            h('tbody#versions', versions.slice().reverse().map((v) =>
              h('tr', h('td', `v${v.number}`), h('td', fmtBytes(v.sizeBytes)), h('td', h('code', v.sha256.slice(0, 16))), h('td.muted', fmtTime(v.createdAt))))))),
        ),
      (e) => mount(versionsBox, h('h2', 'Versions'), errorBox(e)),
    );
  }
  loadVersions();
  api.call(`${ctx.path}/aliases`).then(
    ({ aliases }) =>
      mount(
        aliasesBox,
        h('h2', 'Aliases'),
        aliases.length
          ? h('div.table-wrap', h('table.list#aliases', h('thead', h('tr', h('th', 'Alias'), h('th', 'Version'), h('th', 'Weights'))),
              h('tbody', aliases.map((a) => h('tr', h('td', a.name), h('td', `v${a.version}`),
                h('td', Object.entries(a.additionalVersionWeight || {}).map(([v, w]) => `v${v}: ${Math.round(w * 100)} %`).join(', ') || '—'))))))
          : h('p.muted', 'No aliases. ', h('code', 'kiln alias'), ' or PUT …/aliases/{name} creates one.'),
      ),
    (e) => mount(aliasesBox, h('h2', 'Aliases'), errorBox(e)),
  );
}
