// The exported report: profile a real script with `pipeline-doctor profile --report` (CPU torch), open the
// HTML file in headless Chromium with every request aborted, and check it says the same verdict as the
// run summary, draws its charts, fetches nothing and runs no injected script.
// Run: node scripts/build.mjs && npx tsc -p . ; node --test --test-concurrency=1 test/e2e/dashboard-*.test.mjs
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { canvasInk, launchChromium, blockNetwork } from './browser.mjs';
import { ROOT, writeSyntheticRun, writeSyntheticTorchrunRun } from './webview-harness.mjs';

const { verdictSentence } = await import(path.join(ROOT, 'out/webview/model/verdict.js'));
const CLI = path.join(ROOT, 'dist/cli.js');
const PYTHON = process.env.PIPELINE_DOCTOR_PYTHON || '/usr/bin/python3';
const EVIL = '<img src=x onerror=alert(1)></script><script>alert(2)</script>';
let browser;
let work;

before(async () => {
  browser = await launchChromium();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-report-'));
});
after(async () => {
  await browser?.close();
});

async function openReport(file, colorScheme = 'light') {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, colorScheme });
  const url = pathToFileURL(file).href;
  const attempted = await blockNetwork(context, { documentUrl: url });
  await context.addInitScript(() => {
    window.__alerts = [];
    window.__violations = [];
    window.alert = (m) => window.__alerts.push(String(m));
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.chartsDrawn !== undefined, null, { timeout: 20_000 });
  return { context, page, attempted, errors };
}

describe('exported HTML report', () => {
  it('profile --report writes a report that opens offline with the same verdict and drawn charts', async () => {
    const report = path.join(work, 'report.html');
    const r = spawnSync(process.execPath, [CLI, 'profile', path.join(ROOT, 'examples/pytorch/naive_train.py'), '--python', PYTHON,
      '--out', path.join(work, 'runs'), '--steps', '30', '--warmup', '5', '--json', '--report', report, '--', '--epochs', '1'],
    { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.ok(fs.existsSync(report), r.stderr);
    const html = fs.readFileSync(report, 'utf8');
    assert.ok(!/\b(src|href)=["']?(https?:)?\/\//i.test(html), 'no remote resource in the markup');
    const { context, page, attempted, errors } = await openReport(report);
    try {
      assert.equal(await page.textContent('[data-testid=verdict]'), verdictSentence(summary));
      const ink = await canvasInk(page);
      assert.ok(ink.length >= 3, `charts: ${ink.length}`);
      assert.ok(ink.every((n) => n > 1000), `non-blank canvases: ${ink}`);
      assert.deepEqual(attempted, [], 'no request was attempted');
      assert.deepEqual(await page.evaluate(() => window.__violations), []);
      assert.deepEqual(errors, []);
      // Non-interactive: no host to reveal lines or apply fixes.
      assert.equal(await page.locator('[data-testid=reveal]').count(), 0);
      fs.mkdirSync(path.join(ROOT, 'test-artifacts'), { recursive: true });
      await page.screenshot({ path: path.join(ROOT, 'test-artifacts/report-light.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('keeps hostile strings as text, and a comparison with the speedup, in the report', async () => {
    const before = path.join(work, 'runs-syn', 'before');
    const evil = path.join(work, 'runs-syn', 'evil');
    await writeSyntheticRun(before, { steps: 200, samplesPerSec: 600, startedAt: '2026-11-19T10:00:00.000Z' });
    await writeSyntheticRun(evil, { steps: 300, script: `/w/${EVIL}/t.py`, loaderFile: `/w/${EVIL}/d.py`, datasetType: EVIL, message: EVIL, notes: [EVIL], samplesPerSec: 1585 });
    const report = path.join(work, 'evil.html');
    const r = spawnSync(process.execPath, [CLI, 'report', evil, '--out', report, '--compare', before, '--no-static'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const html = fs.readFileSync(report, 'utf8');
    assert.equal((html.match(/<\/script>/g) ?? []).length, 2, 'only our two script elements close');
    const { context, page, attempted, errors } = await openReport(report, 'dark');
    try {
      assert.ok((await page.textContent('main')).includes(EVIL));
      assert.equal(await page.locator('main img, main script').count(), 0);
      assert.deepEqual(await page.evaluate(() => window.__alerts), []);
      // Both synthetic runs have the same steps (only their samples/s figures differ): the measured comparison says so.
      assert.match(await page.textContent('[data-testid=verify-speedup]'), /^No clear change \(1\.0\dx; 90% interval /);
      assert.deepEqual(attempted, []);
      assert.deepEqual(errors, []);
      await page.screenshot({ path: path.join(ROOT, 'test-artifacts/report-dark.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('shows a torchrun run\u2019s ranks with the straggler named and highlighted, and no Ranks for a single-process run', async () => {
    const ddp = path.join(work, 'runs-ranks', 'ddp');
    const single = path.join(work, 'runs-ranks', 'single');
    await writeSyntheticTorchrunRun(ddp);
    await writeSyntheticRun(single, { sweep: false });
    for (const [folder, ranked] of [[ddp, true], [single, false]]) {
      const report = path.join(work, `${path.basename(folder)}.html`);
      const r = spawnSync(process.execPath, [CLI, 'report', folder, '--out', report, '--no-static'], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const { context, page, attempted, errors } = await openReport(report);
      try {
        if (!ranked) {
          assert.equal(await page.locator('[data-testid=ranks]').count(), 0, 'a single-process run has no Ranks section');
          assert.equal(await page.locator('[data-testid=verdict-whose]').count(), 0);
          continue;
        }
        assert.match(await page.textContent('[data-testid=verdict-whose]'), /^torchrun job: verdict and step figures of rank 0 of 2 \(the rank that waits most for data/);
        assert.match(await page.textContent('[data-testid=ranks-headline]'), /^Rank 1 is the straggler: its step time stands out from the other ranks'\.$/);
        assert.deepEqual(await page.locator('[data-testid=rank-row]').evaluateAll((els) => els.map((e) => [e.dataset.rank, e.dataset.straggler ?? null])),
          [['0', null], ['1', 'true']]);
        assert.deepEqual(await page.locator('[data-testid=rank-row][data-rank="1"] td.hot').allTextContents(), ['40.0 ms']);
        assert.match(await page.textContent('[data-testid=ranks-spread]'), /19\.5 ms apart/);
        assert.deepEqual(attempted, []);
        assert.deepEqual(await page.evaluate(() => window.__violations), []);
        assert.deepEqual(errors, []);
        await page.screenshot({ path: path.join(ROOT, 'test-artifacts/report-ranks.png'), fullPage: true });
      } finally {
        await context.close();
      }
    }
  });
});
