// The dashboard: one run (verdict, numbers, findings, timelines, sweep, loaders), the workspace's run
// history and a two-run comparison. It renders from validated messages only, builds DOM through ui/dom.ts
// (text only), and talks to its host through a Bridge: VS Code's webview API, or nothing in the report.
import type uPlot from 'uplot';
import type { Finding } from '../../src/shared/findings';
import type { RunSummary, Spread, SummarySweep } from '../../src/shared/profile';
import type {
  ComparisonMessage, DashboardRun, DashboardViewState, HostToWebviewMessage, RunListEntry, WebviewToHostMessage,
} from '../../src/shared/protocol';
import { isHostToWebviewMessage } from '../../src/shared/protocol';
import { compareRuns } from '../model/compare';
import { findingEvidence, findingOrder, findingSpeedup } from '../model/findings';
import { baseName, DASH, fmtBytes, fmtCount, fmtDate, fmtMs, fmtPct, fmtRate, fmtSpeedup } from '../model/format';
import { ranksView } from '../model/ranks';
import type { RunTables } from '../model/series';
import { decodeTables, firstValue, hasSignal, runOrigin, stepSeries, timeSeries, withGaps } from '../model/series';
import { describeSweepSetting, sweepChart } from '../model/sweep';
import { controlSentence, headlineNumbers, trainingLoader, verdictDetails, verdictSentence, verdictTone, whoseFigures } from '../model/verdict';
import { stepTimelineChart, sweepPlot, timeChart } from './charts';
import type { ChartLine } from './charts';
import type { Child } from './dom';
import { append, button, clear, h } from './dom';
import { comparePanel } from './compare-panel';
import { ranksPanel } from './ranks-panel';
import { chartColors } from './theme';

export interface Bridge {
  /** False in the exported report: no host to reveal lines, apply fixes or list runs. */
  interactive: boolean;
  post(message: WebviewToHostMessage): void;
  loadState(): DashboardViewState | null;
  saveState(state: DashboardViewState): void;
}

const VERDICT_LABEL: Record<RunSummary['verdict'], string> = {
  'highly-input-bound': 'highly input-bound',
  'moderately-input-bound': 'moderately input-bound',
  'not-input-bound': 'not input-bound',
  failed: 'failed',
};

export class DashboardApp {
  private runs: RunListEntry[] = [];
  private run: DashboardRun | null = null;
  private tables: RunTables | null = null;
  private comparison: ComparisonMessage | null = null;
  private view: DashboardViewState;
  private charts: uPlot[] = [];
  private ticked = new Set<string>();
  private chartsPending = 0;
  private chartsStarted = 0;
  private readonly header = h('header', { class: 'pd-header' });
  private readonly status = h('p', { class: 'pd-status', attrs: { role: 'status', 'data-testid': 'status' } });
  private readonly olderBar = h('div', { class: 'pd-older', attrs: { role: 'status', 'data-testid': 'older-run' } });
  /** The saved scroll position waits for the run it was taken on (the page reloads when shown again). */
  private pendingScroll: { runId: string; y: number } | null = null;
  private readonly runSection = h('div', { class: 'pd-run', attrs: { 'data-testid': 'run' } });
  private readonly historySection = h('section', { class: 'pd-history', attrs: { 'aria-labelledby': 'pd-history-title' } });
  private readonly compareSection = h('section', { class: 'pd-compare', attrs: { 'aria-labelledby': 'pd-compare-title', 'data-testid': 'comparison' } });

  constructor(private readonly root: HTMLElement, private readonly bridge: Bridge) {
    this.view = bridge.loadState() ?? { selectedRunId: null, compare: null };
    if (this.view.selectedRunId && this.view.scrollY) this.pendingScroll = { runId: this.view.selectedRunId, y: this.view.scrollY };
    clear(root);
    append(root, [this.header, this.status, bridge.interactive ? this.olderBar : null, this.runSection, this.compareSection, bridge.interactive ? this.historySection : null]);
    this.renderHeader();
    this.olderBar.hidden = true;
    if (bridge.interactive) {
      let queued = false;
      window.addEventListener('scroll', () => {
        if (queued || this.pendingScroll) return;
        queued = true;
        requestAnimationFrame(() => {
          queued = false;
          this.view.scrollY = Math.round(window.scrollY);
          this.saveView();
        });
      }, { passive: true });
    }
  }

