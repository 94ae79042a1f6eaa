// OpenLFR operator console: a small single-page app over the JSON API (/api/openapi.json).
// No framework and no build step. Pages are built with DOM calls (never innerHTML with
// data), so names and notes from the database cannot inject markup.
'use strict';

const state = { me: null, events: null, route: '', liveDeployment: null, seenAlerts: new Set() };

// ---- helpers ------------------------------------------------------------------------------

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const $ = (sel) => document.querySelector(sel);
const can = (perm) => !!state.me && state.me.permissions.includes(perm);

class ApiError extends Error {
  constructor(status, message, body) { super(message); this.status = status; this.body = body; }
}

async function api(method, path, body) {
  const opts = { method, headers: {}, credentials: 'same-origin' };
  if (method !== 'GET' && state.me) opts.headers['X-CSRF-Token'] = state.me.csrf_token;
  if (body instanceof FormData) opts.body = body;
  else if (body !== undefined) { opts.headers['Content-Type'] = 'application/json'; opts.body = JSON.stringify(body); }
  const res = await fetch(path, opts);
  const type = res.headers.get('Content-Type') || '';
  const data = type.includes('application/json') ? await res.json() : await res.text();
  if (!res.ok) {
    if (res.status === 401 && path !== '/api/login' && path !== '/api/me') { showLogin('Your session ended: log in again.'); }
    throw new ApiError(res.status, (data && data.error) || `${res.status} ${res.statusText}`, data);
  }
  return data;
}

function toast(message, isError) {
  const t = $('#toast');
  t.textContent = message;
  t.className = 'toast' + (isError ? ' error' : '');
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, isError ? 8000 : 4000);
}

function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

function pill(text) { return h('span', { class: 'pill ' + text }, text); }

// datetime-local value (local time) <-> UTC ISO string
function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
function fromLocalInput(v) { return v ? new Date(v).toISOString().replace(/\.\d{3}Z$/, 'Z') : null; }

function render(...nodes) {
  const main = $('#main');
  main.replaceChildren(...nodes);
}

function errorBox(e) { return h('p', { class: 'error', role: 'alert' }, e.message || String(e)); }

// ---- login --------------------------------------------------------------------------------

function showLogin(message) {
  state.me = null;
  if (state.events) { state.events.close(); state.events = null; }
  $('#nav').hidden = true; $('#logout').hidden = true; $('#who').textContent = '';
  cue.pending = []; cue.acked.clear(); updateCue();
  $('#research-banner').hidden = true;
  const err = h('p', { class: 'error', role: 'alert' }, message || '');
  const user = h('input', { name: 'username', autocomplete: 'username', required: true, id: 'login-user' });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, id: 'login-pass' });
  const form = h('form', {
    onsubmit: async (ev) => {
      ev.preventDefault();
      try {
        const me = await api('POST', '/api/login', { username: user.value, password: pass.value });
        await afterLogin(me);
      } catch (e) { err.textContent = e.message; }
    },
  }, h('label', { for: 'login-user' }, 'User name'), user, h('label', { for: 'login-pass' }, 'Password'), pass,
  h('button', { type: 'submit' }, 'Log in'), err);
  render(h('div', { class: 'card login' }, h('h1', {}, 'Log in to OpenLFR'), form,
    h('p', { class: 'muted' }, 'Every action in this console is recorded in a tamper-evident audit log.')));
  user.focus();
}

async function afterLogin() {
  state.me = await api('GET', '/api/me');
  $('#who').textContent = `${state.me.user} (${state.me.role})`;
  $('#logout').hidden = false;
  const nav = $('#nav');
  nav.hidden = false;
  for (const a of nav.querySelectorAll('a')) a.hidden = !can(a.dataset.perm);
  startEvents();
  showLicenceWarnings();
  const first = [...nav.querySelectorAll('a')].find((a) => !a.hidden);
  if (!location.hash || location.hash === '#/' || location.hash === '#/login') {
    location.hash = state.me.role === 'operator' ? '#/live' : (first ? first.getAttribute('href') : '#/');
  } else {
    route();
  }
}

// A recogniser licensed for research only must not be used operationally: say so on every
// page, for as long as it is in use (GET /api/system).
async function showLicenceWarnings() {
  const banner = $('#research-banner');
  try {
    const sys = await api('GET', '/api/system');
    const note = sys.recogniser && sys.recogniser.research_only ? sys.recogniser.licence_note : '';
    banner.replaceChildren(...sys.licence_warnings.map((w) => h('div', {}, '⚠ ', w)),
      note ? h('details', {}, h('summary', {}, 'Licence'), note) : '');
    banner.hidden = sys.licence_warnings.length === 0;
  } catch (e) { banner.hidden = true; }
}

// ---- live events and the pending-alert cue --------------------------------------------
//
// Every page keeps one /api/events stream open. Alerts and decisions refresh the count of
// pending alerts (in the title and on the Live link) and, for those who decide alerts, a
// banner with a repeating beep until they acknowledge: the Acknowledge button, or clicking
// or deciding the alert on the Live page. The Live page and a deployment's camera health
// update in place from the same events.

const cue = { pending: [], acked: new Set(), timer: null, audio: null, count: 0 };
const CUE_EVERY_MS = 3000;

function beep() {
  try {
    cue.audio = cue.audio || new (window.AudioContext || window.webkitAudioContext)();
    const ctx = cue.audio;
    if (ctx.state === 'suspended') ctx.resume();
    const o = ctx.createOscillator(); const g = ctx.createGain();
    o.frequency.value = 880; o.connect(g); g.connect(ctx.destination);
    g.gain.setValueAtTime(0.2, ctx.currentTime); g.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + 0.5);
    o.start(); o.stop(ctx.currentTime + 0.5);
  } catch (e) { /* no audio device: the banner still shows */ }
}

async function refreshPending() {
  if (!can('read alerts')) return;
  try {
    const [{ alerts }, { deployments }] = await Promise.all([
      api('GET', '/api/alerts?state=pending&limit=1000'), api('GET', '/api/deployments')]);
    const active = new Set(deployments.filter((d) => d.status === 'active').map((d) => d.id));
    cue.pending = alerts.filter((a) => active.has(a.deployment_id));
    updateCue();
  } catch (e) { /* the next event retries */ }
}

function acknowledge(ids) {
  for (const id of ids) cue.acked.add(id);
  updateCue();
}

function updateCue() {
  const n = cue.pending.length;
  document.title = (n ? `(${n}) ` : '') + 'OpenLFR console';
  const badge = $('#nav-pending');
  badge.textContent = String(n);
  badge.hidden = n === 0;
  const unacked = can('decide alerts') ? cue.pending.filter((a) => !cue.acked.has(a.id)) : [];
  const banner = $('#alert-banner');
  if (!unacked.length) {
    banner.hidden = true;
    clearInterval(cue.timer); cue.timer = null;
    return;
  }
  const newest = unacked[0];
  $('#alert-banner-text').textContent = `${unacked.length} new alert${unacked.length > 1 ? 's' : ''} waiting — newest on camera ${newest.camera} (score ${Number(newest.fused_score).toFixed(2)})${state.route === 'live' ? '' : ': open Live to decide'}`;
  const wasHidden = banner.hidden;
  banner.hidden = false;
  if (wasHidden || !cue.timer) {
    const ring = () => { cue.count += 1; banner.dataset.cues = String(cue.count); banner.classList.toggle('flash'); beep(); };
    ring();
    clearInterval(cue.timer);
    cue.timer = setInterval(ring, CUE_EVERY_MS);
  }
}

function startEvents() {
  if (!can('read alerts') || state.events) return;
  const es = new EventSource('/api/events');
  state.events = es;
  let opened = false;
  es.addEventListener('open', () => {
    // After a reconnect, catch up on whatever was missed.
    if (opened) { refreshPending(); liveRefresh({ deployments: true, alerts: true, cameras: true }); refreshHealth(); }
    opened = true;
  });
  es.addEventListener('alert', () => { refreshPending(); liveRefresh({ alerts: true, cameras: true }); });
  es.addEventListener('alert.decided', () => { refreshPending(); liveRefresh({ alerts: true }); });
  es.addEventListener('deployment', () => { refreshPending(); showLicenceWarnings(); liveRefresh({ deployments: true, alerts: true, cameras: true }); });
  for (const type of ['camera', 'counters']) {
    es.addEventListener(type, () => { liveRefresh({ cameras: true }); refreshHealth(); });
  }
  refreshPending();
}

// ---- router -------------------------------------------------------------------------------

const routes = {
  deployments: pageDeployments,
  deployment: pageDeployment,
  live: pageLive,
  reports: pageReports,
  audit: pageAudit,
  users: pageUsers,
  search: pageSearch,
  footage: pageFootage,
  galleries: pageGalleries,
  nodes: pageNodes,
};

function route() {
  if (!state.me) return showLogin();
  const parts = location.hash.replace(/^#\/?/, '').split('/');
  const name = parts[0] || 'deployments';
  state.route = name;
  for (const a of $('#nav').querySelectorAll('a')) {
    a.classList.toggle('active', a.getAttribute('href') === '#/' + name);
  }
  updateCue();
  const page = routes[name] || pageDeployments;
  Promise.resolve(page(...parts.slice(1))).catch((e) => render(errorBox(e)));
}

// ---- deployments --------------------------------------------------------------------------

function deploymentForm(d, onSaved) {
  const f = (name, label, attrs) => {
    const input = attrs && attrs.textarea
      ? h('textarea', { name, id: 'f-' + name }, d ? (d[name] ?? '') : '')
      : h('input', Object.assign({ name, id: 'f-' + name, value: d ? (d[name] ?? '') : '' }, attrs || {}));
    return [h('label', { for: 'f-' + name }, label), input];
  };
  const err = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'grid', id: 'deployment-form' },
    f('name', 'Name', { required: true }),
    f('site', 'Site'),
    f('location', 'Location', { required: true }),
    h('label', { for: 'f-start' }, 'Start'), h('input', { type: 'datetime-local', id: 'f-start', name: 'start', required: true, value: toLocalInput(d && d.start) }),
    h('label', { for: 'f-end' }, 'End'), h('input', { type: 'datetime-local', id: 'f-end', name: 'end', required: true, value: toLocalInput(d && d.end) }),
    f('purpose', 'Purpose', { textarea: true }),
    f('legal_basis', 'Legal basis'),
    f('authorising_officer', 'Authorising officer', { required: true }),
    f('threshold', 'Threshold (score or fpir:1/6000)', { value: d ? d.threshold : 'fpir:1/6000' }),
    f('watchlist_cap', 'Watchlist cap', { type: 'number', min: 1, value: d ? d.watchlist_cap : 2000 }),
    f('contact', 'Public contact'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, d ? 'Save changes' : 'Create deployment'), err));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = (n) => form.elements[n].value;
    const body = {
      name: v('name'), site: v('site'), location: v('location'), purpose: v('purpose'),
      legal_basis: v('legal_basis'), authorising_officer: v('authorising_officer'),
      threshold: v('threshold'), contact: v('contact'), watchlist_cap: parseInt(v('watchlist_cap'), 10),
      start: fromLocalInput(v('start')), end: fromLocalInput(v('end')),
    };
    try {
      const saved = d ? await api('PUT', `/api/deployments/${d.id}`, body) : await api('POST', '/api/deployments', body);
      onSaved(saved);
    } catch (e) { err.textContent = e.message; }
  });
  return form;
}

