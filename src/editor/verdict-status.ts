// The last profile verdict in the status bar; a click opens the dashboard on that run. During a run it
// says "Profiling…", and once the profiled script is edited the old verdict gives way to "outdated".
import * as vscode from 'vscode';
import type { RunSummary } from '../shared/profile';
import { verdictSentence } from '../shared/verdict-text';
import { readRunName } from '../report/run-data';
import { runName, SHOW_DASHBOARD_COMMAND } from './dashboard';

function pct(x: number | null): string {
  return x === null ? '?' : `${Math.round(x * 100)}%`;
}

/** Short enough for the status bar; the tooltip has the sentence. */
export function verdictStatusText(s: RunSummary): string {
  // Stopped by the user: not a failure; with measured steps, their verdict, marked as stopped.
  const stopped = s.ended.how === 'cancelled';
  if (stopped && s.verdict === 'failed') return '$(debug-stop) Profile stopped';
  const verdict = verdictOnlyText(s);
  return stopped ? `${verdict} (stopped)` : verdict;
}

function verdictOnlyText(s: RunSummary): string {
  switch (s.verdict) {
    case 'highly-input-bound':
      return `$(warning) Input-bound ${pct(s.inputShare)}`;
    case 'moderately-input-bound':
      return `$(info) Input-bound ${pct(s.inputShare)}`;
    case 'not-input-bound':
      return `$(check) Not input-bound ${pct(s.inputShare)}`;
    case 'failed':
      return '$(error) Profile failed';
  }
}

export const PROFILING_STATUS_TEXT = '$(sync~spin) Profiling\u2026';
export const STALE_STATUS_TEXT = '$(history) Profile outdated';

export class VerdictStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('pipelineDoctor.verdict', vscode.StatusBarAlignment.Left, 0);
  private readonly watch: vscode.Disposable;
  /** What the status bar shows now (for the test API), null before the first run. */
  text: string | null = null;
  /** The last run's summary; its verdict is shown until the run's script is edited. */
  private last: RunSummary | null = null;
  private state: 'idle' | 'running' | 'verdict' | 'stale' = 'idle';

  constructor() {
    this.item.name = 'Pipeline Doctor verdict';
    // An edit of the profiled script makes the verdict describe code that no longer exists.
    this.watch = vscode.workspace.onDidChangeTextDocument((e) => {
      if (this.state === 'verdict' && e.contentChanges.length > 0 && this.last && e.document.uri.scheme === 'file' && e.document.uri.fsPath === this.last.script) this.stale();
    });
  }

  /** A run has started: the previous verdict no longer stands for "the last run". */
  running(what: string): void {
    this.state = 'running';
    this.set(PROFILING_STATUS_TEXT, `Pipeline Doctor — profiling ${what}.`, undefined);
  }

  /** The run ended without a summary: back to what was shown before it. */
  settle(): void {
    if (this.state !== 'running') return;
    if (this.last) this.show(this.last);
    else {
      this.state = 'idle';
      this.text = null;
      this.item.hide();
    }
  }

  show(s: RunSummary): void {
    this.last = s;
    this.state = 'verdict';
    const name = readRunName(s.folder) ?? runName(s.script);
    const why = s.verdict === 'failed' && s.ended.how !== 'cancelled' ? `Profile of ${name} failed: ${s.error ?? s.ended.how}`
      : s.verdict === 'failed' ? `${name}: ${verdictSentence(s)}`
      : `${name}: ${verdictSentence(s)} (median over ${s.steps} steps)`;
    // Named, so runs of two `main.py` (or two launch configurations) tell apart at a glance.
    this.set(`${verdictStatusText(s)} \u00b7 ${name}`, `Pipeline Doctor — ${why}. Click to open the dashboard.`, s.folder);
  }

  private stale(): void {
    const s = this.last;
    if (!s) return;
    this.state = 'stale';
    this.set(STALE_STATUS_TEXT, `Pipeline Doctor — ${runName(s.script)} changed since its last profile run; profile it again for a current verdict. Click to open the dashboard on that run.`, s.folder);
  }

  private set(text: string, tooltip: string, runFolder: string | undefined): void {
    this.text = text;
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.command = runFolder ? { command: SHOW_DASHBOARD_COMMAND, title: 'Show Dashboard', arguments: [runFolder] } : undefined;
    this.item.show();
  }

  dispose(): void {
    this.watch.dispose();
    this.item.dispose();
  }
}