  /** Every message goes through the guard; an invalid one is dropped and said so, never half-rendered. */
  receive(raw: unknown): void {
    if (!isHostToWebviewMessage(raw)) {
      this.say('Ignored a message the dashboard does not understand.', true);
      return;
    }
    this.handle(raw);
  }

  private handle(m: HostToWebviewMessage): void {
    switch (m.type) {
      case 'runs':
        this.onRuns(m.runs, m.focus);
        return;
      case 'run':
        this.showRun(m.run);
        return;
      case 'comparison':
        this.comparison = m;
        // A comparison the host opened (the verify loop) survives hide/show like one the user picked.
        if (this.bridge.interactive) {
          this.view.compare = { baseId: m.base.id, otherId: m.other.id };
          this.saveView();
        }
        this.renderComparison();
        return;
      case 'actionResult':
        this.say(m.message, !m.ok);
        return;
      case 'error':
        this.say(m.message, true);
        return;
    }
  }

  private say(text: string, isError = false): void {
    this.status.textContent = text;
    this.status.classList.toggle('error', isError);
  }

  private saveView(): void {
    this.bridge.saveState(this.view);
  }

  // -------------------------------------------------------------------------------------------------
  // History and selection
  // -------------------------------------------------------------------------------------------------

  private onRuns(runs: RunListEntry[], focus: string | null): void {
    this.runs = runs;
    const known = (id: string | null | undefined): id is string => !!id && runs.some((r) => r.id === id);
    for (const id of [...this.ticked]) if (!known(id)) this.ticked.delete(id);
    const target = known(focus) ? focus : known(this.view.selectedRunId) ? this.view.selectedRunId : runs[0]?.id ?? null;
    if (target && (focus !== null || target !== this.run?.id)) this.bridge.post({ type: 'openRun', runId: target });
    if (!target) this.renderEmpty();
    this.renderOlderBar();
    const c = this.view.compare;
    if (c && known(c.baseId) && known(c.otherId) && !this.comparison) {
      this.ticked = new Set([c.baseId, c.otherId]);
      this.bridge.post({ type: 'compareRuns', baseId: c.baseId, otherId: c.otherId });
    }
    this.renderHistory();
  }

  private renderEmpty(): void {
    this.destroyCharts();
    clear(this.runSection);
    append(this.runSection, [
      h('h1', {}, 'No profile runs yet'),
      h('p', {}, 'Run "Pipeline Doctor: Profile Pipeline" on a training script, or `pipeline-doctor profile <script>` in a terminal; its runs appear here.'),
    ]);
  }

  /** Any run but the newest says so, with the way back to the newest. */
  private renderOlderBar(): void {
    clear(this.olderBar);
    const latest = this.runs[0];
    const run = this.run;
    this.olderBar.hidden = !latest || !run || latest.id === run.id;
    if (this.olderBar.hidden || !latest) return;
    append(this.olderBar, [
      h('span', {}, `Viewing an older run \u2014 the latest is ${latest.name}, ${fmtDate(latest.startedAt)}.`),
      button('Show latest', () => this.bridge.post({ type: 'openRun', runId: latest.id }), { testId: 'show-latest', title: 'Show the newest run' }),
    ]);
  }

  private renderHeader(): void {
    clear(this.header);
    const actions: Child[] = this.bridge.interactive
      ? [
        button('Export report', () => this.run && this.bridge.post({ type: 'exportReport', runId: this.run.id }), { secondary: true, testId: 'export', title: 'Write this run as one self-contained HTML file' }),
        button('Refresh', () => this.bridge.post({ type: 'refreshRuns' }), { secondary: true, testId: 'refresh', title: 'Reload the list of runs' }),
      ]
      : [];
    append(this.header, [h('span', { class: 'pd-brand' }, 'Pipeline Doctor'), h('span', { class: 'pd-actions' }, ...actions)]);
  }

