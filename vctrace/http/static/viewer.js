/* vctrace viewer: what every page shares — the token, API calls, safe DOM building, the
   verdict colour rule. Every data value goes into the DOM as text (textContent, attributes),
   never as HTML: trace text is untrusted. */
'use strict';

const Viewer = (() => {
  const TOKEN_KEY = 'vctrace.token';

  /** The signed-in token (this tab only), or null. */
  function token() { return sessionStorage.getItem(TOKEN_KEY); }
  function setToken(value) { sessionStorage.setItem(TOKEN_KEY, value); }
  function clearToken() { sessionStorage.removeItem(TOKEN_KEY); }
  function signOut() { clearToken(); location.assign('/viewer'); }

  /** Send the user to the sign-in box, coming back here afterwards. */
  function toSignIn() {
    location.assign('/viewer?next=' + encodeURIComponent(location.pathname + location.search));
  }

  /** Where to go after signing in: only a viewer page of this service. */
  function safeNext(value) {
    return value && /^\/viewer\/[^/\\]/.test(value) && !value.startsWith('//') ? value : null;
  }

  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  /** GET an API path with the token; JSON by default (`as: 'text'` for HTML). A 401 clears
      the token and goes to the sign-in box (unless `signIn` is false). */
  async function api(path, { as = 'json', signIn = true } = {}) {
    const headers = { Accept: as === 'json' ? 'application/json' : 'text/html' };
    const t = token();
    if (t) headers.Authorization = 'Bearer ' + t;
    const response = await fetch(path, { headers, credentials: 'omit', cache: 'no-store' });
    if (response.status === 401 && signIn) {
      sessionStorage.removeItem(TOKEN_KEY);
      toSignIn();
      throw new ApiError(401, 'not signed in');
    }
    if (!response.ok) {
      let detail = response.statusText;
      try {
        const problem = await response.json();
        detail = problem.detail || problem.title || detail;
      } catch (_) { /* not a problem document */ }
      throw new ApiError(response.status, `${path}: ${response.status} ${detail}`);
    }
    return as === 'json' ? response.json() : response.text();
  }

  /** An element: attrs set as attributes (`text` as textContent, `dataset`, `on*` listeners);
      children appended, strings as text nodes. */
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'text') node.textContent = String(value);
      else if (name === 'dataset') Object.assign(node.dataset, value);
      else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /** A link to a viewer page (`kind` 'traces' or 'runs') for a key. */
  function link(kind, key, label) {
    return el('a', { href: `/viewer/${kind}/${encodeURIComponent(key)}`, text: label ?? key });
  }

  /** A value as short text: strings as they are, lists joined, the rest as JSON. */
  function show(value) {
    if (value === null || value === undefined) return '—';
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && value.every(v => typeof v !== 'object')) return value.join(', ');
    return JSON.stringify(value);
  }

  /** A `dl` of key/value pairs. */
  function kv(pairs) {
    const dl = el('dl', { class: 'kv' });
    for (const [k, v] of pairs) dl.append(el('dt', { text: k }), el('dd', {}, v instanceof Node ? v : show(v)));
    return dl;
  }

  const STATUSES = ['supported', 'refuted', 'unverifiable', 'none'];
  const COLOURS = { supported: '#66bb6a', refuted: '#ef5350', unverifiable: '#ffca28', none: '#ffffff' };

  /** One status for a claim's verdicts: any refuted → refuted; else any supported →
      supported; else any other verdict (unverifiable, error, …) → unverifiable; none →
      'none' (not judged). */
  function statusOf(verdicts) {
    const seen = new Set((verdicts || []).map(v => v.status));
    if (seen.has('refuted')) return 'refuted';
    if (seen.has('supported')) return 'supported';
    return seen.size ? 'unverifiable' : 'none';
  }

  /** The page's query parameters. */
  function params() { return new URLSearchParams(location.search); }

  /** Wire the sign-out button of the header. */
  function header() {
    const button = document.getElementById('sign-out');
    if (button) button.addEventListener('click', signOut);
  }

  /** Pages that show data call this first: no token, no page. */
  function requireToken() {
    header();
    if (!token()) { toSignIn(); return false; }
    return true;
  }

  return { token, setToken, clearToken, signOut, safeNext, api, ApiError, el, link, show, kv, statusOf,
           STATUSES, COLOURS, params, header, requireToken };
})();
