// End-to-end test of the operator console in a real browser (Debian's Chromium, driven by
// Playwright): an admin creates the other roles; a supervisor creates a deployment, uploads
// the two Hamilton stills, adds the Hamilton clip as a camera, publishes the notice and
// starts it; an operator sees the alert arrive live and confirms it; the supervisor closes
// the deployment; an auditor opens the report and checks its counts and verifies the audit
// chain. Screenshots of every page go to artifacts/e2e/.
//
// Run by ctest (ConsoleE2E) with LFR_BINARY, LFR_DATA and LFR_MODEL_MIRROR set. Exits
// non-zero on the first failed step, printing what it expected.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const lfr = process.env.LFR_BINARY || path.join(repo, 'build/lfr');
const data = process.env.LFR_DATA || path.resolve(repo, '../shared/data');
const mirror = process.env.LFR_MODEL_MIRROR || path.resolve(repo, '../shared/models');
const chromiumPath = process.env.LFR_CHROMIUM || '/usr/bin/chromium';
const artifacts = path.join(repo, 'artifacts/e2e');
const stills = path.join(data, 'video/hamilton/watchlist_stills');
const clip = path.join(data, 'video/hamilton/short_hamilton_clip.mp4');

function fail(msg) {
  console.error(`console e2e: FAILED: ${msg}`);
  process.exitCode = 1;
  throw new Error(msg);
}
for (const [what, p] of [['lfr binary', lfr], ['chromium', chromiumPath], ['Hamilton stills', stills], ['Hamilton clip', clip]]) {
  if (!fs.existsSync(p)) fail(`${what} not found at ${p}`);
}
fs.mkdirSync(artifacts, { recursive: true });

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lfr-e2e-'));
const env = { ...process.env, LFR_HOME: home, LFR_MODEL_MIRROR: mirror };
const run = (...args) => execFileSync(lfr, args, { env, encoding: 'utf8' });
run('models', 'fetch', 'yunet-2022mar', 'mobilefacenet-arcface');
const PASS = { admin: 'admin password one', supervisor: 'supervisor password', operator: 'operator password', auditor: 'auditor password' };
execFileSync(lfr, ['user', 'add', 'admin', '--role', 'admin', '--password-stdin'], { env, input: PASS.admin + '\n' });

// Start the server on a free port and read the URL it prints.
const server = spawn(lfr, ['serve', '--port', '0', '--camera-dir', data], { env, stdio: ['ignore', 'pipe', 'pipe'] });
let serverLog = '';
const url = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('server did not start in 60 s:\n' + serverLog)), 60000);
  const onData = (d) => {
    serverLog += d;
    const m = serverLog.match(/listening on (http:\/\/[^\s]+)/);
    if (m) { clearTimeout(timer); resolve(m[1].replace(/\/$/, '')); }
  };
  server.stdout.on('data', onData);
  server.stderr.on('data', onData);
  server.on('exit', (code) => reject(new Error(`server exited (${code}):\n${serverLog}`)));
});
console.log(`console e2e: server at ${url}, LFR_HOME ${home}`);

const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
});
let shot = 0;
const pageErrors = [];
async function snap(page, name) {
  const file = path.join(artifacts, `${String(++shot).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
}

async function login(user) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${user}: ${e.message}`));
  await page.goto(url + '/');
  await page.fill('#login-user', user);
  await page.fill('#login-pass', PASS[user]);
  await page.click('button[type=submit]');
  await page.waitForSelector(`#who:has-text("${user}")`);
  return page;
}