async function pageDeployments() {
  const { deployments } = await api('GET', '/api/deployments');
  const rows = deployments.slice().reverse().map((d) => h('tr', {},
    h('td', {}, h('a', { href: `#/deployment/${d.id}` }, d.name)),
    h('td', {}, d.location), h('td', {}, fmtTime(d.start)), h('td', {}, fmtTime(d.end)), h('td', {}, pill(d.status))));
  const nodes = [h('h1', {}, 'Deployments'),
    deployments.length ? h('table', { id: 'deployments' }, h('tr', {}, ...['Name', 'Location', 'Start', 'End', 'Status'].map((t) => h('th', {}, t))), rows)
      : h('p', { class: 'muted' }, 'No deployments yet.')];
  if (can('manage deployments')) {
    nodes.push(h('h2', {}, 'New deployment'),
      h('div', { class: 'card' }, deploymentForm(null, (d) => { toast(`Deployment ${d.name} created`); location.hash = `#/deployment/${d.id}`; })));
  }
  render(...nodes);
}

function confirmDialog(title, text, expect, onConfirm) {
  const input = h('input', { id: 'confirm-input', placeholder: expect });
  const err = h('p', { class: 'error' });
  const dlg = h('div', { class: 'dialog', role: 'dialog' }, h('div', { class: 'card' },
    h('h2', {}, title), h('p', {}, text), h('p', {}, 'Type ', h('b', {}, expect), ' to confirm.'), input, err,
    h('p', {}, h('button', { class: 'danger', id: 'confirm-ok', onclick: async () => {
      if (input.value !== expect) { err.textContent = 'The text does not match.'; return; }
      try { await onConfirm(); dlg.remove(); } catch (e) { err.textContent = e.message; }
    } }, title), ' ', h('button', { class: 'secondary', onclick: () => dlg.remove() }, 'Cancel'))));
  document.body.append(dlg);
  input.focus();
}

async function pageDeployment(id) {
  const d = await api('GET', `/api/deployments/${id}`);
  const manage = can('manage deployments') && d.status !== 'closed';
  const nodes = [h('h1', {}, d.name, ' ', pill(d.status))];

  const info = h('table', { class: 'card' }, ...[
    ['Site', d.site], ['Location', d.location], ['Planned', `${fmtTime(d.start)} – ${fmtTime(d.end)}`],
    ['Started', fmtTime(d.started)], ['Closed', fmtTime(d.closed)], ['Purpose', d.purpose],
    ['Legal basis', d.legal_basis], ['Authorising officer', d.authorising_officer],
    ['Threshold', d.threshold], ['Recogniser', d.recogniser], ['Watchlist', `${d.watchlist.entries} of at most ${d.watchlist_cap}`],
    ['Notice published', fmtTime(d.notice_published)],
  ].map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v || '—'))));
  nodes.push(info);

  const actions = h('p', { class: 'row' });
  if (manage && d.status === 'planned') {
    actions.append(h('button', { id: 'start-deployment', onclick: async () => {
      try {
        let r;
        try { r = await api('POST', `/api/deployments/${d.id}/start`); } catch (e) {
          // No notice or outside the planned window: the supervisor may start anyway, saying why (audited, reported).
          if (!(e instanceof ApiError) || e.status !== 409 || !/override/.test(e.message)) throw e;
          const reason = window.prompt(`${e.message}\n\nTo start anyway, give the reason (it is audited and shown in the results report):`);
          if (!reason || !reason.trim()) { toast('Not started.', true); return; }
          r = await api('POST', `/api/deployments/${d.id}/start`, { override_reason: reason.trim() });
        }
        // Whether the cameras started is only known once they report: the verdict is
        // written to #start-result by refreshHealth(), never "started" before that.
        state.startCheck = { id: d.id, until: Date.now() + 20000, error: r.camera_error || '' };
        if (r.camera_error) toast(`The deployment is active, but its cameras did not start: ${r.camera_error}`, true);
        else toast('The deployment is active: checking its cameras…');
        route();
      } catch (e) { toast(e.message, true); }
    } }, 'Start deployment'));
  }
  if (manage) {
    actions.append(h('button', { class: 'secondary', id: 'publish-notice', onclick: async () => {
      try { await api('POST', `/api/deployments/${d.id}/notice`, {}); toast('Advance notice published'); route(); } catch (e) { toast(e.message, true); }
    } }, d.notice_published ? 'Re-publish notice' : 'Publish advance notice'));
    actions.append(h('button', { class: 'danger', id: 'close-deployment', onclick: () => confirmDialog('Close deployment',
      'Closing ends the deployment and destroys its watchlist photos, embeddings, names and all alert images for good. Only the composition (references, categories, counts) stays on record.',
      d.name, async () => { const r = await api('POST', `/api/deployments/${d.id}/close`, { confirm: d.name }); toast(`Closed: ${r.entries_shredded} watchlist entries shredded`); route(); }) }, 'Close deployment'));
  }
  if (can('read reports')) {
    actions.append(h('a', { class: 'button secondary', id: 'open-report', href: `/api/deployments/${d.id}/report?format=html`, target: '_blank' }, 'Results report'));
  }
  if (d.notice_published) actions.append(h('a', { class: 'button secondary', href: `/public/deployments/${d.id}/notice`, target: '_blank' }, 'Public notice'));
  nodes.push(actions);

  if (manage && d.status === 'planned') {
    nodes.push(h('h2', {}, 'Edit'), h('div', { class: 'card' }, deploymentForm(d, () => { toast('Saved'); route(); })));
  }

  // Camera health (active deployments), updated in place by "camera" and "counters" events.
  state.healthDeployment = d.status === 'active' ? d : null;
  if (d.status === 'active') {
    nodes.push(h('h2', {}, 'Camera health'), h('p', { id: 'start-result', role: 'status' }),
      h('div', { id: 'camera-health', class: 'table-wrap' }, h('p', { class: 'muted' }, 'Checking…')));
  }

  // Cameras
  nodes.push(h('h2', {}, 'Cameras'));
  const camRows = d.cameras.map((c) => h('tr', {}, h('td', {}, c.name), h('td', { class: 'mono' }, c.uri), h('td', {}, c.position),
    h('td', {}, manage ? h('button', { class: 'secondary', onclick: async () => { try { await api('DELETE', `/api/cameras/${c.id}`); route(); } catch (e) { toast(e.message, true); } } }, 'Remove') : '')));
  nodes.push(d.cameras.length ? h('table', { id: 'cameras' }, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Source'), h('th', {}, 'Position'), h('th', {})), camRows)
    : h('p', { class: 'muted' }, 'No cameras yet.'));
  if (manage) {
    const err = h('p', { class: 'error' });
    const form = h('form', { class: 'grid', id: 'camera-form' },
      h('label', { for: 'cam-name' }, 'Camera name'), h('input', { id: 'cam-name', name: 'name', required: true }),
      h('label', { for: 'cam-uri' }, 'Source (file, rtsp://…, /dev/video0)'), h('input', { id: 'cam-uri', name: 'uri', required: true }),
      h('label', { for: 'cam-pos' }, 'Position'), h('input', { id: 'cam-pos', name: 'position' }),
      h('label', { for: 'cam-record' }, 'Record footage (sealed, deleted within 31 days)'), h('input', { id: 'cam-record', name: 'record_footage', type: 'checkbox' }),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add camera'), err));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        await api('POST', `/api/deployments/${d.id}/cameras`, { name: form.elements.name.value, uri: form.elements.uri.value, position: form.elements.position.value, record_footage: form.elements.record_footage.checked });
        toast('Camera added'); route();
      } catch (e) { err.textContent = e.message; }
    });
    nodes.push(h('div', { class: 'card' }, form));
  }

  // Watchlist
  if (can('view watchlists')) {
    nodes.push(h('h2', {}, 'Watchlist'));
    const byCat = d.watchlist.by_category.map((c) => `${c.category}: ${c.entries}`).join(' · ');
    nodes.push(h('p', { class: 'muted' }, `${d.watchlist.entries} entries${byCat ? ' — ' + byCat : ''}`));
    const { entries } = await api('GET', `/api/deployments/${d.id}/watchlist`);
    if (entries.length) {
      nodes.push(h('table', { id: 'watchlist' }, h('tr', {}, ...['', 'Reference', 'Name', 'Category', 'Reason', 'Quality', ''].map((t) => h('th', {}, t))),
        entries.map((e) => h('tr', {},
          h('td', {}, e.shredded ? '' : h('img', { class: 'thumb', alt: 'watchlist photo', src: `/api/watchlist/${e.id}/image` })),
          h('td', {}, e.reference), h('td', {}, e.name || (e.shredded ? '(shredded)' : '')), h('td', {}, e.category), h('td', {}, e.reason),
          h('td', {}, Number(e.quality).toFixed(2), e.quality_notes ? h('div', { class: 'warning' }, e.quality_notes) : '',
            e.duplicate_of ? h('div', { class: 'warning' }, `possible duplicate of entry ${e.duplicate_of} (${Number(e.duplicate_score).toFixed(2)})`) : ''),
          h('td', {}, manage ? h('button', { class: 'secondary', onclick: async () => { try { await api('DELETE', `/api/watchlist/${e.id}`); route(); } catch (x) { toast(x.message, true); } } }, 'Remove') : '')))));
    }
    if (manage) nodes.push(forecastPanel(d));
    if (manage) nodes.push(uploadForm(d));
  }
  render(...nodes);
  if (d.status === 'active') refreshHealth();
}

// A camera counts as started once it delivered a frame (a file that ended did too).
const cameraStarted = (c) => c && (c.health === 'up' || (c.health === 'ended' && !!c.last_frame_time));
const cameraFailed = (c) => !c || c.health === 'failed' || c.health === 'reconnecting' || (c.health === 'ended' && !c.last_frame_time);

// A supervisor reopens one camera's source now (e.g. the stream is back, or its file was
// copied in) instead of waiting for the next retry; the health table then shows the result.
async function restartCamera(d, cam) {
  try {
    await api('POST', `/api/deployments/${d.id}/cameras/${cam.id}/restart`);
    toast(`Restarting camera ${cam.name}…`);
    // The verdict above the table is worked out again once the cameras report.
    state.startCheck = { id: d.id, until: Date.now() + 20000, error: '', quiet: true };
  } catch (e) { toast(e.message, true); }
}

