// "Pipeline Doctor: Profile Pipeline": runs the user's training script under the bundled runner
// (src/runner) and shows the result where the user works — runtime diagnostics at the DataLoader's
// line, the verdict in the status bar, the dashboard on the new run. It executes user code, so it is
// refused in an untrusted workspace before anything is resolved or spawned.
//
// Run folders go to `<workspace folder>/.pipeline-doctor/runs/`, the CLI's default (`--out`), so runs
// from the terminal and from the editor share one history in the dashboard. Only a script outside every
// workspace folder falls back to the extension's storage (workspace storage, else global storage),
// which the dashboard is told to list as well.
import path from 'node:path';
import * as vscode from 'vscode';
import { MetricsServerError, PROFILE_DEFAULTS, profileScript } from '../runner';
import type { ProfileOptions } from '../runner';
import { PROFILE_MODES } from '../shared/profile';
import type { ProfileEvent, ProfileMode, RunSummary, Verdict } from '../shared/profile';
import { readProfileSettings } from './config';
import { writeRunName } from '../report/run-data';
import { DashboardPanel, RUNS_FOLDER } from './dashboard';
import type { Diagnostics } from './diagnostics';
import type { Log } from './log';
import { namedTarget, pickTarget, scriptTarget, TargetError } from './profile-target';
import type { ProfileTarget } from './profile-target';
import { pythonExtensionInterpreter } from './python-environment';
import { RuntimeDiagnostics } from './runtime-diagnostics';
import { verdictSentence } from '../shared/verdict-text';
import { VerdictStatus } from './verdict-status';

export const PROFILE_COMMAND = 'pipelineDoctor.profilePipeline';
/** Context key, true while a profile run is in progress: "Stop Profiling" is offered only then. */
const PROFILING_CONTEXT = 'pipelineDoctor.profiling';
export const PROFILE_OUTPUT_CHANNEL = 'Pipeline Doctor: Profile';
export const UNTRUSTED_MESSAGE = 'Profile Pipeline runs your training script, so it only runs in a trusted workspace. '
  + 'Trust this folder (Manage Workspace Trust), then run it again.';
const BUSY_MESSAGE = 'a profile run is already in progress; cancel it from its notification first.';
export const TORCHRUN_SWEEP_MESSAGE = 'Sweep is not available for torchrun jobs: its trial runs rerun one process\'s training step per '
  + 'loader setting. Profile the job in Quick or Full mode.';

/** The command's optional argument: a script skips the pickers (tests, keybindings, other extensions). */
export interface ProfileRequest {
  script?: string;
  mode?: ProfileMode;
  args?: string[];
  steps?: number;
  /** Interpreter for this run; wins over the setting. */
  python?: string;
  cwd?: string;
  /** Clicked in the editor title: the file is given, the mode is still the user's choice. */
  askMode?: boolean;
  /** A launch configuration or torchrun task by name, instead of the target picker (ignored with `script`). */
  target?: string;
}

export type ProfileOutcome =
  | { status: 'refused'; message: string }
  | { status: 'dismissed' }
  | { status: 'finished'; verdict: Verdict; runFolder: string; runtimeFindings: number; ended: RunSummary['ended']['how'] };

/** What the integration tests observe (src/editor/api.ts). */
export interface ProfileProbe {
  /** Harness processes spawned this session. */
  spawned: number;
  running: boolean;
  lastOutcome: ProfileOutcome | null;
  /** The last message shown to the user by the command. */
  lastMessage: string | null;
  /** The status bar item's text, null before the first run. */
  statusText: string | null;
}

function isStringArray(x: unknown): x is string[] {
  return Array.isArray(x) && x.every((s) => typeof s === 'string');
}

