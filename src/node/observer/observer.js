/*
 * observer.js: the observer page's own script (no library, no network but the node that
 * served it). Every second it reads /api/top (each component's counters with the node's
 * clock) and turns differences into rates; every two seconds /api/tree (the supervision
 * tree); /api/events streams the node's log records as they happen. Plots are SVG
 * polylines drawn here. A token given as ?token= in the page's address goes with every
 * request (a header for fetch, the query for the event stream, which cannot set one;
 * the node names this script and the style sheet with it).
 */
'use strict';

const TOKEN = new URLSearchParams(location.search).get('token');
const KEEP = 300;          /* samples per sparkline: 5 minutes at one a second */
const EVENTS_KEPT = 300;

const comps = new Map();   /* id -> {row, info, msgs[], mem[], rst[], last} */
let treeShape = '';
let selected = null;       /* the id shown in the detail pane */
let selectedInfo = null;   /* its full `info` (top's short rows lack last_exit) */

function api(path, opts = {}) {
  const headers = Object.assign({}, opts.headers || {});
  if (TOKEN) headers['Authorization'] = 'Bearer ' + TOKEN;
  return fetch(path, Object.assign({}, opts, { headers, cache: 'no-store' }))
    .then(r => r.json().then(body => ({ status: r.status, body })));
}

function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v; else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k);
  return e;
}

const SVG = 'http://www.w3.org/2000/svg';
function sparkSvg(kind, title) {
  const s = document.createElementNS(SVG, 'svg');
  s.setAttribute('class', 'spark ' + kind);
  s.setAttribute('viewBox', '0 0 90 22');
  s.setAttribute('preserveAspectRatio', 'none');
  const t = document.createElementNS(SVG, 'title');
  t.textContent = title;
  s.append(t, document.createElementNS(SVG, 'polyline'));
  return s;
}

/* values -> a polyline ending at the right edge, scaled to its own maximum (0 at the
 * bottom). The box spans the samples kept, at least SPAN_MIN of them: a page just
 * opened shows its first seconds at a readable width, growing to five minutes. */
const SPAN_MIN = 30;
function drawSpark(svg, values, label) {
  const n = values.length;
  const span = Math.max(n, SPAN_MIN);
  const max = Math.max(1e-9, ...values);
  const pts = values.map((v, i) =>
    ((i + span - n) * 90 / (span - 1)).toFixed(1) + ',' + (21 - (v / max) * 19).toFixed(1));
  svg.querySelector('polyline').setAttribute('points', pts.join(' '));
  svg.querySelector('title').textContent = label;
}

function fmtBytes(b) {
  if (b >= 1 << 20) return (b / (1 << 20)).toFixed(1) + ' MiB';
  if (b >= 1024) return (b / 1024).toFixed(0) + ' KiB';
  return b + ' B';
}

/* ---- the tree ---------------------------------------------------------------------- */
function compRow(c) {
  const row = el('li', { class: 'comp', 'data-component': c.name, 'data-id': String(c.id) },
    el('span', { class: 'st' }), el('span', { class: 'hl' }), el('span', { class: 'name' }, c.name),
    el('span', { class: 'restarts', title: 'restarts' }),
    sparkSvg('msgs', 'messages/s'), sparkSvg('mem', 'memory'), sparkSvg('rst', 'restarts'));
  row.addEventListener('click', () => select(c.id));
  return row;
}

function updateRow(e) {
  const c = e.info;
  const st = e.row.querySelector('.st');
  st.textContent = c.state;
  st.className = 'st st-' + c.state;
  const hl = e.row.querySelector('.hl');
  hl.className = 'hl h-' + c.health;
  hl.title = 'health: ' + c.health;
  const r = e.row.querySelector('.restarts');
  r.textContent = String(c.restarts);
  r.className = 'restarts' + (c.restarts ? ' nonzero' : '');
  const rate = e.msgs.length ? e.msgs[e.msgs.length - 1] : 0;
  drawSpark(e.row.querySelector('svg.msgs'), e.msgs, rate.toFixed(1) + ' messages/s');
  drawSpark(e.row.querySelector('svg.mem'), e.mem, fmtBytes(c.memory_bytes));
  drawSpark(e.row.querySelector('svg.rst'), e.rst, c.restarts + ' restarts');
}

