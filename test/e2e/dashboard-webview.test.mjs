// The dashboard webview in headless Chromium, loaded with the host's page, CSP and nonce: hostile strings
// from a run render as text and run nothing, buttons and keyboard post the right messages, malformed
// host messages are ignored; light and dark screenshots go to test-artifacts/.
// Run: node scripts/build.mjs && npx tsc -p . ; node --test --test-concurrency=1 test/e2e/dashboard-*.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { canvasInk, launchChromium } from './browser.mjs';
import { listRuns, loadDashboardRun, openWebview, posted, ROOT, runForPage, showRun, writeSyntheticRun, writeSyntheticTorchrunRun } from './webview-harness.mjs';

const EVIL = '<img src=x onerror=alert(1)></script><script>alert(2)</script>';
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
let browser;
let base;

before(async () => {
  browser = await launchChromium();
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-webview-'));
  await writeSyntheticRun(path.join(base, 'run-before'), { steps: 400, startedAt: '2026-11-20T10:00:00.000Z', samplesPerSec: 1585 });
  await writeSyntheticRun(path.join(base, 'run-after'), { steps: 400, inputShare: 0.05, stepMs: 5.1, startedAt: '2026-11-20T11:00:00.000Z', samplesPerSec: 6250, sweep: false });
  await writeSyntheticRun(path.join(base, 'run-cpu'), { steps: 200, startedAt: '2026-11-18T10:00:00.000Z', gpu: false, sweep: false });
  await writeSyntheticRun(path.join(base, 'run-evil'), {
    steps: 300, startedAt: '2026-11-19T10:00:00.000Z',
    script: `/work/${EVIL}/train.py`, loaderFile: `/work/${EVIL}/data.py`, datasetType: EVIL, message: `bad ${EVIL}`, notes: [EVIL],
  });
});
after(async () => {
  await browser?.close();
});

