// The one typed reader of `pipelineDoctor.*` settings. It turns them into the plain AnalyzeOptions the
// core takes (the core never reads settings) plus the editor-only switches. Every key read here is
// declared in package.json `contributes.configuration` and vice versa (test/meta/contributions.test.ts).
import * as vscode from 'vscode';
import { DEFAULT_MAX_FILE_BYTES, type AnalyzeOptions } from '../analyzers';
import type { SeveritySetting } from '../shared/findings';

export const CONFIG_SECTION = 'pipelineDoctor';
const SEVERITY_SETTINGS: readonly SeveritySetting[] = ['off', 'hint', 'info', 'warning', 'error'];
/** Same default as the CLI; package.json declares the same number (checked by test/meta/contributions.test.ts). */
export const DEFAULT_MAX_FILE_SIZE_MB = DEFAULT_MAX_FILE_BYTES / (1024 * 1024);

export interface EditorSettings {
  enabled: boolean;
  /** Globs relative to the workspace folder; matching files get no diagnostics and are not scanned. */
  exclude: readonly string[];
  /** Options for `analyze()`, without the per-document `previousTree`. */
  analyze: Omit<AnalyzeOptions, 'previousTree'>;
  /** Human-readable problems with the settings (unknown severities…), for the log. */
  problems: string[];
}

export function isSeveritySetting(value: unknown): value is SeveritySetting {
  return typeof value === 'string' && (SEVERITY_SETTINGS as readonly string[]).includes(value);
}

/** Settings as they apply to `scope` (a document or folder URI), honouring folder-level overrides. */
export function readSettings(scope?: vscode.Uri): EditorSettings {
  const config = vscode.workspace.getConfiguration(CONFIG_SECTION, scope);
  const setting = <T>(key: string, fallback: T): T => config.get<T>(key, fallback);
  const problems: string[] = [];

  const enabled = setting<boolean>('enable', true) !== false;

  const severities: Record<string, SeveritySetting> = {};
  const rules = setting<Record<string, unknown>>('rules', {});
  if (rules && typeof rules === 'object') {
    for (const [code, value] of Object.entries(rules)) {
      if (isSeveritySetting(value)) severities[code.toUpperCase()] = value;
      else problems.push(`pipelineDoctor.rules.${code}: '${String(value)}' is not one of ${SEVERITY_SETTINGS.join(', ')}; using the rule's default`);
    }
  }

  const rawExclude = setting<unknown>('exclude', []);
  const exclude = Array.isArray(rawExclude) ? rawExclude.filter((g): g is string => typeof g === 'string' && g.trim() !== '') : [];

  let maxFileSizeMB = setting<number>('maxFileSizeMB', DEFAULT_MAX_FILE_SIZE_MB);
  if (typeof maxFileSizeMB !== 'number' || !(maxFileSizeMB > 0)) {
    problems.push(`pipelineDoctor.maxFileSizeMB must be a positive number; using ${DEFAULT_MAX_FILE_SIZE_MB}`);
    maxFileSizeMB = DEFAULT_MAX_FILE_SIZE_MB;
  }

  const folder = scope ? vscode.workspace.getWorkspaceFolder(scope) : vscode.workspace.workspaceFolders?.[0];
  return {
    enabled,
    exclude,
    analyze: {
      severities,
      maxFileBytes: Math.round(maxFileSizeMB * 1024 * 1024),
      root: folder?.uri.scheme === 'file' ? folder.uri.fsPath : undefined,
    },
    problems,
  };
}

/** The configured severity of `code` where `scope` is, or undefined for the rule's default. */
export function configuredSeverity(scope: vscode.Uri | undefined, code: string): SeveritySetting | undefined {
  const value = vscode.workspace.getConfiguration(CONFIG_SECTION, scope).get<Record<string, unknown>>('rules', {})?.[code];
  return isSeveritySetting(value) ? value : undefined;
}

/**
 * Sets `code`'s severity in `pipelineDoctor.rules` at the narrowest scope holding `scope` (its workspace
 * folder, else the workspace, else the user settings), keeping the other codes configured there.
 */