  private renderHistory(): void {
    clear(this.historySection);
    append(this.historySection, [h('h2', { attrs: { id: 'pd-history-title' } }, `Runs (${this.runs.length})`)]);
    if (this.runs.length === 0) {
      append(this.historySection, [h('p', { class: 'muted' }, 'No runs in this workspace yet.')]);
      return;
    }
    const rows = this.runs.map((r) => {
      const isCurrent = r.id === this.run?.id;
      const box = h('vscode-checkbox', { attrs: { label: 'compare', 'aria-label': `Compare run of ${r.name} at ${fmtDate(r.startedAt)}`, ...(this.ticked.has(r.id) ? { checked: '' } : {}) } });
      box.addEventListener('change', () => {
        if (this.ticked.has(r.id)) this.ticked.delete(r.id);
        else this.ticked.add(r.id);
        this.renderHistory();
      });
      return h('tr', { attrs: isCurrent ? { 'aria-current': 'true' } : {}, class: isCurrent ? 'current' : '' },
        h('td', {}, fmtDate(r.startedAt)),
        h('td', { title: r.script }, r.name),
        h('td', {}, r.mode),
        h('td', { class: `verdict-${r.verdict}` }, `${VERDICT_LABEL[r.verdict]}${r.inputShare !== null ? ` (${fmtPct(r.inputShare)} wait)` : ''}`),
        h('td', { class: 'num' }, fmtRate(r.samplesPerSec)),
        h('td', { class: 'num' }, fmtMs(r.stepMsP50)),
        h('td', {}, isCurrent ? h('span', { class: 'muted' }, 'shown') : button('Open', () => this.bridge.post({ type: 'openRun', runId: r.id }), { secondary: true, title: 'Show this run' })),
        h('td', {}, box),
      );
    });
    const ticked = this.runs.filter((r) => this.ticked.has(r.id));
    const compare = button(`Compare selected (${ticked.length})`, () => {
      // Older run first: the comparison reads "before -> after".
      const [a, b] = [...ticked].sort((x, y) => x.startedAt.localeCompare(y.startedAt));
      if (!a || !b) return;
      this.view.compare = { baseId: a.id, otherId: b.id };
      this.saveView();
      this.bridge.post({ type: 'compareRuns', baseId: a.id, otherId: b.id });
    }, { disabled: ticked.length !== 2, testId: 'compare', title: 'Tick exactly two runs to compare them' });
    append(this.historySection, [
      h('table', { class: 'pd-table' },
        h('thead', {}, h('tr', {}, ...['Date', 'Script', 'Mode', 'Verdict', 'Samples/s', 'Step p50', '', 'Compare'].map((t) => h('th', { attrs: { scope: 'col' } }, t)))),
        h('tbody', {}, ...rows)),
      h('p', {}, compare),
    ]);
  }

  // -------------------------------------------------------------------------------------------------
  // Comparison
  // -------------------------------------------------------------------------------------------------

  private renderComparison(): void {
    clear(this.compareSection);
    const m = this.comparison;
    if (!m) return;
    const cmp = compareRuns(m.base, m.other);
    const label = (s: RunSummary): string => `${baseName(s.script)}, ${fmtDate(s.startedAt)}`;
    append(this.compareSection, [
      h('h2', { attrs: { id: 'pd-compare-title' } }, 'Before and after'),
      // The measured comparison (steps of both runs, with its interval) is the headline when the host sent one.
      m.measured ? comparePanel(m.measured) : h('p', { class: 'pd-speedup', attrs: { 'data-testid': 'comparison-speedup' } },
        h('strong', {}, cmp.speedup === null ? DASH : fmtSpeedup(cmp.speedup)), ' ', cmp.sentence),
      h('table', { class: 'pd-table' },
        h('thead', {}, h('tr', {}, h('th', { attrs: { scope: 'col' } }, ''), h('th', { attrs: { scope: 'col' } }, `Before: ${label(m.base)}`), h('th', { attrs: { scope: 'col' } }, `After: ${label(m.other)}`), h('th', { attrs: { scope: 'col' } }, 'Change'))),
        h('tbody', {}, ...cmp.rows.map((r) => h('tr', {},
          h('th', { attrs: { scope: 'row' } }, r.label), h('td', {}, r.base), h('td', {}, r.other),
          h('td', { class: r.better === null ? '' : r.better ? 'better' : 'worse' }, r.change))))),
      this.bridge.interactive ? button('Close comparison', () => {
        this.comparison = null;
        this.view.compare = null;
        this.saveView();
        this.renderComparison();
      }, { secondary: true }) : null,
    ]);
  }

  // -------------------------------------------------------------------------------------------------
  // One run
  // -------------------------------------------------------------------------------------------------

