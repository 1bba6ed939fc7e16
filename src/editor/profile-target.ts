// What "Profile Pipeline" runs: the active Python file, a Python configuration from launch.json with
// its program/module, args, env and cwd, or a torchrun job: a launch configuration of the module
// `torch.distributed.run`, or a tasks.json task whose command starts torchrun (docs/profiling.md, "torchrun
// jobs"), read into the runner's torchrun options (src/runner/torchrun-command.ts). launch.json and
// tasks.json values use VS Code's `${…}` variables; the common ones are substituted here, and a value with
// one we cannot resolve is refused with its name rather than passed to Python as literal text.
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import * as vscode from 'vscode';
import { parseTorchrunArgs, TorchrunCommandError, torchrunInvocation } from '../runner/torchrun-command';
import type { DistributedOptions } from '../runner/torchrun';
import { shellWords, ShellWordsError } from '../shared/shell-words';
import { readCommandTasks, readPythonLaunchConfigs } from './config';
import type { CommandTask, PythonLaunchConfig } from './config';

/** The module a launch configuration names to start a job through torchrun. */
export const TORCHRUN_MODULE = 'torch.distributed.run';

export interface ProfileTarget {
  /** Absolute script path, or a module name when `module` is set. */
  script: string;
  module: boolean;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Interpreter named by the launch configuration. */
  python?: string;
  /** For the run's title and the log. */
  label: string;
  /** The launch.json configuration or tasks.json task it came from: the run is named after it. */
  launchConfiguration?: string;
  /** A torchrun job: started through the runner's torchrun launch, the harness in every rank. */
  distributed?: DistributedOptions;
  /** What was left out of the configuration and why, for the output channel. */
  notes?: string[];
  /** The workspace folder the target belongs to (settings scope, run folder). */
  folder: vscode.WorkspaceFolder | undefined;
}

export class TargetError extends Error {}

interface VariableContext {
  folder: vscode.WorkspaceFolder | undefined;
  activeFile: string | undefined;
}

function substitute(value: string, v: VariableContext): string {
  return value.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
    if (name.startsWith('env:')) return process.env[name.slice(4)] ?? '';
    if (name.startsWith('workspaceFolder:')) {
      const named = vscode.workspace.workspaceFolders?.find((f) => f.name === name.slice('workspaceFolder:'.length));
      if (named) return named.uri.fsPath;
    }
    switch (name) {
      case 'workspaceFolder':
      case 'workspaceRoot':
        if (v.folder) return v.folder.uri.fsPath;
        break;
      case 'workspaceFolderBasename':
        if (v.folder) return v.folder.name;
        break;
      case 'file':
        if (v.activeFile) return v.activeFile;
        break;
      case 'fileDirname':
        if (v.activeFile) return path.dirname(v.activeFile);
        break;
      case 'fileBasename':
        if (v.activeFile) return path.basename(v.activeFile);
        break;
      case 'fileBasenameNoExtension':
        if (v.activeFile) return path.basename(v.activeFile, path.extname(v.activeFile));
        break;
      case 'userHome':
        return os.homedir();
      case 'pathSeparator':
        return path.sep;
    }
    throw new TargetError(`launch.json uses ${whole}, which Profile Pipeline cannot resolve here`);
  });
}

function activePythonFile(): string | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  return doc && doc.languageId === 'python' && doc.uri.scheme === 'file' ? doc.uri.fsPath : undefined;
}

function defaultFolder(file?: string): vscode.WorkspaceFolder | undefined {
  return (file ? vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file)) : undefined) ?? vscode.workspace.workspaceFolders?.[0];
}

/** A plain script path (absolute, or relative to the first workspace folder) as a target. */
export function scriptTarget(script: string, args: readonly string[], cwd?: string): ProfileTarget {
  const base = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
  const abs = path.resolve(base, script);
  const folder = defaultFolder(abs);
  return {
    script: abs, module: false, args: [...args], env: {}, label: path.basename(abs), folder,
    cwd: cwd ? path.resolve(base, cwd) : folder?.uri.fsPath ?? path.dirname(abs),
  };
}

export function launchTarget(config: PythonLaunchConfig, folder: vscode.WorkspaceFolder | undefined): ProfileTarget {
  const vars: VariableContext = { folder, activeFile: activePythonFile() };
  const root = folder?.uri.fsPath ?? process.cwd();
  const cwd = config.cwd ? path.resolve(root, substitute(config.cwd, vars)) : root;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(config.env)) env[k] = substitute(v, vars);
  const common = {
    args: config.args.map((a) => substitute(a, vars)), cwd, env, label: config.name, launchConfiguration: config.name, folder,
    ...(config.python ? { python: path.resolve(root, substitute(config.python, vars)) } : {}),
  };
  if (config.module) {
    const module = substitute(config.module, vars);
    if (module === TORCHRUN_MODULE) return { ...common, ...torchrunJob(common.args, cwd, `launch configuration "${config.name}"`) };
    return { ...common, script: module, module: true };
  }
  return { ...common, script: path.resolve(cwd, substitute(config.program ?? '', vars)), module: false };
}

