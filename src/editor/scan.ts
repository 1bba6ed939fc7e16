// "Pipeline Doctor: Scan Workspace": diagnostics for every analysable file, opened or not, with a
// cancellable progress bar. `findFiles` with no exclude argument applies `files.exclude`; it does not
// read .gitignore, so .gitignore'd folders, virtual environments (a folder holding pyvenv.cfg),
// ALWAYS_SKIPPED folders and `pipelineDoctor.exclude` are filtered here, the same way the CLI does.
import path from 'node:path';
import * as vscode from 'vscode';
import { IgnoreRules } from '../analyzers/workspace/ignore';
import type { Diagnostics } from './diagnostics';
import type { Log } from './log';
import { excludedByGlobs, ignoredByRules, inAlwaysSkippedFolder, relativeTo } from './scope';

const ANALYSABLE = '**/*.{py,pyi,ipynb,yaml,yml,json,jsonc}';

export interface ScanSummary {
  files: number;
  findings: number;
  cancelled: boolean;
  /** Workspace-relative paths of the scanned files, for the log and the tests. */
  scanned: string[];
}

async function filesOfFolder(folder: vscode.WorkspaceFolder, diagnostics: Diagnostics, token: vscode.CancellationToken): Promise<vscode.Uri[]> {
  const settings = diagnostics.settingsFor(folder.uri);
  if (!settings.enabled) return [];
  const root = folder.uri.fsPath;
  const [candidates, gitignores, venvMarkers] = await Promise.all([
    vscode.workspace.findFiles(new vscode.RelativePattern(folder, ANALYSABLE), undefined, undefined, token),
    vscode.workspace.findFiles(new vscode.RelativePattern(folder, '**/.gitignore'), undefined, undefined, token),
    vscode.workspace.findFiles(new vscode.RelativePattern(folder, '**/pyvenv.cfg'), undefined, undefined, token),
  ]);
  const rel = (uri: vscode.Uri) => relativeTo(root, uri.fsPath);
  const venvs = venvMarkers.map((u) => rel(u)).filter((r): r is string => r !== undefined).map((r) => path.posix.dirname(r));
  const rules = new IgnoreRules();
  // Outer .gitignore files first, so a nested one can re-include what an outer one excludes.
  const ignoreFiles = gitignores
    .map((u) => ({ uri: u, rel: rel(u) }))
    .filter((g): g is { uri: vscode.Uri; rel: string } => g.rel !== undefined && !inAlwaysSkippedFolder(g.rel))
    .sort((a, b) => a.rel.split('/').length - b.rel.split('/').length || a.rel.localeCompare(b.rel));
  for (const g of ignoreFiles) {
    const base = path.posix.dirname(g.rel);
    rules.add(new TextDecoder().decode(await vscode.workspace.fs.readFile(g.uri)), base === '.' ? '' : base);
  }
  return candidates.filter((uri) => {
    const r = rel(uri);
    if (r === undefined) return false;
    if (inAlwaysSkippedFolder(r) || venvs.some((v) => v === '.' || r.startsWith(`${v}/`))) return false;
    return !ignoredByRules(rules, r) && !excludedByGlobs(r, settings.exclude);
  });
}

export async function scanWorkspace(diagnostics: Diagnostics, log: Log): Promise<ScanSummary> {
  const summary: ScanSummary = { files: 0, findings: 0, cancelled: false, scanned: [] };
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) {
    log.info('scan: no workspace folder is open');
    return summary;
  }
  const started = performance.now();
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Pipeline Doctor: scanning workspace', cancellable: true },
    async (progress, token) => {
      progress.report({ message: 'finding files…' });
      const files: vscode.Uri[] = [];
      for (const folder of folders) files.push(...(await filesOfFolder(folder, diagnostics, token)));
      files.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
      const keep = new Set<string>();
      for (const [i, uri] of files.entries()) {
        if (token.isCancellationRequested) {
          summary.cancelled = true;
          break;
        }
        const name = vscode.workspace.asRelativePath(uri, false);
        progress.report({ message: `${i + 1}/${files.length} ${name}`, increment: 100 / files.length });
        try {
          summary.findings += (await diagnostics.analyzeOnDisk(uri)).length;
        } catch (e) {
          log.error(`scan: ${name} could not be analysed`, e);
        }
        keep.add(uri.toString());
        summary.files++;
        summary.scanned.push(name);
      }
      // A cancelled scan keeps what earlier scans found for the files it did not reach.
      if (!summary.cancelled) diagnostics.retainScanned(keep);
    },
  );
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const text = `${summary.cancelled ? 'scan cancelled after' : 'scanned'} ${summary.files} files in ${seconds} s: ${summary.findings} findings`;
  log.info(text);
  vscode.window.setStatusBarMessage(`Pipeline Doctor: ${text}`, 8000);
  return summary;
}
