#!/usr/bin/env node
// bench:dashboard — time from opening a 100,000-step run to its charts drawn in headless Chromium, and
// the webview bundle size. Targets (issue 4): <= 500 ms, bundle <= 400 KB minified
// (no fonts are bundled). The run is written with the runner's own Arrow writer (test/helpers/synthetic-run).
// "Opening" = the host reading the run folder (summary + Arrow bytes) + postMessage + Arrow decode +
// typed-array series + every chart's first draw, measured in the page from the run message to the last
// chart's draw hook, plus the host's read time. Needs: node scripts/build.mjs && npx tsc -p .
// Usage: node scripts/bench-dashboard.mjs [--steps 100000] [--runs 5] [--json]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import util from 'node:util';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: a } = util.parseArgs({ options: { steps: { type: 'string', default: '100000' }, runs: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } } });
for (const need of ['media/dist/dashboard.js', 'out/test/helpers/synthetic-run.js', 'out/src/report/page.js']) {
  if (!fs.existsSync(path.join(ROOT, need))) {
    console.error(`missing ${need}: run 'node scripts/build.mjs && npx tsc -p .' first`);
    process.exit(2);
  }
}
const { launchChromium } = await import('../test/e2e/browser.mjs');
const { loadDashboardRun, openWebview, showRun, writeSyntheticRun } = await import('../test/e2e/webview-harness.mjs');

const TARGET_MS = 500;
const TARGET_BUNDLE = 400 * 1024;
const steps = Number(a.steps);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-bench-dash-'));
const folder = path.join(dir, 'run-100k');
await writeSyntheticRun(folder, { steps, startedAt: '2026-11-20T10:00:00.000Z' });
const stepsBytes = fs.statSync(path.join(folder, 'steps.arrow')).size;

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const browser = await launchChromium();
const samples = [];
try {
  for (let i = 0; i < Number(a.runs); i++) {
    const { context, page } = await openWebview(browser, { viewport: { width: 1200, height: 900 } });
    const t0 = performance.now();
    const { run } = await loadDashboardRun(folder, { noStatic: true });
    const readMs = performance.now() - t0;
    const pageMs = await showRun(page, run, [{ id: run.id, startedAt: run.summary.startedAt, script: run.summary.script, mode: run.summary.mode, verdict: run.summary.verdict, inputShare: run.summary.inputShare, samplesPerSec: run.summary.samplesPerSec, stepMsP50: run.summary.stepTimeMs?.p50 ?? null }]);
    const charts = Number(await page.evaluate(() => document.body.dataset.chartsDrawn));
    // Where the webview's time went (performance marks set by webview/ui/app.ts), relative to the post.
    const marks = await page.evaluate(() => Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name.replace(/^pd-/, ''), +(m.startTime - window.__tPost).toFixed(1)])));
    if (!a.json) console.log(`  run ${i + 1}: ${JSON.stringify(marks)}`);
    samples.push({ readMs, pageMs, totalMs: readMs + pageMs, charts });
    await context.close();
  }
} finally {
  await browser.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

const js = fs.readFileSync(path.join(ROOT, 'media/dist/dashboard.js'));
const css = fs.readFileSync(path.join(ROOT, 'media/dist/dashboard.css'));
const result = {
  steps, stepsArrowBytes: stepsBytes, bytesPerStep: +(stepsBytes / steps).toFixed(1), runs: samples.length,
  openToDrawnMs: { median: +median(samples.map((s) => s.totalMs)).toFixed(1), max: +Math.max(...samples.map((s) => s.totalMs)).toFixed(1) },
  hostReadMs: +median(samples.map((s) => s.readMs)).toFixed(1),
  webviewMs: +median(samples.map((s) => s.pageMs)).toFixed(1),
  charts: samples[0]?.charts ?? 0,
  bundle: { jsBytes: js.length, jsGzipBytes: zlib.gzipSync(js).length, cssBytes: css.length },
};
const okTime = result.openToDrawnMs.median <= TARGET_MS;
const okSize = result.bundle.jsBytes <= TARGET_BUNDLE;
if (a.json) console.log(JSON.stringify({ ...result, pass: okTime && okSize }, null, 2));
else {
  console.log(`dashboard, ${steps.toLocaleString('en-US')}-step run (${result.bytesPerStep} B/step of steps.arrow), ${result.charts} charts, ${result.runs} runs:`);
  console.log(`  open -> charts drawn: median ${result.openToDrawnMs.median} ms (max ${result.openToDrawnMs.max}) = host read ${result.hostReadMs} ms + webview ${result.webviewMs} ms  [target <= ${TARGET_MS} ms] ${okTime ? 'PASS' : 'FAIL'}`);
  console.log(`  bundle: ${(result.bundle.jsBytes / 1024).toFixed(1)} KB minified (${(result.bundle.jsGzipBytes / 1024).toFixed(1)} KB gzip), css ${(result.bundle.cssBytes / 1024).toFixed(1)} KB  [target <= 400 KB] ${okSize ? 'PASS' : 'FAIL'}`);
}
process.exitCode = okTime && okSize ? 0 : 1;
