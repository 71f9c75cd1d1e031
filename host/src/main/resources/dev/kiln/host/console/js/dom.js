// Building the page from data: elements and text nodes only, never HTML strings, so nothing a
// function logs or returns can become markup.

/** h('tag.class#id', {attrs, on: {event: fn}}, ...children) → an element. */
export function h(spec, attrs, ...children) {
  const [, tag = 'div', rest = ''] = /^([a-z0-9]*)(.*)$/i.exec(spec);
  const el = document.createElement(tag || 'div');
  for (const part of rest.match(/[.#][^.#]+/g) || []) {
    if (part[0] === '.') el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  // No attributes given: the second argument is the first child (0 and '' included).
  if (attrs !== null && attrs !== undefined && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces everything in el with children. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { hour12: false });
}

export function fmtDuration(us) {
  if (us === null || us === undefined) return '';
  if (us < 1000) return `${us} µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} ms`;
  return `${(us / 1_000_000).toFixed(2)} s`;
}

export function fmtBytes(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/** A badge for an outcome: ok green, anything else red. */
export function outcome(o) {
  return h(`span.badge.${o === 'ok' ? 'ok' : 'bad'}`, { dataset: { outcome: o } }, o);
}

/** A two-column list of label → value. */
export function facts(pairs) {
  return h(
    'dl.facts',
    pairs.filter(([, v]) => v !== undefined).map(([k, v]) => [h('dt', k), h('dd', v ?? '—')]),
  );
}

/** An error box with the API's code and message. */
export function errorBox(err) {
  return h('div.error', { role: 'alert' }, err.code ? h('code', err.code) : null, ' ', err.message || String(err));
}

export function loading() {
  return h('p.muted', 'Loading…');
}
