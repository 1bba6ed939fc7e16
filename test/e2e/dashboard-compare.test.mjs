// The verify loop's compare panel in headless Chromium, with the host's page and CSP: the host sends two
// runs and their measured comparison (src/shared/run-comparison.ts on run folders the runner's own
// writer produced); the panel shows the speed-up with its interval, what changed, the verdict change and
// the load warning; a damaged comparison is refused whole, and hostile strings stay text.
// Run: node scripts/build.mjs && npx tsc -p . ; node --test test/e2e/dashboard-compare.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launchChromium } from './browser.mjs';
import { listRuns, loadDashboardRun, openWebview, ROOT, showRun, writeSyntheticRun } from './webview-harness.mjs';

const out = (p) => path.join(ROOT, 'out', p);
const { compareMeasuredRuns } = await import(out('src/shared/run-comparison.js'));
const { readMeasuredRun } = await import(out('src/runner/measured-run.js'));
const { writeSummary } = await import(out('src/runner/run-folder.js'));

const EVIL = '<img src=x onerror=alert(1)>';
let browser;
let base;

/** The "after" run: the fix gave it two workers, and it ran on a quiet machine (the "before" run's other load is 40%). */
function editSummary(folder, edit) {
  const summary = JSON.parse(fs.readFileSync(path.join(folder, 'summary.json'), 'utf8'));
  edit(summary);
  writeSummary(folder, summary);
}

before(async () => {
  browser = await launchChromium();
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-compare-'));
  await writeSyntheticRun(path.join(base, 'run-before'), { steps: 200, startedAt: '2026-11-20T10:00:00.000Z', samplesPerSec: 1585 });
  await writeSyntheticRun(path.join(base, 'run-after'), { steps: 200, inputShare: 0.03, stepMs: 5.1, startedAt: '2026-11-20T11:00:00.000Z', samplesPerSec: 6250, sweep: false });
  editSummary(path.join(base, 'run-after'), (s) => {
    s.verdict = 'not-input-bound';
    s.inputShare = 0.03;
    Object.assign(s.loaders[0], { num_workers: 2, prefetch_factor: 2 });
    s.cpu.otherMeanPct = 3;
    s.args = [EVIL];
  });
});
after(async () => {
  await browser?.close();
});

async function comparisonMessage() {
  const [b, a] = await Promise.all(['run-before', 'run-after'].map(async (id) => (await loadDashboardRun(path.join(base, id), { noStatic: true })).run.summary));
  const measured = compareMeasuredRuns(readMeasuredRun(path.join(base, 'run-before')), readMeasuredRun(path.join(base, 'run-after')));
  return { type: 'comparison', base: { ...b, id: 'run-before' }, other: { ...a, id: 'run-after' }, measured };
}

describe('dashboard compare panel (verify loop)', () => {
  it('shows the measured speed-up with its interval, the config diff, the verdict change and the load warning', async () => {
    const { context, page, attempted, errors } = await openWebview(browser);
    try {
      const { run } = await loadDashboardRun(path.join(base, 'run-after'), { noStatic: true });
      await showRun(page, run, listRuns(base).runs);
      const msg = await comparisonMessage();
      await page.evaluate((m) => window.__hostPost(m), msg);
      await page.waitForSelector('[data-testid=verify]');
      assert.match(await page.textContent('[data-testid=verify-speedup]'), /^2\.\dx faster \(90% interval 2\.\dx–2\.\dx, ratio of mean step time\)$/);
      const diff = await page.locator('[data-testid=verify-config] li').allTextContents();
      assert.deepEqual(diff.slice(0, 2), ['num_workers 0 → 2', 'prefetch_factor None → 2']);
      assert.ok(diff.includes(`arguments (none) → ${EVIL}`), diff.join(' | '));
      assert.match(await page.textContent('[data-testid=verify-verdict]'), /^Verdict changed: Highly input-bound: 74% of each step waits for data → Not input-bound: only 3% of each step waits for data$/);
      assert.match(await page.textContent('[data-testid=verify-load-warning]'), /^The runs ran under different machine load: other processes used 40% of the CPU during the first run and 3% during the second/);
      // The measured panel is the headline: the summaries' samples/s sentence is not shown beside it.
      assert.equal(await page.locator('[data-testid=comparison-speedup]').count(), 0);
      assert.equal(await page.locator('main img').count(), 0);
      assert.deepEqual(await page.evaluate(() => ({ alerts: window.__alerts, violations: window.__violations })), { alerts: [], violations: [] });
      assert.deepEqual(attempted, []);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  it('refuses a damaged comparison whole: no panel, the status says so', async () => {
    const { context, page, errors } = await openWebview(browser);
    try {
      const { run } = await loadDashboardRun(path.join(base, 'run-before'), { noStatic: true });
      await showRun(page, run, listRuns(base).runs);
      const msg = await comparisonMessage();
      msg.measured.speedup.low = EVIL;
      await page.evaluate((m) => window.__hostPost(m), msg);
      await page.waitForFunction(() => /Ignored a message/.test(document.querySelector('[data-testid=status]')?.textContent ?? ''));
      assert.equal(await page.locator('[data-testid=verify]').count(), 0);
      assert.equal(await page.locator('[data-testid=comparison] h2').count(), 0);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