export async function writeRuleSeverity(scope: vscode.Uri | undefined, code: string, severity: SeveritySetting): Promise<void> {
  const config = vscode.workspace.getConfiguration(CONFIG_SECTION, scope);
  const target = scope && vscode.workspace.getWorkspaceFolder(scope) ? vscode.ConfigurationTarget.WorkspaceFolder
    : vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  const inspected = config.inspect<Record<string, SeveritySetting>>('rules');
  const atTarget = target === vscode.ConfigurationTarget.WorkspaceFolder ? inspected?.workspaceFolderValue
    : target === vscode.ConfigurationTarget.Workspace ? inspected?.workspaceValue : inspected?.globalValue;
  await config.update('rules', { ...(atTarget ?? {}), [code]: severity }, target);
}

export function affectsOurSettings(event: vscode.ConfigurationChangeEvent): boolean {
  return event.affectsConfiguration(CONFIG_SECTION);
}

// ---------------------------------------------------------------------------------------------------
// Profile Pipeline: its settings, and the Python launch configurations it offers as targets.
// ---------------------------------------------------------------------------------------------------

/** Same defaults as the runner (src/runner/options.ts DEFAULTS) and package.json. */
export const DEFAULT_PROFILE_STEPS = 50;
export const DEFAULT_PROFILE_TIMEOUT_SECONDS = 600;
export const DEFAULT_SWEEP_BUDGET_SECONDS = 120;

export interface ProfileSettings {
  /** Explicit interpreter; '' = ask the Python extension, then `python3`. Ignored in untrusted workspaces (restrictedConfigurations). */
  pythonPath: string;
  steps: number;
  /** 0 = no limit. */
  timeoutSeconds: number;
  /** Wall-time budget of a sweep's trial runs (docs/profiling.md, "Sweep: trial runs"). */
  sweepBudgetSeconds: number;
  /** Live metrics for Prometheus on 127.0.0.1:<port> while a run goes; 0 = off. */
  metricsPort: number;
  /** The data-quality probe over the first warm-up batches (docs/profiling.md). */
  dataProbe: boolean;
  problems: string[];
}

export function readProfileSettings(scope?: vscode.Uri): ProfileSettings {
  const config = vscode.workspace.getConfiguration(CONFIG_SECTION, scope);
  const setting = <T>(key: string, fallback: T): T => config.get<T>(key, fallback);
  const problems: string[] = [];
  const rawPython = setting<unknown>('profile.pythonPath', '');
  const pythonPath = typeof rawPython === 'string' ? rawPython.trim() : '';
  let steps = setting<number>('profile.steps', DEFAULT_PROFILE_STEPS);
  if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 1) {
    problems.push(`pipelineDoctor.profile.steps must be a whole number >= 1; using ${DEFAULT_PROFILE_STEPS}`);
    steps = DEFAULT_PROFILE_STEPS;
  }
  let timeoutSeconds = setting<number>('profile.timeoutSeconds', DEFAULT_PROFILE_TIMEOUT_SECONDS);
  if (typeof timeoutSeconds !== 'number' || !(timeoutSeconds >= 0)) {
    problems.push(`pipelineDoctor.profile.timeoutSeconds must be a number >= 0; using ${DEFAULT_PROFILE_TIMEOUT_SECONDS}`);
    timeoutSeconds = DEFAULT_PROFILE_TIMEOUT_SECONDS;
  }
  let sweepBudgetSeconds = setting<number>('profile.sweepBudgetSeconds', DEFAULT_SWEEP_BUDGET_SECONDS);
  if (typeof sweepBudgetSeconds !== 'number' || !(sweepBudgetSeconds > 0)) {
    problems.push(`pipelineDoctor.profile.sweepBudgetSeconds must be a number > 0; using ${DEFAULT_SWEEP_BUDGET_SECONDS}`);
    sweepBudgetSeconds = DEFAULT_SWEEP_BUDGET_SECONDS;
  }
  let metricsPort = setting<number>('profile.metricsPort', 0);
  if (typeof metricsPort !== 'number' || !Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535) {
    problems.push('pipelineDoctor.profile.metricsPort must be a port number from 1 to 65535, or 0 for off; live metrics are off');
    metricsPort = 0;
  }
  const dataProbe = setting<unknown>('profile.dataProbe', true) !== false;
  return { pythonPath, steps, timeoutSeconds, sweepBudgetSeconds, metricsPort, dataProbe, problems };
}

