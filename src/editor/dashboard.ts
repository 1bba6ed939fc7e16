// "Pipeline Doctor: Show Dashboard": the webview panel host. It lists the workspace's runs (each
// folder's `.pipeline-doctor/runs/`, where `pipeline-doctor profile` and Profile Pipeline write them), sends a run as its
// summary + Arrow IPC bytes, and acts on the webview's requests only after `routeWebviewMessage` has
// validated them — and only on findings and loaders it sent itself (referenced by index, never by path).
// "Apply fix" re-finds the finding in the document as it is now and applies the rule's fix through the
// same WorkspaceEdit path as the quick fix in the editor; "Show docs" runs the docs command.
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { writeReport } from '../report/export';
import { newNonce } from '../report/export';
import { webviewPageHtml } from '../report/page';
import { listRuns, loadDashboardRun, readRunName, readSummary } from '../report/run-data';
import { readMeasuredRun } from '../runner/measured-run';
import type { RunComparison } from '../shared/run-comparison';
import { compareMeasuredRuns } from '../shared/run-comparison';
import type { Finding } from '../shared/findings';
import type { RunSummary } from '../shared/profile';
import type { DashboardRun, HostToWebviewMessage, RunListEntry } from '../shared/protocol';
import { describeRejected, routeWebviewMessage } from '../shared/protocol';
import { toRange, toWorkspaceEdit } from './convert';
import type { Diagnostics } from './diagnostics';
import type { Log } from './log';

export const DASHBOARD_VIEW_TYPE = 'pipelineDoctor.dashboard';
export const SHOW_DASHBOARD_COMMAND = 'pipelineDoctor.showDashboard';
export const EXPORT_REPORT_COMMAND = 'pipelineDoctor.exportReport';
export const RUNS_FOLDER = '.pipeline-doctor/runs';
const EXTENSION_ID = 'pipeline-doctor.pipeline-doctor';
const SHOW_DOCS_COMMAND = 'pipelineDoctor.showRuleDocumentation';
const REPROFILE_COMMAND = 'pipelineDoctor.reprofileAndCompare';

export interface DashboardDeps {
  diagnostics: Diagnostics;
  log: Log;
  /** Where Profile Pipeline writes runs of scripts outside every workspace folder (the extension's storage). */
  storageRunsBase: string;
}

/** What the dashboard tests observe through the extension API. */
export interface DashboardProbe {
  open: boolean;
  rejectedMessages: number;
  lastAction: { action: string; ok: boolean; message: string } | null;
  /** The last measured comparison sent to the webview (the verify loop's before/after). */
  lastComparison: RunComparison | null;
  /** The run last sent to the webview (what it shows), null before any. */
  shownRunId: string | null;
  /** The names of the runs in the last run list sent to the webview. */
  listedRuns: string[];
  /** The findings of the run last sent, as `origin:CODE`. */
  shownFindings: string[];
  /** The ranks of the run last sent (a torchrun job: the dashboard's Ranks section), empty for one process. */
  shownRanks: number[];
}

