// Every call the console makes goes to Kiln's public API with the user's key as a Bearer token.
// The key lives in sessionStorage: gone when the tab closes, never in a cookie or a URL.

const KEY = 'kiln.key';

export class ApiError extends Error {
  constructor(status, code, message, requestId) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
  }
}

export function key() {
  return sessionStorage.getItem(KEY);
}

export function setKey(value) {
  sessionStorage.setItem(KEY, value);
}

export function clearKey() {
  sessionStorage.removeItem(KEY);
}

/** Listeners told when the API answers 401: the key is no longer good. */
const unauthorized = new Set();
export function onUnauthorized(fn) {
  unauthorized.add(fn);
}

export function fnPath(service, fn) {
  return `/api/v1/services/${encodeURIComponent(service)}/functions/${encodeURIComponent(fn)}`;
}

/** fetch() with the key; the raw Response, or an ApiError from the error envelope. */
export async function raw(path, { method = 'GET', body, headers = {}, keyOverride, signal } = {}) {
  const k = keyOverride ?? key();
  const h = { ...headers };
  if (k) h.Authorization = `Bearer ${k}`;
  const res = await fetch(path, { method, body, headers: h, signal, cache: 'no-store' });
  return res;
}

/** The JSON answer of a call, or throws ApiError. */
export async function call(path, options = {}) {
  const res = await raw(path, options);
  if (!res.ok) throw await errorOf(res, !options.keyOverride);
  if (res.status === 204) return null;
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

export async function errorOf(res, notify = true) {
  let code = `http_${res.status}`;
  let message = res.statusText || 'request failed';
  let requestId = res.headers.get('X-Kiln-Request-Id');
  try {
    const e = (await res.json()).error;
    if (e) {
      code = e.code;
      message = e.message;
      requestId = e.requestId || requestId;
    }
  } catch {
    // not the envelope: keep the status line
  }
  if (res.status === 401 && notify) unauthorized.forEach((fn) => fn());
  return new ApiError(res.status, code, message, requestId);
}

export function json(method, path, value) {
  return call(path, {
    method,
    body: JSON.stringify(value),
    headers: { 'Content-Type': 'application/json' },
  });
}

/**
 * Follows a server-sent event stream with the key in the Authorization header (EventSource cannot
 * send one): fetch() and its body's reader, split into events. Calls onEvent({event, id, data}) per
 * event; returns a stop() function. onEnd(error|null) once the stream ends for any reason.
 */
export function follow(path, onEvent, onEnd, onOpen = () => {}) {
  const ctl = new AbortController();
  (async () => {
    try {
      const res = await raw(path, { headers: { Accept: 'text/event-stream' }, signal: ctl.signal });
      if (!res.ok) throw await errorOf(res);
      onOpen();
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let end;
        while ((end = buf.search(/\r?\n\r?\n/)) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(buf.slice(end).match(/^\r?\n\r?\n/)[0].length + end);
          const ev = { event: 'message', id: null, data: [] };
          for (const line of block.split(/\r?\n/)) {
            if (!line || line.startsWith(':')) continue;
            const i = line.indexOf(':');
            const field = i < 0 ? line : line.slice(0, i);
            const v = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
            if (field === 'data') ev.data.push(v);
            else if (field === 'event') ev.event = v;
            else if (field === 'id') ev.id = v;
          }
          if (ev.data.length) onEvent({ ...ev, data: ev.data.join('\n') });
        }
      }
      onEnd(null);
    } catch (e) {
      onEnd(e.name === 'AbortError' ? null : e);
    }
  })();
  return () => ctl.abort();
}