/** torchrun's arguments as the target's script, args and distributed options; refused by name when unsupported. */
function torchrunJob(torchrunArgs: readonly string[], cwd: string, what: string):
  Pick<ProfileTarget, 'script' | 'module' | 'args' | 'distributed' | 'notes'> {
  try {
    const job = parseTorchrunArgs(torchrunArgs);
    return {
      script: job.module ? job.script : path.resolve(cwd, job.script), module: job.module, args: job.args,
      distributed: job.distributed, notes: job.notes,
    };
  } catch (e) {
    if (e instanceof TorchrunCommandError) throw new TargetError(`${what}: ${e.message}`);
    throw e;
  }
}

/** Whether a task's command starts torchrun, judged from its words as written (before substitution). */
function startsTorchrun(task: CommandTask): boolean {
  const command = task.type === 'shell' ? task.command.trim().split(/\s+/) : [task.command];
  return torchrunInvocation([...command, ...task.args]) !== null;
}

export function taskTarget(task: CommandTask, folder: vscode.WorkspaceFolder | undefined): ProfileTarget {
  const what = `task "${task.label}"`;
  const vars: VariableContext = { folder, activeFile: activePythonFile() };
  const root = folder?.uri.fsPath ?? process.cwd();
  const cwd = task.cwd ? path.resolve(root, substitute(task.cwd, vars)) : root;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(task.env)) env[k] = substitute(v, vars);
  const args = task.args.map((a) => substitute(a, vars));
  let words: string[];
  try {
    words = task.type === 'shell' ? [...shellWords(substitute(task.command, vars)), ...args] : [substitute(task.command, vars), ...args];
  } catch (e) {
    if (e instanceof ShellWordsError) throw new TargetError(`${what}: its command line ${e.message}, which Profile Pipeline does not use`);
    throw e;
  }
  const run = torchrunInvocation(words);
  if (run === null) throw new TargetError(`${what} does not start torchrun`);
  // The interpreter the task names by path: python itself, or the one beside torchrun (a virtual environment's bin/).
  const launcher = run.launcher.includes('/') ? path.resolve(cwd, run.launcher) : undefined;
  const beside = launcher && run.kind === 'torchrun' ? path.join(path.dirname(launcher), 'python') : undefined;
  const python = run.kind === 'python' ? launcher : beside && fs.existsSync(beside) ? beside : undefined;
  return {
    ...torchrunJob(run.rest, cwd, what), cwd, env, label: task.label, launchConfiguration: task.label, folder,
    ...(python ? { python } : {}),
  };
}

const inFolder = (folder: vscode.WorkspaceFolder): string => ((vscode.workspace.workspaceFolders?.length ?? 0) > 1 ? ` (${folder.name})` : '');

/** The launch configuration, else the torchrun task, of that name (the command argument `target`); undefined when none. */
export function namedTarget(name: string): ProfileTarget | undefined {
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const config = readPythonLaunchConfigs(folder.uri).find((c) => c.name === name);
    if (config) return launchTarget(config, folder);
  }
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const task = readCommandTasks(folder.uri).find((t) => t.label === name && startsTorchrun(t));
    if (task) return taskTarget(task, folder);
  }
  return undefined;
}

interface TargetPick extends vscode.QuickPickItem {
  target: () => ProfileTarget;
}

/**
 * Asks which target to profile when launch.json has Python configurations or tasks.json has torchrun tasks
 * (the active file first); otherwise the active Python file. Undefined when the user dismissed the pick; TargetError when there
 * is nothing to profile.
 */
export async function pickTarget(): Promise<ProfileTarget | undefined> {
  const active = activePythonFile();
  const picks: TargetPick[] = [];
  if (active) {
    picks.push({ label: `$(file) ${path.basename(active)}`, description: 'active file', detail: vscode.workspace.asRelativePath(active), target: () => scriptTarget(active, []) });
  }
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    for (const config of readPythonLaunchConfigs(folder.uri)) {
      const what = config.module ? `-m ${config.module}` : config.program ?? '';
      picks.push({
        label: `$(debug-alt) ${config.name}`, description: `launch.json${inFolder(folder)}`,
        detail: [what, ...config.args].join(' '), target: () => launchTarget(config, folder),
      });
    }
    for (const task of readCommandTasks(folder.uri).filter(startsTorchrun)) {
      picks.push({
        label: `$(tools) ${task.label}`, description: `tasks.json${inFolder(folder)}`,
        detail: [task.command, ...task.args].join(' '), target: () => taskTarget(task, folder),
      });
    }
  }
  if (picks.length === 0) throw new TargetError('open a Python file or add a Python configuration to launch.json, then run Profile Pipeline again');
  if (picks.length === 1 && active) return picks[0]?.target();
  const chosen = await vscode.window.showQuickPick(picks, { title: 'Pipeline Doctor: what to profile', matchOnDetail: true });
  return chosen?.target();
}