async function refreshHealth() {
  const d = state.healthDeployment;
  if (!d || state.route !== 'deployment' || !$('#camera-health')) return;
  let live;
  try { live = (await api('GET', '/api/live')).cameras.filter((c) => c.deployment_id === d.id); } catch (e) { return; }
  if (state.healthDeployment !== d || !$('#camera-health')) return;
  const byName = new Map(live.map((c) => [c.camera, c]));
  const manage = can('manage deployments');
  const rows = d.cameras.map((cam) => {
    const c = byName.get(cam.name);
    return h('tr', { 'data-camera': cam.name }, h('td', {}, cam.name), h('td', {}, pill(c ? c.health : 'not running')),
      h('td', {}, fmtTime(c && c.last_frame_time)), h('td', {}, c ? c.frames_processed : '—'), h('td', {}, c ? c.frames_dropped : '—'),
      h('td', { class: 'error' }, c && c.health !== 'up' ? c.error : ''),
      manage ? h('td', {}, h('button', { class: 'secondary', 'data-restart': cam.name, onclick: () => restartCamera(d, cam) }, 'Restart')) : '');
  });
  const heads = ['Camera', 'Health', 'Last frame', 'Frames', 'Dropped', 'Last error'].concat(manage ? [''] : []);
  $('#camera-health').replaceChildren(h('table', {}, h('tr', {}, ...heads.map((t) => h('th', {}, t))), rows));

  // The verdict after Start: which cameras started and which failed, by name.
  const check = state.startCheck;
  const out = $('#start-result');
  if (!check || check.id !== d.id || !out) return;
  const cams = d.cameras.map((cam) => ({ name: cam.name, live: byName.get(cam.name) }));
  const settled = cams.every((c) => cameraStarted(c.live) || (c.live && cameraFailed(c.live)));
  if (!settled && Date.now() < check.until && !check.error) { out.className = 'muted'; out.textContent = 'Starting cameras…'; return; }
  state.startCheck = null;
  const failed = cams.filter((c) => !cameraStarted(c.live));
  const why = (c) => `${c.name} (${c.live ? (c.live.error || c.live.health) : (check.error || 'not running')})`;
  if (!failed.length) {
    out.className = 'ok'; out.textContent = `Deployment started: ${cams.length === 1 ? 'its camera is' : `all ${cams.length} cameras are`} up.`;
  } else if (failed.length === cams.length) {
    out.className = 'error'; out.textContent = `The deployment is active but no camera started: ${failed.map(why).join('; ')}.`;
  } else {
    out.className = 'warning'; out.textContent = `Deployment started, but ${failed.length} of ${cams.length} cameras failed to start: ${failed.map(why).join('; ')}.`;
  }
  if (!check.quiet) toast(out.textContent, failed.length > 0);
}

function uploadForm(d) {
  const result = h('div', { id: 'upload-result', role: 'status' });
  const field = (name, label, attrs) => [h('label', { for: 'w-' + name }, label), h('input', Object.assign({ id: 'w-' + name, name }, attrs || {}))];
  const form = h('form', { class: 'grid', id: 'upload-form' },
    field('image', 'Photo', { type: 'file', accept: 'image/*', required: true }),
    field('reference', 'Reference', { required: true }),
    field('name', 'Name', { required: true }),
    field('category', 'Category / offence', { required: true }),
    field('reason', 'Reason for inclusion', { required: true }),
    field('image_source', 'Image source'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add to watchlist'), result));
  // The photo as enrolment sees it, shown as soon as it is chosen: the aligned face and the
  // quality reasons; a marginal photo is added only once the supervisor says they looked.
  const check = h('div', { id: 'photo-check', role: 'status' });
  form.insertBefore(check, form.querySelector('.actions'));
  let checked = null;  // the last check's answer for the chosen file
  const runCheck = async () => {
    checked = null;
    result.replaceChildren();  // what was said about the previous photo
    const file = form.querySelector('#w-image').files[0];
    if (!file) { check.replaceChildren(); return; }
    check.replaceChildren(h('p', { class: 'muted' }, 'Checking the photo…'));
    const body = new FormData();
    body.set('image', file);
    let c;
    try { c = await api('POST', `/api/deployments/${d.id}/watchlist/check`, body); } catch (e) { check.replaceChildren(errorBox(e)); return; }
    if (form.querySelector('#w-image').files[0] !== file) return;  // another photo was chosen meanwhile
    checked = c;
    const q = c.quality;
    const verdict = c.verdict === 'good' ? ['ok', 'Good photo: one clear face.']
      : c.verdict === 'marginal' ? ['warning', 'Marginal photo: usable, but look at the aligned face before adding it.']
      : ['error', `Refused: ${c.rejection}.`];
    const notes = (c.verdict === 'refused' ? (q ? q.reasons : []) : c.marginal);
    check.dataset.verdict = c.verdict;
    if (q) check.dataset.eyes = q.inter_eye_px;
    check.replaceChildren(h('div', { class: 'row photo-check' },
      c.aligned ? h('figure', {}, h('img', { id: 'photo-check-face', alt: 'aligned face', src: c.aligned }),
        h('figcaption', {}, 'What the recogniser sees')) : '',
      h('div', {},
        h('p', { id: 'photo-check-verdict', class: verdict[0] }, verdict[1]),
        notes.length ? h('ul', { id: 'photo-check-notes' }, notes.map((n) => h('li', {}, n))) : '',
        q ? h('p', { class: 'muted' }, `Eyes ${Number(q.inter_eye_px).toFixed(0)} px apart, turned ${Math.abs(q.yaw_deg).toFixed(0)}°, tilted ${Math.abs(q.roll_deg).toFixed(0)}°, sharpness ${Number(q.sharpness).toFixed(0)}, detector ${Number(q.detector_score).toFixed(2)}, quality ${Number(q.score).toFixed(2)}`) : '',
        c.verdict === 'marginal' ? h('label', { class: 'check' }, h('input', { type: 'checkbox', id: 'photo-check-confirm' }),
          ' I have looked at the aligned face: it is this person and clear enough to search for') : '')));
  };
  form.querySelector('#w-image').addEventListener('change', runCheck);
  const enrol = async (confirmDuplicate, acceptHub) => {
    if (checked && checked.verdict === 'refused') {
      result.replaceChildren(h('p', { class: 'error' }, `This photo would be refused (${checked.rejection}): choose another.`));
      return;
    }
    const confirmBox = form.querySelector('#photo-check-confirm');
    if (checked && checked.verdict === 'marginal' && !(confirmBox && confirmBox.checked)) {
      result.replaceChildren(h('p', { class: 'error', id: 'photo-check-needed' }, 'A marginal photo: look at the aligned face and tick the box before adding it.'));
      if (confirmBox) confirmBox.focus();
      return;
    }
    result.replaceChildren('Enrolling…');
    const body = new FormData(form);
    if (confirmDuplicate) body.set('confirm_duplicate', 'true');
    if (acceptHub) body.set('accept_hub_reason', acceptHub);
    try {
      const e = await api('POST', `/api/deployments/${d.id}/watchlist`, body);
      result.replaceChildren(h('p', { class: 'ok' }, `Enrolled ${e.reference} (quality ${Number(e.quality).toFixed(2)})`),
        ...(e.warnings || []).map((w) => h('p', { class: 'warning' }, w)), hubCheckNote(e.hub_check));
      toast(`Enrolled ${e.reference}`);
      setTimeout(route, 600);
    } catch (e) {
      // 409: the same face is already on the list; the supervisor may still confirm it.
      const anyway = e.status === 409 && e.body && e.body.duplicate_of
        ? h('button', { type: 'button', class: 'secondary', id: 'enrol-anyway', onclick: () => enrol(true) }, 'Enrol anyway')
        : '';
      result.replaceChildren(h('p', { class: 'error' }, e.status === 409 && e.body && e.body.rejection ? e.body.rejection : e.message), anyway,
        hubAcceptForm(e, (why) => enrol(confirmDuplicate, why)));
    }
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); enrol(false); });
  return h('div', { class: 'card' }, h('h2', {}, 'Add a person'), form);
}

// The watchlist's false-alert forecast before the start (GET /api/deployments/ID/forecast):
// each entry's hits among the background cohort's strangers at the deployment's threshold,
// hubs marked, and the whole list's rate against the force's cap. Loaded on request, as it
// opens the embeddings (audited).
function forecastPanel(d) {
  const out = h('div', { id: 'forecast-result', role: 'status' });
  const run = async () => {
    out.replaceChildren('Forecasting…');
    let f;
    try { f = await api('GET', `/api/deployments/${d.id}/forecast`); } catch (e) { out.replaceChildren(errorBox(e)); return; }
    if (f.status !== 'ok') { out.replaceChildren(h('p', { class: f.status === 'no_cohort' ? 'error' : 'muted', id: 'forecast-status' }, f.message)); return; }
    const pct = (x) => `${(100 * x).toFixed(2)} %`;
    const verdict = f.over_cap ? ['error', 'over the cap'] : f.shown_within_cap ? ['ok', 'within the cap'] : ['warning', 'within the cap as measured, but the cohort is too small to show it at 95 % confidence'];
    out.replaceChildren(
      h('p', { id: 'forecast-summary', class: verdict[0] },
        `${f.faces_alerting} of ${f.cohort_size} strangers would raise a false alert at threshold ${Number(f.threshold).toFixed(3)} (${f.threshold_spec}): ${pct(f.rate)}, at most ${pct(f.rate_upper95)} at 95 % confidence; cap ${pct(f.cap)}: ${verdict[1]}.`),
      f.hubs ? h('p', { class: 'error' }, `${f.hubs} entr${f.hubs === 1 ? 'y looks' : 'ies look'} like a hub: check the photo and replace or remove it before the start.`) : '',
      h('table', { id: 'forecast' }, h('tr', {}, ...['Entry', 'Reference', 'Strangers alerting', 'Top score', 'Hub'].map((t) => h('th', {}, t))),
        f.entries.map((e) => h('tr', { class: e.hub ? 'hub' : '' }, h('td', {}, e.entry), h('td', {}, e.reference),
          h('td', {}, `${e.cohort_hits} (${pct(e.rate)})`), h('td', {}, Number(e.top_score).toFixed(3)),
          h('td', { class: e.hub ? 'error' : '' }, e.hub ? e.reason : 'no')))));
  };
  return h('div', { class: 'card' }, h('h2', {}, 'False-alert forecast'),
    h('p', { class: 'muted' }, 'Scores every entry against a background cohort of strangers at this deployment\'s threshold, before the start.'),
    h('button', { class: 'secondary', id: 'run-forecast', onclick: run }, 'Forecast false alerts'), out);
}

// What the hub check said about an enrolled entry (plainly when it could not check).
function hubCheckNote(c) {
  if (!c) return '';
  if (!c.checked) return h('p', { class: 'warning', id: 'hub-check' }, `Not checked for hubs: ${c.not_checked}`);
  return h('p', { class: 'muted', id: 'hub-check' }, `Forecast: ${c.cohort_hits} of ${c.cohort_size} strangers would alert on this entry at ${Number(c.threshold).toFixed(3)}${c.hub ? ' (a hub, accepted)' : ''}.`);
}

