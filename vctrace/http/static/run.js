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

  /** A JSON value as nested key/value lists (objects) or text. */
  function value(v) {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return kv(Object.entries(v).map(([k, x]) => [k, value(x)]));
    }
    if (Array.isArray(v) && v.some(x => x && typeof x === 'object')) {
      return el('pre', { text: JSON.stringify(v, null, 2) });
    }
    return el('span', { text: typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(3) : show(v) });
  }

  async function main() {
    if (!Viewer.requireToken()) return;
    const key = runKey();
    const path = `/runs/${encodeURIComponent(key)}`;
    $('title').textContent = `Run ${key}`;
    try {
      const run = await api(path);
      const first = ['key', 'status', 'progress', 'metrics'];
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