const deadline = setTimeout(() => { console.error('console e2e: timed out after 5 min'); process.exit(1); }, 5 * 60 * 1000);
try {
  // 1. Admin creates the other roles.
  let page = await login('admin');
  await page.waitForSelector('#user-form');
  await snap(page, 'admin-users');
  for (const role of ['supervisor', 'operator', 'auditor']) {
    await page.fill('#u-name', role);
    await page.selectOption('#u-role', role);
    await page.fill('#u-pass', PASS[role]);
    await page.click('#user-form button[type=submit]');
    await page.waitForSelector(`#users td:text-is("${role}")`);
  }
  await snap(page, 'admin-users-created');
  await page.context().close();

  // 2. Supervisor creates and starts a deployment.
  page = await login('supervisor');
  await page.waitForSelector('#deployment-form');
  const name = 'E2E Hamilton ' + Date.now();
  const now = new Date();
  const local = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  await page.fill('#f-name', name);
  await page.fill('#f-site', 'Test site');
  await page.fill('#f-location', 'Richard Rodgers Theatre, stage door');
  await page.fill('#f-start', local(new Date(now.getTime() - 60000)));
  await page.fill('#f-end', local(new Date(now.getTime() + 3600000)));
  await page.fill('#f-purpose', 'End-to-end test of the console');
  await page.fill('#f-legal_basis', 'Test');
  await page.fill('#f-authorising_officer', 'Supt. Test');
  await page.fill('#f-threshold', '0.6');
  await page.fill('#f-contact', 'lfr@example.org');
  await snap(page, 'supervisor-new-deployment');
  await page.click('#deployment-form button[type=submit]');
  await page.waitForSelector('#camera-form');
  const deploymentUrl = page.url();

  const people = fs.readdirSync(stills).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
  if (people.length !== 2) fail(`expected 2 Hamilton stills, found ${people.length}`);
  for (const [i, file] of people.entries()) {
    await page.setInputFiles('#w-image', path.join(stills, file));
    await page.fill('#w-reference', `E2E-${i + 1}`);
    await page.fill('#w-name', path.parse(file).name.replace(/[_-]/g, ' '));
    await page.fill('#w-category', 'test subject');
    await page.fill('#w-reason', 'end-to-end test');
    await page.fill('#w-image_source', 'public still');
    await page.click('#upload-form button[type=submit]');
    await page.waitForSelector(`#watchlist td:text-is("E2E-${i + 1}")`, { timeout: 30000 });
  }
  await page.fill('#cam-name', 'stage');
  await page.fill('#cam-uri', clip);
  await page.fill('#cam-pos', 'facing the stage');
  await page.click('#camera-form button[type=submit]');
  await page.waitForSelector('#cameras td:text-is("stage")');
  await page.click('#publish-notice');
  await page.waitForSelector('a:has-text("Public notice")');
  await snap(page, 'supervisor-deployment-ready');

  // 3. The operator opens Live before the cameras start, so the alert arrives live.
  const operator = await login('operator');
  await operator.goto(url + '/#/live');
  await page.click('#start-deployment');
  await page.waitForSelector('.pill.active');
  await snap(page, 'supervisor-started');
  await operator.reload();
  await operator.waitForSelector('#live-deployment');
  const card = await operator.waitForSelector('.alert-card.pending', { timeout: 90000 });
  await operator.waitForFunction(() => [...document.querySelectorAll('.alert-card img')].every((i) => i.complete && i.naturalWidth > 0));
  await snap(operator, 'operator-live-alert');
  const alertId = await card.getAttribute('data-alert-id');
  const banner = await operator.isVisible('#alert-banner');
  console.log(`console e2e: alert ${alertId} arrived (banner shown: ${banner})`);
  await operator.selectOption(`[data-alert-id="${alertId}"] select.outcome`, 'engaged');
  await operator.fill(`[data-alert-id="${alertId}"] input.note`, 'confirmed in e2e test');
  await operator.click(`[data-alert-id="${alertId}"] button[data-decide="true"]`);
  await operator.waitForSelector(`[data-alert-id="${alertId}"].true`);
  await snap(operator, 'operator-alert-confirmed');
  const alerts = await operator.$$eval('.alert-card', (cs) => cs.map((c) => c.className));
  const faces = Number(await operator.textContent('#stat-faces'));
  await operator.context().close();

  // 4. Supervisor closes the deployment (shreds).
  await page.goto(deploymentUrl);
  await page.waitForSelector('#close-deployment');
  await page.click('#close-deployment');
  await page.fill('#confirm-input', name);
  await snap(page, 'supervisor-close-confirm');
  await page.click('#confirm-ok');
  await page.waitForSelector('.pill.closed');
  await snap(page, 'supervisor-closed');
  await page.context().close();

  // 5. Auditor: report counts and the audit chain.
  const auditor = await login('auditor');
  await auditor.goto(url + '/#/reports');
  await auditor.waitForSelector('#reports');
  await snap(auditor, 'auditor-reports');
  const id = deploymentUrl.split('/').pop();
  const report = await (await auditor.request.get(`${url}/api/deployments/${id}/report?format=json`)).json();
  await auditor.goto(`${url}/api/deployments/${id}/report?format=html`);
  await snap(auditor, 'auditor-report-html');
  const a = report.alerts;
  console.log(`console e2e: report alerts ${JSON.stringify(a)}, faces seen ${report.faces_seen}`);
  if (!(a.total >= 1 && a.total >= alerts.length)) fail(`report says ${a.total} alerts, the console showed ${alerts.length}`);
  if (a.confirmed_true !== 1) fail(`report says ${a.confirmed_true} confirmed true alerts, expected 1`);
  if (a.engagements !== 1) fail(`report says ${a.engagements} engagements, expected 1`);
  if (!(report.faces_seen >= faces && report.faces_seen > 0)) fail(`report says ${report.faces_seen} faces seen, the console showed ${faces}`);
  const html = await auditor.content();
  if (!html.includes(name)) fail('the HTML report does not name the deployment');
  await auditor.goto(url + '/#/audit');
  await auditor.click('#verify-audit');
  await auditor.waitForSelector('#audit-verify:has-text("Verified")');
  await snap(auditor, 'auditor-audit-verified');
  if (pageErrors.length) fail(`JavaScript errors in the console: ${pageErrors.join('; ')}`);
  console.log(`console e2e: passed (${shot} screenshots in ${artifacts})`);
} finally {
  clearTimeout(deadline);
  await browser.close();
  server.kill('SIGTERM');
  await new Promise((r) => server.on('exit', r));
  fs.rmSync(home, { recursive: true, force: true });
}