// A 409 for a forecast hub: the supervisor may enrol it anyway, with a reason (audited).
function hubAcceptForm(e, retry) {
  if (!(e.status === 409 && e.body && e.body.hub)) return '';
  const reason = h('input', { id: 'hub-reason', placeholder: 'Why this photo must be used' });
  return h('div', { class: 'row' }, reason,
    h('button', { type: 'button', class: 'secondary', id: 'accept-hub', onclick: () => {
      if (!reason.value.trim()) { reason.focus(); return; }
      retry(reason.value.trim());
    } }, 'Accept with reason'));
}

// ---- live ---------------------------------------------------------------------------------
//
// The Live page is built once and then updated in place: cards are keyed by alert id, a
// pending card's controls are never rebuilt (a note being typed, the chosen outcome and the
// focus survive every refresh), and a card is redrawn only when its decision changes.

const live = { dep: undefined, depKey: '', cards: new Map(), alerts: [], cams: [], want: {}, running: null, updates: 0 };

const STATE_TEXT = { pending: 'Pending', true: 'Confirmed match', false: 'False alert', no_action: 'No action' };
const OUTCOME_TEXT = { none: 'no outcome', engaged: 'engaged', arrested: 'arrested', nfa: 'no further action' };
const OWN_CORRECTION_MS = 10 * 60 * 1000;  // operators may correct their own decision this long

async function pageLive(id) {
  if (id) state.liveDeployment = Number(id);
  Object.assign(live, { dep: undefined, depKey: '', cards: new Map(), alerts: [], cams: [] });
  render(h('h1', {}, 'Live'), h('div', { id: 'live-deployment-row' }),
    h('div', { id: 'live-stats', class: 'row' }), h('h2', {}, 'Cameras'), h('div', { id: 'live-cameras', class: 'table-wrap' }),
    h('h2', {}, 'Alerts (newest first)'), h('p', { id: 'no-alerts', class: 'muted' }, 'No alerts yet.'),
    h('div', { id: 'alert-queue', class: 'alerts' }));
  await liveRefresh({ deployments: true, alerts: true, cameras: true });
}

// Asks for a refresh of parts of the Live page; requests arriving while one runs are merged
// into the next run, so bursts of events cost one refresh.
function liveRefresh(what) {
  for (const [k, v] of Object.entries(what)) if (v) live.want[k] = true;
  if (!live.running) {
    // Started from a resolved promise so that live.running is set before the loop can
    // finish (a loop that finished synchronously would leave it set for good).
    live.running = Promise.resolve().then(async () => {
      try {
        while (Object.keys(live.want).length) {
          const w = live.want; live.want = {};
          if (state.route !== 'live' || !$('#alert-queue')) { continue; }
          try { await liveUpdate(w); } catch (e) { if (e.status !== 401) toast(e.message, true); }
        }
      } finally { live.running = null; }
    });
  }
  return live.running;
}

async function liveUpdate(w) {
  if (w.deployments || live.dep === undefined) {
    const { deployments } = await api('GET', '/api/deployments');
    const active = deployments.filter((d) => d.status === 'active');
    let dep = state.liveDeployment;
    if (!active.some((d) => d.id === dep)) dep = active.length ? active[active.length - 1].id : null;
    const key = active.map((d) => `${d.id}:${d.name}`).join(',') + '|' + dep;
    if (key !== live.depKey) {
      live.depKey = key;
      const select = h('select', { id: 'live-deployment', onchange: () => { location.hash = `#/live/${select.value}`; } },
        active.map((d) => h('option', { value: d.id, selected: d.id === dep }, d.name)));
      $('#live-deployment-row').replaceChildren(active.length ? h('p', {}, h('label', { for: 'live-deployment' }, 'Deployment: '), select)
        : h('p', { class: 'muted', id: 'live-none' }, 'No deployment is active. This page shows alerts as soon as one starts.'));
    }
    if (dep !== live.dep) {
      live.dep = dep; state.liveDeployment = dep;
      live.cards = new Map(); live.alerts = []; live.cams = [];
      $('#alert-queue').replaceChildren();
      w.alerts = w.cameras = true;
    }
  }
  const dep = live.dep;
  if (dep === null) { renderLiveStats(); renderLiveCameras(); syncCards([]); return; }
  const [alerts, cams] = await Promise.all([
    w.alerts ? api('GET', `/api/alerts?deployment=${dep}&limit=100`).then((r) => r.alerts) : null,
    w.cameras ? api('GET', '/api/live').then((r) => r.cameras.filter((c) => c.deployment_id === dep)) : null,
  ]);
  if (dep !== live.dep || !$('#alert-queue')) return;  // the page or deployment changed meanwhile
  if (alerts) { live.alerts = alerts; syncCards(alerts); }
  if (cams) { live.cams = cams; renderLiveCameras(); }
  renderLiveStats();
}

function renderLiveStats() {
  const faces = live.cams.reduce((s, c) => s + c.faces_seen, 0);
  const pending = live.alerts.filter((a) => a.state === 'pending').length;
  $('#live-stats').replaceChildren(
    h('div', { class: 'stat' }, h('b', { id: 'stat-faces' }, faces), 'faces seen'),
    h('div', { class: 'stat' }, h('b', { id: 'stat-alerts' }, live.alerts.length), 'alerts'),
    h('div', { class: 'stat' + (pending ? ' pending' : '') }, h('b', { id: 'stat-pending' }, pending), 'pending'));
}

function renderLiveCameras() {
  const el = $('#live-cameras');
  live.updates += 1;
  el.dataset.updates = String(live.updates);
  el.replaceChildren(live.cams.length ? h('table', {}, h('tr', {}, ...['Camera', 'Health', 'Last frame', 'Frames', 'Dropped', 'Faces seen', 'Decision p95'].map((t) => h('th', {}, t))),
    live.cams.map((c) => h('tr', {}, h('td', {}, c.camera), h('td', {}, pill(c.health), c.error ? h('div', { class: 'error' }, c.error) : ''),
      h('td', {}, fmtTime(c.last_frame_time)), h('td', {}, c.frames_processed), h('td', {}, c.frames_dropped), h('td', {}, c.faces_seen),
      h('td', {}, `${Math.round(c.decision_p95_ms)} ms`)))) : h('p', { class: 'muted' }, 'No camera is running.'));
}

function syncCards(alerts) {
  const queue = $('#alert-queue');
  const ids = new Set(alerts.map((a) => a.id));
  for (const [id, c] of live.cards) if (!ids.has(id)) { c.el.remove(); live.cards.delete(id); }
  let prev = null;
  for (const a of alerts) {
    let c = live.cards.get(a.id);
    if (c) updateCard(c, a);
    else { c = createCard(a); live.cards.set(a.id, c); }
    const at = prev ? prev.nextElementSibling : queue.firstElementChild;
    if (at !== c.el) queue.insertBefore(c.el, at);  // only new cards move: focus stays put
    prev = c.el;
  }
  $('#no-alerts').hidden = alerts.length > 0;
}

function createCard(a) {
  const e = a.entry || {};
  const isNew = a.state === 'pending' && !state.seenAlerts.has(a.id);
  state.seenAlerts.add(a.id);
  const c = { key: null, status: h('div', { class: 'status' }), pill: h('span') };
  c.el = h('article', { class: 'alert-card', 'data-alert-id': a.id, onpointerdown: () => acknowledge([a.id]) },
    h('div', { class: 'faces' },
      h('figure', {}, a.media_purged ? h('div', { class: 'muted' }, 'deleted (retention)') : h('img', { alt: 'live face', src: `/api/alerts/${a.id}/crop` }), h('figcaption', {}, 'Live face')),
      h('figure', {}, a.entry_id && !e.shredded ? h('img', { alt: 'watchlist photo', src: `/api/watchlist/${a.entry_id}/image` }) : h('div', { class: 'muted' }, '—'), h('figcaption', {}, 'Watchlist'))),
    h('div', { class: 'info' },
      h('div', {}, h('b', {}, e.name || a.subject_reference || '(subject removed)'), ' ', c.pill),
      h('div', { class: 'muted' }, `${e.reference || ''} ${e.category ? '· ' + e.category : ''}`),
      h('div', {}, `Score ${Number(a.fused_score).toFixed(3)} (threshold ${Number(a.threshold).toFixed(3)}) · camera ${a.camera} · track ${a.track_id}`),
      h('div', { class: 'muted' }, fmtTime(a.time)),
      c.status));
  updateCard(c, a, isNew);
  return c;
}

// Redraws the parts of a card that depend on its decision, and only when that changed.
function updateCard(c, a, isNew) {
  c.a = a;
  const key = [a.state, a.outcome, a.decided, a.note, (a.corrections || []).length, a.media_purged].join('|');
  if (key === c.key) return;
  c.key = key;
  c.el.className = `alert-card ${a.state}${isNew ? ' new' : ''}`;
  const p = pill(a.state);
  c.pill.replaceWith(p); c.pill = p;
  if (a.state === 'pending') {
    c.status.replaceChildren(can('decide alerts') && !a.media_purged ? decideControls(a) : h('p', { class: 'muted' }, 'Awaiting an operator’s decision.'));
  } else {
    c.status.replaceChildren(decisionView(a));
  }
}

function decisionView(a) {
  const view = h('div', { class: 'decision' },
    h('p', { class: 'decided' }, h('b', {}, STATE_TEXT[a.state] || a.state),
      a.state === 'true' ? ` — outcome: ${OUTCOME_TEXT[a.outcome] || a.outcome}` : '',
      h('br'), h('span', { class: 'muted' }, `by ${a.decided_by} at ${fmtTime(a.decided)}`),
      a.note ? h('span', { class: 'note-text' }, h('br'), `Note: ${a.note}`) : ''));
  const corrections = a.corrections || [];
  if (corrections.length) {
    view.append(h('ul', { class: 'corrections' }, corrections.map((k) => h('li', {},
      `Corrected by ${k.by} at ${fmtTime(k.time)}: was ${STATE_TEXT[k.previous_state] || k.previous_state}`,
      k.previous_state === 'true' ? ` (${OUTCOME_TEXT[k.previous_outcome] || k.previous_outcome})` : '',
      ` by ${k.previous_decided_by}. Reason: ${k.reason || '(erased with the alert data)'}`))));
  }
  const own = a.decided_by === state.me.user && Date.now() - new Date(a.decided).getTime() < OWN_CORRECTION_MS;
  if (can('correct decisions') && !a.media_purged && (state.me.role === 'supervisor' || own)) {
    const slot = h('div');
    const open = h('button', { class: 'secondary', 'data-correct': 'true', onclick: () => { open.hidden = true; slot.replaceChildren(correctionForm(a, () => { open.hidden = false; slot.replaceChildren(); })); } }, 'Correct this decision');
    view.append(h('p', {}, open), slot);
  }
  return view;
}

function outcomeSelect(value) {
  return h('select', { class: 'outcome', 'aria-label': 'outcome (for a confirmed match)' },
    [['none', 'Outcome: none yet'], ['engaged', 'Engaged'], ['arrested', 'Arrested'], ['nfa', 'No further action']]
      .map(([v, t]) => h('option', { value: v, selected: v === value }, t)));
}

