// End-to-end test of the operator console in a real browser (Debian's Chromium, driven by
// Playwright): an admin creates the other roles; a supervisor creates a deployment, uploads
// the two Hamilton stills, adds the Hamilton clip and a camera whose file is not there yet,
// publishes the notice and starts it, sees every camera's health and a verdict naming the
// camera that failed, then restarts that camera once its file arrives; an operator who opened Live before the start
// sees the alert arrive without reloading, with a lasting pending cue, and types a note
// that survives the page's live updates; the same operator on a phone (390x844) decides
// the alert there, and the desktop page shows that decision in place; the supervisor
// closes the deployment; an auditor opens the report (styled under the strict CSP) and
// checks its counts and verifies the audit chain; the supervisor creates a gallery, uploads
// real LFW images, sees a possible duplicate flagged and removes it; an investigator drops a real LFW still on
// the Search page, sees its quality and the same person's gallery record at rank 1, compares
// them side by side and records a review decision. No page is reloaded where a person would
// not reload it. The supervisor also reviews the stage camera's recorded footage: plays the
// alert's range from the timeline, exports it redacted, and searches the footage for the
// watchlist and plays an appearance. Screenshots of every page go to artifacts/e2e/.
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
const lfw = path.join(data, 'lfw/images');
for (const [what, p] of [['lfr binary', lfr], ['chromium', chromiumPath], ['Hamilton stills', stills], ['Hamilton clip', clip], ['LFW images', lfw]]) {
  if (!fs.existsSync(p)) fail(`${what} not found at ${p}`);
}
fs.mkdirSync(artifacts, { recursive: true });

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lfr-e2e-'));
const env = { ...process.env, LFR_HOME: home, LFR_MODEL_MIRROR: mirror };
const run = (...args) => execFileSync(lfr, args, { env, encoding: 'utf8' });
run('models', 'fetch', 'yunet-2022mar', 'mobilefacenet-arcface');
const PASS = { admin: 'admin password one', supervisor: 'supervisor password', operator: 'operator password', auditor: 'auditor password', investigator: 'investigator password' };
execFileSync(lfr, ['user', 'add', 'admin', '--role', 'admin', '--password-stdin'], { env, input: PASS.admin + '\n' });

// Start the server on a free port and read the URL it prints.
// A second camera folder, empty at the start: the "gate" camera's file is copied in only
// after the deployment started, as when a recording arrives late.
const camDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lfr-e2e-cams-'));
const gateFile = path.join(camDir, 'gate.avi');
const server = spawn(lfr, ['serve', '--port', '0', '--camera-dir', data, '--camera-dir', camDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
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
const cspErrors = [];
async function snap(page, name) {
  const file = path.join(artifacts, `${String(++shot).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
}

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

async function login(user, contextOptions) {
  const context = await browser.newContext(contextOptions || { viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${user}: ${e.message}`));
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspErrors.push(`${user} ${page.url()}: ${m.text()}`); });
  await page.goto(url + '/');
  await page.waitForSelector('#login-user');
  if (await page.isVisible('#logout')) fail('"Log out" shows on the login screen');
  await page.fill('#login-user', user);
  await page.fill('#login-pass', PASS[user]);
  await page.click('button[type=submit]');
  await page.waitForSelector(`#who:has-text("${user}")`);
  return page;
}

