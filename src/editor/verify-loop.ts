// "Re-profile and compare": the verify loop in the editor (docs/profiling.md, "Comparing two runs").
// After a fix (a quick fix in the editor, Apply fix in the dashboard) it is offered as a notification;
// chosen, or run from the palette, it reruns the configuration of the run the finding came from (or the
// newest run of the script) through Profile Pipeline, and shows before/after in the dashboard.
import * as vscode from 'vscode';
import { readRunName, readSummary } from '../report/run-data';
import { readMeasuredRun } from '../runner/measured-run';
import { rerunConfiguration } from '../runner/rerun';
import type { RunSummary } from '../shared/profile';
import type { RunComparison } from '../shared/run-comparison';
import { compareMeasuredRuns } from '../shared/run-comparison';
import { runFolders, showDashboard } from './dashboard';
import type { Diagnostics } from './diagnostics';
import type { Log } from './log';
import type { Profiler } from './profile';

export const REPROFILE_COMMAND = 'pipelineDoctor.reprofileAndCompare';
export const REPROFILE_ACTION = 'Re-profile and compare';

/**
 * The command's optional argument. `runFolder`: the run to compare with; else the newest run of `script`
 * (else of the active editor's file). `offer`: ask first (a notification with the button), as after a fix;
 * `applied` names the fix in that notification.
 */
export interface ReprofileRequest {
  runFolder?: string;
  script?: string;
  offer?: boolean;
  applied?: string;
}

/** What the integration tests observe. */
export interface VerifyProbe {
  offers: number;
  lastOffer: string | null;
  lastComparison: RunComparison | null;
  lastMessage: string | null;
}

export function parseReprofileRequest(raw: unknown): ReprofileRequest | string {
  if (raw === undefined || raw === null) return {};
  if (raw instanceof vscode.Uri) return raw.scheme === 'file' ? { script: raw.fsPath } : 'only files on disk can be profiled';
  if (typeof raw !== 'object' || Array.isArray(raw)) return 'the argument must be an object { runFolder, script, offer, applied }';
  const o = raw as Record<string, unknown>;
  const out: ReprofileRequest = {};
  for (const key of ['runFolder', 'script', 'applied'] as const) {
    const v = o[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v === '') return `${key} must be a non-empty string`;
    out[key] = v;
  }
  if (o.offer !== undefined) {
    if (typeof o.offer !== 'boolean') return 'offer must be true or false';
    out.offer = o.offer;
  }
  return out;
}

/** The newest run of `script` among the workspace's runs (what the dashboard lists), or null. */
export function newestRunOf(script: string, storageRunsBase: string): { folder: string; summary: RunSummary } | null {
  let best: { folder: string; summary: RunSummary } | null = null;
  for (const folder of runFolders(storageRunsBase).values()) {
    let summary: RunSummary;
    try {
      summary = readSummary(folder);
    } catch {
      continue;
    }
    if (summary.script !== script || summary.verdict === 'failed') continue;
    if (best === null || summary.startedAt > best.summary.startedAt) best = { folder, summary };
  }
  return best;
}

export interface VerifyLoopDeps {
  profiler: Profiler;
  diagnostics: Diagnostics;
  log: Log;
  /** The extension's own runs folder (scripts outside every workspace folder). */
  storageRunsBase: string;
}

export class VerifyLoop {
  private readonly state: VerifyProbe = { offers: 0, lastOffer: null, lastComparison: null, lastMessage: null };

  constructor(private readonly deps: VerifyLoopDeps) {}

  get probe(): VerifyProbe {
    return { ...this.state };
  }

  private tell(message: string): void {
    this.state.lastMessage = message;
    this.deps.log.info(`verify: ${message}`);
    void vscode.window.showInformationMessage(`Pipeline Doctor: ${message}`);
  }