function decideControls(a) {
  const outcome = outcomeSelect('none');
  const note = h('input', { class: 'note', placeholder: 'note (optional)', 'aria-label': 'note' });
  const err = h('p', { class: 'error', role: 'alert' });
  const decide = (st) => async () => {
    acknowledge([a.id]);
    if (st !== 'true' && outcome.value !== 'none') {
      err.textContent = 'An outcome applies to a confirmed match only: set the outcome to "none yet" for a false or no-action alert.';
      return;
    }
    try {
      const saved = await api('POST', `/api/alerts/${a.id}/decision`, { state: st, outcome: outcome.value, note: note.value });
      toast('Decision recorded');
      const c = live.cards.get(a.id);
      if (c) updateCard(c, saved);
      liveRefresh({ alerts: true });
    } catch (e) {
      err.textContent = e.message;
      if (e.status === 409) liveRefresh({ alerts: true });  // someone else decided it: show theirs
    }
  };
  return h('div', { class: 'decide' },
    h('div', { class: 'fields' }, outcome, note),
    h('div', { class: 'buttons' },
      h('button', { class: 'ok', 'data-decide': 'true', onclick: decide('true') }, 'Confirm match'),
      h('button', { class: 'danger', 'data-decide': 'false', onclick: decide('false') }, 'False alert'),
      h('button', { class: 'secondary', 'data-decide': 'no_action', onclick: decide('no_action') }, 'No action')),
    err);
}

function correctionForm(a, onDone) {
  const st = h('select', { class: 'state', 'aria-label': 'corrected decision' },
    ['true', 'false', 'no_action'].map((v) => h('option', { value: v, selected: v === a.state }, STATE_TEXT[v])));
  const outcome = outcomeSelect(a.outcome);
  const note = h('input', { class: 'note', 'aria-label': 'note', value: a.note || '', placeholder: 'note (optional)' });
  const reason = h('input', { class: 'reason', 'aria-label': 'reason for the correction', required: true, placeholder: 'reason for the correction (kept on record)' });
  const err = h('p', { class: 'error', role: 'alert' });
  return h('form', { class: 'decide correction', onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      const saved = await api('POST', `/api/alerts/${a.id}/correction`, { state: st.value, outcome: st.value === 'true' ? outcome.value : 'none', note: note.value, reason: reason.value });
      toast('Correction recorded');
      const c = live.cards.get(a.id);
      if (c) updateCard(c, saved);
    } catch (e) { err.textContent = e.message; }
  } }, h('div', { class: 'fields' }, st, outcome, note, reason),
  h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Record correction'), h('button', { type: 'button', class: 'secondary', onclick: onDone }, 'Cancel')), err);
}

// ---- reports, audit, users ----------------------------------------------------------------

async function pageReports() {
  const { deployments } = await api('GET', '/api/deployments');
  render(h('h1', {}, 'Reports'),
    h('p', { class: 'muted' }, 'Results reports give the figures forces publish: faces seen, alerts, true and false alerts, engagements, arrests and the false-alert rate. No names.'),
    h('table', { id: 'reports' }, h('tr', {}, h('th', {}, 'Deployment'), h('th', {}, 'Status'), h('th', {}, 'Report')),
      deployments.slice().reverse().map((d) => h('tr', {}, h('td', {}, d.name), h('td', {}, pill(d.status)),
        h('td', {}, ...['html', 'json', 'csv'].map((f) => [h('a', { href: `/api/deployments/${d.id}/report?format=${f}`, target: '_blank' }, f.toUpperCase()), ' ']))))));
}

