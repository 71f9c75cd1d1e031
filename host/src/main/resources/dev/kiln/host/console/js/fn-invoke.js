// Invoke: POST …/invoke with a payload (optionally a qualifier, or asynchronously), and the
// answer as it came: status, headers, body.
import * as api from './api.js';
import { h, mount, errorBox } from './dom.js';

export function renderInvoke(el, ctx) {
  const payload = h('textarea#invoke-payload', { rows: 6, spellcheck: 'false', placeholder: 'payload (sent as the request body)' });
  const qualifier = h('input#invoke-qualifier', { placeholder: 'LATEST', size: 10 });
  const async = h('input#invoke-async', { type: 'checkbox' });
  const result = h('div#invoke-result');
  const button = h('button.primary#invoke-button', { type: 'submit' }, 'Invoke');
  mount(
    el,
    h(
      'form.card',
      {
        on: {
          submit: async (e) => {
            e.preventDefault();
            button.disabled = true;
            const q = qualifier.value.trim();
            const headers = { 'Content-Type': 'application/octet-stream' };
            if (async.checked) headers['X-Kiln-Invocation-Type'] = 'async';
            const started = performance.now();
            try {
              const res = await api.raw(`${ctx.path}/invoke${q ? `?qualifier=${encodeURIComponent(q)}` : ''}`, {
                method: 'POST',
                body: payload.value,
                headers,
              });
              const body = await res.text();
              if (res.status === 401) await api.errorOf(res);
              showResult(result, res, body, performance.now() - started, ctx);
            } catch (err) {
              mount(result, errorBox(err));
            } finally {
              button.disabled = false;
            }
          },
        },
      },
      h('h2', 'Invoke'),
      payload,
      h('div.row', h('label.inline', 'Qualifier ', qualifier), h('label.inline', async, ' Asynchronous'), h('span.spacer'), button),
    ),
    result,
  );
}

function showResult(el, res, body, ms, ctx) {
  const id = res.headers.get('X-Kiln-Request-Id');
  const headers = [...res.headers.entries()].sort(([a], [b]) => a.localeCompare(b));
  mount(
    el,
    h(
      'div.card.result',
      h(
        'div.row',
        h(`span.status-code.${res.ok ? 'ok' : 'bad'}#invoke-status`, String(res.status)),
        h('span', res.statusText),
        h('span.spacer'),
        h('span.muted', `${ms.toFixed(0)} ms round trip`),
        id ? h('a#invoke-record-link', { href: `${ctx.base}/invocations/${encodeURIComponent(id)}` }, 'record →') : null,
      ),
      h('h3', 'Headers'),
      h('table.kv#invoke-headers', h('tbody', headers.map(([k, v]) => h('tr', h('th', k), h('td', v))))),
      h('h3', 'Body'),
      h('pre.body#invoke-body', body || '(empty)'),
    ),
  );
}