/** A `launch.json` configuration that runs Python, as far as the profiler can honour it (raw, unsubstituted). */
export interface PythonLaunchConfig {
  name: string;
  program?: string;
  module?: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  /** The configuration's own interpreter (`python`), when it names one. */
  python?: string;
}

const PYTHON_DEBUG_TYPES = new Set(['python', 'debugpy']);

function stringRecord(x: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (x && typeof x === 'object' && !Array.isArray(x)) {
    for (const [k, v] of Object.entries(x)) if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
  }
  return out;
}

/** A setting's text when it says something: a string that is not blank. */
function filled(x: unknown): string | undefined {
  return typeof x === 'string' && x.trim() !== '' ? x : undefined;
}

/**
 * Python `launch` configurations of `folder` (launch.json, or `launch` in settings). `args` given as one
 * string is split on whitespace — the debugger would hand it to a shell, which the profiler never uses.
 */
export function readPythonLaunchConfigs(folder?: vscode.Uri): PythonLaunchConfig[] {
  const raw = vscode.workspace.getConfiguration('launch', folder).get<unknown>('configurations', []);
  if (!Array.isArray(raw)) return [];
  const out: PythonLaunchConfig[] = [];
  for (const c of raw as unknown[]) {
    if (!c || typeof c !== 'object') continue;
    const o = c as Record<string, unknown>;
    if (typeof o.type !== 'string' || !PYTHON_DEBUG_TYPES.has(o.type) || o.request !== 'launch') continue;
    const program = filled(o.program);
    const module = filled(o.module);
    const cwd = filled(o.cwd);
    const python = filled(o.python);
    if (!program && !module) continue;
    const args = Array.isArray(o.args) ? o.args.filter((a): a is string => typeof a === 'string')
      : typeof o.args === 'string' ? o.args.split(/\s+/).filter(Boolean) : [];
    out.push({
      name: typeof o.name === 'string' ? o.name : program ?? module ?? 'Python',
      ...(program ? { program } : {}),
      ...(module ? { module } : {}),
      args,
      env: stringRecord(o.env),
      ...(cwd ? { cwd } : {}),
      ...(python ? { python } : {}),
    });
  }
  return out;
}

/** A tasks.json task as written (raw, unsubstituted): Profile Pipeline offers those that start torchrun. */
export interface CommandTask {
  label: string;
  /** 'shell': `command` is a command line for a shell; 'process': the program, `args` its arguments. */
  type: 'shell' | 'process';
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
}

/** Shell and process tasks of `folder` (tasks.json, or `tasks` in settings) with a command. */
export function readCommandTasks(folder?: vscode.Uri): CommandTask[] {
  const raw = vscode.workspace.getConfiguration('tasks', folder).get<unknown>('tasks', []);
  if (!Array.isArray(raw)) return [];
  const out: CommandTask[] = [];
  for (const t of raw as unknown[]) {
    if (!t || typeof t !== 'object') continue;
    const o = t as Record<string, unknown>;
    if ((o.type !== 'shell' && o.type !== 'process') || typeof o.command !== 'string' || o.command.trim() === '') continue;
    // An argument may be { value, quoting }: its value is the word.
    const args = Array.isArray(o.args) ? o.args.flatMap((a): string[] => (typeof a === 'string' ? [a]
      : a && typeof a === 'object' && typeof (a as { value?: unknown }).value === 'string' ? [(a as { value: string }).value] : [])) : [];
    const options = o.options && typeof o.options === 'object' ? o.options as Record<string, unknown> : {};
    const cwd = filled(options.cwd);
    out.push({
      label: typeof o.label === 'string' ? o.label : o.command,
      type: o.type, command: o.command, args, env: stringRecord(options.env),
      ...(cwd ? { cwd } : {}),
    });
  }
  return out;
}
