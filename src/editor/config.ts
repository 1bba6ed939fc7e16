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

function isSeveritySetting(value: unknown): value is SeveritySetting {
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

export function affectsOurSettings(event: vscode.ConfigurationChangeEvent): boolean {
  return event.affectsConfiguration(CONFIG_SECTION);
}