  showRun(run: DashboardRun): void {
    if (this.run?.id !== run.id && this.view.selectedRunId !== run.id) this.view.scrollY = 0;
    this.run = run;
    performance.mark('pd-run-received');
    const decoded = decodeTables(run.tables);
    performance.mark('pd-tables-decoded');
    this.tables = decoded.tables;
    this.view.selectedRunId = run.id;
    this.saveView();
    this.renderRun(decoded.problems);
    if (this.bridge.interactive) {
      this.renderHistory();
      this.renderOlderBar();
      this.restoreScroll(run.id);
    }
  }

  /** Back to where the user was on this run before the tab was hidden; once per page load. */
  private restoreScroll(runId: string): void {
    const pending = this.pendingScroll;
    this.pendingScroll = null;
    if (!pending || pending.runId !== runId) return;
    this.view.scrollY = pending.y;
    this.saveView();
    requestAnimationFrame(() => window.scrollTo(0, pending.y));
  }

  /** Theme switch: canvases are drawn in resolved colours, so they are rebuilt. */
  redrawCharts(): void {
    if (this.run) this.renderRun([]);
  }

  private destroyCharts(): void {
    for (const c of this.charts) c.destroy();
    this.charts = [];
  }

  private renderRun(problems: string[]): void {
    const run = this.run;
    if (!run) return;
    const s = run.summary;
    this.destroyCharts();
    clear(this.runSection);
    const started = performance.now();
    this.chartsPending = 0;
    this.chartsStarted = 0;
    delete document.body.dataset.chartsDrawn;

    const tone = verdictTone(s);
    const whose = whoseFigures(s);
    append(this.runSection, [
      h('p', { class: 'pd-meta', attrs: { 'data-testid': 'run-meta' } }, `${run.name} \u00b7 ${fmtDate(s.startedAt)} \u00b7 ${s.mode} mode \u00b7 ${s.steps} measured steps \u00b7 ended: ${s.ended.how}`),
      h('section', { class: `pd-verdict tone-${tone}`, attrs: { 'aria-labelledby': 'pd-verdict-title' } },
        h('h1', { attrs: { id: 'pd-verdict-title', 'data-testid': 'verdict' } }, verdictSentence(s)),
        whose !== null ? h('p', { class: 'pd-whose', attrs: { 'data-testid': 'verdict-whose' } }, whose) : null,
        ...verdictDetails(s).map((d) => h('p', {}, d))),
      h('section', { class: 'pd-numbers', attrs: { 'aria-label': 'Headline numbers' } },
        ...headlineNumbers(s).map((n) => h('div', { class: 'pd-number' }, h('div', { class: 'label' }, n.label), h('div', { class: 'value' }, n.value), h('div', { class: 'detail' }, n.detail)))),
    ]);
    const control = controlSentence(s);
    if (control) append(this.runSection, [h('p', { class: 'pd-control', attrs: { 'data-testid': 'control' } }, control)]);
    this.renderFindings(run);
    const ranks = ranksView(s);
    if (ranks) append(this.runSection, [ranksPanel(ranks)]);

    const chartsHost = h('section', { class: 'pd-charts', attrs: { 'aria-label': 'Timelines' } });
    this.runSection.append(chartsHost);
    const todo: (() => void)[] = [];
    const colors = chartColors();
    const done = (): void => {
      this.chartsPending--;
      if (this.chartsPending === 0) {
        performance.mark('pd-charts-drawn');
        document.body.dataset.chartsDrawn = String(this.chartsStarted);
        document.body.dataset.chartsMs = (performance.now() - started).toFixed(1);
        document.dispatchEvent(new CustomEvent('pd-charts-drawn', { detail: { count: this.chartsStarted } }));
      }
    };
    const chartBox = (title: string, caption: string): HTMLElement => {
      const target = h('div', { class: 'pd-chart', attrs: { role: 'img', 'aria-label': `${title}. ${caption}` } });
      append(chartsHost, [h('figure', {}, h('figcaption', {}, h('strong', {}, title), ' ', h('span', { class: 'muted' }, caption)), target)]);
      this.chartsPending++;
      this.chartsStarted++;
      return target;
    };
    const t = this.tables;
    const t0 = t ? runOrigin(t, s.startedAt) : 0;
    if (t?.steps && t.steps.numRows > 0) {
      const series = stepSeries(t.steps, trainingLoader(s)?.id ?? null);
      performance.mark('pd-step-series');
      if (series.length > 0) {
        const box = chartBox('Step timeline', `${fmtCount(series.length)} steps of the training loader: data wait (bottom) and compute (top) per step; shaded: warm-up and data-free control.`);
        todo.push(() => this.charts.push(stepTimelineChart(box, series, colors, done)));
      }
    }
    if (t?.gpu && t.gpu.numRows > 0) {
      const gpuIndex = firstValue(t.gpu, 'index');
      const g = timeSeries(t.gpu, ['utilizationPct', 'memoryUsedMiB', 'memoryTotalMiB'], t0, gpuIndex === null ? undefined : { column: 'index', value: gpuIndex });
      const used = g.values.memoryUsedMiB ?? new Float32Array(g.t.length);
      const total = g.values.memoryTotalMiB ?? new Float32Array(g.t.length);
      const memPct = used.map((u, i) => ((total[i] ?? 0) > 0 ? (u / (total[i] ?? 1)) * 100 : NaN));
      const box = chartBox('GPU', `utilization and memory used, % (GPU ${gpuIndex ?? 0}).`);
      const lines: ChartLine[] = [
        { label: 'utilization', values: withGaps(g.values.utilizationPct ?? new Float32Array(g.t.length)), color: colors.compute, unit: '%' },
        { label: 'memory', values: withGaps(memPct), color: colors.memory, unit: '%' },
      ];
      todo.push(() => this.charts.push(timeChart(box, g.t, lines, '%', colors, done, 100)));
    }
    if (t?.system && t.system.numRows > 0) {
      const sys = timeSeries(t.system, ['cpuPct', 'groupCpuPct', 'diskReadMBps', 'diskWriteMBps'], t0);
      const cpuLines: ChartLine[] = [{ label: 'all processes', values: withGaps(sys.values.cpuPct ?? new Float32Array(0)), color: colors.cpu, unit: '%' }];
      if (sys.values.groupCpuPct && hasSignal(sys.values.groupCpuPct)) cpuLines.push({ label: 'this run', values: withGaps(sys.values.groupCpuPct), color: colors.cpuRun, unit: '%' });
      const cpuBox = chartBox('CPU', `busy share of all ${s.cpu?.cores ?? ''} cores, %.`.replace('all  cores', 'all cores'));
      todo.push(() => this.charts.push(timeChart(cpuBox, sys.t, cpuLines, '%', colors, done, 100)));
      if (sys.values.diskReadMBps || sys.values.diskWriteMBps) {
        const diskBox = chartBox('Disk', 'read and write, MB/s.');
        const diskLines: ChartLine[] = [
          { label: 'read', values: withGaps(sys.values.diskReadMBps ?? new Float32Array(sys.t.length)), color: colors.diskRead, unit: ' MB/s' },
          { label: 'write', values: withGaps(sys.values.diskWriteMBps ?? new Float32Array(sys.t.length)), color: colors.diskWrite, unit: ' MB/s' },
        ];
        todo.push(() => this.charts.push(timeChart(diskBox, sys.t, diskLines, 'MB/s', colors, done)));
      }
    }
    if (s.sweep && s.sweep.length > 0) {
      const chart = sweepChart(s.sweep, s.sweepOutcome);
      if (chart.lines.length > 0) {
        const box = chartBox('DataLoader sweep', 'training steps/s per num_workers, measured in trial runs of the real step (median); one line per pin_memory \u00d7 prefetch_factor \u00d7 persistent_workers; recommended and current setting marked.');
        todo.push(() => this.charts.push(sweepPlot(box, chart, colors, done)));
      }
      append(chartsHost, [this.sweepTable(s)]);
    }
    if (this.chartsPending === 0) {
      append(chartsHost, [h('p', { class: 'muted' }, 'This run recorded no time series to chart.')]);
      document.body.dataset.chartsDrawn = '0';
    }
    this.renderLoaders(s);
    this.renderIoAndNotes(s, problems);
    // Charts are created once their containers are in the document, so they get real widths.
    performance.mark('pd-dom-built');
    for (const make of todo) {
      try {
        make();
      } catch (e) {
        this.say(`A chart could not be drawn: ${(e as Error).message}`, true);
        done();
      }
    }
  }

