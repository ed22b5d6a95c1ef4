/* A run page: GET /runs/{key} (status, progress, metrics) and GET /runs/{key}/report, the
   run's self-contained HTML report, shown in a sandboxed iframe (srcdoc; no scripts run in it,
   and it has an opaque origin, so it cannot reach this page or the token). */
'use strict';

(() => {
  const { el, api, show, kv } = Viewer;
  const $ = id => document.getElementById(id);
  const state = { ready: false, error: null, reportLoaded: false };
  window.vctraceViewer = state;

  function runKey() {
    const m = location.pathname.match(/^\/viewer\/runs\/([^/]+)\/?$/);
    return m ? decodeURIComponent(m[1]) : null;
  }

  /** A value in one line: numbers with three decimals at most, objects as "k v · k v". */
  function inline(v) {
    if (typeof v === 'number' && !Number.isInteger(v)) return v.toFixed(3);
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.entries(v).map(([k, x]) => `${k} ${inline(x)}`).join(' · ') || '—';
    }
    return show(v);
  }

  /** A JSON value: objects as key/value lists, lists of objects as tables, the rest as text. */
  function value(v) {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return kv(Object.entries(v).map(([k, x]) => [k, value(x)]));
    }
    if (Array.isArray(v) && v.length && v.every(x => x && typeof x === 'object' && !Array.isArray(x))) {
      const columns = [...new Set(v.flatMap(Object.keys))];
      return el('table', { class: 'grid' },
        el('thead', {}, el('tr', {}, columns.map(c => el('th', { text: c })))),
        el('tbody', {}, v.map(row => el('tr', {}, columns.map(c => el('td', { text: inline(row[c]) }))))));
    }
    return el('span', { text: inline(v) });
  }

  async function main() {
    if (!Viewer.requireToken()) return;
    const key = runKey();
    const path = `/runs/${encodeURIComponent(key)}`;
    $('title').textContent = `Run ${key}`;
    try {
      const run = await api(path);
      const first = ['key', 'status', 'error', 'metrics', 'progress', 'run'];
      const rest = Object.keys(run).filter(k => !first.includes(k));
      $('run-info').replaceChildren(kv([...first, ...rest]
        .filter(k => k in run).map(k => [k, value(run[k])])));
    } catch (err) {
      if (err.status !== 401) $('error').textContent = err.message;
      state.error = err.message;
    }
    try {
      const html = await api(`${path}/report`, { as: 'text' });
      const frame = $('report');
      frame.addEventListener('load', () => { state.reportLoaded = true; }, { once: true });
      frame.srcdoc = html;  // a string property, never parsed into this page
    } catch (err) {
      if (err.status !== 401) $('report-error').textContent = err.message;
      state.error = state.error || err.message;
    } finally {
      state.ready = true;
    }
  }

  document.addEventListener('DOMContentLoaded', main);
})();
