/* The viewer's front page: the sign-in box, then trace search (GET /traces) and the runs
   (GET /runs). The filters and the page live in the address, so a search can be reloaded or
   shared (without the token). */
'use strict';

(() => {
  const { el, api, link, show } = Viewer;
  const PRIMITIVES = [
    'set_context', 'gain_of_function', 'loss_of_function', 'binds_to', 'modulates_complex',
    'cell_cell_interaction', 'modulates_molecule_activity', 'modulates_pathway_activity',
    'localises_to', 'participates_in', 'similar_to', 'correlates_with', 'regulates_expression',
    'regulates_translation', 'chromatin_modification', 'post_translational_modification',
    'degrades_or_stabilises', 'converts_substrate', 'induces_phenotype', 'alleviates_phenotype'];
  const FILTERS = ['drug', 'cell_line', 'primitive', 'status', 'entity', 'run'];
  const LIMIT = 25;
  const $ = id => document.getElementById(id);

  function showSignIn(message) {
    $('signin').hidden = false;
    $('traces').hidden = $('runs').hidden = $('sign-out').hidden = true;
    $('signin-error').textContent = message || '';
    $('token').focus();
  }

  async function signIn(event) {
    event.preventDefault();
    const value = $('token').value.trim();
    if (!value) return;
    Viewer.setToken(value);
    try {
      await api('/traces?limit=1', { signIn: false });
    } catch (err) {
      if (err.status === 401) {
        Viewer.clearToken();
        showSignIn('This token is unknown or revoked.');
        return;
      }
      // anything else (e.g. the database is down) is shown on the search page
    }
    $('token').value = '';
    const next = Viewer.safeNext(Viewer.params().get('next'));
    if (next) location.assign(next);
    else start();
  }

  function query() {
    const p = Viewer.params();
    const q = new URLSearchParams();
    for (const name of FILTERS) if (p.get(name)) q.set(name, p.get(name));
    q.set('limit', String(LIMIT));
    q.set('offset', String(Math.max(0, parseInt(p.get('offset') || '0', 10) || 0)));
    return q;
  }

  function go(q) {
    const shown = new URLSearchParams(q);
    shown.delete('limit');
    if (shown.get('offset') === '0') shown.delete('offset');
    history.pushState(null, '', '/viewer' + (shown.toString() ? '?' + shown : ''));
    loadTraces();
  }

  async function loadTraces() {
    const q = query();
    const form = $('filters');
    for (const name of FILTERS) form.elements[name].value = q.get(name) || '';
    const body = $('trace-table').tBodies[0];
    $('list-error').textContent = '';
    let page;
    try {
      page = await api('/traces?' + q);
    } catch (err) {
      if (err.status !== 401) $('list-error').textContent = err.message;
      body.replaceChildren();
      return;
    }
    body.replaceChildren(...page.items.map(t => el('tr', { dataset: { key: t.key } },
      el('td', {}, link('traces', t.key, t.key.slice(0, 14) + '…')),
      el('td', { text: show(t.trace_id) }), el('td', { text: show(t.drug) }),
      el('td', { text: show(t.cell_line) }),
      el('td', { class: 'num', text: show(t.actions) }),
      el('td', { class: 'num', text: show(t.edges) }))));
    if (!page.items.length) body.append(el('tr', {}, el('td', { colspan: 6, class: 'muted', text: 'no traces match' })));
    const offset = page.offset ?? 0, total = page.total ?? page.items.length;
    $('page-info').textContent = total
      ? `${offset + 1}–${offset + page.items.length} of ${total}` : '0 traces';
    $('prev').disabled = offset <= 0;
    $('next').disabled = offset + page.items.length >= total;
    $('prev').onclick = () => { q.set('offset', String(Math.max(0, offset - LIMIT))); go(q); };
    $('next').onclick = () => { q.set('offset', String(offset + LIMIT)); go(q); };
  }

  async function loadRuns() {
    const body = $('run-table').tBodies[0];
    try {
      const runs = await api('/runs');
      const items = Array.isArray(runs) ? runs : (runs.items || []);
      body.replaceChildren(...items.map(r => {
        const summary = r.run || r;  // GET /runs: the job's state with the run's summary
        return el('tr', { dataset: { key: r.key } },
          el('td', {}, link('runs', r.key)), el('td', { text: show(r.status) }),
          el('td', { class: 'num', text: show(summary.traces) }),
          el('td', { text: show((summary.verifiers || []).map(v => (typeof v === 'string' ? v : v.name))) }),
          el('td', { text: show(summary.created_at) }));
      }));
      if (!items.length) body.append(el('tr', {}, el('td', { colspan: 5, class: 'muted', text: 'no runs yet' })));
    } catch (err) {
      if (err.status !== 401) $('runs-error').textContent = err.message;
    }
  }

  function start() {
    $('signin').hidden = true;
    $('traces').hidden = $('runs').hidden = $('sign-out').hidden = false;
    loadTraces();
    loadRuns();
  }

  document.addEventListener('DOMContentLoaded', () => {
    Viewer.header();
    const select = $('primitive');
    for (const name of PRIMITIVES) select.append(el('option', { value: name, text: name }));
    $('signin-form').addEventListener('submit', signIn);
    $('filters').addEventListener('submit', event => {
      event.preventDefault();
      const q = new URLSearchParams();
      for (const name of FILTERS) {
        const value = event.target.elements[name].value.trim();
        if (value) q.set(name, value);
      }
      q.set('offset', '0');
      go(q);
    });
    window.addEventListener('popstate', loadTraces);
    if (Viewer.token()) start(); else showSignIn();
  });
})();