  private renderFindings(run: DashboardRun): void {
    const list = h('ol', { class: 'pd-findings', attrs: { 'data-testid': 'findings' } });
    const order = findingOrder(run.findings);
    for (const i of order) {
      const f = run.findings[i];
      if (f) list.append(this.findingItem(run, f, i));
    }
    const count = run.findings.length;
    append(this.runSection, [
      h('section', { attrs: { 'aria-labelledby': 'pd-findings-title' } },
        h('h2', { attrs: { id: 'pd-findings-title' } }, `Findings (${count})`),
        run.scriptEdited ? h('p', { class: 'muted', attrs: { 'data-testid': 'script-edited' } }, `${run.name} changed after this run: only what this run measured is listed; the script\u2019s current static findings are in the Problems panel.`) : null,
        count === 0 ? h('p', { class: 'muted' }, 'Nothing to report for this script.') : list),
    ]);
  }

  private findingItem(run: DashboardRun, f: Finding, index: number): HTMLElement {
    const speedup = findingSpeedup(f);
    const evidence = findingEvidence(f);
    const where = `${baseName(f.file)}:${f.range.start.line + 1}`;
    const fixIndex = f.fixes.findIndex((x) => x.safe) >= 0 ? f.fixes.findIndex((x) => x.safe) : f.fixes.length > 0 ? 0 : -1;
    const fix = fixIndex >= 0 ? f.fixes[fixIndex] : undefined;
    const actions: Child[] = this.bridge.interactive
      ? [
        button('Reveal', () => this.bridge.post({ type: 'revealFinding', runId: run.id, findingIndex: index }), { testId: 'reveal', title: `Open ${f.file} at line ${f.range.start.line + 1}` }),
        button('Apply fix', () => this.bridge.post({ type: 'applyFix', runId: run.id, findingIndex: index, fixIndex }), {
          secondary: true, disabled: !fix, testId: 'apply-fix',
          title: fix ? `${fix.title}${fix.safe ? '' : ' (review: may change behaviour)'}` : 'No automatic fix for this finding',
        }),
        button('Show docs', () => this.bridge.post({ type: 'showDocs', code: f.code }), { secondary: true, testId: 'show-docs', title: `Documentation of ${f.code}` }),
      ]
      : [];
    return h('li', { class: `pd-finding sev-${f.severity}`, attrs: { 'data-testid': 'finding', 'data-code': f.code } },
      h('div', { class: 'pd-finding-head' },
        h('span', { class: `sev sev-${f.severity}` }, f.severity),
        h('code', { class: 'pd-code' }, f.code),
        h('span', { class: 'muted' }, f.origin === 'runtime' ? 'measured' : 'static'),
        speedup !== null ? h('span', { class: 'pd-gain', title: 'Estimated from this run\u2019s measurements' }, `est. ${fmtSpeedup(speedup)} faster`) : null,
        h('span', { class: 'pd-where', title: f.file }, where)),
      h('p', { class: 'pd-message' }, f.message),
      evidence.length > 0 ? h('p', { class: 'pd-evidence' }, evidence.join(' \u00b7 ')) : null,
      fix && !this.bridge.interactive ? h('p', { class: 'muted' }, `Fix: ${fix.title}`) : null,
      actions.length > 0 ? h('div', { class: 'pd-finding-actions' }, ...actions) : null);
  }