async function pageAudit() {
  const result = h('p', { id: 'audit-verify' });
  const rows = h('tbody', { id: 'audit-rows' });
  const err = h('p', { class: 'error', role: 'alert', id: 'audit-error' });
  const field = (id, label, attrs) => [h('label', { for: id }, label), h('input', Object.assign({ id, name: id }, attrs))];
  const form = h('form', { class: 'grid', id: 'audit-filters' },
    ...field('a-actor', 'Actor', { placeholder: 'e.g. sue', maxlength: 100 }),
    ...field('a-action', 'Action', { placeholder: 'e.g. login.failed or deployment.*', maxlength: 100 }),
    ...field('a-deployment', 'Deployment id', { type: 'number', min: 1 }),
    ...field('a-from', 'From', { type: 'datetime-local' }),
    ...field('a-to', 'To', { type: 'datetime-local' }),
    h('button', { type: 'submit' }, 'Filter'));
  const load = async () => {
    const q = new URLSearchParams({ limit: '300', order: 'desc' });
    for (const [id, key] of [['a-actor', 'actor'], ['a-action', 'action'], ['a-deployment', 'deployment']]) {
      const v = form.querySelector('#' + id).value.trim();
      if (v) q.set(key, v);
    }
    for (const [id, key] of [['a-from', 'from'], ['a-to', 'to']]) {
      const v = fromLocalInput(form.querySelector('#' + id).value);
      if (v) q.set(key, v);
    }
    try {
      const { events } = await api('GET', '/api/audit?' + q.toString());
      err.textContent = '';
      rows.replaceChildren(...events.map((e) => h('tr', {}, h('td', {}, e.seq), h('td', {}, fmtTime(e.time)), h('td', {}, e.actor), h('td', {}, e.action), h('td', {}, e.target),
        h('td', { class: 'mono' }, typeof e.details === 'string' ? e.details : JSON.stringify(e.details)))));
      if (!events.length) rows.replaceChildren(h('tr', {}, h('td', { colspan: 6 }, 'No audit rows match these filters.')));
    } catch (e) { err.textContent = e.message; }
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  render(h('h1', {}, 'Audit log'),
    h('p', {}, h('button', { id: 'verify-audit', onclick: async () => {
      try {
        const v = await api('GET', '/api/audit/verify');
        result.className = v.ok ? 'ok' : 'error';
        result.textContent = v.ok ? `Verified: ${v.rows} rows, the hash chain is intact.` : `BROKEN at row ${v.first_bad}: ${v.reason}`;
      } catch (e) { result.textContent = e.message; }
    } }, 'Verify the hash chain'), result),
    form, err, h('p', { class: 'muted' }, 'The newest 300 matching rows, newest first.'),
    h('table', {}, h('thead', {}, h('tr', {}, ...['#', 'Time', 'Actor', 'Action', 'Target', 'Details'].map((t) => h('th', {}, t)))), rows));
  await load();
}

// ---- nodes --------------------------------------------------------------------------------
//
// The fleet's edge nodes (GET /api/nodes): up or down as the control room last heard them,
// refreshed every 2 s while the page is open, updated in place.

async function pageNodes() {
  const table = h('table', { id: 'nodes' });
  const note = h('p', { class: 'muted', id: 'nodes-bus' });
  render(h('h1', {}, 'Nodes'), note, table);
  const draw = async () => {
    if (state.route !== 'nodes' || !document.body.contains(table)) return false;
    let r;
    try { r = await api('GET', '/api/nodes'); } catch (e) { note.replaceChildren(errorBox(e)); return true; }
    note.textContent = r.bus === 'configured'
      ? 'Heard over the fleet bus; a node is down when no heartbeat arrived for 6 s.'
      : 'No fleet bus is configured on this server (lfr serve --bus): nodes are listed without their state.';
    const rows = r.nodes.map((n) => h('tr', { 'data-node': n.name },
      h('td', {}, n.name),
      h('td', {}, n.revoked ? pill('revoked') : n.up === undefined ? '—' : pill(n.up ? 'up' : 'down')),
      h('td', {}, n.last_heard ? fmtTime(n.last_heard) : '—'),
      h('td', {}, (n.cameras || []).map((c) => `${c.name} (${c.health})`).join(', ') || '—'),
      h('td', {}, n.cpu_load === undefined ? '—' : `${Math.round(100 * n.cpu_load)} %`),
      h('td', {}, n.outbox === undefined ? '—' : String(n.outbox))));
    table.replaceChildren(h('tr', {}, ...['Node', 'State', 'Last heard', 'Cameras', 'CPU', 'Waiting to send'].map((t) => h('th', {}, t))),
      ...(rows.length ? rows : [h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No nodes registered (lfr node register NAME --public-key HEX).'))]));
    return true;
  };
  if (await draw()) {
    const timer = setInterval(async () => { if (!(await draw())) clearInterval(timer); }, 2000);
  }
}

async function pageUsers() {
  const { users } = await api('GET', '/api/users');
  const err = h('p', { class: 'error' });
  const roleSelect = (name, value) => h('select', { name, id: name }, ['supervisor', 'operator', 'auditor', 'investigator', 'admin'].map((r) => h('option', { value: r, selected: r === value }, r)));
  const form = h('form', { class: 'grid', id: 'user-form' },
    h('label', { for: 'u-name' }, 'User name'), h('input', { id: 'u-name', name: 'name', required: true, autocomplete: 'off' }),
    h('label', { for: 'u-role' }, 'Role'), roleSelect('u-role', 'operator'),
    h('label', { for: 'u-pass' }, 'Password (12+ characters)'), h('input', { id: 'u-pass', name: 'password', type: 'password', required: true, autocomplete: 'new-password' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create user'), err));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('POST', '/api/users', { name: form.elements.name.value, role: form.elements['u-role'].value, password: form.elements.password.value });
      toast('User created'); route();
    } catch (e) { err.textContent = e.message; }
  });
  render(h('h1', {}, 'Users'),
    h('table', { id: 'users' }, h('tr', {}, ...['Name', 'Role', 'Status', ''].map((t) => h('th', {}, t))),
      users.map((u) => h('tr', {}, h('td', {}, u.name), h('td', {}, u.role), h('td', {}, u.disabled ? 'disabled' : 'active'),
        h('td', {}, u.name === state.me.user ? '' : h('button', { class: 'secondary', onclick: async () => {
          try { await api('PATCH', `/api/users/${encodeURIComponent(u.name)}`, { disabled: !u.disabled }); route(); } catch (e) { toast(e.message, true); }
        } }, u.disabled ? 'Enable' : 'Disable'))))),
    h('h2', {}, 'New user'), h('div', { class: 'card' }, form));
}

// ---- start --------------------------------------------------------------------------------

window.addEventListener('hashchange', route);
document.addEventListener('DOMContentLoaded', async () => {
  $('#ack-alerts').addEventListener('click', () => acknowledge(cue.pending.map((a) => a.id)));
  $('#logout').addEventListener('click', async () => {
    try { await api('POST', '/api/logout'); } catch (e) { /* already logged out */ }
    showLogin('Logged out.');
  });
  try { await afterLogin(); } catch (e) { showLogin(); }
});

// ---- retrospective search -----------------------------------------------------------------
//
// An investigator drops (or chooses) a probe image, gives the case reference and the reason,
// and gets the probe's faces with their quality (and, in plain words, why a reviewer should
// not rely on one), the ranked candidates with their scores, a side-by-side comparison of
// the probe and a candidate, and review decisions. The probe stays in this page's memory: the
// server keeps only its SHA-256. Candidates are intelligence leads, never identifications.

const REVIEW_TEXT = { pending: 'pending review', possible: 'possible match', excluded: 'excluded' };

async function pageSearch(id) {
  if (!can('search galleries') && !can('read searches')) return render(errorBox(new Error('your role may not search galleries')));
  const nodes = [h('h1', {}, 'Retrospective search')];
  const result = h('div', { id: 'search-result' });
  const recent = h('div', { class: 'card', id: 'recent-searches', hidden: !can('read searches') });
  const refreshRecent = () => (can('read searches') ? recentSearches(result, recent) : Promise.resolve())
    .catch((e) => recent.replaceChildren(errorBox(e)));
  if (can('search galleries')) {
    const galleries = (await api('GET', '/api/galleries')).galleries.filter((g) => !g.deleted);
    nodes.push(searchForm(galleries, result, refreshRecent));
  }
  nodes.push(result, recent);
  await refreshRecent();
  render(...nodes);
  if (id) showSearch(await api('GET', `/api/searches/${id}`), null, result);
}

function searchForm(galleries, result, onSearched) {
  const err = h('p', { class: 'error', role: 'alert', id: 'search-error' });
  const file = h('input', { type: 'file', id: 'probe-file', name: 'image', accept: 'image/*', required: true });
  const preview = h('img', { id: 'probe-preview', class: 'probe', alt: 'probe', hidden: true });
  const drop = h('div', { class: 'dropzone', id: 'probe-drop', tabindex: '0' },
    h('p', {}, 'Drop the probe image here, or choose it: '), file, preview);
  const showPreview = () => {
    if (preview.src) URL.revokeObjectURL(preview.src);
    const f = file.files[0];
    preview.hidden = !f;
    if (f) preview.src = URL.createObjectURL(f);
  };
  file.addEventListener('change', showPreview);
  drop.addEventListener('dragover', (ev) => { ev.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (ev) => {
    ev.preventDefault();
    drop.classList.remove('over');
    if (ev.dataTransfer.files.length) { file.files = ev.dataTransfer.files; showPreview(); }
  });
  const field = (name, label, attrs) => [h('label', { for: 's-' + name }, label), h('input', Object.assign({ id: 's-' + name, name }, attrs || {}))];
  const form = h('form', { class: 'grid', id: 'search-form' },
    h('label', { for: 's-gallery' }, 'Gallery'),
    h('select', { id: 's-gallery', name: 'gallery', required: true },
      galleries.map((g) => h('option', { value: g.id }, `${g.name} (${g.records} records)`))),
    h('label', { for: 'probe-file' }, 'Probe image'), drop,
    ...field('case', 'Case reference', { required: true }),
    ...field('reason', 'Reason for the search', { required: true }),
    ...field('top', 'Candidates', { type: 'number', min: 1, max: 200, value: 20 }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'search-submit' }, 'Search'), err));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    if (!galleries.length) { err.textContent = 'There is no gallery to search.'; return; }
    const body = new FormData(form);
    const button = $('#search-submit');
    button.disabled = true;
    result.replaceChildren(h('p', { class: 'muted' }, 'Searching…'));
    try {
      const s = await api('POST', '/api/searches', body);
      showSearch(s, preview.src || null, result);
      toast(`Search ${s.id}: ${s.candidates.length} candidate(s)`);
      onSearched();
    } catch (e) {
      result.replaceChildren();
      err.textContent = e.message;
    } finally { button.disabled = false; }
  });
  if (!galleries.length) err.textContent = 'There is no gallery to search yet (a supervisor creates and imports one).';
  return h('div', { class: 'card' }, form);
}

function probeQuality(s) {
  if (!s.faces) {
    return h('div', { id: 'probe-quality' }, h('p', {}, `Face ${s.face_searched} of ${s.faces_found} searched, quality ${Number(s.probe_quality).toFixed(2)}`),
      s.probe_warnings ? h('p', { class: 'warning' }, 'Below what a reviewer should rely on: ' + s.probe_warnings) : '');
  }
  return h('div', { id: 'probe-quality' },
    s.notice ? h('p', { class: 'warning', id: 'probe-notice' }, s.notice) : '',
    h('ul', {}, s.faces.map((f) => h('li', { class: f.searched ? 'searched' : '' },
      `Face ${f.face}${f.searched ? ' (searched)' : ''}: quality ${Number(f.quality.score).toFixed(2)}, ${Math.round(f.quality.inter_eye_px)} px between the eyes — `,
      f.fit_for_review ? h('span', { class: 'ok' }, 'fit for review')
        : h('span', { class: 'warning' }, 'below what a reviewer should rely on: ' + f.warnings.join('; '))))));
}

// The search with its candidate grid; probeUrl is the probe still in this page (null for a
// past search: the server does not keep it).
function showSearch(s, probeUrl, result) {
  const outcome = h('p', { id: 'search-outcome' }, h('b', {}, 'Outcome: '), s.outcome);
  const compare = h('div', { id: 'compare', class: 'card', hidden: true });
  const grid = h('div', { class: 'candidates', id: 'candidates' });
  const canReview = can('review candidates');
  const setSearch = (next) => {
    s = Object.assign(s, next, { faces: s.faces, notice: s.notice });
    outcome.replaceChildren(h('b', {}, 'Outcome: '), s.outcome);
    for (const c of s.candidates) {
      const st = grid.querySelector(`.candidate[data-rank="${c.rank}"] .status`);
      if (st) st.replaceChildren(REVIEW_TEXT[c.status] || c.status);
    }
  };
  const open = (c) => {
    const err = h('p', { class: 'error', role: 'alert' });
    const note = h('input', { id: 'review-note', name: 'note', placeholder: 'Note (why)' });
    const mine = s.reviews.filter((r) => r.candidate === c.rank);
    const review = async (decision) => {
      err.textContent = '';
      try {
        setSearch(await api('POST', `/api/searches/${s.id}/candidates/${c.rank}/review`, { decision, note: note.value }));
        toast(`Candidate ${c.rank}: ${decision} recorded`);
        open(s.candidates.find((x) => x.rank === c.rank));
      } catch (e) { err.textContent = e.message; }
    };
    compare.replaceChildren(
      h('h2', {}, `Compare: probe and candidate ${c.rank} (${c.reference})`),
      h('div', { class: 'side-by-side' },
        h('figure', {}, probeUrl ? h('img', { src: probeUrl, alt: 'probe', id: 'compare-probe' }) : h('p', { class: 'muted' }, 'The probe is not stored.'), h('figcaption', {}, 'Probe')),
        h('figure', {}, h('img', { src: `/api/searches/${s.id}/candidates/${c.rank}/image`, alt: 'candidate ' + c.rank, id: 'compare-candidate' }),
          h('figcaption', {}, `${c.reference} — score ${Number(c.score).toFixed(3)}`))),
      h('p', { class: 'muted' }, 'A candidate is an intelligence lead for trained review, never an identification.'),
      mine.length ? h('ul', { class: 'reviews' }, mine.map((r) => h('li', {}, `${r.reviewer}: ${r.decision}${r.note ? ' — ' + r.note : ''}`))) : '',
      h('p', {}, 'Status: ', h('b', { id: 'compare-status' }, REVIEW_TEXT[c.status] || c.status)),
      canReview && c.status === 'pending' ? h('div', { class: 'review' }, note,
        h('button', { type: 'button', class: 'ok', id: 'review-possible', onclick: () => review('possible') }, 'Possible match'),
        h('button', { type: 'button', class: 'secondary', id: 'review-excluded', onclick: () => review('excluded') }, 'Exclude')) : '',
      err);
    compare.hidden = false;
  };
  for (const c of s.candidates) {
    grid.append(h('div', { class: 'candidate', 'data-rank': c.rank },
      can('search galleries') ? h('img', { src: `/api/searches/${s.id}/candidates/${c.rank}/image`, alt: 'candidate ' + c.rank, loading: 'lazy' }) : '',
      h('div', {}, h('b', {}, `#${c.rank} `), c.reference),
      h('div', { class: 'score' }, 'score ', Number(c.score).toFixed(3)),
      h('div', { class: 'status' }, REVIEW_TEXT[c.status] || c.status),
      can('search galleries') ? h('button', { type: 'button', class: 'secondary compare', onclick: () => open(c) }, 'Compare') : ''));
  }
  result.replaceChildren(h('div', { class: 'card', id: 'search-' + s.id },
    h('h2', {}, `Search ${s.id} — case ${s.case}`),
    h('p', { class: 'muted' }, `${s.reason} · by ${s.searched_by} · ${fmtTime(s.time)} · probe SHA-256 `, h('span', { class: 'mono' }, s.probe_sha256), ' (the image is not stored)'),
    probeQuality(s), outcome,
    s.candidates.length ? grid : h('p', {}, 'No candidate.')), compare);
}

// Fills `into` with the caller's recent searches (each opens in `result`).
async function recentSearches(result, into) {
  const list = (await api('GET', '/api/searches?limit=50')).searches;
  into.replaceChildren(h('h2', {}, 'Recent searches'),
    list.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'searches' },
      h('tr', {}, ['Search', 'Time', 'Case', 'By', 'Candidates', 'Outcome', ''].map((t) => h('th', {}, t))),
      list.map((s) => h('tr', {}, h('td', {}, s.id), h('td', {}, fmtTime(s.time)), h('td', {}, s.case), h('td', {}, s.searched_by),
        h('td', {}, s.candidates.length), h('td', {}, s.outcome),
        h('td', {}, h('button', { type: 'button', class: 'secondary', onclick: () => showSearch(s, null, result) }, 'Open'))))))
      : h('p', { class: 'muted' }, 'No search yet.'));
}

// ---- recorded footage (supervisors): timeline, audited playback, redacted export ----------

const isoSec = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