function supList(sup, byId) {
  const ul = el('ul', { class: 'sup' });
  const title = el('div', { class: 'supname' }, sup.name || 'root',
    el('small', {}, ` ${sup.strategy}, ${sup.intensity} in ${sup.period_ms} ms` +
      (sup.running ? '' : ' (not running)')));
  ul.append(title);
  for (const m of sup.members) {
    if (m.component !== undefined) {
      const e = byId.get(m.component);
      if (e) ul.append(e.row);
    } else {
      ul.append(el('li', {}, supList(m, byId)));
    }
  }
  return ul;
}

function shapeOf(sup) {
  return JSON.stringify(sup, (k, v) => (k === 'running' ? undefined : v));
}

function adopt(list) {
  const seen = new Set();
  for (const c of list) {
    seen.add(c.id);
    let e = comps.get(c.id);
    if (!e) {
      e = { row: compRow(c), msgs: [], mem: [], rst: [], last: null };
      comps.set(c.id, e);
    }
    e.info = c;
  }
  for (const id of [...comps.keys()]) if (!seen.has(id)) comps.delete(id);
}

async function pollTree() {
  const { body } = await api('/api/tree');
  if (!body.ok) return;
  document.getElementById('node').textContent = 'node ' + body.node;
  adopt(body.components);
  const shape = shapeOf(body.tree) + '|' + body.components.map(c => c.id).join(',');
  if (shape !== treeShape) {
    treeShape = shape;
    const byId = new Map([...comps].map(([id, e]) => [id, e]));
    const tree = document.getElementById('tree');
    tree.replaceChildren(supList(body.tree, byId));
  }
  for (const e of comps.values()) updateRow(e);
}

/* ---- counters: rates from two samples ------------------------------------------------ */
async function pollTop() {
  const [{ body }, node] = await Promise.all([api('/api/top'), api('/api/node')]);
  if (!body.ok) return;
  adopt(body.components);
  for (const e of comps.values()) {
    const c = e.info;
    if (e.last) {
      const dt = (body.sample_ns - e.last.t) / 1e9;
      const rate = dt > 0 ? Math.max(0, c.messages - e.last.messages) / dt : 0;
      push(e.msgs, rate);
    }
    push(e.mem, c.memory_bytes);
    push(e.rst, c.restarts);
    e.last = { t: body.sample_ns, messages: c.messages };
    updateRow(e);
  }
  if (node.body.ok) {
    const n = node.body;
    const busy = n.workers.filter(w => !w.parked).length;
    document.getElementById('summary').textContent =
      `${n.components} components · ${busy}/${n.workers.length} workers awake · ` +
      `${n.runtime.live} actors · up ${Math.round(n.uptime_ms / 1000)} s`;
  }
  if (selected !== null && comps.has(selected))
    showFacts(Object.assign({}, selectedInfo || {}, comps.get(selected).info));
}

function push(a, v) {
  a.push(v);
  if (a.length > KEEP) a.shift();
}

/* ---- one component: facts and actions ------------------------------------------------ */
function showFacts(c) {
  const rows = [['id', c.id], ['module', c.module], ['state', c.state], ['health', c.health],
    ['restarts', c.restarts], ['messages', c.messages], ['mailbox', c.mailbox],
    ['memory', fmtBytes(c.memory_bytes)], ['fuel used', c.fuel_used],
    ['uptime', (c.uptime_ms / 1000).toFixed(1) + ' s']];
  if (c.last_exit) rows.push(['last exit', c.last_exit.kind +
    (c.last_exit.message ? ': ' + c.last_exit.message : '')]);
  document.getElementById('facts').replaceChildren(
    ...rows.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, String(v)))));
}

