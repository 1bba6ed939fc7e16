// The last profile verdict in the status bar; a click opens the dashboard on that run.
import * as vscode from 'vscode';
import type { RunSummary } from '../shared/profile';
import { verdictSentence } from '../shared/verdict-text';
import { SHOW_DASHBOARD_COMMAND } from './dashboard';

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

export class VerdictStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('pipelineDoctor.verdict', vscode.StatusBarAlignment.Left, 0);
  /** What the status bar shows now (for the test API), null before the first run. */
  text: string | null = null;

  constructor() {
    this.item.name = 'Pipeline Doctor verdict';
  }

  show(s: RunSummary): void {
    this.text = verdictStatusText(s);
    this.item.text = this.text;
    const why = s.verdict === 'failed' && s.ended.how !== 'cancelled' ? `Profile of ${s.script} failed: ${s.error ?? s.ended.how}`
      : s.verdict === 'failed' ? `${s.script}: ${verdictSentence(s)}`
      : `${s.script}: ${verdictSentence(s)} (median over ${s.steps} steps)`;
    this.item.tooltip = `Pipeline Doctor — ${why}. Click to open the dashboard.`;
    this.item.command = { command: SHOW_DASHBOARD_COMMAND, title: 'Show Dashboard', arguments: [s.folder] };
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