async function pageFootage(id) {
  const { deployments } = await api('GET', '/api/deployments');
  const pick = h('select', { id: 'footage-deployment' }, h('option', { value: '' }, 'Choose a deployment…'),
    deployments.slice().reverse().map((d) => h('option', { value: d.id, selected: String(d.id) === String(id) }, `${d.name} (${d.status})`)));
  pick.addEventListener('change', () => { location.hash = `#/footage/${pick.value}`; });
  const nodes = [h('h1', {}, 'Recorded footage'), h('p', {}, h('label', { for: 'footage-deployment' }, 'Deployment '), pick)];
  if (!id) return render(...nodes, h('p', { class: 'muted' }, 'Each camera that records footage keeps sealed segments for at most 31 days.'));
  const t = await api('GET', `/api/deployments/${id}/footage`);
  const spans = t.cameras.flatMap((c) => c.segments);
  if (!spans.length) return render(...nodes, h('p', { class: 'muted', id: 'footage-none' }, 'No recorded footage for this deployment.'));
  const t0 = Math.min(...spans.map((s) => s.start_ms)), t1 = Math.max(...spans.map((s) => s.end_ms));
  const pct = (ms) => `${(100 * (ms - t0) / Math.max(1, t1 - t0)).toFixed(3)}%`;

  // The form a click on the timeline fills in.
  const cam = h('select', { id: 'fx-camera' }, t.cameras.filter((c) => c.segments.length).map((c) => h('option', { value: c.id }, c.name)));
  const from = h('input', { id: 'fx-from', type: 'datetime-local', step: '1' });
  const to = h('input', { id: 'fx-to', type: 'datetime-local', step: '1' });
  const subject = h('select', { id: 'fx-subject' });
  const reason = h('input', { id: 'fx-reason', placeholder: 'e.g. disclosure request DR-7' });
  const out = h('div', { id: 'footage-result' });
  const video = h('video', { id: 'footage-video', controls: true, preload: 'auto', playsinline: true, hidden: true });
  const localSec = (ms) => { const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000); return d.toISOString().slice(0, 19); };
  const fromInput = (v) => new Date(v).getTime();
  const camName = () => (t.cameras.find((c) => String(c.id) === cam.value) || {}).name;
  const fillSubjects = (chosen) => {
    subject.replaceChildren(h('option', { value: '' }, 'none: blur every face'),
      ...t.alerts.filter((a) => a.camera === camName()).map((a) => h('option', { value: a.id, selected: String(a.id) === String(chosen) }, `alert ${a.id} — ${a.subject_reference || 'data deleted'} at ${fmtTime(a.time)}`)));
  };
  cam.addEventListener('change', () => fillSubjects());
  const choose = (camera, startMs, endMs, alertId) => {
    cam.value = String(camera.id);
    from.value = localSec(Math.max(t0, startMs));
    to.value = localSec(Math.min(t1, endMs));
    fillSubjects(alertId);
  };
  const rows = t.cameras.map((c) => h('div', { class: 'tl-row', 'data-camera': c.name },
    h('span', { class: 'tl-name' }, c.name, c.record_footage ? '' : h('span', { class: 'muted' }, ' (not recording)')),
    h('div', { class: 'timeline', title: `${c.name}: click to choose 30 s from there` },
      c.segments.map((s) => h('div', { class: 'tl-seg', style: null, 'data-start': s.start_ms, 'data-end': s.end_ms,
        onclick: (ev) => { const r = ev.currentTarget.parentNode.getBoundingClientRect(); const ms = t0 + (ev.clientX - r.left) / r.width * (t1 - t0); choose(c, ms, ms + 30000); } })),
      t.alerts.filter((a) => a.camera === c.name).map((a) => h('button', { type: 'button', class: 'tl-alert', 'data-alert': a.id, 'data-time': a.time_ms,
        title: `alert ${a.id}: ${a.subject_reference || 'data deleted'} at ${fmtTime(a.time)}`, 'aria-label': `alert ${a.id}`,
        onclick: () => choose(c, a.time_ms - 5000, a.time_ms + 10000, a.id) }, '▲')))));
  // Position with CSSOM (the CSP forbids inline style attributes).
  for (const row of rows) {
    for (const s of row.querySelectorAll('.tl-seg')) { s.style.left = pct(Number(s.dataset.start)); s.style.width = `calc(${pct(Number(s.dataset.end))} - ${pct(Number(s.dataset.start))})`; }
    for (const a of row.querySelectorAll('.tl-alert')) a.style.left = pct(Number(a.dataset.time));
  }
  const first = t.cameras.find((c) => c.segments.length);
  choose(first, t0, Math.min(t1, t0 + 30000));

  const play = h('button', { type: 'button', id: 'fx-play', onclick: async () => {
    out.replaceChildren();
    try {
      const res = await fetch(`/api/deployments/${id}/cameras/${cam.value}/footage.mp4?from=${isoSec(fromInput(from.value))}&to=${isoSec(fromInput(to.value))}`, { credentials: 'same-origin' });
      if (!res.ok) throw new Error((await res.json().catch(() => ({}))).error || `${res.status}`);
      if (video.src) URL.revokeObjectURL(video.src);
      video.src = URL.createObjectURL(await res.blob());
      video.hidden = false;
      await video.play().catch(() => {});
      toast(`Playing ${camName()} (this view is recorded in the audit log)`);
    } catch (e) { out.replaceChildren(errorBox(e)); }
  } }, 'Play');
  const exp = h('button', { type: 'button', id: 'fx-export', class: 'secondary', onclick: async () => {
    out.replaceChildren(h('p', { class: 'muted', id: 'fx-working' }, 'Exporting: detecting and blurring faces on every frame…'));
    exp.disabled = true;
    try {
      const body = { from: isoSec(fromInput(from.value)), to: isoSec(fromInput(to.value)), reason: reason.value };
      if (subject.value) body.subject_alert = Number(subject.value);
      const m = await api('POST', `/api/deployments/${id}/cameras/${cam.value}/footage/export`, body);
      out.replaceChildren(h('table', { class: 'card', id: 'fx-manifest' }, ...[
        ['Camera', m.camera], ['Range', `${fmtTime(m.first_frame)} – ${fmtTime(m.last_frame)}`], ['Frames', m.frames],
        ['Faces blurred', m.faces_blurred], ['Subject', m.subject_alert ? `alert ${m.subject_alert} (${m.subject_faces} faces left clear)` : 'none'],
        ['SHA-256', h('code', {}, m.sha256)], ['Exported by', m.exported_by], ['Reason', m.reason],
      ].map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v)))), h('p', {}, h('a', { href: m.download, download: m.file, id: 'fx-download', class: 'button' }, 'Download the MP4')));
      toast('Export made and recorded in the audit log');
    } catch (e) { out.replaceChildren(errorBox(e)); } finally { exp.disabled = false; }
  } }, 'Export redacted MP4');
  render(...nodes, h('div', { class: 'card', id: 'footage-timeline' }, h('p', { class: 'muted' }, `${fmtTime(isoSec(t0))} – ${fmtTime(isoSec(t1))}. `,
    'Bars are recorded footage, ▲ the deployment\'s alerts: click one to choose its range.'), rows),
  h('div', { class: 'card' }, h('form', { class: 'grid', id: 'footage-form', onsubmit: (ev) => ev.preventDefault() },
    h('label', { for: 'fx-camera' }, 'Camera'), cam, h('label', { for: 'fx-from' }, 'From'), from, h('label', { for: 'fx-to' }, 'To'), to,
    h('label', { for: 'fx-subject' }, 'Subject left unblurred'), subject, h('label', { for: 'fx-reason' }, 'Reason for the export'), reason,
    h('div', { class: 'actions' }, play, exp)), out), video,
  can('manage deployments') ? videoSearchCard(id, t0, t1, (camera, startMs, endMs) => {
    const c = t.cameras.find((x) => x.name === camera);
    if (!c) return;
    choose(c, startMs, endMs);
    play.click();
    video.scrollIntoView({ block: 'nearest' });
  }) : '');
}

// Forensic search of the deployment's recorded footage for its watchlist entries
// (POST /api/deployments/ID/video-searches, a background job polled once a second). The
// answer lists appearances of listed people only; "Show" plays the appearance's range
// above (an audited view). `showRange(camera name, start ms, end ms)`.
function videoSearchCard(id, t0, t1, showRange) {
  const localSec = (ms) => { const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000); return d.toISOString().slice(0, 19); };
  const from = h('input', { id: 'vs-from', type: 'datetime-local', step: '1', value: localSec(t0) });
  const to = h('input', { id: 'vs-to', type: 'datetime-local', step: '1', value: localSec(t1 + 1000) });
  const status = h('p', { id: 'vs-status', class: 'muted' });
  const results = h('div', { id: 'vs-results' });
  const cancel = h('button', { type: 'button', id: 'vs-cancel', class: 'secondary', hidden: true }, 'Cancel');
  let current = null;
  const card = h('div', { class: 'card', id: 'video-search' });
  const describe = (j) => {
    const p = j.progress;
    const s1 = (x) => Number(x).toFixed(1);
    if (j.status === 'running') return `Searching: ${s1(p.seconds_done)} of ${s1(p.seconds_total)} s of video (${p.segments_done} of ${j.segments} segments, ${j.cameras} camera(s))…`;
    if (j.status === 'completed') return `Search ${j.id} completed: ${s1(p.seconds_done)} s of video in ${s1(p.elapsed_s)} s, ${j.appearance_count} appearance(s) of listed people at threshold ${j.threshold}.`;
    if (j.status === 'failed') return `Search ${j.id} failed: ${j.error}`;
    return `Search ${j.id} was cancelled.`;
  };
  const show = (j) => {
    status.textContent = describe(j);
    status.className = j.status === 'failed' ? 'error' : 'muted';
    cancel.hidden = j.status !== 'running';
    if (j.status !== 'completed') return results.replaceChildren();
    if (!j.appearances.length) return results.replaceChildren(h('p', { id: 'vs-none' }, 'No listed person appears in this range.'));
    results.replaceChildren(h('table', { id: 'vs-table' },
      h('tr', {}, ...['Entry', 'Camera', 'From', 'To', 'Best score', ''].map((x) => h('th', {}, x))),
      ...j.appearances.map((a) => h('tr', { 'data-entry': a.entry_reference },
        h('td', {}, a.entry_reference), h('td', {}, a.camera), h('td', {}, fmtTime(a.start)), h('td', {}, fmtTime(a.end)),
        h('td', {}, String(a.best.score)),
        h('td', {}, h('button', { type: 'button', class: 'secondary vs-show', onclick: () => showRange(a.camera, a.start_utc_ms - 2000, a.end_utc_ms + 2000) }, 'Show'))))));
  };
  const poll = async (sid) => {
    current = sid;
    for (;;) {
      if (!card.isConnected || current !== sid) return;  // the page changed or another search took over
      let j;
      try { j = await api('GET', `/api/deployments/${id}/video-searches/${sid}`); } catch (e) { status.replaceChildren(errorBox(e)); return; }
      if (!card.isConnected || current !== sid) return;
      show(j);
      if (j.status !== 'running') return;
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  const start = h('button', { type: 'button', id: 'vs-start', onclick: async () => {
    start.disabled = true;
    try {
      const j = await api('POST', `/api/deployments/${id}/video-searches`, { from: isoSec(new Date(from.value).getTime()), to: isoSec(new Date(to.value).getTime()) });
      toast('Search of the recorded footage started (recorded in the audit log)');
      show(j);
      await poll(j.id);
    } catch (e) { status.replaceChildren(errorBox(e)); } finally { start.disabled = false; }
  } }, 'Search footage');
  cancel.onclick = async () => {
    try { await api('DELETE', `/api/deployments/${id}/video-searches/${current}`); toast('Search cancelled'); poll(current); } catch (e) { status.replaceChildren(errorBox(e)); }
  };
  card.append(h('h2', {}, 'Search this footage for the watchlist'),
    h('p', { class: 'muted' }, 'Finds when the people on this deployment\'s watchlist appear in its recorded footage. Faces that match nobody are not kept.'),
    h('form', { class: 'grid', onsubmit: (ev) => ev.preventDefault() },
      h('label', { for: 'vs-from' }, 'From'), from, h('label', { for: 'vs-to' }, 'To'), to, h('div', { class: 'actions' }, start, cancel)),
    status, results);
  // The latest search of this deployment, if any (running: follow it; finished: show it).
  api('GET', `/api/deployments/${id}/video-searches`).then((l) => {
    const last = (l.video_searches || [])[0];
    if (last && current === null) poll(last.id);
  }).catch(() => {});
  return card;
}

// ---- galleries ----------------------------------------------------------------------------
//
// A supervisor manages retrospective search's reference galleries: creates one (purpose,
// legal basis, owner, review period, one or two reviewers, how long search records are
// kept), uploads images (each file one record, its name the record reference) and sees
// what was refused and why and which faces look like someone already held, lists the
// records (those past their review date first marked), removes a record with a reason
// (its face data is deleted), and deletes a gallery. Other roles that may read galleries
// see the list and each gallery's terms.

async function pageGalleries(id) {
  if (!can('read galleries')) return render(errorBox(new Error('your role may not see galleries')));
  if (id) return pageGallery(id);
  const galleries = (await api('GET', '/api/galleries')).galleries;
  const nodes = [h('h1', {}, 'Galleries'),
    h('p', { class: 'muted' }, 'Reference images held lawfully for retrospective search, each under its own key. A search result is an intelligence lead, never an identification.')];
  const rows = galleries.map((g) => h('tr', { 'data-gallery': g.id },
    h('td', {}, h('a', { href: `#/galleries/${g.id}` }, g.name)), h('td', {}, g.purpose), h('td', {}, g.legal_basis), h('td', {}, g.owner),
    h('td', {}, g.records), h('td', {}, g.reviewers_required === 2 ? 'two' : 'one'), h('td', {}, g.recogniser),
    h('td', {}, g.deleted ? `deleted ${fmtTime(g.deleted_at)}` : fmtTime(g.created))));
  nodes.push(h('div', { class: 'card' }, galleries.length
    ? h('div', { class: 'table-wrap' }, h('table', { id: 'galleries' },
      h('tr', {}, ['Gallery', 'Purpose', 'Legal basis', 'Owner', 'Records', 'Reviewers', 'Recogniser', 'Created'].map((t) => h('th', {}, t))), rows))
    : h('p', { class: 'muted' }, 'No gallery yet.')));
  if (can('manage galleries')) nodes.push(galleryForm());
  render(...nodes);
}

function galleryForm() {
  const err = h('p', { class: 'error', role: 'alert', id: 'gallery-error' });
  const field = (name, label, attrs) => [h('label', { for: 'g-' + name }, label), h('input', Object.assign({ id: 'g-' + name, name }, attrs || {}))];
  const form = h('form', { class: 'grid', id: 'gallery-form' },
    ...field('name', 'Name', { required: true }),
    ...field('purpose', 'Purpose', { required: true }),
    ...field('legal_basis', 'Legal basis', { required: true }),
    ...field('owner', 'Owner (accountable officer)', { required: true }),
    ...field('review_days', 'Review each record after (days)', { type: 'number', min: 1, max: 36500, value: 365 }),
    h('label', { for: 'g-reviewers' }, 'Independent reviewers per search'),
    h('select', { id: 'g-reviewers', name: 'reviewers_required' }, h('option', { value: 1 }, 'one'), h('option', { value: 2 }, 'two')),
    ...field('search_retention_days', 'Keep search records (days)', { type: 'number', min: 1, max: 36500, value: 365 }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'gallery-create' }, 'Create gallery'), err));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    const f = new FormData(form);
    const body = {};
    for (const [k, v] of f.entries()) body[k] = ['review_days', 'reviewers_required', 'search_retention_days'].includes(k) ? Number(v) : v;
    try {
      const g = await api('POST', '/api/galleries', body);
      toast(`Gallery ${g.name} created`);
      location.hash = `#/galleries/${g.id}`;
    } catch (e) { err.textContent = e.message; }
  });
  return h('div', { class: 'card' }, h('h2', {}, 'New gallery'), form);
}

