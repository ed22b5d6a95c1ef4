/* A trace page: GET /traces/{key} (actions and edges) and GET /audit/{key} (each action's
   claim, mentions, entities and verdicts; the runs and their sources; refined versions). The
   DAG is drawn top to bottom (cytoscape + dagre): causal edges solid, correlative dashed,
   nodes coloured by Viewer.statusOf. A list of the actions under each graph mirrors the nodes
   (data-action, data-status) for keyboards, screen readers and tests. A trace with a refined
   version (or one that refines another) is shown beside it. */
'use strict';

(() => {
  const { el, api, link, show, kv, statusOf, COLOURS } = Viewer;
  const $ = id => document.getElementById(id);
  const state = { graphs: [], ready: false, error: null };
  window.vctraceViewer = state;  // read by the browser test and handy in the console

  function traceKey() {
    const m = location.pathname.match(/^\/viewer\/traces\/([^/]+)\/?$/);
    return m ? decodeURIComponent(m[1]) : null;
  }

  function withRun(path, run) { return run ? `${path}?run=${encodeURIComponent(run)}` : path; }

  /** Pair each action of the trace with its audit entry (by action id; actions without an
      id in order). */
  function joinAudit(trace, audit) {
    const byId = new Map(), anonymous = [];
    for (const entry of audit.actions || []) {
      if (entry.action === null || entry.action === undefined) anonymous.push(entry);
      else byId.set(entry.action, entry);
    }
    return (trace.actions || []).map((action, index) => {
      const entry = action.id != null ? byId.get(action.id) : anonymous.shift();
      const verdicts = entry ? entry.verdicts || [] : [];
      return { index, id: action.id ?? `#${index + 1}`, action, entry, verdicts,
               status: statusOf(verdicts) };
    });
  }

  function label(item) {
    const args = Object.entries(item.action.args || {})
      .filter(([k]) => !['confidence', 'via', 'evidence', 'note'].includes(k))
      .map(([, v]) => show(v)).join(', ');
    const short = args.length > 40 ? args.slice(0, 39) + '…' : args;
    return `${item.id}: ${item.action.primitive}\n${short}`;
  }

  const MIN_ZOOM = 0.8;
  const CY_STYLE = [
    { selector: 'node', style: {
      shape: 'round-rectangle', width: 150, height: 46, 'border-width': 1,
      'border-color': '#555', 'background-color': COLOURS.none, label: 'data(label)',
      'text-wrap': 'wrap', 'text-max-width': 142, 'text-valign': 'center', 'font-size': 11,
      color: '#1d232b' } },
    ...['supported', 'refuted', 'unverifiable'].map(s => ({
      selector: `node[status = "${s}"]`, style: { 'background-color': COLOURS[s] } })),
    { selector: 'node:selected', style: { 'border-width': 3, 'border-color': '#1565c0' } },
    { selector: 'edge', style: {
      width: 1.5, 'line-color': '#555', 'target-arrow-color': '#555',
      'target-arrow-shape': 'triangle', 'curve-style': 'bezier', 'line-style': 'solid' } },
    { selector: 'edge[relation = "correlative"]', style: { 'line-style': 'dashed' } },
  ];

  /** Fit the drawing to the column's width, but never so small that the labels cannot be
      read: a wider drawing makes the canvas wider and its frame scrolls sideways; the canvas
      is as tall as the drawing needs. */
  function size(cy, container) {
    container.style.width = '';
    const box = cy.elements().boundingBox();
    const zoom = Math.min(1, Math.max(MIN_ZOOM, (container.clientWidth - 30) / Math.max(box.w, 1)));
    container.style.width = `${Math.max(container.clientWidth, Math.round(box.w * zoom + 30))}px`;
    container.style.height = `${Math.round(Math.min(700, Math.max(200, box.h * zoom + 30)))}px`;
    cy.resize();
    cy.fit(undefined, 15);
    const frame = container.parentElement;  // a DAG mostly meets in the middle: show that
    frame.scrollLeft = (frame.scrollWidth - frame.clientWidth) / 2;
  }

  function drawGraph(container, items, trace) {
    const ids = new Set(items.map(i => i.id));
    const elements = items.map(item => ({ group: 'nodes', data: {
      id: item.id, label: label(item), status: item.status, primitive: item.action.primitive } }));
    (trace.edges || []).forEach((edge, n) => {
      if (ids.has(edge.source) && ids.has(edge.target)) {
        elements.push({ group: 'edges', data: { id: `e${n}`, source: edge.source,
                                                target: edge.target, relation: edge.relation } });
      }
    });
    const cy = cytoscape({ container, elements, style: CY_STYLE, wheelSensitivity: 0.3,
                           autoungrabify: true, boxSelectionEnabled: false, maxZoom: 1.5 });
    cy.layout({ name: 'dagre', rankDir: 'TB', nodeSep: 14, rankSep: 36, fit: false }).run();
    size(cy, container);
    return cy;
  }

  /** One version of the trace: heading, graph, action list. */
  function renderVersion(graph, heading) {
    const box = el('section', { class: 'version', dataset: { key: graph.key, role: graph.role } });
    const canvas = el('div', { class: 'graph', 'aria-hidden': 'true' });
    const frame = el('div', { class: 'graph-frame' }, canvas);
    const list = el('ol', { class: 'actions', 'aria-label': 'actions' });
    for (const item of graph.items) {
      list.append(el('li', { dataset: { action: item.id, status: item.status } },
        el('button', { type: 'button', class: `status-${item.status}`,
                       onclick: () => select(graph, item.id),
                       text: `${item.id}: ${item.action.primitive} — ${item.status === 'none' ? 'not judged' : item.status}` })));
    }
    box.append(heading, frame, list);
    $('versions').append(box);
    graph.list = list;
    graph.canvas = canvas;
  }

  /** Draw every version's graph once all are in place (a layout fits its container's size
      at the time it runs). */
  function drawAll() {
    for (const graph of state.graphs) {
      graph.cy = drawGraph(graph.canvas, graph.items, graph.trace);
      graph.cy.on('tap', 'node', event => select(graph, event.target.id()));
    }
    let pending = null;
    window.addEventListener('resize', () => {
      clearTimeout(pending);
      pending = setTimeout(() => state.graphs.forEach(g => size(g.cy, g.canvas)), 150);
    });
  }

  function select(graph, id) {
    for (const g of state.graphs) {
      g.cy.nodes().unselect();
      for (const li of g.list.children) li.classList.toggle('selected', g === graph && li.dataset.action === id);
    }
    graph.cy.getElementById(id).select();
    const item = graph.items.find(i => i.id === id);
    if (item) renderPanel(graph, item);
  }

  function statusBadge(status) {
    return el('span', { class: `badge status-${status}`, text: status === 'none' ? 'not judged' : status });
  }

  /** Per-gene results of a DE claim: a bar of supported / refuted / unverifiable genes and
      a table gene → status. */
  function geneParts(verdicts) {
    const parts = verdicts.filter(v => v.part !== null && v.part !== undefined && v.part !== '');
    if (!parts.length) return null;
    const counts = { supported: 0, refuted: 0, unverifiable: 0 };
    for (const v of parts) counts[v.status in counts ? v.status : 'unverifiable'] += 1;
    const bar = el('div', { class: 'genebar', role: 'img',
      'aria-label': `${counts.supported} supported, ${counts.refuted} refuted, ${counts.unverifiable} unverifiable genes` });
    for (const [status, n] of Object.entries(counts)) {
      if (!n) continue;
      const seg = el('span', { class: `status-${status}`, title: `${status}: ${n}`, dataset: { status, n } });
      seg.style.flexGrow = String(n);  // CSSOM, not an inline style attribute: CSP allows it
      bar.append(seg);
    }
    const table = el('table', { class: 'grid genes' },
      el('thead', {}, el('tr', {}, ['gene', 'status', 'reason', 'score'].map(h => el('th', { text: h })))),
      el('tbody', {}, parts.map(v => el('tr', { dataset: { gene: v.part, status: v.status, verifier: v.verifier } },
        el('td', { text: v.part }), el('td', {}, statusBadge(v.status)),
        el('td', { text: show(v.reason) }), el('td', { class: 'num', text: show(v.score) })))));
    return el('div', { class: 'gene-parts' },
      el('h3', { text: `Genes (${parts.length})` }), bar,
      el('p', { class: 'muted', text: `${counts.supported} supported · ${counts.refuted} refuted · ${counts.unverifiable} unverifiable` }),
      table);
  }

  function renderPanel(graph, item) {
    const panel = $('panel');
    const entry = item.entry;
    const claim = entry ? entry.claim : null;
    const out = [el('h2', { text: `${item.id}: ${item.action.primitive}` }), statusBadge(item.status)];
    if (graph.role !== 'this') out.push(el('p', { class: 'muted' }, `of the ${graph.role} version `, link('traces', graph.key)));

    out.push(el('h3', { text: 'Claim' }));
    out.push(kv([['primitive', claim ? claim.primitive : item.action.primitive],
                 ['claim key', claim ? claim.key : '— (no stored claim)'],
                 ...Object.entries(claim ? claim.args || {} : item.action.args || {})]));
    if (item.action.source_line) out.push(el('pre', { class: 'source-line', text: item.action.source_line }));

    const genes = geneParts(item.verdicts);
    if (genes) out.push(genes);

    const mentions = entry ? entry.mentions || [] : [];
    out.push(el('h3', { text: `Mentions (${mentions.length})` }));
    if (mentions.length) {
      out.push(el('table', { class: 'grid mentions' },
        el('thead', {}, el('tr', {}, ['role', 'text', 'grounds to'].map(h => el('th', { text: h })))),
        el('tbody', {}, mentions.map(m => el('tr', {},
          el('td', { text: show(m.role) }), el('td', { text: m.text }),
          el('td', {}, (m.entities || []).length
            ? m.entities.map(e => el('div', { class: 'entity' },
                `${e.label || 'Entity'}: ${e.name || ''} `, el('code', { text: e.key }),
                e.match ? el('span', { class: 'muted', text: ` (${e.match})` }) : null))
            : el('span', { class: 'muted', text: 'not grounded' })))))));
    }

    const verdicts = item.verdicts;
    out.push(el('h3', { text: `Verdicts (${verdicts.length})` }));
    if (!verdicts.length) out.push(el('p', { class: 'muted', text: 'No verifier has judged this claim.' }));
    for (const v of verdicts) {
      out.push(el('div', { class: 'verdict', dataset: { verifier: v.verifier, status: v.status } },
        kv([['verifier', `${v.verifier} ${v.version || ''}`.trim()], ['status', statusBadge(v.status)],
            ['reason', v.reason], ...(v.part ? [['part', v.part]] : []),
            ['score', v.score], ['threshold', v.threshold], ['run', link('runs', v.run)]]),
        Object.keys(v.evidence || {}).length
          ? el('details', {}, el('summary', { text: 'evidence' }),
               el('pre', { class: 'evidence', text: JSON.stringify(v.evidence, null, 2) }))
          : null));
    }

    const runs = [...new Set(verdicts.map(v => v.run))];
    if (runs.length) out.push(el('h3', { text: 'Runs and their sources' }));
    for (const key of runs) {
      const run = (graph.audit.runs || {})[key] || { key };
      out.push(el('div', { class: 'run', dataset: { run: key } },
        el('p', {}, link('runs', key), ` · ${show(run.status)} · ${show(run.created_at)}`),
        el('ul', { class: 'sources' }, (run.sources || []).map(s => el('li', {},
          `${s.source || s.key} ${s.version || ''}`,
          el('span', { class: 'muted', text: ` (${[s.loader, s.loader_version].filter(Boolean).join(' ')}${s.finished_at ? ', ' + s.finished_at : ''})` }))))));
    }
    panel.replaceChildren(...out);
    panel.scrollTop = 0;
  }

  async function loadVersion(key, role, run) {
    const [trace, audit] = await Promise.all([
      api(`/traces/${encodeURIComponent(key)}`),
      api(withRun(`/audit/${encodeURIComponent(key)}`, run))]);
    const graph = { key: trace.trace_key || key, role, trace, audit, items: joinAudit(trace, audit) };
    state.graphs.push(graph);
    return graph;
  }

  function heading(graph, text, run) {
    return el('h2', {}, `${text} `, link('traces', graph.key, graph.key.slice(0, 14) + '…'),
              run ? el('span', { class: 'muted' }, ' · run ', link('runs', run)) : null);
  }

  async function main() {
    if (!Viewer.requireToken()) return;
    const key = traceKey();
    const run = Viewer.params().get('run') || '';
    try {
      const graph = await loadVersion(key, 'this', run);
      const { trace, audit } = graph;
      const p = trace.perturbation || {};
      document.title = `${audit.trace.drug || '?'} in ${audit.trace.cell_line || '?'} · vctrace viewer`;
      $('title').textContent = `${audit.trace.drug || p.drug || '?'} in ${audit.trace.cell_line || p.cell_line || '?'}`;
      $('subtitle').textContent = `trace ${graph.key}${trace.trace_id ? ' (' + trace.trace_id + ')' : ''} · ${(trace.actions || []).length} actions · ${(trace.edges || []).length} edges`;
      const own = audit.verdicts || [];
      $('trace-verdicts').replaceChildren(...(own.length
        ? ['trace verdicts: ', ...own.map(v => el('span', { class: `badge status-${statusOf([v])}`, title: v.reason, text: `${v.verifier}: ${v.status}` }))]
        : []));
      const runs = Object.keys(audit.runs || {});
      if (runs.length > 1 || run) {
        const selectRun = $('run-select');
        for (const r of new Set([...runs, ...(run ? [run] : [])])) selectRun.append(el('option', { value: r, text: r }));
        selectRun.value = run;
        selectRun.addEventListener('change', () => {
          location.assign(withRun(location.pathname, selectRun.value));
        });
        $('run-choice').hidden = false;
      }
      const refinedInto = audit.refined_into || [], refines = audit.refines || [];
      if (refines.length) {
        const original = await loadVersion(refines[0].key, 'original', '');
        renderVersion(original, heading(original, 'Original', ''));
        renderVersion(graph, heading(graph, 'Refined version', refines[0].run));
      } else {
        renderVersion(graph, heading(graph, refinedInto.length ? 'Original' : 'Trace', ''));
        if (refinedInto.length) {
          const refined = await loadVersion(refinedInto[0].key, 'refined', '');
          renderVersion(refined, heading(refined, 'Refined version', refinedInto[0].run));
        }
      }
      drawAll();
    } catch (err) {
      state.error = err.message;
      if (err.status !== 401) $('error').textContent = err.message;
    } finally {
      state.ready = true;
    }
  }

  document.addEventListener('DOMContentLoaded', main);
})();