async function select(id) {
  selected = id;
  for (const e of comps.values()) e.row.classList.toggle('selected', e.info.id === id);
  const e = comps.get(id);
  document.getElementById('detail-title').textContent = e ? e.info.name : String(id);
  document.getElementById('detail').hidden = false;
  setResult('', false);
  selectedInfo = null;
  const { body } = await api('/api/components/' + id);
  if (body.ok && selected === id) {
    selectedInfo = body.component;
    showFacts(body.component);
  }
}

function setResult(text, bad) {
  const out = document.getElementById('result');
  out.textContent = text;
  out.className = bad ? 'error' : '';
}

async function act(what) {
  if (selected === null) return;
  const opts = { method: 'POST', headers: { 'Content-Type': 'application/json' } };
  let path = `/api/components/${selected}/${what}`;
  if (what !== 'restart') {
    const text = document.getElementById('payload').value.trim();
    try {
      if (text) JSON.parse(text);
    } catch (err) {
      setResult('the payload is not JSON: ' + err.message, true);
      return;
    }
    opts.body = text;
    path += '?tag=' + encodeURIComponent(document.getElementById('tag').value || '0');
  }
  setResult(what + '…', false);
  try {
    const { status, body } = await api(path, opts);
    if (!body.ok) setResult(`${status} ${body.error}: ${body.message}`, true);
    else if (what === 'ask') setResult('reply: ' + JSON.stringify(body.reply), false);
    else setResult(what === 'send' ? 'sent' : 'restarted', false);
  } catch (err) {
    setResult(String(err), true);
  }
}

/* ---- events ---------------------------------------------------------------------- */
function eventClass(ev) {
  if (/stopped|crash|trap|denied|unhealthy|gave_up|failed/.test(ev)) return 'bad';
  if (/restart|degraded|upgrade/.test(ev)) return 'warn';
  if (/started|healthy/.test(ev)) return 'good';
  return '';
}

function addEvent(rec) {
  const ev = rec.event || rec.msg || 'record';
  const who = rec.name || rec.component || rec.child || '';
  const extra = ['reason', 'message', 'restarts', 'health', 'action', 'target']
    .filter(k => rec[k] !== undefined && rec[k] !== '')
    .map(k => `${k}=${typeof rec[k] === 'object' ? JSON.stringify(rec[k]) : rec[k]}`).join(' ');
  const t = (rec.time || '').slice(11, 19);
  const li = el('li', { class: eventClass(ev), 'data-event': ev },
    el('time', {}, t), ' ', el('span', { class: 'ev' }, ev), ' ', String(who),
    extra ? ' ' + extra : '');
  const list = document.getElementById('events');
  list.prepend(li);
  while (list.children.length > EVENTS_KEPT) list.lastChild.remove();
}

async function startEvents() {
  try { /* the kept records first; the stream opens whatever happens here */
    const { body } = await api('/api/logs?lines=50');
    if (body.ok) for (const r of body.records) addEvent(r);
  } catch (err) { /* the stream still shows what comes */ }
  /* A reconnecting EventSource sends the last id it saw: the node resumes after it. */
  const es = new EventSource('/api/events' + (TOKEN ? '?token=' + encodeURIComponent(TOKEN) : ''));
  const conn = document.getElementById('conn');
  es.onopen = () => { conn.textContent = 'live'; conn.className = 'conn up'; };
  es.onerror = () => { conn.textContent = 'reconnecting'; conn.className = 'conn down'; };
  es.onmessage = m => {
    try { addEvent(JSON.parse(m.data)); } catch (err) { /* not a record: ignore */ }
  };
}

document.getElementById('send').addEventListener('click', () => act('send'));
document.getElementById('ask').addEventListener('click', () => act('ask'));
document.getElementById('restart').addEventListener('click', () => act('restart'));

function every(ms, fn) {
  const run = () => fn().catch(() => {}).finally(() => setTimeout(run, ms));
  run();
}
startEvents();
every(2000, pollTree);
every(1000, pollTop);