async function pageGallery(id) {
  const g = await api('GET', `/api/galleries/${id}`);
  const records = h('div', { class: 'card', id: 'gallery-records' });
  const summary = h('div', { id: 'import-summary' });
  const nodes = [h('p', {}, h('a', { href: '#/galleries' }, '← Galleries')),
    h('h1', {}, `Gallery ${g.name}`),
    h('div', { class: 'card', id: 'gallery-terms' }, h('dl', { class: 'terms' },
      [['Purpose', g.purpose], ['Legal basis', g.legal_basis], ['Owner', g.owner], ['Recogniser', g.recogniser],
        ['Records', g.records], ['Review each record after', `${g.review_days} days`],
        ['Reviewers per search', g.reviewers_required === 2 ? 'two, independent' : 'one'],
        ['Search records kept', `${g.search_retention_days} days`], ['Created', `${fmtTime(g.created)} by ${g.created_by}`],
        g.deleted ? ['Deleted', `${fmtTime(g.deleted_at)} by ${g.deleted_by}`] : null].filter(Boolean)
        .flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))])))];
  if (!can('manage galleries') || g.deleted) return render(...nodes);
  const refresh = () => galleryRecords(g, records).catch((e) => records.replaceChildren(errorBox(e)));
  nodes.push(galleryImport(g, summary, refresh), summary, records, galleryDelete(g));
  render(...nodes);
  await refresh();
}

function galleryImport(g, summary, onImported) {
  const err = h('p', { class: 'error', role: 'alert', id: 'import-error' });
  const files = h('input', { type: 'file', id: 'import-files', name: 'images', accept: 'image/*', multiple: true, required: true });
  const form = h('form', { class: 'grid', id: 'import-form' },
    h('label', { for: 'import-files' }, 'Images (each file one record; its name is the reference)'), files,
    h('label', { for: 'import-date' }, 'Capture date'), h('input', { id: 'import-date', name: 'capture_date', type: 'date' }),
    h('label', { for: 'import-source' }, 'Source'), h('input', { id: 'import-source', name: 'source', placeholder: 'e.g. custody suite, PND extract' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'import-submit' }, 'Import'), err));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    const body = new FormData(form);
    if (!body.get('capture_date')) body.delete('capture_date');
    const button = $('#import-submit');
    button.disabled = true;
    summary.replaceChildren(h('p', { class: 'muted' }, 'Importing…'));
    try {
      const r = await api('POST', `/api/galleries/${g.id}/import`, body);
      summary.replaceChildren(h('div', { class: 'card' },
        h('p', { id: 'import-counts' }, `${r.imported} of ${r.images} image(s) imported; ${r.rejected.length} refused; ${r.possible_duplicates} possible duplicate(s).`),
        r.rejected.length ? h('ul', { id: 'import-rejected' }, r.rejected.map((x) => h('li', { class: 'warning' }, x))) : '',
        r.warnings.length ? h('ul', { id: 'import-warnings' }, r.warnings.map((x) => h('li', { class: 'warning' }, x))) : ''));
      toast(`${r.imported} record(s) imported`);
      form.reset();
      await onImported();
    } catch (e) {
      summary.replaceChildren();
      err.textContent = e.message;
    } finally { button.disabled = false; }
  });
  return h('div', { class: 'card' }, h('h2', {}, 'Import images'), form);
}

// The gallery's records, newest first; a record past its review date is marked, and the
// "due for review" filter shows only those.
async function galleryRecords(g, into) {
  const list = (await api('GET', `/api/galleries/${g.id}/records?removed=1`)).records;
  const now = Date.now();
  const due = (r) => !r.removed && r.review_due && new Date(r.review_due).getTime() <= now;
  const onlyDue = h('input', { type: 'checkbox', id: 'records-due' });
  const table = h('table', { id: 'records' });
  const fill = () => {
    const shown = list.filter((r) => !onlyDue.checked || due(r));
    table.replaceChildren(
      h('tr', {}, ['Reference', 'Capture date', 'Source', 'Added', 'Review due', 'Quality', 'Possible duplicate of', 'Status', ''].map((t) => h('th', {}, t))),
      ...shown.map((r) => galleryRecordRow(r, due(r), () => galleryRecords(g, into))));
  };
  onlyDue.addEventListener('change', fill);
  fill();
  const live = list.filter((r) => !r.removed).length;
  into.replaceChildren(h('h2', {}, `Records (${live} held, ${list.length - live} removed)`),
    h('label', { class: 'inline' }, onlyDue, ` only those past their review date (${list.filter(due).length})`),
    list.length ? h('div', { class: 'table-wrap' }, table) : h('p', { class: 'muted' }, 'No record yet.'));
}

function galleryRecordRow(r, isDue, onChanged) {
  const status = h('td', { class: 'status' }, r.removed ? `removed ${fmtTime(r.removed_at)} by ${r.removed_by}: ${r.removal_reason}` : (isDue ? h('span', { class: 'warning' }, 'review due') : 'held'));
  const action = h('td', {});
  if (!r.removed) {
    action.append(h('button', {
      type: 'button', class: 'secondary remove',
      onclick: () => {
        const reason = h('input', { class: 'removal-reason', placeholder: 'Reason for removal (recorded)', required: true });
        const err = h('span', { class: 'error', role: 'alert' });
        const confirm = h('button', {
          type: 'button', class: 'danger confirm-remove',
          onclick: async () => {
            if (!reason.value.trim()) { err.textContent = 'Give the reason for the removal.'; return; }
            try {
              await api('POST', `/api/gallery-records/${r.id}/removal`, { reason: reason.value });
              toast(`Record ${r.reference} removed: its face data is deleted`);
              await onChanged();
            } catch (e) { err.textContent = e.message; }
          },
        }, 'Remove record');
        action.replaceChildren(reason, confirm, err);
        reason.focus();
      },
    }, 'Remove…'));
  }
  return h('tr', { 'data-reference': r.reference, class: r.removed ? 'removed' : '' },
    h('td', {}, r.reference), h('td', {}, r.capture_date || '—'), h('td', {}, r.source || '—'), h('td', {}, `${fmtTime(r.added)} by ${r.added_by}`),
    h('td', {}, fmtTime(r.review_due)), h('td', {}, r.quality === null || r.quality === undefined ? '—' : Number(r.quality).toFixed(2)),
    h('td', {}, r.possible_duplicate_of ? `record ${r.possible_duplicate_of} (score ${Number(r.duplicate_score).toFixed(3)})` : '—'),
    status, action);
}

function galleryDelete(g) {
  const err = h('p', { class: 'error', role: 'alert' });
  const box = h('div', { class: 'card', id: 'gallery-delete' }, h('h2', {}, 'Delete the gallery'),
    h('p', { class: 'muted' }, 'Deleting destroys the gallery key: every image and embedding becomes unreadable at once. Search records follow their retention period.'));
  const confirmName = h('input', { id: 'delete-confirm', placeholder: `type ${g.name} to confirm` });
  box.append(confirmName, h('button', {
    type: 'button', class: 'danger', id: 'gallery-delete-submit',
    onclick: async () => {
      err.textContent = '';
      if (confirmName.value !== g.name) { err.textContent = `Type the gallery's name (${g.name}) to confirm.`; return; }
      try {
        await api('DELETE', `/api/galleries/${g.id}`);
        toast(`Gallery ${g.name} deleted`);
        location.hash = '#/galleries';
      } catch (e) { err.textContent = e.message; }
    },
  }, 'Delete gallery'), err);
  return box;
}
