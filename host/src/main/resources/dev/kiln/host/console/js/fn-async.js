// Asynchronous invocation: the queue's figures, the async settings, and the dead letters with
// redrive (one, or all).
import * as api from './api.js';
import { h, mount, errorBox, loading, facts, fmtTime } from './dom.js';

export function renderAsync(el, ctx) {
  const queueBox = h('div.card', h('h2', 'Queue'), loading());
  const configBox = h('div.card', h('h2', 'Async settings'), loading());
  const deadBox = h('div.card', h('h2', 'Dead letters'), loading());
  mount(el, h('div.grid-2', queueBox, configBox), deadBox);
  const loadQueue = () =>
    api.call(`${ctx.path}/queue`).then(
      (q) =>
        mount(queueBox, h('h2', 'Queue'), h('div.totals#queue-figures',
          [['depth', q.depth], ['in flight', q.inFlight], ['oldest', q.oldestAgeMs ? `${Math.round(q.oldestAgeMs / 1000)} s` : '—'], ['dead letters', q.deadLetters]]
            .map(([k, v]) => h('div.total', h('span.num', v), h('span.muted', k)))),
          facts([['attempts', q.attempts], ['succeeded', q.succeeded], ['retried', q.retried], ['throttled', q.throttled], ['dead-lettered', q.deadLettered], ['discarded', q.discarded], ['bound', q.maxQueuedEvents]])),
      (e) => mount(queueBox, h('h2', 'Queue'), errorBox(e)),
    );
  api.call(`${ctx.path}/async-config`).then(
    (c) =>
      mount(configBox, h('h2', 'Async settings'), facts([
        ['max attempts', c.maxAttempts],
        ['max event age', `${c.maxEventAgeSeconds} s`],
        ['queue bound', c.maxQueuedEvents],
        ['dead letters go to', c.deadLetter?.type === 'function' ? `function ${c.deadLetter.service}/${c.deadLetter.function}` : c.deadLetter?.type ?? '—'],
        ['on success', c.onSuccess ? `${c.onSuccess.service}/${c.onSuccess.function}` : '—'],
        ['on failure', c.onFailure ? `${c.onFailure.service}/${c.onFailure.function}` : '—'],
      ]), h('p.muted.small', 'Changed with PUT …/async-config (kiln CLI or API).')),
    (e) => mount(configBox, h('h2', 'Async settings'), errorBox(e)),
  );
  const status = h('div.status');
  const loadDead = () =>
    api.call(`${ctx.path}/dead-letters`).then(
      ({ deadLetters }) => {
        const all = h('button#redrive-all', { type: 'button', disabled: !deadLetters.length }, 'Redrive all');
        all.addEventListener('click', () => act(`${ctx.path}/dead-letters/redrive`));
        mount(
          deadBox,
          h('div.row', h('h2', 'Dead letters'), h('span.spacer'), all),
          status,
          deadLetters.length
            ? h('div.table-wrap', h('table.list#dead-letters', h('thead', h('tr', ['Dead-lettered', 'Request id', 'Reason', 'Attempts', 'Error', ''].map((t) => h('th', t)))),
                h('tbody', deadLetters.map((d) => {
                  const redrive = h('button.small', { type: 'button' }, 'Redrive');
                  redrive.addEventListener('click', () => act(`${ctx.path}/dead-letters/${encodeURIComponent(d.requestId)}/redrive`));
                  return h('tr', { dataset: { requestId: d.requestId } },
                    h('td.muted', fmtTime(d.deadLetteredAt)), h('td', h('code', d.requestId)), h('td', d.reason), h('td', d.attempts),
                    h('td', d.error ? h('span.badge.bad', d.error) : '', d.message ? h('div.small.muted', d.message) : null),
                    h('td', redrive));
                }))))
            : h('p.muted', 'No dead letters.'),
        );
      },
      (e) => mount(deadBox, h('h2', 'Dead letters'), errorBox(e)),
    );
  const act = async (path) => {
    try {
      const r = await api.call(path, { method: 'POST' });
      await Promise.all([loadDead(), loadQueue()]);
      mount(status, h('p.ok', `Queued again: ${r?.redriven ?? 1}.`));
    } catch (e) {
      mount(status, errorBox(e));
    }
  };
  loadQueue();
  loadDead();
}