/** Validates the command argument: it may come from anywhere (keybindings, other extensions). */
export function parseProfileRequest(raw: unknown): ProfileRequest | string {
  if (raw === undefined || raw === null) return {};
  // The editor title menu passes the file's URI.
  if (raw instanceof vscode.Uri) return raw.scheme === 'file' ? { script: raw.fsPath, askMode: true } : 'only files on disk can be profiled';
  if (typeof raw !== 'object' || Array.isArray(raw)) return 'the argument must be an object { script, mode, args, steps }';
  const o = raw as Record<string, unknown>;
  const out: ProfileRequest = {};
  if (o.script !== undefined) {
    if (typeof o.script !== 'string' || o.script === '') return 'script must be a path';
    out.script = o.script;
  }
  if (o.mode !== undefined) {
    if (typeof o.mode !== 'string' || !(PROFILE_MODES as readonly string[]).includes(o.mode)) return `mode must be one of ${PROFILE_MODES.join(', ')}`;
    out.mode = o.mode as ProfileMode;
  }
  if (o.args !== undefined) {
    if (!isStringArray(o.args)) return 'args must be an array of strings';
    out.args = o.args;
  }
  if (o.steps !== undefined) {
    if (typeof o.steps !== 'number' || !Number.isInteger(o.steps) || o.steps < 1) return 'steps must be a whole number >= 1';
    out.steps = o.steps;
  }
  if (o.target !== undefined) {
    if (typeof o.target !== 'string' || o.target === '') return 'target must be the name of a launch configuration or task';
    out.target = o.target;
  }
  for (const key of ['python', 'cwd'] as const) {
    const v = o[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v === '') return `${key} must be a path`;
    out[key] = v;
  }
  return out;
}

/** The setting's interpreter: `${workspaceFolder}` expanded, a relative path taken from the folder; a bare name stays a PATH lookup. */
function settingInterpreter(value: string, folder: vscode.WorkspaceFolder | undefined): string | undefined {
  if (value === '') return undefined;
  const root = folder?.uri.fsPath ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const expanded = root ? value.replace(/\$\{workspaceFolder\}/g, root) : value;
  return root && expanded.includes('/') && !path.isAbsolute(expanded) ? path.resolve(root, expanded) : expanded;
}

interface ModePick extends vscode.QuickPickItem {
  mode: ProfileMode;
}

/** A torchrun job is not offered the sweep (TORCHRUN_SWEEP_MESSAGE). */
async function pickMode(steps: number, torchrun: boolean): Promise<ProfileMode | undefined> {
  const picks: ModePick[] = [
    { mode: 'quick', label: 'Quick', description: `${PROFILE_DEFAULTS.warmup} warm-up + ${steps} measured steps${torchrun ? ' per rank' : ''}, then stop`, detail: 'Is training waiting for its data? A verdict in seconds.' },
    ...(torchrun ? [] : [{ mode: 'sweep' as const, label: 'Sweep', description: 'quick, then tune the DataLoader', detail: 'Re-runs the training step with each num_workers, pin_memory, prefetch_factor and persistent_workers setting and measures its step time, within the sweep budget.' }]),
    { mode: 'full', label: 'Full', description: 'run to completion', detail: 'Measures the whole training run (Cancel stops it).' },
  ];
  const chosen = await vscode.window.showQuickPick(picks, { title: 'Pipeline Doctor: profile mode' });
  return chosen?.mode;
}

/** Live progress text from the runner's events: the measured-step count of the training loader. */
class ProgressText {
  private trainingLoader: number | null = null;
  private warmup = 0;
  private measured = 0;
  private sweepTrials = 0;
  private control = false;
  private torch: string | null = null;
  /** A torchrun job's ranks all report: the count follows the first rank heard from (they run the same steps). */
  private rank: number | null = null;

  constructor(private readonly steps: number, private readonly mode: ProfileMode) {}

