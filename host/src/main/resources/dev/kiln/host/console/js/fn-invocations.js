// Invocation records: a page at a time (…/invocations?before=), filtered here by outcome and
// time; one record's detail with its log lines.
import * as api from './api.js';
import { h, mount, errorBox, loading, facts, fmtTime, fmtDuration, fmtBytes, outcome } from './dom.js';

const PAGE = 50;
const WINDOWS = [
  ['', 'any time'],
  ['900', 'last 15 min'],
  ['3600', 'last hour'],
  ['86400', 'last 24 h'],
  ['604800', 'last 7 days'],
];

export function renderInvocations(el, ctx) {
  const outcomeSel = h('select#filter-outcome', h('option', { value: '' }, 'all outcomes'), h('option', { value: 'ok' }, 'ok'), h('option', { value: 'errors' }, 'errors only'));
  const windowSel = h('select#filter-time', WINDOWS.map(([v, t]) => h('option', { value: v }, t)));
  const refresh = h('button#invocations-refresh', { type: 'button' }, 'Refresh');
  const more = h('button#invocations-more', { type: 'button', hidden: true }, 'Load older');
  const body = h('div', loading());
  mount(el, h('div.card', h('div.row.wrap', h('h2', 'Invocations'), h('span.spacer'), outcomeSel, windowSel, refresh), body, h('div.actions', more)));
  let records = [];
  let exhausted = false;
  const draw = () => {
    const since = windowSel.value ? Date.now() - Number(windowSel.value) * 1000 : 0;
    const codes = new Set(records.map((r) => r.outcome).filter((o) => o !== 'ok'));
    // Error codes seen so far join the outcome filter, as Function Compute's console offers.
    for (const c of codes) {
      if (![...outcomeSel.options].some((o) => o.value === c)) outcomeSel.append(h('option', { value: c }, c));
    }
    const want = outcomeSel.value;
    const shown = records.filter(
      (r) =>
        (!want || (want === 'errors' ? r.outcome !== 'ok' : r.outcome === want)) &&
        Date.parse(r.startedAt) >= since,
    );
    more.hidden = exhausted;
    if (!records.length) {
      mount(body, h('p.muted.empty', 'No invocations recorded yet.'));
      return;
    }
    mount(
      body,
      h(
        'div.table-wrap',
        h(
          'table.list#invocations-table',
          h('thead', h('tr', ['Started', 'Request id', 'Outcome', 'Status', 'Duration', 'Start', 'Fuel', 'Version', 'Trigger', 'Logs'].map((t) => h('th', t)))),
          h(
            'tbody',
            shown.map((r) =>
              h(
                'tr',
                { dataset: { requestId: r.requestId, outcome: r.outcome } },
                h('td.muted', fmtTime(r.startedAt)),
                h('td', h('a', { href: `${ctx.base}/invocations/${encodeURIComponent(r.requestId)}` }, h('code', r.requestId))),
                h('td', outcome(r.outcome)),
                h('td', r.status),
                h('td', fmtDuration(r.durationUs)),
                h('td', r.start),
                h('td', r.fuel),
                h('td', `v${r.version}`),
                h('td', r.trigger),
                h('td', r.logCount),
              ),
            ),
          ),
        ),
      ),
      shown.length ? null : h('p.muted', 'No invocation matches the filters.'),
    );
  };
  const load = async (before) => {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (before) q.set('before', before);
    const page = (await api.call(`${ctx.path}/invocations?${q}`)).invocations;
    exhausted = page.length < PAGE;
    records = before ? records.concat(page) : page;
    draw();
  };
  const fail = (e) => mount(body, errorBox(e));
  outcomeSel.addEventListener('change', draw);
  windowSel.addEventListener('change', draw);
  refresh.addEventListener('click', () => load().catch(fail));
  more.addEventListener('click', () => records.length && load(records[records.length - 1].requestId).catch(fail));
  load().catch(fail);
}

export function renderInvocation(el, ctx, id) {
  mount(el, loading());
  api.call(`${ctx.path}/invocations/${encodeURIComponent(id)}`).then(
    (r) =>
      mount(
        el,
        h('p', h('a', { href: `${ctx.base}/invocations` }, '← all invocations')),
        h(
          'div.card#invocation-detail',
          { dataset: { requestId: r.requestId } },
          h('div.row', h('h2', 'Invocation'), h('code', r.requestId), h('span.spacer'), outcome(r.outcome)),
          facts([
            ['Started', fmtTime(r.startedAt)],
            ['Duration', fmtDuration(r.durationUs)],
            ['Status', r.status],
            ['Outcome', r.outcome],
            ['Error', r.error ?? undefined],
            ['Version', `v${r.version} (${r.versionSha256.slice(0, 12)})`],
            ['Trigger', r.trigger],
            ['Start', r.start],
            ['Attempt', r.attempt || undefined],
            ['Fuel', r.fuel],
            ['Bytes in / out', `${fmtBytes(r.bytesIn)} / ${fmtBytes(r.bytesOut)}`],
          ]),
        ),
        h(
          'div.card',
          h('h2', `Logs (${r.logCount}${r.logTruncated ? ', truncated' : ''})`),
          r.logs.length
            ? h('div.log-list.static#invocation-logs', r.logs.map((l) =>
                h('div.log-line', { dataset: { level: l.level } },
                  h('span.time', new Date(l.time).toLocaleTimeString(undefined, { hour12: false })),
                  h(`span.level.lvl-${l.level}`, l.level),
                  h('span.msg', l.message))))
            : h('p.muted#invocation-logs', 'This invocation logged nothing.'),
        ),
      ),
    (e) => mount(el, h('p', h('a', { href: `${ctx.base}/invocations` }, '← all invocations')), errorBox(e)),
  );
}