function extensionUri(): vscode.Uri {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not installed`);
  return ext.extensionUri;
}

interface ListedRun {
  folder: string;
  entry: RunListEntry;
}

/** Where runs are listed from: every workspace folder's `.pipeline-doctor/runs/`, then the extension's storage. */
function runBases(storageRunsBase: string): string[] {
  const bases: string[] = [];
  for (const ws of vscode.workspace.workspaceFolders ?? []) {
    if (ws.uri.scheme === 'file') bases.push(vscode.Uri.joinPath(ws.uri, RUNS_FOLDER).fsPath);
  }
  bases.push(storageRunsBase);
  return bases;
}

/** Run folders of every base, by run id (first one wins on a clash). */
export function runFolders(storageRunsBase: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const base of runBases(storageRunsBase)) {
    for (const r of listRuns(base).runs) if (!found.has(r.id)) found.set(r.id, path.join(base, r.id));
  }
  return found;
}

/** A run's name from its script: the path relative to the workspace (two `main.py` differ by folder); a launch configuration's run is named by run-name.txt. */
export function runName(script: string): string {
  return vscode.workspace.asRelativePath(script, (vscode.workspace.workspaceFolders?.length ?? 0) > 1);
}

/**
 * The runs of every workspace folder's `.pipeline-doctor/runs/` and of the extension's storage (scripts
 * outside every folder), by run id (first one wins on a clash), each summary read once.
 */
function listAllRuns(deps: DashboardDeps): { runs: Map<string, ListedRun>; skipped: string[] } {
  const runs = new Map<string, ListedRun>();
  const skipped: string[] = [];
  for (const base of runBases(deps.storageRunsBase)) {
    const listed = listRuns(base);
    skipped.push(...listed.skipped);
    for (const entry of listed.runs) {
      const folder = path.join(base, entry.id);
      if (!runs.has(entry.id)) runs.set(entry.id, { folder, entry: { ...entry, name: readRunName(folder) ?? runName(entry.script) } });
    }
  }
  return { runs, skipped };
}

export class DashboardPanel implements vscode.Disposable {
  private static current: DashboardPanel | undefined;
  static readonly probe: DashboardProbe = { open: false, rejectedMessages: 0, lastAction: null, lastComparison: null, shownRunId: null, listedRuns: [], shownFindings: [], shownRanks: [] };

  private readonly disposables: vscode.Disposable[] = [];
  /** Runs sent to the webview: actions refer to their findings and loaders by index / id. */
  private readonly sent = new Map<string, DashboardRun>();
  private runs = new Map<string, ListedRun>();
  /**
   * The run the webview must show next (the one just profiled, or the one the status bar names). It is
   * kept until the webview has asked for it: a hidden webview is torn down and reloads on reveal, and a
   * focus posted before its `ready` would be lost, leaving it on the run its saved state names.
   */
  private focus: string | null = null;
  /** The webview has loaded and listens; false again when it is hidden (its page is discarded then). */
  private ready = false;
  /** A comparison asked for before the webview was ready (the verify loop opens the dashboard for it). */
  private pendingComparison: { baseId: string; otherId: string } | null = null;

  /** Opens (or reveals) the dashboard; `runFolder` is shown first, e.g. the run the status bar names. */
  static show(deps: DashboardDeps, runFolder?: string): DashboardPanel {
    const focus = runFolder ? path.basename(runFolder) : null;
    if (DashboardPanel.current) {
      const current = DashboardPanel.current;
      if (focus !== null) current.focus = focus;
      current.panel.reveal(undefined, false);
      if (current.ready) current.postRuns();
      return current;
    }
    const media = vscode.Uri.joinPath(extensionUri(), 'media');
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, 'Pipeline Doctor', vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [media],
      // State survives hide/show through the webview's getState/setState, not a hidden live page.
      retainContextWhenHidden: false,
    });
    DashboardPanel.current = new DashboardPanel(panel, deps, media, focus);
    return DashboardPanel.current;
  }

  /** Profile Pipeline hands the run it just wrote straight here; the dashboard opens (or turns) to it. */
  static showFinished(deps: DashboardDeps, summary: RunSummary): DashboardPanel {
    return DashboardPanel.show(deps, summary.folder);
  }

  static get active(): DashboardPanel | undefined {
    return DashboardPanel.current;
  }

  private constructor(private readonly panel: vscode.WebviewPanel, private readonly deps: DashboardDeps, media: vscode.Uri, focus: string | null) {
    this.focus = focus;
    DashboardPanel.probe.open = true;
    const webview = panel.webview;
    webview.html = webviewPageHtml({
      cspSource: webview.cspSource,
      nonce: newNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'dist', 'dashboard.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'dist', 'dashboard.css')).toString(),
    });
    this.disposables.push(
      webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw)),
      panel.onDidDispose(() => this.dispose()),
      // Hidden, the page is discarded (no retained context): it says `ready` again when shown.
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false;
      }),
      // A run finishing (from the editor or `pipeline-doctor profile` in a terminal) refreshes the list.
      ...this.watchRuns(),
    );
  }

  private watchRuns(): vscode.Disposable[] {
    const watcher = vscode.workspace.createFileSystemWatcher(`**/${RUNS_FOLDER}/*/summary.json`);
    const changed = (uri: vscode.Uri): void => {
      // The newest run is shown next, now or when the hidden dashboard comes back.
      this.focus = path.basename(path.dirname(uri.fsPath));
      if (this.ready) this.postRuns();
    };
    return [watcher, watcher.onDidCreate(changed), watcher.onDidChange(changed)];
  }

  private post(message: HostToWebviewMessage): void {
    if (message.type === 'actionResult') DashboardPanel.probe.lastAction = { action: message.action, ok: message.ok, message: message.message };
    if (message.type === 'run') {
      DashboardPanel.probe.shownRunId = message.run.id;
      DashboardPanel.probe.shownFindings = message.run.findings.map((f) => `${f.origin}:${f.code}`);
      DashboardPanel.probe.shownRanks = message.run.summary.ranks?.map((r) => r.rank) ?? [];
    }
    if (message.type === 'runs') DashboardPanel.probe.listedRuns = message.runs.map((r) => r.name);
    void this.panel.webview.postMessage(message);
  }

  private result(action: 'reveal' | 'applyFix' | 'showDocs' | 'exportReport', ok: boolean, message: string): void {
    if (!ok) this.deps.log.warn(`dashboard: ${action}: ${message}`);
    this.post({ type: 'actionResult', action, ok, message });
  }

  private onMessage(raw: unknown): void {
    const accepted = routeWebviewMessage(raw, {
      ready: () => {
        this.ready = true;
        this.postRuns();
        this.postPendingComparison();
      },
      refreshRuns: () => this.postRuns(),
      openRun: (m) => this.guard('openRun', () => this.openRun(m.runId)),
      compareRuns: (m) => this.guard('compareRuns', () => this.compare(m.baseId, m.otherId)),
      revealFinding: (m) => this.guard('reveal', () => this.revealFinding(m.runId, m.findingIndex)),
      revealLoader: (m) => this.guard('reveal', () => this.revealLoader(m.runId, m.loaderId)),
      applyFix: (m) => this.guard('applyFix', () => this.applyFix(m.runId, m.findingIndex, m.fixIndex)),
      showDocs: (m) => this.guard('showDocs', async () => {
        await vscode.commands.executeCommand(SHOW_DOCS_COMMAND, m.code);
        this.result('showDocs', true, `Documentation of ${m.code} opened.`);
      }),
      exportReport: (m) => this.guard('exportReport', () => this.exportReport(m.runId)),
    }, (bad) => {
      DashboardPanel.probe.rejectedMessages++;
      this.deps.log.warn(`dashboard: rejected a message from the webview (${describeRejected(bad)})`);
    });
    if (!accepted) this.post({ type: 'error', message: 'The extension ignored a malformed request from the dashboard.' });
  }

  /** One place where a failing action is logged and told to the webview; nothing is swallowed. */
  private guard(what: string, run: () => Promise<void> | void): void {
    Promise.resolve()
      .then(run)
      .catch((e: unknown) => {
        this.deps.log.error(`dashboard: ${what} failed`, e);
        this.post({ type: 'error', message: `${what} failed: ${(e as Error).message}` });
      });
  }

  private postRuns(): void {
    const listed = listAllRuns(this.deps);
    this.runs = listed.runs;
    for (const p of listed.skipped) this.deps.log.warn(`dashboard: ${p}`);
    const runs = [...listed.runs.values()].map((r) => r.entry)
      .sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id));
    const focus = this.focus !== null && this.runs.has(this.focus) ? this.focus : null;
    this.post({ type: 'runs', runs, focus });
  }

  private folderOf(runId: string): string {
    const folder = this.runs.get(runId)?.folder;
    if (!folder) throw new Error(`no run '${runId}' in this workspace`);
    return folder;
  }

  /** The script's static findings as the editor computes them (settings, exclusions), empty when unreadable. */
  private async staticFindings(script: string): Promise<Finding[]> {
    try {
      return await this.deps.diagnostics.analyzeOnDisk(vscode.Uri.file(script));
    } catch (e) {
      this.deps.log.warn(`dashboard: static findings of ${script} unavailable: ${(e as Error).message}`);
      return [];
    }
  }

  private async openRun(runId: string): Promise<void> {
    if (runId === this.focus) this.focus = null;
    const folder = this.folderOf(runId);
    const summary = readSummary(folder);
    // Static findings describe the script as it is now: they belong to this run only while the script is
    // unchanged since the run started; otherwise the run shows its own (runtime) findings alone.
    const edited = scriptEditedSince(summary);
    const { run, problems } = await loadDashboardRun(folder, edited ? { noStatic: true } : { staticFindings: await this.staticFindings(summary.script) });
    for (const p of problems) this.deps.log.warn(`dashboard: ${p}`);
    const shown: DashboardRun = { ...run, name: readRunName(folder) ?? runName(summary.script), ...(edited ? { scriptEdited: true } : {}) };
    this.sent.set(runId, shown);
    this.post({ type: 'run', run: shown });
  }

  private compare(baseId: string, otherId: string): void {
    const base = readSummary(this.folderOf(baseId));
    const other = readSummary(this.folderOf(otherId));
    const measured = this.measuredComparison(this.folderOf(baseId), this.folderOf(otherId));
    DashboardPanel.probe.lastComparison = measured ?? null;
    this.post({ type: 'comparison', base: { ...base, id: baseId }, other: { ...other, id: otherId }, ...(measured ? { measured } : {}) });
  }

  /** Before/after from both runs' measured steps; the summaries alone still compare when steps are unreadable. */
  private measuredComparison(baseFolder: string, otherFolder: string): RunComparison | undefined {
    try {
      return compareMeasuredRuns(readMeasuredRun(baseFolder), readMeasuredRun(otherFolder));
    } catch (e) {
      this.deps.log.warn(`dashboard: no measured comparison: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** The verify loop: shows `before` against `after` (run folders) once the webview is ready. */
  showComparison(before: string, after: string): void {
    const id = (folder: string): string => folder.split(/[\\/]/).filter(Boolean).pop() ?? '';
    this.pendingComparison = { baseId: id(before), otherId: id(after) };
    if (this.ready) this.postPendingComparison();
  }

  private postPendingComparison(): void {
    const c = this.pendingComparison;
    if (c === null) return;
    this.pendingComparison = null;
    if (!this.runs.has(c.baseId) || !this.runs.has(c.otherId)) this.runs = listAllRuns(this.deps).runs;
    this.guard('compareRuns', () => this.compare(c.baseId, c.otherId));
  }

  private finding(runId: string, index: number): Finding {
    const f = this.sent.get(runId)?.findings[index];
    if (!f) throw new Error(`finding ${index} of run '${runId}' is not on the dashboard`);
    return f;
  }

  private async reveal(file: string, range: vscode.Range): Promise<vscode.TextEditor> {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    return vscode.window.showTextDocument(doc, { selection: range, viewColumn: vscode.ViewColumn.One, preserveFocus: false });
  }

  private async revealFinding(runId: string, index: number): Promise<void> {
    const f = this.finding(runId, index);
    await this.reveal(f.file, toRange(f.range));
    this.result('reveal', true, `${f.code} at ${vscode.workspace.asRelativePath(f.file)}:${f.range.start.line + 1}`);
  }

  private async revealLoader(runId: string, loaderId: number): Promise<void> {
    const loader = this.sent.get(runId)?.summary.loaders.find((l) => l.id === loaderId);
    if (!loader) throw new Error(`loader ${loaderId} of run '${runId}' is not on the dashboard`);
    const line = Math.max(0, loader.line - 1);
    await this.reveal(loader.file, new vscode.Range(line, 0, line, 0));
    this.result('reveal', true, `DataLoader at ${vscode.workspace.asRelativePath(loader.file)}:${loader.line}`);
  }

  /**
   * The fix the dashboard showed may be stale (the file changed since): the finding is looked up again in
   * the document's current analysis — same code, same line — and that fix is applied as one WorkspaceEdit,
   * exactly what the quick fix in the editor does, so it is one undo step.
   */
  private async applyFix(runId: string, index: number, fixIndex: number): Promise<void> {
    const shown = this.finding(runId, index);
    const chosen = shown.fixes[fixIndex];
    if (!chosen) {
      this.result('applyFix', false, `${shown.code} has no automatic fix.`);
      return;
    }
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(shown.file));
    await this.deps.diagnostics.analyzeNow(doc);
    const current = (await this.deps.diagnostics.findingsFor(doc)).find((f) => f.code === shown.code && f.range.start.line === shown.range.start.line && f.fixes.length > 0)
      ?? (await this.deps.diagnostics.findingsFor(doc)).find((f) => f.code === shown.code && f.fixes.some((x) => x.title === chosen.title));
    const fix = current?.fixes.find((x) => x.title === chosen.title) ?? current?.fixes[0];
    if (!current || !fix) {
      this.result('applyFix', false, `${shown.code} is no longer reported in ${vscode.workspace.asRelativePath(shown.file)}; was it fixed already?`);
      return;
    }
    // Where the fix's main edit (the one nearest the finding) lands, as offsets: the editor then selects
    // what the fix wrote there, not the range the finding had before the edit.
    const offsets = fix.edits.map((e) => ({ start: doc.offsetAt(toRange(e.range).start), end: doc.offsetAt(toRange(e.range).end), length: e.newText.length }));
    const distance = (e: (typeof fix.edits)[number]) => Math.abs(e.range.start.line - current.range.start.line);
    const main = fix.edits.reduce((best, e, i) => (distance(e) < distance(fix.edits[best]) ? i : best), 0);
    const ok = await vscode.workspace.applyEdit(toWorkspaceEdit(doc.uri, fix.edits));
    if (ok) {
      const m = offsets[main];
      const shift = offsets.reduce((sum, o, i) => (i !== main && o.end <= m.start ? sum + o.length - (o.end - o.start) : sum), 0);
      await this.reveal(shown.file, new vscode.Range(doc.positionAt(m.start + shift), doc.positionAt(m.start + shift + m.length)));
    }
    this.result('applyFix', ok, ok ? `Applied "${fix.title}" in ${vscode.workspace.asRelativePath(shown.file)}.` : `VS Code refused the edit for ${shown.code}.`);
    // The verify loop: offer to measure the fix against the run the finding came from.
    if (ok) void vscode.commands.executeCommand(REPROFILE_COMMAND, { runFolder: this.folderOf(runId), offer: true, applied: fix.title });
  }

  private async exportReport(runId: string): Promise<void> {
    const folder = this.folderOf(runId);
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(vscode.Uri.file(folder), 'report.html'),
      filters: { HTML: ['html'] },
      title: 'Export Pipeline Doctor report',
    });
    if (!target) return;
    const run = this.sent.get(runId);
    const written = await writeReport(folder, target.fsPath, {
      staticFindings: run ? run.findings.filter((f) => f.origin === 'static') : undefined,
      assetsDir: vscode.Uri.joinPath(extensionUri(), 'media', 'dist').fsPath,
    });
    for (const p of written.problems) this.deps.log.warn(`dashboard: report: ${p}`);
    this.result('exportReport', true, `Report written to ${written.file}`);
  }

  dispose(): void {
    if (DashboardPanel.current === this) DashboardPanel.current = undefined;
    DashboardPanel.probe.open = false;
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** For the profile command: show the dashboard on the run it just wrote. */
export function showDashboard(deps: DashboardDeps, runFolder?: string): DashboardPanel {
  return DashboardPanel.show(deps, runFolder);
}

/** The script (file or open document) changed after the run started. */
function scriptEditedSince(s: RunSummary): boolean {
  if (!s.script) return false;
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === s.script);
  if (doc?.isDirty) return true;
  try {
    return fs.statSync(s.script).mtimeMs > Date.parse(s.startedAt);
  } catch {
    return false;
  }
}

/** "Export Report" from the palette: the newest run of the workspace, or the one the dashboard shows. */
export async function exportNewestReport(deps: DashboardDeps): Promise<string | undefined> {
  const newest = [...listAllRuns(deps).runs.values()].sort((a, b) => b.entry.startedAt.localeCompare(a.entry.startedAt))[0];
  if (!newest) {
    void vscode.window.showInformationMessage('Pipeline Doctor: no profile runs in this workspace yet.');
    return undefined;
  }
  const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(vscode.Uri.file(newest.folder), 'report.html'), filters: { HTML: ['html'] } });
  if (!target) return undefined;
  const written = await writeReport(newest.folder, target.fsPath, { assetsDir: vscode.Uri.joinPath(extensionUri(), 'media', 'dist').fsPath });
  for (const p of written.problems) deps.log.warn(`report: ${p}`);
  deps.log.info(`report written: ${written.file}`);
  return written.file;
}
