// What "Profile Pipeline" runs: the active Python file, or a Python configuration from launch.json with
// its program/module, args, env and cwd. launch.json values use VS Code's `${…}` variables; the common
// ones are substituted here, and a value with one we cannot resolve is refused with its name rather than
// passed to Python as literal text.
import path from 'node:path';
import os from 'node:os';
import * as vscode from 'vscode';
import { readPythonLaunchConfigs } from './config';
import type { PythonLaunchConfig } from './config';

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
  /** The launch.json configuration it came from: the run is named after it. */
  launchConfiguration?: string;
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
  if (config.module) return { ...common, script: substitute(config.module, vars), module: true };
  return { ...common, script: path.resolve(cwd, substitute(config.program ?? '', vars)), module: false };
}

interface TargetPick extends vscode.QuickPickItem {
  target: () => ProfileTarget;
}

/**
 * Asks which target to profile when launch.json has Python configurations (the active file first);
 * otherwise the active Python file. Undefined when the user dismissed the pick; TargetError when there
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
        label: `$(debug-alt) ${config.name}`, description: `launch.json${(vscode.workspace.workspaceFolders?.length ?? 0) > 1 ? ` (${folder.name})` : ''}`,
        detail: [what, ...config.args].join(' '), target: () => launchTarget(config, folder),
      });
    }
  }
  if (picks.length === 0) throw new TargetError('open a Python file or add a Python configuration to launch.json, then run Profile Pipeline again');
  if (picks.length === 1 && active) return picks[0]?.target();
  const chosen = await vscode.window.showQuickPick(picks, { title: 'Pipeline Doctor: what to profile', matchOnDetail: true });
  return chosen?.target();
}