  private sweepTable(s: RunSummary): HTMLElement {
    const ranked = [...(s.sweep ?? [])].sort((a, b) => (a.error === null ? 0 : 1) - (b.error === null ? 0 : 1) ||
      (a.meanStepMs ?? a.stepMs?.p50 ?? Infinity) - (b.meanStepMs ?? b.stepMs?.p50 ?? Infinity));
    const rec = s.sweepOutcome?.decision === 'faster' ? s.sweepOutcome.recommended : undefined;
    const isRec = (p: SummarySweep): boolean => rec !== undefined && !p.current && describeSweepSetting(p) === describeSweepSetting(rec);
    const spread = (x: Spread | null, unit: string): string => (x === null ? DASH : `${x.p50.toFixed(2)}${unit} (${x.p10.toFixed(2)}\u2013${x.p90.toFixed(2)})`);
    return h('div', {},
      s.sweepOutcome ? h('p', { attrs: { 'data-testid': 'sweep-outcome' } }, s.sweepOutcome.sentence) : null,
      h('table', { class: 'pd-table', attrs: { 'data-testid': 'sweep-table' } },
        h('thead', {}, h('tr', {}, ...['Setting', 'Step ms p50 (p10\u2013p90)', 'Speed-up (p10\u2013p90)', 'Runs', 'CPU (this run / others)', ''].map((t) => h('th', { attrs: { scope: 'col' } }, t)))),
        h('tbody', {}, ...ranked.map((p) => h('tr', { class: isRec(p) ? 'best' : '' },
          h('td', {}, describeSweepSetting(p)),
          h('td', { class: 'num' }, p.error === null ? spread(p.stepMs, '') : 'error'),
          h('td', { class: 'num' }, p.current ? DASH : spread(p.speedup, 'x')),
          h('td', { class: 'num' }, String(p.windows)),
          h('td', { class: 'num' }, `${p.processCpuPct !== null ? `${p.processCpuPct.toFixed(0)}%` : DASH} / ${p.otherCpuPct !== null ? `${p.otherCpuPct.toFixed(0)}%` : DASH}`),
          h('td', {}, [isRec(p) ? 'recommended' : '', p.current ? 'current' : '', p.error ?? ''].filter(Boolean).join(', ')))))));
  }

