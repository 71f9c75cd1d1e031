// Live logs: GET …/logs?follow=true read as server-sent events through fetch() (the key goes in
// the Authorization header, which EventSource cannot send), starting with the last hour.
import * as api from './api.js';
import { h, mount, errorBox } from './dom.js';

const MAX_LINES = 1000;

export function renderLogs(el, ctx) {
  const level = h('select#logs-level', h('option', { value: '' }, 'all levels'), ['debug', 'info', 'warn', 'error'].map((l) => h('option', { value: l }, `${l} and up`)));
  const state = h('span.badge.neutral#logs-state', 'connecting');
  const list = h('div.log-list#logs');
  const problem = h('div');
  const toggle = h('button#logs-toggle', { type: 'button' }, 'Pause');
  mount(el, h('div.card', h('div.row', h('h2', 'Live logs'), h('span.spacer'), level, toggle, state), problem, list));
  let stop = null;
  let lastId = null;
  const start = () => {
    const q = new URLSearchParams({ follow: 'true' });
    if (level.value) q.set('level', level.value);
    q.set('since', lastId ? new Date(Number(lastId) + 1).toISOString() : new Date(Date.now() - 3600_000).toISOString());
    mount(state, 'connecting');
    state.className = 'badge neutral';
    mount(problem);
    stop = api.follow(
      `${ctx.path}/logs?${q}`,
      (ev) => {
        if (ev.event !== 'log') return;
        lastId = ev.id || lastId;
        const line = JSON.parse(ev.data);
        if (list.querySelector('.empty')) list.replaceChildren();
        list.append(
          h(
            'div.log-line',
            { dataset: { level: line.level, requestId: line.requestId } },
            h('span.time', new Date(line.time).toLocaleTimeString(undefined, { hour12: false })),
            h(`span.level.lvl-${line.level}`, line.level),
            h('a.rid', { href: `${ctx.base}/invocations/${encodeURIComponent(line.requestId)}`, title: line.requestId }, line.requestId.slice(-8)),
            h('span.msg', line.message),
          ),
        );
        while (list.childElementCount > MAX_LINES) list.firstElementChild.remove();
        list.scrollTop = list.scrollHeight;
      },
      (err) => {
        stop = null;
        mount(state, 'stopped');
        state.className = 'badge neutral';
        mount(toggle, 'Resume');
        if (err) mount(problem, errorBox(err));
      },
      () => {
        mount(state, 'live');
        state.className = 'badge ok';
      },
    );
    mount(toggle, 'Pause');
  };
  // A live stream answers its headers at once; say so before the first line arrives.
  list.append(h('p.muted.empty', 'Waiting for log lines…'));
  toggle.addEventListener('click', () => {
    if (stop) {
      stop();
      stop = null;
    } else start();
  });
  level.addEventListener('change', () => {
    if (stop) stop();
    list.replaceChildren();
    lastId = null;
    start();
  });
  start();
  return () => stop && stop();
}