  /** Returns the new message and the increment (percent of the measured window), or null when unchanged. */
  apply(e: ProfileEvent, rank?: number): { message: string; increment: number } | null {
    if (rank !== undefined && rank !== (this.rank ??= rank)) return null;
    switch (e.type) {
      case 'hello':
        this.torch = e.torch;
        return { message: this.torch ? `running (torch ${this.torch}), waiting for the first step…` : 'running, waiting for the first step…', increment: 0 };
      case 'training-loader':
        this.trainingLoader = e.loader;
        return null;
      case 'steps': {
        if (this.trainingLoader !== null && e.loader !== this.trainingLoader) return null;
        if (e.phase === 'warmup') this.warmup += e.t.length;
        else if (e.phase === 'measured') {
          const before = this.measured;
          this.measured += e.t.length;
          const capped = (n: number): number => Math.min(n, this.steps);
          const increment = this.mode === 'full' ? 0 : ((capped(this.measured) - capped(before)) / this.steps) * 100;
          return { message: this.text(), increment };
        } else if (e.phase === 'control') this.control = true;
        else return null;
        return { message: this.text(), increment: 0 };
      }
      case 'control':
        this.control = true;
        return { message: this.text(), increment: 0 };
      default:
        return null;
    }
  }

  /** After each sweep trial run. */
  trial(done: number): { message: string; increment: number } {
    this.sweepTrials = done;
    return { message: this.text(), increment: 0 };
  }

  text(): string {
    if (this.sweepTrials > 0) return `${this.measured} steps measured; sweep: ${this.sweepTrials} trial runs done`;
    if (this.control) return `${this.measured} steps measured; data-free control…`;
    if (this.measured > 0) return this.mode === 'full' ? `${this.measured} steps measured` : `${this.measured} of ${this.steps} steps measured`;
    return `warming up: ${this.warmup} steps`;
  }
}

function describeVerdict(s: RunSummary): string {
  return verdictSentence({ ...s, error: s.error ?? s.ended.how });
}

export interface ProfilerDeps {
  log: Log;
  diagnostics: Diagnostics;
  /** Where runs go when the script is outside every workspace folder (the dashboard lists it too). */
  storageRunsBase: string;
}

export class Profiler implements vscode.Disposable {
  readonly output = vscode.window.createOutputChannel(PROFILE_OUTPUT_CHANNEL);
  private readonly diagnostics: RuntimeDiagnostics;
  private readonly status = new VerdictStatus();
  private readonly state: Omit<ProfileProbe, 'statusText'> = { spawned: 0, running: false, lastOutcome: null, lastMessage: null };
  /** Stops the run in progress as the notification's Cancel does; null when none runs. */
  private stopRun: AbortController | null = null;

  constructor(private readonly deps: ProfilerDeps) {
    this.diagnostics = new RuntimeDiagnostics(deps.diagnostics);
  }

  get probe(): ProfileProbe {
    return { ...this.state, statusText: this.status.text };
  }

  private tell(level: 'info' | 'warning' | 'error', message: string, ...actions: string[]): Thenable<string | undefined> {
    this.state.lastMessage = message;
    // A failed run or a bad argument is the user's script or input, not a fault of the extension: the log
    // keeps `error` for the extension's own failures (which the robustness tests count).
    if (level === 'info') this.deps.log.info(`profile: ${message}`);
    else this.deps.log.warn(`profile: ${message}`);
    const show = level === 'error' ? vscode.window.showErrorMessage : level === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    return show(`Pipeline Doctor: ${message}`, ...actions);
  }

  private done(outcome: ProfileOutcome): ProfileOutcome {
    this.state.lastOutcome = outcome;
    return outcome;
  }

  /** "Stop Profiling": the same as Cancel on the progress notification. False when no run is in progress. */
  stop(): boolean {
    if (this.stopRun === null || this.stopRun.signal.aborted) return false;
    this.stopRun.abort();
    return true;
  }

  /** The command. Never throws for expected situations: they become an outcome and one message. */
  async run(raw: unknown): Promise<ProfileOutcome> {
    // First, before reading any setting or launch.json: nothing of an untrusted workspace may run.
    if (!vscode.workspace.isTrusted) {
      void this.tell('warning', UNTRUSTED_MESSAGE, 'Manage Workspace Trust').then((choice) => {
        if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
      });
      return this.done({ status: 'refused', message: UNTRUSTED_MESSAGE });
    }
    if (this.state.running) {
      void this.tell('info', BUSY_MESSAGE);
      return this.done({ status: 'refused', message: BUSY_MESSAGE });
    }
    const request = parseProfileRequest(raw);
    if (typeof request === 'string') {
      void this.tell('error', `Profile Pipeline: ${request}`);
      return this.done({ status: 'refused', message: request });
    }
    this.state.running = true;
    try {
      return await this.runRequest(request);
    } finally {
      this.state.running = false;
      // A run that never reached a summary (dismissed, refused, thrown) leaves the status bar as it was.
      this.status.settle();
    }
  }