describe('dashboard webview', () => {
  it('renders hostile run strings as text: no element, no script, no CSP violation, no fetch', async () => {
    const { context, page, attempted, errors } = await openWebview(browser);
    try {
      const { run } = await loadDashboardRun(path.join(base, 'run-evil'), { noStatic: true });
      await showRun(page, run, listRuns(base).runs);
      const text = await page.textContent('main');
      assert.ok(text.includes(`bad ${EVIL}`), 'the message is shown verbatim');
      assert.ok(text.includes(EVIL), 'notes and dataset type shown verbatim');
      assert.equal(await page.locator('main img, main script, main iframe').count(), 0);
      const state = await page.evaluate(() => ({ alerts: window.__alerts, violations: window.__violations }));
      assert.deepEqual(state.alerts, []);
      assert.deepEqual(state.violations, []);
      assert.deepEqual(attempted, []);
      assert.deepEqual(errors, []);
      assert.match(await page.textContent('[data-testid=verdict]'), /^Highly input-bound: 74% of each step waits for data$/);
    } finally {
      await context.close();
    }
  });

  it('draws the charts, posts Reveal / Apply fix / Show docs by index, works from the keyboard, compares runs', async () => {
    const { context, page, errors } = await openWebview(browser);
    try {
      const { run } = await loadDashboardRun(path.join(base, 'run-before'), { noStatic: true });
      await showRun(page, run, listRuns(base).runs);
      const ink = await canvasInk(page);
      assert.equal(ink.length, Number(await page.evaluate(() => document.body.dataset.chartsDrawn)));
      assert.ok(ink.length >= 5, `step, GPU, CPU, disk, sweep charts: ${ink.length}`);
      assert.ok(ink.every((n) => n > 1000), `every canvas has ink: ${ink}`);
      assert.match(await page.textContent('[data-testid=control]'), /^Your steps take 13\.6 ms, of which 10\.1 ms wait for data; compute alone took 3\.5 ms in the data-free control/);

      const finding = page.locator('[data-testid=finding]').first();
      await finding.locator('[data-testid=reveal]').click();
      await finding.locator('[data-testid=show-docs]').click();
      // No static fix on this synthetic runtime finding: the button is disabled and posts nothing.
      await finding.locator('[data-testid=apply-fix]').click({ force: true });
      let msgs = await posted(page);
      assert.deepEqual(msgs.filter((m) => m.type !== 'ready' && m.type !== 'openRun'), [
        { type: 'revealFinding', runId: 'run-before', findingIndex: 0 }, { type: 'showDocs', code: 'LOAD001' },
      ]);

      // Keyboard: focus the Reveal button and press Enter.
      await finding.locator('[data-testid=reveal]').focus();
      await page.keyboard.press('Enter');
      msgs = await posted(page);
      assert.equal(msgs.filter((m) => m.type === 'revealFinding').length, 2);

      // A malformed host message is ignored and said so.
      await page.evaluate(() => window.__hostPost({ type: 'run', run: { id: '../x', summary: {}, findings: [], tables: {} } }));
      await page.waitForFunction(() => /Ignored a message/.test(document.querySelector('[data-testid=status]')?.textContent ?? ''));
      assert.match(await page.textContent('[data-testid=verdict]'), /^Highly input-bound/);

      // History: tick two runs, compare; the host answers with both summaries.
      const boxes = page.locator('.pd-history vscode-checkbox');
      await boxes.nth(0).click();
      await boxes.nth(1).click();
      await page.locator('[data-testid=compare]').click();
      msgs = await posted(page);
      const cmp = msgs.find((m) => m.type === 'compareRuns');
      assert.deepEqual(cmp, { type: 'compareRuns', baseId: 'run-before', otherId: 'run-after' });
      const summaries = await Promise.all(['run-before', 'run-after'].map(async (id) => (await loadDashboardRun(path.join(base, id), { noStatic: true })).run.summary));
      await page.evaluate(([b, o]) => window.__hostPost({ type: 'comparison', base: { ...b, id: 'run-before' }, other: { ...o, id: 'run-after' } }), summaries);
      await page.waitForSelector('[data-testid=comparison-speedup]');
      assert.match(await page.textContent('[data-testid=comparison-speedup]'), /^3\.9x The second run is 3\.9x faster \(6,250 vs 1,585 samples\/s\); data wait 74% → 5% of each step\.$/);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  it('says when the run shown is not the latest, and "Show latest" asks for the newest run', async () => {
    const { context, page, errors } = await openWebview(browser);
    try {
      const runs = listRuns(base).runs;
      assert.equal(runs[0].id, 'run-after', 'the newest run heads the list');
      const { run: older } = await loadDashboardRun(path.join(base, 'run-before'), { noStatic: true });
      await showRun(page, older, runs);
      const bar = page.locator('[data-testid=older-run]');
      await bar.waitFor({ state: 'visible' });
      assert.match(await bar.textContent(), /^Viewing an older run \u2014 the latest is train\.py, 2026-11-20 11:00:00 UTC\./);
      await bar.locator('[data-testid=show-latest]').click();
      assert.deepEqual((await posted(page)).filter((m) => m.type === 'openRun').pop(), { type: 'openRun', runId: 'run-after' });
      const { run: latest } = await loadDashboardRun(path.join(base, 'run-after'), { noStatic: true });
      await showRun(page, latest, runs);
      await bar.waitFor({ state: 'hidden' });
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  it('names runs by their path relative to the workspace, so two main.py runs differ', async () => {
    const { context, page } = await openWebview(browser);
    try {
      const runs = listRuns(base).runs.map((r, i) => ({ ...r, script: `/ws/${i % 2 ? 'vision' : 'text'}/main.py`, name: `${i % 2 ? 'vision' : 'text'}/main.py` }));
      const { run } = await loadDashboardRun(path.join(base, 'run-after'), { noStatic: true });
      await showRun(page, { ...run, name: 'text/main.py' }, runs);
      assert.match(await page.textContent('[data-testid=run-meta]'), /^text\/main\.py \u00b7 /);
      const names = await page.locator('.pd-history tbody tr td:nth-child(2)').allTextContents();
      assert.deepEqual([...new Set(names)].sort(), ['text/main.py', 'vision/main.py']);
    } finally {
      await context.close();
    }
  });

  it('a CPU run says it had no GPU instead of showing dashes in GPU cards', async () => {
    const { context, page } = await openWebview(browser);
    try {
      const { run } = await loadDashboardRun(path.join(base, 'run-cpu'), { noStatic: true });
      await showRun(page, run, listRuns(base).runs);
      const cards = await page.locator('.pd-number').evaluateAll((els) => els.map((e) => e.innerText.replace(/\s+/g, ' ').trim()));
      assert.ok(cards.includes('GPU none no GPU on this run'), cards.join(' | '));
      assert.ok(!cards.some((c) => /^GPU .*\u2014/.test(c)), `no GPU card with a dash: ${cards.join(' | ')}`);
    } finally {
      await context.close();
    }
  });

  it('a torchrun run shows its ranks side by side with the straggler named and highlighted; a single-process run shows no Ranks', async () => {
    const { context, page, errors } = await openWebview(browser);
    try {
      const ddpRuns = path.join(base, 'torchrun');
      await writeSyntheticTorchrunRun(path.join(ddpRuns, 'run-ddp'), { startedAt: '2026-11-21T10:00:00.000Z' });
      const { run } = await loadDashboardRun(path.join(ddpRuns, 'run-ddp'), { noStatic: true });
      await showRun(page, run, listRuns(ddpRuns).runs);
      const ranks = page.locator('[data-testid=ranks]');
      assert.equal(await ranks.count(), 1);
      assert.match(await ranks.locator('h2').textContent(), /^Ranks \(2\)$/);
      // The verdict card says whose figures it shows: one rank's, and the machine's CPU for all of them.
      assert.equal(await page.textContent('[data-testid=verdict-whose]'),
        'torchrun job: verdict and step figures of rank 0 of 2 (the rank that waits most for data, which sets the job\'s pace); CPU figures: this machine, all ranks together. Each rank\'s figures are under Ranks.');
      assert.match(await page.textContent('[data-testid=ranks-headline]'), /^Rank 1 is the straggler: its step time stands out from the other ranks'\.$/);
      const rows = await page.locator('[data-testid=rank-row]').evaluateAll((els) => els.map((e) => ({
        rank: e.dataset.rank, straggler: e.dataset.straggler ?? null, cls: e.className,
        cells: [...e.children].map((c) => c.textContent), hot: [...e.querySelectorAll('.hot')].map((c) => c.textContent),
      })));
      assert.deepEqual(rows.map((r) => [r.rank, r.straggler, r.cls]), [['0', null, ''], ['1', 'true', 'straggler']]);
      assert.deepEqual(rows[1].cells, ['1straggler', '170', '40.0 ms', '2.0 ms', '5%', '800', '0.0 ms', 'stopped-after-quick']);
      assert.deepEqual(rows[0].cells.slice(2, 7), ['20.0 ms', '2.0 ms', '10%', '1,600', '19.0 ms']);
      assert.deepEqual(rows[1].hot, ['40.0 ms'], 'the straggling figure is highlighted');
      assert.deepEqual(rows[0].hot, []);
      // Highlighted by more than a class name: the straggler's row and figure are drawn differently.
      const look = await page.evaluate(() => {
        const cell = (r, i) => getComputedStyle(document.querySelector(`[data-testid=rank-row][data-rank="${r}"]`).children[i]);
        return { hotColor: cell(1, 2).color, plainColor: cell(0, 2).color, hotWeight: cell(1, 2).fontWeight, rowBg: cell(1, 1).backgroundColor, plainBg: cell(0, 1).backgroundColor };
      });
      assert.notEqual(look.hotColor, look.plainColor);
      assert.notEqual(look.rowBg, look.plainBg);
      assert.match(await page.textContent('[data-testid=ranks-spread]'), /^Step-end spread: ranks end their steps 19\.5 ms apart \(median over measured steps, 65% of a step\)\.$/);
      assert.deepEqual(errors, []);
      await page.screenshot({ path: path.join(ARTIFACTS, 'webview-ranks.png'), fullPage: true });

      const single = await loadDashboardRun(path.join(base, 'run-before'), { noStatic: true });
      await showRun(page, single.run, listRuns(base).runs);
      await page.waitForFunction(() => document.querySelector('[data-testid=verdict]')?.textContent?.startsWith('Highly'));
      assert.equal(await page.locator('[data-testid=ranks]').count(), 0, 'a single-process run has no Ranks section');
      assert.equal(await page.locator('[data-testid=verdict-whose]').count(), 0, 'a single process needs no word on whose figures');
    } finally {
      await context.close();
    }
  });

  it('keeps its scroll position when the hidden webview is shown again (the page reloads)', async () => {
    const { context, page } = await openWebview(browser, { viewport: { width: 1100, height: 600 } });
    try {
      const runs = listRuns(base).runs;
      const { run } = await loadDashboardRun(path.join(base, 'run-before'), { noStatic: true });
      await showRun(page, run, runs);
      await page.evaluate(() => window.scrollTo(0, 900));
      await page.waitForFunction(() => Math.abs(window.scrollY - 900) < 2);
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      // VS Code discards a hidden webview's page and loads it again when its tab comes back.
      await page.reload();
      await page.waitForFunction(() => window.__posted.some((m) => m.type === 'ready'));
      await page.evaluate((m) => window.__hostPost(m), { type: 'runs', runs, focus: null });
      await page.waitForFunction(() => window.__posted.some((m) => m.type === 'openRun' && m.runId === 'run-before'));
      await page.evaluate((r) => window.__hostPost({ type: 'run', run: r }), runForPage(run));
      await page.waitForFunction(() => document.body.dataset.chartsDrawn !== undefined, null, { timeout: 20_000 });
      await page.waitForFunction(() => Math.abs(window.scrollY - 900) < 2, null, { timeout: 5_000 }).catch(() => undefined);
      assert.equal(Math.round(await page.evaluate(() => window.scrollY)), 900);
    } finally {
      await context.close();
    }
  });

  it('the step timeline\u2019s data wait band has its legend colour, also when the theme colour is translucent', async () => {
    const { context, page } = await openWebview(browser);
    try {
      // VS Code's light themes give charts.orange as a translucent colour: #ea5c0055.
      await page.evaluate(() => document.body.style.setProperty('--vscode-charts-orange', '#ea5c0055'));
      const { run } = await loadDashboardRun(path.join(base, 'run-before'), { noStatic: true });
      await showRun(page, run, listRuns(base).runs);
      const { marker, band } = await page.evaluate(() => {
        const fig = [...document.querySelectorAll('.pd-charts figure')].find((f) => /Step timeline/.test(f.textContent ?? ''));
        const legend = [...fig.querySelectorAll('.u-legend .u-series')].find((x) => /data wait/.test(x.textContent ?? '')).querySelector('.u-marker');
        const canvas = fig.querySelector('canvas');
        const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
        // The colour that covers most of the plot: the wait band (74% of every step).
        const counts = new Map();
        for (let i = 0; i < data.length; i += 4) {
          // Coloured pixels only: the axes, the grid and the phase shading are grey.
          if (data[i + 3] === 0 || Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]) < 40) continue;
          const k = `${data[i]},${data[i + 1]},${data[i + 2]},${data[i + 3]}`;
          counts.set(k, (counts.get(k) ?? 0) + 1);
        }
        return { marker: getComputedStyle(legend).backgroundColor, band: [...counts.entries()].sort((x, y) => y[1] - x[1])[0][0] };
      });
      const [r, g, b, alpha] = band.split(',').map(Number);
      assert.equal(marker, 'rgba(234, 92, 0, 0.333)');
      // Canvas pixels are stored premultiplied: a translucent colour reads back within a unit or two.
      assert.ok([r - 234, g - 92, b - 0].every((d) => Math.abs(d) <= 2), `band ${band}, legend ${marker}`);
      assert.ok(Math.abs(alpha / 255 - 0.333) < 0.02, `band alpha ${alpha}`);
    } finally {
      await context.close();
    }
  });

  it('labels "recommended" and "current" in the sweep chart without printing one over the other', async () => {
    const { context, page } = await openWebview(browser);
    try {
      const { run } = await loadDashboardRun(path.join(base, 'run-before'), { noStatic: true });
      // The winner differs from the current setting only in pin_memory, at a close speed: same x, near y.
      const current = run.summary.sweep.find((p) => p.current);
      const winner = { ...current, current: false, pin_memory: true, stepMs: { p50: 19, p10: 18.5, p90: 19.5 }, speedup: { p50: 1.05, p10: 1.02, p90: 1.08 } };
      const summary = {
        ...run.summary, sweep: [...run.summary.sweep.filter((p) => !(p.num_workers === 0 && p.pin_memory)), winner],
        sweepOutcome: { ...run.summary.sweepOutcome, recommended: { num_workers: 0, pin_memory: true, prefetch_factor: null, persistent_workers: false }, speedup: winner.speedup },
      };
      await showRun(page, { ...run, summary }, listRuns(base).runs);
      const labels = JSON.parse(await page.locator('.pd-chart[data-mark-labels]').getAttribute('data-mark-labels'));
      assert.deepEqual(labels.map((l) => l.text), ['recommended', 'current']);
      const [a, b] = labels;
      const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
      assert.equal(overlap, false, JSON.stringify(labels));
    } finally {
      await context.close();
    }
  });

  for (const scheme of ['light', 'dark']) {
    it(`takes a ${scheme} screenshot`, async () => {
      const { context, page } = await openWebview(browser, { colorScheme: scheme, viewport: { width: 1200, height: 1000 } });
      try {
        const { run } = await loadDashboardRun(path.join(base, 'run-before'), { noStatic: true });
        await showRun(page, run, listRuns(base).runs);
        fs.mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: path.join(ARTIFACTS, `dashboard-webview-${scheme}.png`), fullPage: true });
        const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        assert.equal(bg, scheme === 'dark' ? 'rgb(31, 31, 31)' : 'rgb(255, 255, 255)');
      } finally {
        await context.close();
      }
    });
  }
});