  private renderLoaders(s: RunSummary): void {
    if (s.loaders.length === 0) return;
    const run = this.run;
    const rows = s.loaders.map((l) => {
      const where = `${baseName(l.file)}:${l.line}`;
      const loc = this.bridge.interactive && run
        ? h('a', { class: 'pd-link', title: l.file, attrs: { role: 'link', tabindex: '0' } }, where)
        : h('span', { title: l.file }, where);
      if (this.bridge.interactive && run) {
        const go = (): void => this.bridge.post({ type: 'revealLoader', runId: run.id, loaderId: l.id });
        loc.addEventListener('click', go);
        loc.addEventListener('keydown', (e) => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            go();
          }
        });
      }
      const str = (v: unknown): string => (v === null || v === undefined ? DASH : String(v));
      return h('tr', { class: l.training ? 'current' : '' },
        h('td', {}, l.training ? 'training' : l.role), h('td', {}, loc), h('td', { class: 'num' }, str(l.num_workers)),
        h('td', { class: 'num' }, str(l.batch_size)), h('td', {}, str(l.pin_memory)), h('td', {}, str(l.persistent_workers)),
        h('td', { class: 'num' }, str(l.prefetch_factor)),
        h('td', { title: l.datasetType ?? '' }, `${l.datasetType ?? DASH}${l.datasetLength !== null ? ` (${fmtCount(l.datasetLength)})` : ''}`),
        h('td', { class: 'num' }, fmtCount(l.fetches)));
    });
    append(this.runSection, [
      h('section', { attrs: { 'aria-labelledby': 'pd-loaders-title' } },
        h('h2', { attrs: { id: 'pd-loaders-title' } }, 'DataLoaders'),
        h('table', { class: 'pd-table', attrs: { 'data-testid': 'loaders' } },
          h('thead', {}, h('tr', {}, ...['Role', 'Created at', 'num_workers', 'batch_size', 'pin_memory', 'persistent', 'prefetch', 'Dataset', 'Fetches'].map((t) => h('th', { attrs: { scope: 'col' } }, t)))),
          h('tbody', {}, ...rows))),
    ]);
  }

  private renderIoAndNotes(s: RunSummary, problems: string[]): void {
    const items: Child[] = [];
    if (s.ioProbe) {
      const io = s.ioProbe;
      items.push(h('p', {}, `Dataset ${io.root}: ${fmtCount(io.files)} files${io.truncated ? '+' : ''}, ${fmtBytes(io.totalBytes)}, median file ${fmtBytes(io.medianFileBytes)}; ` +
        `${io.sequentialMBps !== null ? `${io.sequentialMBps.toFixed(0)} MB/s sequential` : 'sequential read not measured'}, ` +
        `${io.smallFileReadsPerSec !== null ? `${fmtCount(io.smallFileReadsPerSec)} small-file reads/s` : 'small-file reads not measured'}.` +
        `${io.recommendSharding ? ' Many small files: bundle them into shards of 10\u2013100 MB+ (WebDataset .tar, Parquet, TFRecord).' : ''}`));
    }
    const notes = [...s.notes, ...problems];
    if (items.length === 0 && notes.length === 0) return;
    append(this.runSection, [
      h('section', { attrs: { 'aria-labelledby': 'pd-notes-title' } },
        h('h2', { attrs: { id: 'pd-notes-title' } }, 'Data and notes'), ...items,
        notes.length > 0 ? h('ul', {}, ...notes.map((n) => h('li', {}, n))) : null),
    ]);
  }
}