  private async runRequest(request: ProfileRequest): Promise<ProfileOutcome> {
    let target: ProfileTarget | undefined;
    try {
      if (request.script) target = scriptTarget(request.script, request.args ?? [], request.cwd);
      else if (request.target) {
        target = namedTarget(request.target);
        if (!target) throw new TargetError(`no launch configuration or torchrun task named "${request.target}"`);
      } else target = await pickTarget();
    } catch (e) {
      if (!(e instanceof TargetError)) throw e;
      void this.tell('warning', e.message);
      return this.done({ status: 'refused', message: e.message });
    }
    if (!target) return this.done({ status: 'dismissed' });

    const settings = readProfileSettings(target.folder?.uri ?? (target.module ? undefined : vscode.Uri.file(target.script)));
    for (const p of settings.problems) this.deps.log.warn(p);
    const steps = request.steps ?? settings.steps;
    // A script or target given in the argument means "no questions asked": quick unless told otherwise.
    const mode = request.mode ?? ((request.script || request.target) && !request.askMode ? 'quick' : await pickMode(steps, target.distributed !== undefined));
    if (!mode) return this.done({ status: 'dismissed' });
    if (target.distributed && mode === 'sweep') {
      void this.tell('warning', TORCHRUN_SWEEP_MESSAGE);
      return this.done({ status: 'refused', message: TORCHRUN_SWEEP_MESSAGE });
    }

    const explicit = request.python ?? target.python ?? settingInterpreter(settings.pythonPath, target.folder);
    const candidate = explicit ? undefined : await pythonExtensionInterpreter(target.folder?.uri, this.deps.log);
    const options: ProfileOptions = {
      script: target.script, module: target.module, args: target.args, cwd: target.cwd, env: target.env, mode, steps,
      outDir: this.runsBase(target),
      ...(explicit ? { python: explicit } : {}),
      ...(candidate ? { pythonCandidates: [candidate] } : {}),
      ...(settings.timeoutSeconds > 0 ? { timeoutMs: settings.timeoutSeconds * 1000 } : {}),
      sweepBudgetSeconds: settings.sweepBudgetSeconds,
      ...(settings.metricsPort > 0 ? { metricsPort: settings.metricsPort } : {}),
      ...(settings.dataProbe ? {} : { dataProbe: false }),
      ...(target.distributed ? { distributed: target.distributed } : {}),
    };
    let summary: RunSummary;
    try {
      summary = await this.withProgress(target, options);
    } catch (e) {
      // A busy metrics port: refused before the script started.
      if (!(e instanceof MetricsServerError)) throw e;
      void this.tell('error', e.message);
      return this.done({ status: 'refused', message: e.message });
    }
    if (target.launchConfiguration) {
      try {
        writeRunName(summary.folder, target.launchConfiguration);
      } catch (e) {
        this.deps.log.warn(`profile: could not name the run after its launch configuration: ${(e as Error).message}`);
      }
    }
    return this.report(summary);
  }

  /** `<folder>/.pipeline-doctor/runs` (shared with the CLI), or the extension's storage outside any folder. */
  private runsBase(target: ProfileTarget): string {
    const folder = target.folder ?? (target.module ? undefined : vscode.workspace.getWorkspaceFolder(vscode.Uri.file(target.script)));
    // The runner writes `.pipeline-doctor/.gitignore` when it creates the folder (src/runner/run-folder.ts).
    if (folder && folder.uri.scheme === 'file') return path.join(folder.uri.fsPath, RUNS_FOLDER);
    return this.deps.storageRunsBase;
  }

