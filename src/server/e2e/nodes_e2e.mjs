// End-to-end test of the console's Nodes page with real processes: a throwaway nats-server
// (JetStream), `lfr serve --bus` (the control room) and `lfr node run` (an edge node, its
// own LFR_HOME and key pair, registered at the control room by its public key). A
// supervisor opens Nodes and leaves it open: the node shows up, shows down within 10 s of a
// kill -9 and up again when it is restarted, all without a reload.
//
// Run by ctest (NodesE2E) with LFR_BINARY and LFR_MODEL_MIRROR set. Exits non-zero on the
// first failed step, printing what it expected.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const lfr = process.env.LFR_BINARY || path.join(repo, 'build/lfr');
const mirror = process.env.LFR_MODEL_MIRROR || path.resolve(repo, '../shared/models');
const chromiumPath = process.env.LFR_CHROMIUM || '/usr/bin/chromium';
const natsServer = process.env.LFR_NATS_SERVER || '/usr/sbin/nats-server';
const artifacts = path.join(repo, 'artifacts/e2e');

function fail(msg) {
  console.error(`nodes e2e: FAILED: ${msg}`);
  process.exitCode = 1;
  throw new Error(msg);
}
for (const [what, p] of [['lfr binary', lfr], ['chromium', chromiumPath], ['nats-server', natsServer]]) {
  if (!fs.existsSync(p)) fail(`${what} not found at ${p}`);
}
fs.mkdirSync(artifacts, { recursive: true });

const freePort = () => new Promise((resolve) => {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
});
const children = [];
const start = (cmd, args, env, name) => {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.log = '';
  child.stdout.on('data', (d) => { child.log += d; });
  child.stderr.on('data', (d) => { child.log += d; });
  child.name = name;
  children.push(child);
  return child;
};
const waitFor = (child, re, ms) => new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`${child.name}: no ${re} in ${ms} ms:\n${child.log}`)), ms);
  const check = () => { const m = child.log.match(re); if (m) { clearTimeout(timer); resolve(m); } };
  child.stdout.on('data', check);
  child.stderr.on('data', check);
  child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${child.name} exited (${code}):\n${child.log}`)); });
  check();
});

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lfr-nodes-e2e-'));
const nodeHome = fs.mkdtempSync(path.join(os.tmpdir(), 'lfr-nodes-e2e-node-'));
const env = { ...process.env, LFR_HOME: home, LFR_MODEL_MIRROR: mirror };
const nodeEnv = { ...process.env, LFR_HOME: nodeHome };
const run = (args, e, input) => execFileSync(lfr, args, { env: e, encoding: 'utf8', input });
const PASS = { admin: 'admin password one', supervisor: 'supervisor password' };

const deadline = setTimeout(() => { console.error('nodes e2e: timed out after 4 min'); process.exit(1); }, 4 * 60 * 1000);
let browser;
let page;
try {
  run(['models', 'fetch', 'yunet-2022mar', 'mobilefacenet-arcface'], env);
  run(['user', 'add', 'admin', '--role', 'admin', '--password-stdin'], env, PASS.admin + '\n');
  run(['user', 'add', 'supervisor', '--role', 'supervisor', '--password-stdin'], env, PASS.supervisor + '\n');
  // The node makes its key pair; the control room registers it.
  const key = run(['node', 'init'], nodeEnv).match(/public key: ([0-9a-f]{64})/)[1];
  run(['node', 'register', 'van-1', '--public-key', key], env);

  const natsPort = await freePort();
  const nats = start(natsServer, ['-a', '127.0.0.1', '-p', String(natsPort), '-js', '-sd', path.join(home, 'jetstream')], process.env, 'nats-server');
  await waitFor(nats, /Server is ready/, 15000);
  const busUrl = `nats://127.0.0.1:${natsPort}`;
  const server = start(lfr, ['serve', '--port', '0', '--bus', busUrl], env, 'lfr serve');
  const url = (await waitFor(server, /listening on (http:\/\/[^\s]+)/, 60000))[1].replace(/\/$/, '');
  const nodeArgs = ['node', 'run', 'van-1', '--central', busUrl, '--heartbeat-ms', '1000'];
  let node = start(lfr, nodeArgs, nodeEnv, 'lfr node run');
  await waitFor(node, /linked to/, 15000);
  console.log(`nodes e2e: server at ${url}, bus ${busUrl}`);

  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
  page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(url + '/');
  await page.fill('#login-user', 'supervisor');
  await page.fill('#login-pass', PASS.supervisor);
  await page.click('button[type=submit]');
  await page.waitForSelector('#who:has-text("supervisor")');
  await page.click('#nav a[href="#/nodes"]');
  const state = (s) => `#nodes tr[data-node="van-1"] .pill.${s}`;
  await page.waitForSelector(state('up'), { timeout: 20000 });
  const row = await page.textContent('#nodes tr[data-node="van-1"]');
  if (!/%/.test(row)) fail(`the up node's row shows no load: "${row}"`);
  await page.screenshot({ path: path.join(artifacts, 'nodes-up.png'), fullPage: true });

  // kill -9: down within 10 s, on the open page.
  node.kill('SIGKILL');
  const killed = Date.now();
  await page.waitForSelector(state('down'), { timeout: 15000 });
  const took = (Date.now() - killed) / 1000;
  if (took > 10) fail(`the killed node was shown down after ${took.toFixed(1)} s (limit 10 s)`);
  await page.screenshot({ path: path.join(artifacts, 'nodes-down.png'), fullPage: true });

  // Restarted: up again.
  node = start(lfr, nodeArgs, nodeEnv, 'lfr node run (again)');
  await page.waitForSelector(state('up'), { timeout: 20000 });
  if (pageErrors.length) fail(`page errors: ${pageErrors.join('; ')}`);
  console.log(`nodes e2e: passed (down ${took.toFixed(1)} s after kill -9)`);
} catch (e) {
  process.exitCode = 1;
  console.error(`nodes e2e: FAILED: ${e.message}`);
  if (page) {
    await page.screenshot({ path: path.join(artifacts, 'nodes-failed.png'), fullPage: true }).catch(() => {});
    console.error(`page: ${await page.textContent('body').catch(() => '?')}`);
  }
  for (const c of children) console.error(`--- ${c.name}:\n${c.log.slice(-2000)}`);
} finally {
  clearTimeout(deadline);
  if (browser) await browser.close();
  for (const c of children) { try { c.kill('SIGKILL'); } catch (e) { /* already gone */ } }
  fs.rmSync(home, { recursive: true, force: true });
  fs.rmSync(nodeHome, { recursive: true, force: true });
}
