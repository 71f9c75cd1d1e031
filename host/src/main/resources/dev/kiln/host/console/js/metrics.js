// Reads the host's Prometheus text (GET /metrics, the public API's) into samples:
// [{name, labels: {...}, value}].
import * as api from './api.js';

export async function scrape() {
  const res = await api.raw('/metrics');
  if (!res.ok) throw await api.errorOf(res);
  return parse(await res.text());
}

export function parse(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[3]) for (const [, k, v] of m[3].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v.replace(/\\(.)/g, '$1');
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

/** The sum of name's samples whose labels include every pair of match. */
export function sum(samples, name, match = {}) {
  return samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);
}