  /** The command. Returns the comparison it showed, or undefined (offered, dismissed, nothing to compare with). */
  async run(raw: unknown): Promise<RunComparison | undefined> {
    const request = parseReprofileRequest(raw);
    if (typeof request === 'string') {
      this.tell(`Re-profile and compare: ${request}`);
      return undefined;
    }
    // Profiling runs the user's code: in an untrusted workspace a fix brings no offer (the command itself is refused by Profile Pipeline).
    if (request.offer && !vscode.workspace.isTrusted) return undefined;
    const script = request.script ?? (request.runFolder ? undefined : activeFile());
    const base = request.runFolder ? { folder: request.runFolder, summary: readSummary(request.runFolder) } : script ? newestRunOf(script, this.deps.storageRunsBase) : null;
    if (base === null) {
      // After a quick fix in a file that was never profiled there is nothing to compare with: no offer.
      if (!request.offer) this.tell(`no earlier profile run of ${script ? vscode.workspace.asRelativePath(script) : 'the active file'} to compare with: run Profile Pipeline first.`);
      return undefined;
    }
    if (request.offer) {
      this.offer(base.folder, base.summary, request.applied);
      return undefined;
    }
    return this.reprofile(base.folder);
  }

  private offer(folder: string, summary: RunSummary, applied: string | undefined): void {
    const when = new Date(summary.startedAt).toLocaleTimeString();
    const message = `${applied ? `Applied "${applied}". ` : ''}Measure the change? ${REPROFILE_ACTION} reruns ${vscode.workspace.asRelativePath(summary.script)} as the run of ${when} did.`;
    this.state.offers++;
    this.state.lastOffer = message;
    void vscode.window.showInformationMessage(`Pipeline Doctor: ${message}`, REPROFILE_ACTION).then((choice) => {
      if (choice === REPROFILE_ACTION) void this.reprofile(folder).catch((e: unknown) => this.deps.log.error('verify: re-profile failed', e));
    });
  }

  /** Reruns the run in `beforeFolder` with its configuration and shows the comparison in the dashboard. */
  private async reprofile(beforeFolder: string): Promise<RunComparison | undefined> {
    const before = readMeasuredRun(beforeFolder);
    const { options, notes } = rerunConfiguration(before.summary);
    for (const n of notes) this.deps.log.info(`verify: ${n}`);
    // The fix is in the editor and may not be saved yet: the run reads the file from disk. Saved first, as
    // VS Code saves before it starts a debug session (`debug.saveBeforeStart`).
    const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === options.script && d.isDirty);
    if (open) {
      if (!(await open.save())) {
        this.tell(`${vscode.workspace.asRelativePath(options.script)} has unsaved changes that could not be saved: nothing was profiled.`);
        return undefined;
      }
      this.deps.log.info(`verify: saved ${options.script} before re-profiling it`);
    }
    // A run named after a launch configuration or task reruns from it: the summary keeps neither the
    // configuration's environment nor a torchrun job's options. Anything else reruns as its summary says, except
    // a torchrun job or a `python -m` run, which would not start as one process from a path.
    const named = readRunName(beforeFolder);
    const unnamedKind = before.summary.ranks !== undefined ? 'a torchrun job' : before.summary.module === true ? 'a `python -m` run' : null;
    if (named === null && unnamedKind !== null) {
      this.tell(`Re-profile and compare reruns ${unnamedKind} from its launch configuration or task, and this run came from neither: `
        + 'profile it again and compare the two runs in the dashboard.');
      return undefined;
    }
    const outcome = await this.deps.profiler.run({
      ...(named !== null ? { target: named } : { script: options.script, args: options.args, cwd: options.cwd }),
      python: options.python, mode: options.mode,
      ...(options.steps !== undefined ? { steps: options.steps } : {}),
    });
    if (outcome.status !== 'finished') return undefined;
    if (outcome.verdict === 'failed') {
      this.state.lastMessage = 'the new run failed: nothing to compare';
      return undefined;
    }
    const comparison = compareMeasuredRuns(before, readMeasuredRun(outcome.runFolder));
    this.state.lastComparison = comparison;
    this.deps.log.info(`verify: ${comparison.sentence}${comparison.loadWarning ? ` ${comparison.loadWarning}` : ''}`);
    showDashboard(this.deps, outcome.runFolder).showComparison(beforeFolder, outcome.runFolder);
    this.state.lastMessage = comparison.sentence;
    return comparison;
  }
}

function activeFile(): string | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  return doc?.uri.scheme === 'file' ? doc.uri.fsPath : undefined;
}

/** Whether a fix of `code` may change what a profile run measures (input pipeline, training step, hardware use). */
export function fixMayChangeSpeed(code: string): boolean {
  return /^(LOAD|HW|LOOP|PREP|RUN)\d{3}$/.test(code);
}

