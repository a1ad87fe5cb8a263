// tests/node/observer_test.mjs: the observer page in a real browser (issue #13 point 4).
// Starts `troupe run examples/apps/observe.yaml --http 127.0.0.1:0` with a token, drives
// Debian's Chromium (headless) through Debian's chromedriver over the WebDriver protocol
// (plain HTTP + JSON: Node's own fetch, no npm package), and checks what a user sees:
// the supervision tree appears with every component Ready; a crash of a component shows
// up on the page as a restart (its count, and the events) within a few seconds; the
// page's Send button delivers a message (the component's count of handled messages goes
// up) and its Restart button restarts the component; a request without the token is
// refused while the page, opened with it, works. Takes a screenshot (OUT_DIR/observer.png,
// the picture in docs/OBSERVE.md). Prints TAP-style lines. Exits 77 -- ctest's "skipped", never a pass -- when
// Chromium cannot run here, saying why.
//
// usage: node observer_test.mjs TROUPE_BIN COMPONENTS_DIR MANIFEST OUT_DIR
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [troupeBin, componentsDir, manifest, outDir] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: node observer_test.mjs TROUPE_BIN COMPONENTS_DIR MANIFEST OUT_DIR');
  process.exit(2);
}
const SKIP = 77;
const WAIT_MS = 20000; // every wait is bounded; none is a timing assertion
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';
const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
const chromedriver = ['/usr/bin/chromedriver'].find(existsSync);
if (!chromium || !chromedriver) {
  console.log(`SKIPPED: ${chromium ? '' : 'chromium '}${chromedriver ? '' : 'chromedriver '}` +
              'not installed (Debian packages chromium, chromium-driver: scripts/deps.sh test)');
  process.exit(SKIP);
}

const tmp = mkdtempSync(join(tmpdir(), 'troupe-observer-'));
const children = [];
let failed = false;
const sleep = ms => new Promise(r => setTimeout(r, ms));

function cleanup() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
}
process.on('exit', cleanup);

function step(what) { console.log('# ' + what); }
function ok(cond, what) {
  console.log(`${cond ? 'ok' : 'not ok'} - ${what}`);
  if (!cond) { failed = true; throw new Error('failed: ' + what); }
}