  private withProgress(target: ProfileTarget, options: ProfileOptions): Thenable<RunSummary> {
    const what = target.module ? `-m ${target.script}` : vscode.workspace.asRelativePath(target.script);
    const d = target.distributed;
    const torchrun = d ? `torchrun ${d.nprocPerNode} rank(s) per node${d.rdzvEndpoint ? `, node ${d.nodeRank ?? 0} of ${d.nnodes ?? 1} via ${d.rdzvEndpoint}` : ''}: ` : '';
    this.output.appendLine(`\n=== ${new Date().toISOString()} profile ${torchrun}${what} ${target.args.join(' ')}`.trimEnd());
    this.output.appendLine(`    mode ${options.mode}, ${options.steps} steps, cwd ${target.cwd}, interpreter ${options.python ?? options.pythonCandidates?.[0] ?? 'python3'}, runs in ${options.outDir}`);
    for (const n of target.notes ?? []) {
      this.output.appendLine(`    note: ${n}`);
      this.deps.log.info(`profile: ${n}`);
    }
    this.deps.log.info(`profile: ${what} (${options.mode}) starting`);
    this.status.running(what);
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Pipeline Doctor: profiling ${target.label}`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        this.stopRun = abort;
        void vscode.commands.executeCommand('setContext', PROFILING_CONTEXT, true);
        const cancel = token.onCancellationRequested(() => abort.abort());
        const text = new ProgressText(options.steps ?? PROFILE_DEFAULTS.steps, options.mode ?? 'quick');
        progress.report({ message: 'starting…' });
        try {
          return await profileScript(options, {
            signal: abort.signal,
            onSpawn: () => {
              this.state.spawned++;
            },
            onOutput: (_stream, chunk) => this.output.append(chunk),
            onSweepTrial: (_setting, done) => progress.report(text.trial(done)),
            onMetricsServing: (url) => this.output.appendLine(`    live metrics: ${url}`),
            onEvent: (e, rank) => {
              const update = text.apply(e, rank);
              if (update) progress.report(update);
              if (e.type === 'notice') this.output.appendLine(`[pipeline-doctor] ${e.level}: ${e.message}`);
            },
          });
        } finally {
          cancel.dispose();
          this.stopRun = null;
          void vscode.commands.executeCommand('setContext', PROFILING_CONTEXT, false);
        }
      },
    );
  }

  private report(s: RunSummary): ProfileOutcome {
    this.output.appendLine(`=== ${describeVerdict(s)} (ended: ${s.ended.how}; ${s.steps} measured steps; interpreter ${s.python.path})`);
    for (const f of s.findings) this.output.appendLine(`    ${f.file}:${f.range.start.line + 1}: ${f.severity} ${f.code} ${f.message}`);
    this.output.appendLine(`    run folder: ${s.folder}`);
    this.diagnostics.show(s.findings);
    this.status.show(s);
    const outcome = this.done({ status: 'finished', verdict: s.verdict, runFolder: s.folder, runtimeFindings: s.findings.length, ended: s.ended.how });
    if (s.ended.how === 'cancelled' && s.verdict === 'failed') {
      // Stopped by the user before a step was measured: nothing failed and there is nothing to show.
      this.state.lastMessage = describeVerdict(s);
      this.deps.log.info(`profile: ${describeVerdict(s)}; run folder ${s.folder}`);
      return outcome;
    }
    if (s.verdict === 'failed') {
      void this.tell('error', describeVerdict(s), 'Show Output', 'Open Dashboard').then((choice) => {
        if (choice === 'Show Output') this.output.show(true);
        else if (choice === 'Open Dashboard') DashboardPanel.showFinished(this.deps, s);
      });
      return outcome;
    }
    this.state.lastMessage = describeVerdict(s);
    this.deps.log.info(`profile: ${describeVerdict(s)} (${s.findings.length} runtime findings, ${s.folder})`);
    DashboardPanel.showFinished(this.deps, s);
    return outcome;
  }

  dispose(): void {
    this.output.dispose();
    this.diagnostics.dispose();
    this.status.dispose();
  }
}