const deadline = setTimeout(() => { console.error('console e2e: timed out after 8 min'); process.exit(1); }, 8 * 60 * 1000);
try {
  // 1. Admin creates the other roles.
  let page = await login('admin');
  await page.waitForSelector('#user-form');
  await snap(page, 'admin-users');
  for (const role of ['supervisor', 'operator', 'auditor', 'investigator']) {
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
  // Choosing a photo shows it as enrolment sees it. A face lying on its side whose
  // landmarks cannot be one face: refused with the reason, and not sent.
  const photoVerdict = async (want) => {
    await page.waitForSelector(`#photo-check-verdict.${want}`, { timeout: 30000 });
    return page.textContent('#photo-check-verdict');
  };
  await page.setInputFiles('#w-image', path.join(data, 'fairface-dev/images/13364.jpg'));
  const sideways = await photoVerdict('error');
  if (!/implausible landmarks/.test(sideways)) fail(`sideways photo: expected the landmark reason, got "${sideways}"`);
  if (!(await page.isVisible('#photo-check-face'))) fail('sideways photo: the aligned face is not shown');
  await snap(page, 'supervisor-photo-refused');
  await page.fill('#w-reference', 'E2E-SIDE');
  await page.fill('#w-name', 'lying down');
  await page.fill('#w-category', 'test subject');
  await page.fill('#w-reason', 'end-to-end test');
  await page.click('#upload-form button[type=submit]');
  await page.waitForSelector('#upload-result p.error:has-text("would be refused")');
  // The first still shrunk (in the page's own canvas) until the eyes are 20 px apart: a
  // marginal photo, added only once the supervisor ticks that they looked at it.
  await page.setInputFiles('#w-image', path.join(stills, people[0]));
  await photoVerdict('ok');
  const eyes = Number(await page.getAttribute('#photo-check', 'data-eyes'));
  if (!(eyes > 40)) fail(`expected the still's eyes over 40 px apart, got ${eyes}`);
  const small = await page.evaluate(async ({ src, scale }) => {
    const img = new Image();
    img.src = src;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = Math.round(img.naturalWidth * scale);
    c.height = Math.round(img.naturalHeight * scale);
    c.getContext('2d').drawImage(img, 0, 0, c.width, c.height);
    return c.toDataURL('image/png').split(',')[1];
  }, { src: 'data:image/png;base64,' + fs.readFileSync(path.join(stills, people[0])).toString('base64'), scale: 20 / eyes });
  await page.setInputFiles('#w-image', { name: 'small.png', mimeType: 'image/png', buffer: Buffer.from(small, 'base64') });
  const marginal = await photoVerdict('warning');
  if (!/Marginal/.test(marginal) || !/small: eyes/.test(await page.textContent('#photo-check-notes'))) {
    fail(`small photo: expected a marginal verdict naming the eye distance, got "${marginal}"`);
  }
  await snap(page, 'supervisor-photo-marginal');
  await page.click('#upload-form button[type=submit]');
  await page.waitForSelector('#photo-check-needed');
  if (await page.isVisible(`#watchlist td:text-is("E2E-SIDE")`)) fail('a refused photo was enrolled');
  for (const [i, file] of people.entries()) {
    await page.setInputFiles('#w-image', path.join(stills, file));
    await photoVerdict('ok');
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
  await page.check('#cam-record');  // the stage camera records footage
  await page.click('#camera-form button[type=submit]');
  await page.waitForSelector('#cameras td:text-is("stage")');
  await page.fill('#cam-name', 'gate');
  await page.fill('#cam-uri', gateFile);
  await page.fill('#cam-pos', 'facing the gate');
  await page.click('#camera-form button[type=submit]');
  await page.waitForSelector('#cameras td:text-is("gate")');
  await page.click('#publish-notice');
  await page.waitForSelector('a:has-text("Public notice")');
  await snap(page, 'supervisor-deployment-ready');

  // 3. The operator opens Live before the deployment starts and leaves it open: the alert
  //    must arrive without a reload.
  const operator = await login('operator');
  await operator.click('#nav a[href="#/live"]');
  await operator.waitForSelector('#live-none');
  await snap(operator, 'operator-live-waiting');
  await page.click('#start-deployment');
  await page.waitForSelector('.pill.active');
  // The supervisor sees each camera's health and a verdict naming the camera that failed.
  await page.waitForSelector('#camera-health tr[data-camera="stage"]');
  await page.waitForSelector('#start-result:has-text("1 of 2 cameras failed to start: gate")', { timeout: 60000 });
  const verdict = await page.textContent('#start-result');
  if (/stage/.test(verdict)) fail(`the start verdict names the working camera: ${verdict}`);
  await snap(page, 'supervisor-started-one-failed');
  // The file arrives; the supervisor restarts that camera from the health table.
  fs.copyFileSync(path.join(data, 'video/vtest-tiny-faces/vtest.avi'), gateFile);
  await page.click('#camera-health button[data-restart="gate"]');
  await page.waitForSelector('#toast:has-text("Restarting camera gate")');
  await page.waitForSelector('#camera-health tr[data-camera="gate"] .pill.up', { timeout: 60000 });
  await page.waitForSelector('#start-result:has-text("all 2 cameras are up")', { timeout: 60000 });
  await snap(page, 'supervisor-camera-restarted');

  await operator.waitForSelector('#live-deployment', { timeout: 30000 });
  const card = await operator.waitForSelector('.alert-card.pending', { timeout: 90000 });
  const alertId = await card.getAttribute('data-alert-id');
  const sel = `[data-alert-id="${alertId}"]`;
  // The operator starts typing at once; what they type must survive the page's live
  // updates (counters every 2 s, camera health, further alerts) that follow.
  const updates = Number(await operator.getAttribute('#live-cameras', 'data-updates'));
  await operator.selectOption(`${sel} select.outcome`, 'engaged');
  await operator.fill(`${sel} input.note`, 'typing while the page updates');
  // A lasting pending cue: the count in the title and on the nav, a banner that repeats its
  // cue until acknowledged.
  await operator.waitForFunction(() => /^\(\d+\) /.test(document.title));
  await operator.waitForSelector('#nav-pending:not([hidden])');
  await operator.waitForSelector('#alert-banner', { state: 'visible' });
  await operator.waitForFunction(() => Number(document.querySelector('#alert-banner').dataset.cues) >= 2, null, { timeout: 15000 });
  await operator.waitForFunction(() => [...document.querySelectorAll('.alert-card img')].every((i) => i.complete && i.naturalWidth > 0));
  await snap(operator, 'operator-live-alert');
  console.log(`console e2e: alert ${alertId} arrived without a reload; title "${await operator.title()}"`);
  await operator.waitForFunction((n) => Number(document.querySelector('#live-cameras').dataset.updates) >= n + 2, updates, { timeout: 60000 });
  const kept = await operator.evaluate((s) => ({
    note: document.querySelector(`${s} input.note`).value,
    outcome: document.querySelector(`${s} select.outcome`).value,
    focused: document.activeElement === document.querySelector(`${s} input.note`),
  }), sel);
  if (kept.note !== 'typing while the page updates' || kept.outcome !== 'engaged' || !kept.focused) {
    fail(`live updates lost the operator's input: ${JSON.stringify(kept)}`);
  }
  await operator.click('#ack-alerts');
  await operator.waitForSelector('#alert-banner', { state: 'hidden' });

  // 3b. The same operator on a phone decides the alert there.
  const phone = await login('operator', PHONE);
  await phone.waitForSelector(`${sel} button[data-decide="true"]`);
  const fits = async (when) => {
    const w = await phone.evaluate(() => document.documentElement.scrollWidth);
    if (w > 390) fail(`${when}: the Live page is ${w} px wide on a 390 px phone`);
  };
  await fits('phone, alert pending');
  for (const b of await phone.$$(`${sel} button[data-decide]`)) {
    const box = await b.boundingBox();
    if (!box || box.x < 0 || box.x + box.width > 390) fail(`a decision button is off-screen on the phone: ${JSON.stringify(box)}`);
  }
  await snap(phone, 'phone-live-alert');
  await phone.selectOption(`${sel} select.outcome`, 'engaged');
  await phone.fill(`${sel} input.note`, 'confirmed on a phone');
  await phone.tap(`${sel} button[data-decide="true"]`);
  await phone.waitForSelector(`${sel}.true .decision`);
  await fits('phone, alert decided');
  await snap(phone, 'phone-alert-confirmed');
  await phone.context().close();

  // The desktop page shows the phone's decision in place, without decision buttons.
  await operator.waitForSelector(`${sel}.true .decision:has-text("engaged")`);
  if (await operator.$(`${sel} button[data-decide]`)) fail('a decided alert still shows decision buttons');
  await snap(operator, 'operator-alert-confirmed');
  const alerts = await operator.$$eval('.alert-card', (cs) => cs.map((c) => c.className));
  const faces = Number(await operator.textContent('#stat-faces'));
  await operator.context().close();

  // 3c. The supervisor corrects the decision (the officers arrested him after all): a
  //     correction needs a reason and keeps the operator's decision on record.
  await page.click('#nav a[href="#/live"]');
  await page.click(`${sel} button[data-correct]`);
  await page.selectOption(`${sel} form.correction select.outcome`, 'arrested');
  await page.fill(`${sel} form.correction input.reason`, 'custody record: arrested at the stage door');
  await page.click(`${sel} form.correction button[type=submit]`);
  await page.waitForSelector(`${sel} .corrections:has-text("custody record")`);
  await page.waitForSelector(`${sel} .decided:has-text("arrested")`);
  await snap(page, 'supervisor-corrected');

  // 3d. The supervisor reviews the stage camera's recorded footage: its timeline marks the
  //     alert; a click on the mark chooses the alert's range, which plays in the page
  //     (remuxed MP4, an audited view), then exports it with the alert's subject unblurred
  //     and gets the manifest (SHA-256) and a download link.
  await page.click('#nav a[href="#/footage"]');
  await page.selectOption('#footage-deployment', { label: `${name} (active)` });
  for (let i = 0; !(await page.$('.tl-row[data-camera="stage"] .tl-seg')); ++i) {
    // The clip's last segment is sealed when the stream ends; look again as a person would.
    if (i > 60) fail('no recorded segment of camera stage on the Footage page');
    await page.waitForTimeout(1000);
    await page.click('#nav a[href="#/footage"]');
    await page.selectOption('#footage-deployment', '');
    await page.selectOption('#footage-deployment', { label: `${name} (active)` });
    await page.waitForSelector('#footage-timeline, #footage-none');
  }
  await page.click(`.tl-row[data-camera="stage"] .tl-alert[data-alert="${alertId}"]`);
  if (await page.inputValue('#fx-subject') !== alertId) {
    fail(`a click on the alert mark did not choose its subject: alert ${alertId}, subject list ${await page.innerHTML('#fx-subject')}, marks ${await page.innerHTML('#footage-timeline')}`);
  }
  await page.click('#fx-play');
  await page.waitForFunction(() => {
    const v = document.querySelector('#footage-video');
    return v && !v.hidden && v.readyState >= 2 && v.videoWidth === 640;
  }, null, { timeout: 30000 });
  await snap(page, 'supervisor-footage-playing');
  await page.fill('#fx-reason', 'disclosure request DR-7');
  await page.click('#fx-export');
  await page.waitForSelector('#fx-manifest', { timeout: 150000 });
  const sha = (await page.textContent('#fx-manifest code')).trim();
  if (!/^[0-9a-f]{64}$/.test(sha)) fail(`the export's manifest shows no SHA-256: ${sha}`);
  if (!/^\/api\/footage-exports\//.test(await page.getAttribute('#fx-download', 'href'))) fail('no download link for the export');
  await snap(page, 'supervisor-footage-exported');
  // ... and searches the recorded footage for the watchlist: Miranda (E2E-2) appears; a
  //     click on the appearance plays its range.
  await page.click('#vs-start');
  await page.waitForSelector('#vs-status:has-text("completed")', { timeout: 180000 });
  await page.waitForSelector('#vs-table tr[data-entry="E2E-2"]');
  const before = await page.getAttribute('#footage-video', 'src');
  await page.click('#vs-table tr[data-entry="E2E-2"] button.vs-show');
  await page.waitForFunction((old) => {
    const v = document.querySelector('#footage-video');
    return v && v.src !== old && v.readyState >= 2 && v.videoWidth === 640;
  }, before, { timeout: 30000 });
  await snap(page, 'supervisor-footage-searched');

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
  // Styled under the strict CSP: the report's own stylesheet applies (no CSP refusal).
  const reportFont = await auditor.evaluate(() => getComputedStyle(document.body).fontFamily);
  if (!/Segoe UI/.test(reportFont)) fail(`the HTML report renders unstyled (font ${reportFont})`);
  await auditor.goto(`${url}/public/deployments/${id}/notice`);
  await snap(auditor, 'public-notice');
  const noticeFont = await auditor.evaluate(() => getComputedStyle(document.body).fontFamily);
  if (!/Segoe UI/.test(noticeFont)) fail(`the public notice renders unstyled (font ${noticeFont})`);
  const a = report.alerts;
  console.log(`console e2e: report alerts ${JSON.stringify(a)}, faces seen ${report.faces_seen}`);
  if (!(a.total >= 1 && a.total >= alerts.length)) fail(`report says ${a.total} alerts, the console showed ${alerts.length}`);
  if (a.confirmed_true !== 1) fail(`report says ${a.confirmed_true} confirmed true alerts, expected 1`);
  if (a.engagements !== 1) fail(`report says ${a.engagements} engagements, expected 1`);
  if (a.arrests !== 1) fail(`report says ${a.arrests} arrests, expected 1 (the supervisor's correction)`);
  if (!(report.faces_seen >= faces && report.faces_seen > 0)) fail(`report says ${report.faces_seen} faces seen, the console showed ${faces}`);
  const html = await auditor.content();
  if (!html.includes(name)) fail('the HTML report does not name the deployment');
  await auditor.goto(url + '/#/audit');
  await auditor.click('#verify-audit');
  await auditor.waitForSelector('#audit-verify:has-text("Verified")');
  await snap(auditor, 'auditor-audit-verified');
  // The audit page's filters: this deployment's start, found by action and deployment.
  await auditor.fill('#a-action', 'deployment.start');
  await auditor.fill('#a-deployment', String(id));
  await auditor.click('#audit-filters button[type=submit]');
  await auditor.waitForSelector('#audit-rows td:text-is("deployment.start")');
  const actions = await auditor.$$eval('#audit-rows tr td:nth-child(4)', (tds) => tds.map((td) => td.textContent));
  if (actions.length !== 1 || actions[0] !== 'deployment.start') fail(`audit filter showed ${JSON.stringify(actions)}`);
  await snap(auditor, 'auditor-audit-filtered');
  await auditor.context().close();

  // 6. Supervisor: a gallery for retrospective search, made in the console: real LFW images
  //    (Abel Pacheco twice, four other people). The second image of Abel Pacheco is flagged
  //    as a possible duplicate of the first; the supervisor removes it with a reason.
  const lfwFile = (person, n) => path.join(lfw, person, `${person}_${String(n).padStart(4, '0')}.jpg`);
  const sup2 = await login('supervisor');
  await sup2.click('#nav a[href="#/galleries"]');
  await sup2.waitForSelector('#gallery-form');
  await sup2.fill('#g-name', 'custody');
  await sup2.fill('#g-purpose', 'identify suspects from stills');
  await sup2.fill('#g-legal_basis', 'PACE s.64A');
  await sup2.fill('#g-owner', 'DI Example');
  await sup2.click('#gallery-create');
  await sup2.waitForSelector('#import-form');
  await sup2.waitForSelector('#gallery-records:has-text("No record yet")');
  await sup2.waitForSelector('#gallery-terms dd:text-is("PACE s.64A")');
  await sup2.setInputFiles('#import-files', [['Abel_Pacheco', 1], ['Abel_Pacheco', 2], ['AJ_Cook', 1], ['AJ_Lamas', 1], ['Aaron_Eckhart', 1], ['Aaron_Guiel', 1]]
    .map(([person, n]) => lfwFile(person, n)));
  await sup2.fill('#import-source', 'custody suite');
  await sup2.click('#import-submit');
  await sup2.waitForSelector('#import-counts:has-text("6 of 6 image(s) imported")');
  const warnings = await sup2.textContent('#import-warnings');
  if (!warnings.includes('Abel_Pacheco')) fail(`no possible-duplicate warning for the two images of Abel Pacheco: ${warnings}`);
  await sup2.waitForSelector('#records tr[data-reference="Abel_Pacheco_0002"]');
  const held = await sup2.$$eval('#records tr[data-reference]', (rows) => rows.length);
  if (held !== 6) fail(`the records table shows ${held} records, expected 6`);
  await snap(sup2, 'supervisor-gallery-imported');
  await sup2.click('#records tr[data-reference="Abel_Pacheco_0002"] button.remove');
  await sup2.fill('#records tr[data-reference="Abel_Pacheco_0002"] .removal-reason', 'duplicate of Abel_Pacheco_0001');
  await sup2.click('#records tr[data-reference="Abel_Pacheco_0002"] .confirm-remove');
  await sup2.waitForSelector('#records tr.removed[data-reference="Abel_Pacheco_0002"]');
  await sup2.waitForSelector('#gallery-records h2:has-text("5 held, 1 removed")');
  await snap(sup2, 'supervisor-gallery-record-removed');
  await sup2.context().close();

  // 7. Investigator: a retrospective search of that gallery; the probe is another image of
  //    Abel Pacheco.
  const inv = await login('investigator');
  await inv.waitForSelector('#search-form');
  if (await inv.isVisible('#nav a[href="#/deployments"]')) fail('an investigator sees the Deployments page');
  await snap(inv, 'investigator-search');
  await inv.setInputFiles('#probe-file', lfwFile('Abel_Pacheco', 4));
  await inv.waitForSelector('#probe-preview:not([hidden])');
  await inv.fill('#s-case', 'OP-E2E-1');
  await inv.fill('#s-reason', 'burglary: doorbell still shared by a resident');
  await inv.click('#search-submit');
  await inv.waitForSelector('#probe-quality li.searched');
  await inv.waitForSelector('#candidates .candidate[data-rank="1"]');
  const first = await inv.textContent('#candidates .candidate[data-rank="1"]');
  if (!first.includes('Abel_Pacheco_0001')) fail(`rank 1 is not the probe's mate Abel_Pacheco_0001: ${first}`);
  const grid = await inv.$$eval('#candidates .candidate', (els) => els.length);
  if (grid !== 5) fail(`the candidate grid shows ${grid} candidates, expected the 5 gallery records`);
  await inv.waitForSelector('#searches td:text-is("OP-E2E-1")');
  await snap(inv, 'investigator-candidates');
  await inv.click('#candidates .candidate[data-rank="1"] button.compare');
  await inv.waitForSelector('#compare-probe');
  await inv.waitForFunction(() => {
    const probe = document.querySelector('#compare-probe');
    const cand = document.querySelector('#compare-candidate');
    return probe && cand && probe.complete && cand.complete && probe.naturalWidth > 0 && cand.naturalWidth > 0;
  });
  await inv.fill('#review-note', 'same ears and hairline');
  await snap(inv, 'investigator-compare');
  await inv.click('#review-possible');
  await inv.waitForSelector('#search-outcome:has-text("possible match - intelligence only")');
  await inv.waitForSelector('#compare-status:has-text("possible match")');
  await inv.waitForSelector('#candidates .candidate[data-rank="1"] .status:has-text("possible match")');
  await snap(inv, 'investigator-reviewed');
  await inv.context().close();

  if (pageErrors.length) fail(`JavaScript errors in the console: ${pageErrors.join('; ')}`);
  if (cspErrors.length) fail(`the Content Security Policy blocked something: ${cspErrors.join('; ')}`);
  console.log(`console e2e: passed (${shot} screenshots in ${artifacts})`);
} finally {
  clearTimeout(deadline);
  await browser.close();
  server.kill('SIGTERM');
  await new Promise((r) => server.on('exit', r));
  fs.rmSync(home, { recursive: true, force: true });
  fs.rmSync(camDir, { recursive: true, force: true });
}