async function waitFor(what, fn) {
  const end = Date.now() + WAIT_MS;
  let last;
  while (Date.now() < end) {
    try { if ((last = await fn())) return last; } catch (e) { last = e; }
    await sleep(100);
  }
  throw new Error(`waited ${WAIT_MS} ms for ${what} (last: ${last})`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}

/* Start a process; resolve with the first match of `re` in its stderr/stdout. */
function start(cmd, args, re, env = {}) {
  const p = spawn(cmd, args, { env: Object.assign({}, process.env, env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(p);
  let text = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} did not start: ${text}`)), WAIT_MS);
    const look = d => {
      text += d;
      const m = text.match(re);
      if (m) { clearTimeout(timer); resolve({ p, m }); }
    };
    p.stdout.on('data', look);
    p.stderr.on('data', look);
    p.on('exit', code => { clearTimeout(timer); reject(new Error(`${cmd} exited (${code}): ${text}`)); });
  });
}

// ---- the node ------------------------------------------------------------------------
const token = 'observer-test-token-' + process.pid;
writeFileSync(join(tmp, 'token'), token + '\n', { mode: 0o600 });
step('start the node');
const node = await start(troupeBin, ['run', manifest, '--modules-dir', componentsDir,
  '--log', join(tmp, 'node.log'), '--no-control', '--http', '127.0.0.1:0',
  '--http-token-file', join(tmp, 'token')], /admin HTTP on port (\d+)/);
const base = `http://127.0.0.1:${node.m[1]}`;
const auth = { Authorization: 'Bearer ' + token };
async function api(path, body) {
  const r = await fetch(base + path, body === undefined ? { headers: auth } : {
    method: 'POST', headers: Object.assign({ 'Content-Type': 'application/json' }, auth), body });
  return { status: r.status, body: await r.json() };
}
async function component(name) { return (await api('/api/components/' + name)).body.component; }

const bare = await fetch(base + '/api/node');
ok(bare.status === 401, 'a request without the token is refused (401)');
ok((await fetch(base + '/')).status === 401, 'the page itself needs the token');
ok((await api('/api/node')).body.ok, 'the API answers with it');
await api('/api/components/publisher/invoke/start', '200'); // traffic for the sparklines

// ---- the browser -------------------------------------------------------------------
step('start chromedriver and a headless Chromium');
const wdPort = await freePort();
await start(chromedriver, [`--port=${wdPort}`], /started successfully/);
const wd = `http://127.0.0.1:${wdPort}`;
async function W(method, path, body) {
  const r = await fetch(wd + path, { method, headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body) });
  const j = await r.json();
  if (j.value && j.value.error) throw new Error(`${method} ${path}: ${j.value.error}: ${j.value.message}`);
  return j.value;
}
let session;
try {
  session = (await W('POST', '/session', { capabilities: { alwaysMatch: {
    browserName: 'chrome', 'goog:chromeOptions': { binary: chromium, args: [
      '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
      '--window-size=1400,900', '--hide-scrollbars', `--user-data-dir=${join(tmp, 'profile')}`] } } } })).sessionId;
} catch (e) {
  console.log('SKIPPED: Chromium cannot run here: ' + e.message);
  process.exit(SKIP);
}
const S = `/session/${session}`;
const find = async css => (await W('POST', S + '/element', { using: 'css selector', value: css }))[ELEMENT];
const findAll = async css => (await W('POST', S + '/elements', { using: 'css selector', value: css })).map(e => e[ELEMENT]);
const text = async css => W('GET', `${S}/element/${await find(css)}/text`);
const click = async css => W('POST', `${S}/element/${await find(css)}/click`, {});

try {
  step('open the page');
  await W('POST', S + '/url', { url: `${base}/?token=${encodeURIComponent(token)}` });
  await waitFor('the tree', async () => (await findAll('li.comp')).length === 7);
  for (const name of ['echo', 'counter', 'publisher', 'subscriber-a', 'subscriber-b', 'crasher', 'healthy'])
    ok((await text(`li.comp[data-component="${name}"] .st`)) === 'ready', `the tree shows ${name} ready`);
  ok((await text('#node')) === 'node observe', 'the header names the node');
  await waitFor('the event stream', async () => (await text('#conn')) === 'live');
  ok(true, 'the event stream is live');

  step('a crash shows up as a restart');
  const crash = await api('/api/components/crasher/invoke/crash', '');
  ok(crash.status === 500 && crash.body.error === 'TRAP', 'invoking crash traps (500 TRAP)');
  await waitFor('the restart on the page', async () =>
    (await text('li.comp[data-component="crasher"] .restarts')) === '1');
  ok(true, "the page shows crasher's restart count 1");
  await waitFor('the crash in the events', async () =>
    /component_stopped crasher.*crash/.test(await text('#events')));
  ok(true, 'the event log shows the crash');

  step("the page's Send button");
  const before = (await component('echo')).messages;
  await click('li.comp[data-component="echo"]');
  await waitFor('the detail pane', async () => (await text('#detail-title')) === 'echo');
  const payload = await find('#payload');
  await W('POST', `${S}/element/${payload}/clear`, {});
  await W('POST', `${S}/element/${payload}/value`, { text: '{"from":"the browser test"}' });
  await click('#send');
  await waitFor('"sent"', async () => (await text('#result')) === 'sent');
  await waitFor('echo to handle it', async () => (await component('echo')).messages === before + 1);
  ok(true, 'Send delivered one message to echo');
  await click('#ask');
  await waitFor('the reply', async () => (await text('#result')).includes('the browser test'));
  ok(true, 'Ask shows the reply');

  step("the page's Restart button");
  await click('li.comp[data-component="counter"]');
  await waitFor('the detail pane', async () => (await text('#detail-title')) === 'counter');
  await click('#restart');
  await waitFor('"restarted"', async () => (await text('#result')) === 'restarted');
  ok((await component('counter')).restarts === 1, 'the node restarted counter');
  await waitFor('the page to show it', async () =>
    (await text('li.comp[data-component="counter"] .restarts')) === '1');
  ok(true, "the page shows counter's restart");

  step('a bad payload is caught on the page');
  await W('POST', `${S}/element/${payload}/clear`, {});
  await W('POST', `${S}/element/${payload}/value`, { text: '{not json' });
  await click('#send');
  ok((await text('#result')).startsWith('the payload is not JSON'), 'the page refuses it');

  step('screenshot');
  await click('li.comp[data-component="publisher"]');
  // A few seconds of the publisher's ticks in the sparklines (docs/OBSERVE.md's picture
  // was taken with OBSERVER_SCREENSHOT_WAIT_MS=40000).
  await sleep(Number(process.env.OBSERVER_SCREENSHOT_WAIT_MS || 4000));
  const png = Buffer.from(await W('GET', S + '/screenshot'), 'base64');
  writeFileSync(join(outDir, 'observer.png'), png);
  ok(png.length > 10000, `screenshot written to ${join(outDir, 'observer.png')}`);
} catch (e) {
  console.log('not ok - ' + e.message);
  failed = true;
} finally {
  await W('DELETE', S).catch(() => {});
}

step('stop the node');
node.p.kill('SIGTERM');
const code = await new Promise(r => node.p.exitCode !== null ? r(node.p.exitCode) : node.p.on('exit', r));
ok(code === 0, 'the node stopped with status 0');
process.exit(failed ? 1 : 0);
