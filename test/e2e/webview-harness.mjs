// Loads the dashboard exactly as the VS Code host builds it (src/report/page.ts webviewPageHtml, the same
// CSP and nonce) in headless Chromium, under a fake webview origin, with a stub of acquireVsCodeApi that
// records what the webview posts. The test plays the host: it answers `ready` with `runs`, then `run`.
// Needs `node scripts/build.mjs` (media/dist) and `npx tsc -p .` (out/).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { blockNetwork } from './browser.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = (p) => path.join(ROOT, 'out', p);
export const { webviewPageHtml, REPORT_THEME_CSS } = await import(out('src/report/page.js'));
export const { loadDashboardRun, listRuns } = await import(out('src/report/run-data.js'));
export const { newNonce } = await import(out('src/report/export.js'));
export const { writeSyntheticRun, writeSyntheticTorchrunRun } = await import(out('test/helpers/synthetic-run.js'));

const ORIGIN = 'https://webview.test';

/** A run as the host posts it, with the Arrow bytes as base64 (page.evaluate carries JSON). */
export function runForPage(run) {
  const b = (x) => (x === null ? null : Buffer.from(x).toString('base64'));
  return { ...run, tables: { steps: b(run.tables.steps), system: b(run.tables.system), gpu: b(run.tables.gpu), loaders: b(run.tables.loaders) } };
}

export async function openWebview(browser, { colorScheme = 'light', viewport = { width: 1100, height: 900 }, bodyClass = colorScheme === 'dark' ? 'vscode-dark' : 'vscode-light' } = {}) {
  const context = await browser.newContext({ viewport, colorScheme });
  const nonce = newNonce();
  const html = webviewPageHtml({ cspSource: ORIGIN, nonce, scriptUri: `${ORIGIN}/media/dist/dashboard.js`, styleUri: `${ORIGIN}/media/dist/dashboard.css` })
    .replace('<body>', `<body class="${bodyClass}">`);
  const js = fs.readFileSync(path.join(ROOT, 'media/dist/dashboard.js'));
  // VS Code injects the --vscode-* variables into the webview; the report's definitions stand in for them here.
  const css = REPORT_THEME_CSS + fs.readFileSync(path.join(ROOT, 'media/dist/dashboard.css'), 'utf8');
  const attempted = await blockNetwork(context, {
    serve: (url) => {
      if (url === `${ORIGIN}/index.html`) return { status: 200, contentType: 'text/html', body: html };
      if (url === `${ORIGIN}/media/dist/dashboard.js`) return { status: 200, contentType: 'text/javascript', body: js };
      if (url === `${ORIGIN}/media/dist/dashboard.css`) return { status: 200, contentType: 'text/css', body: css };
      return null;
    },
  });
  await context.addInitScript(() => {
    window.__posted = [];
    window.__violations = [];
    window.__alerts = [];
    // Kept across reloads of the page, as VS Code keeps a webview's state while it is hidden and reloaded.
    const saved = sessionStorage.getItem('__pdState');
    let state = saved === null ? undefined : JSON.parse(saved);
    window.alert = (m) => window.__alerts.push(String(m));
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => state,
      setState: (s) => {
        state = s;
        sessionStorage.setItem('__pdState', JSON.stringify(s));
      },
    });
    // The host side of the test: base64 tables become Uint8Array, as VS Code's postMessage delivers them.
    // Decoding happens before the clock starts (`__tPost`): VS Code hands the webview the bytes themselves.
    window.__hostPost = (msg, timed = false) => {
      const dec = (s) => {
        if (s === null) return null;
        const bin = atob(s);
        const out = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
        return out;
      };
      if (msg.type === 'run') msg = { ...msg, run: { ...msg.run, tables: Object.fromEntries(Object.entries(msg.run.tables).map(([k, v]) => [k, dec(v)])) } };
      if (timed) window.__tPost = performance.now();
      window.postMessage(msg, '*');
    };
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${ORIGIN}/index.html`);
  await page.waitForFunction(() => window.__posted.some((m) => m.type === 'ready'));
  return { context, page, attempted, errors };
}

/** Host: answers the handshake with the run list and the run, waits for the charts. */
export async function showRun(page, run, runs) {
  await page.evaluate((m) => window.__hostPost(m), { type: 'runs', runs, focus: run.id });
  await page.waitForFunction((id) => window.__posted.some((m) => m.type === 'openRun' && m.runId === id), run.id);
  await page.evaluate((r) => window.__hostPost({ type: 'run', run: r }, true), runForPage(run));
  await page.waitForFunction(() => document.body.dataset.chartsDrawn !== undefined, null, { timeout: 20_000 });
  // The draw hook's own mark, not the polling that noticed it: polling adds up to a frame or more.
  return page.evaluate(() => {
    const drawn = performance.getEntriesByName('pd-charts-drawn').pop();
    return (drawn ? drawn.startTime : performance.now()) - window.__tPost;
  });
}

export const posted = (page) => page.evaluate(() => window.__posted);
