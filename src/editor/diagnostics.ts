// Findings as VS Code diagnostics: analyses open documents on open, on change (debounced, reusing the
// previous parse tree) and on save, and files on disk for the workspace scan. Keeps the findings of
// each document version so code actions work on exactly what the user sees.
import path from 'node:path';
import * as vscode from 'vscode';
import type { Tree } from 'web-tree-sitter';
import { analyze, fileKind, fileSizeLimit, type Notice } from '../analyzers';
import type { Finding } from '../shared/findings';
import { readSettings, type EditorSettings } from './config';
import { DIAGNOSTIC_SOURCE, toDiagnostic, toSeverity } from './convert';
import { applyChanges } from './incremental';
import type { Log } from './log';
import { notebookFileFindings } from './notebook-file';
import { NotebookDiagnostics, type NotebookHost } from './notebooks';
import { enclosingVirtualEnv, excludedByGlobs, inAlwaysSkippedFolder, relativeTo } from './scope';
import { PendingWork } from './pending-work';

// Re-exported: code actions and the profile's runtime diagnostics import them from here.
export { DIAGNOSTIC_SOURCE, toDiagnostic };
export const CHANGE_DEBOUNCE_MS = 200;

const UNTITLED_EXTENSION: Readonly<Record<string, string>> = { python: '.py', yaml: '.yaml', json: '.json', jsonc: '.jsonc' };

interface DocumentState {
  /** The tree of the last analysed version with every later change applied; absent while an analysis runs. */
  tree?: Tree;
  timer?: ReturnType<typeof setTimeout>;
  /** Analyses of one document run one after another. */
  queue: Promise<void>;
  lastNotices?: string;
}

/** The measured findings of the last profile run, as the static diagnostics see them. */
export interface MeasuredFindings {
  /** The measured finding of the same code on the same line as the static `f`, if any. */
  twinOf(uri: vscode.Uri, f: Finding): Finding | undefined;
  /** The static findings of `uri` changed: a measured one joins (or leaves) its twin. */
  staticChanged(uri: vscode.Uri): void;
}

interface Analysed {
  /** The document version analysed; undefined for a file read from disk. */
  version: number | undefined;
  file: string;
  findings: Finding[];
}

/** The path the analyzer sees: the real one for files, a made-up one with the language's extension for untitled buffers. */
export function analysisPath(doc: vscode.TextDocument): string | undefined {
  // An .ipynb opened as text is JSON, not the program: notebooks are analysed from their cells (notebooks.ts).
  if (doc.uri.scheme === 'file') return fileKind(doc.uri.fsPath) === 'notebook' ? undefined : doc.uri.fsPath;
  if (doc.uri.scheme === 'untitled') {
    const ext = UNTITLED_EXTENSION[doc.languageId];
    return ext ? `${doc.uri.path}${ext}` : undefined;
  }
  return undefined;
}

export class Diagnostics implements vscode.Disposable, NotebookHost {
  readonly collection = vscode.languages.createDiagnosticCollection(DIAGNOSTIC_SOURCE);
  private readonly states = new Map<string, DocumentState>();
  private readonly analysed = new Map<string, Analysed>();
  /** Files whose diagnostics came from the workspace scan (read from disk). */
  private readonly fromDisk = new Set<string>();
  private readonly pending = new PendingWork();
  private readonly loggedProblems = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];
  private measured: MeasuredFindings | undefined;
  /** Analyses of open documents, and how many reused a previous tree (observable by the tests). */
  readonly counts = { analyses: 0, incremental: 0 };

  /** Notebooks open in the notebook editor: their cells share this collection, settings and scope. */
  readonly notebooks: NotebookDiagnostics;

  constructor(private readonly log: Log) {
    this.notebooks = new NotebookDiagnostics(this, log, CHANGE_DEBOUNCE_MS);
  }

  start(): void {
    this.disposables.push(
      this.collection,
      this.notebooks,
      vscode.workspace.onDidOpenTextDocument((doc) => this.schedule(doc, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => this.onChange(e)),
      vscode.workspace.onDidSaveTextDocument((doc) => this.schedule(doc, 0)),
      vscode.workspace.onDidCloseTextDocument((doc) => this.onClose(doc)),
      // onDidCloseTextDocument fires late (when VS Code drops the model, possibly minutes after the tab
      // closed), so closing the last tab of a file is what clears its diagnostics for the user.
      vscode.window.tabGroups.onDidChangeTabs((e) => this.onTabsChanged(e)),
    );
    for (const doc of vscode.workspace.textDocuments) this.schedule(doc, 0);
    this.notebooks.start();
  }

  settingsFor(uri: vscode.Uri): EditorSettings {
    const settings = readSettings(uri);
    for (const problem of settings.problems) {
      if (this.loggedProblems.has(problem)) continue;
      this.loggedProblems.add(problem);
      this.log.warn(problem);
    }
    return settings;
  }

  /** Whether `file` (absolute) gets diagnostics under `settings`: excluded globs, skipped folders and virtual envs do not. */
  inScope(uri: vscode.Uri, file: string, settings: EditorSettings): boolean {
    const kind = fileKind(file);
    // A notebook is analysed from its cells (notebooks.ts) or, unopened, by the scan (analyzeOnDisk).
    if (!kind || kind === 'notebook') return false;
    return this.inWorkspaceScope(uri, file, settings);
  }

  /** The folder-level part of `inScope`, shared with notebooks: enabled, not excluded, not in a skipped folder or virtual env. */
  inWorkspaceScope(uri: vscode.Uri, file: string, settings: EditorSettings): boolean {
    if (!settings.enabled) return false;
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (!folder || folder.uri.scheme !== 'file') return true;
    const rel = relativeTo(folder.uri.fsPath, file);
    if (rel === undefined) return true;
    if (excludedByGlobs(rel, settings.exclude) || inAlwaysSkippedFolder(rel)) return false;
    return enclosingVirtualEnv(file, folder.uri.fsPath) === undefined;
  }

  /** Re-analyses every open document and every scanned file, e.g. after a settings change. */
  refreshAll(): void {
    this.loggedProblems.clear();
    for (const doc of vscode.workspace.textDocuments) this.schedule(doc, 0);
    this.notebooks.refreshAll();
    const open = new Set(vscode.workspace.textDocuments.map((d) => d.uri.toString()));
    for (const nb of vscode.workspace.notebookDocuments) if (this.notebooks.tracked(nb.uri)) open.add(nb.uri.toString());
    for (const key of [...this.fromDisk]) {
      if (!open.has(key)) this.pending.track(this.analyzeOnDisk(vscode.Uri.parse(key)).catch((e: unknown) => this.log.error(`analysis of ${key} failed`, e)));
    }
  }

  /** Analyses `doc` now (dropping a pending debounce) and resolves once its diagnostics are published. */
  analyzeNow(doc: vscode.TextDocument): Promise<void> {
    const state = this.state(doc);
    if (state.timer) clearTimeout(state.timer);
    state.timer = undefined;
    state.queue = state.queue.then(() => this.run(doc)).catch((e: unknown) => this.log.error(`analysis of ${doc.uri.fsPath} failed`, e));
    return this.pending.track(state.queue);
  }

  /** The findings of the document's current version, analysing it first if needed. */
  async findingsFor(doc: vscode.TextDocument): Promise<Finding[]> {
    const current = this.analysed.get(doc.uri.toString());
    if (current && current.version === doc.version) return current.findings;
    await this.analyzeNow(doc);
    const fresh = this.analysed.get(doc.uri.toString());
    return fresh && fresh.version === doc.version ? fresh.findings : [];
  }

  /** Resolves when no analysis is pending or running (used by the integration tests). */
  async whenIdle(): Promise<void> {
    await this.notebooks.whenIdle();
    await this.pending.whenIdle(() => [...this.states.values()].some((s) => s.timer !== undefined));
  }

  /** Analyses a file from disk (workspace scan); an open document is analysed from its buffer instead. */
  async analyzeOnDisk(uri: vscode.Uri, settings = this.settingsFor(uri)): Promise<Finding[]> {
    if (fileKind(uri.fsPath) === 'notebook') return this.analyzeNotebookOnDisk(uri, settings);
    const key = uri.toString();
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
    if (open) {
      await this.analyzeNow(open);
      return this.analysed.get(key)?.findings ?? [];
    }
    const file = uri.fsPath;
    if (!this.inScope(uri, file, settings)) {
      this.forget(uri);
      return [];
    }
    const { findings, notices } = await analyzeSaved(uri, file, settings, (_text, found) => found);
    this.fromDisk.add(key);
    this.publish(uri, { version: undefined, file, findings });
    this.report(uri, notices);
    return findings;
  }

  /**
   * A notebook for the workspace scan. One the editor shows gets cell diagnostics from its live cells;
   * an unopened one gets its findings on the .ipynb file, placed on the JSON string of the cell's line.
   */
  private async analyzeNotebookOnDisk(uri: vscode.Uri, settings: EditorSettings): Promise<Finding[]> {
    const key = uri.toString();
    const file = uri.fsPath;
    const open = this.notebooks.tracked(uri);
    if (open) {
      this.fromDisk.add(key);
      return this.notebooks.findingsFor(open);
    }
    if (!this.inWorkspaceScope(uri, file, settings)) {
      this.forget(uri);
      return [];
    }
    const { findings, notices } = await analyzeSaved(uri, file, settings, notebookFileFindings);
    this.fromDisk.add(key);
    this.publish(uri, { version: undefined, file, findings });
    this.report(uri, notices);
    return findings;
  }

  /** A notebook left the editor: a scanned one goes back to what its saved file holds. */
  notebookClosed(uri: vscode.Uri): void {
    if (!this.fromDisk.has(uri.toString())) return;
    this.pending.track(this.analyzeOnDisk(uri).catch((e: unknown) => this.log.error(`analysis of ${uri.fsPath} failed`, e)));
  }

  /** Forgets scanned files that a new scan no longer covers. */
  retainScanned(keep: ReadonlySet<string>): void {
    const open = new Set(vscode.workspace.textDocuments.map((d) => d.uri.toString()));
    for (const key of [...this.fromDisk]) {
      if (keep.has(key)) continue;
      this.fromDisk.delete(key);
      if (!open.has(key)) this.forget(vscode.Uri.parse(key));
    }
  }

  private state(doc: vscode.TextDocument): DocumentState {
    const key = doc.uri.toString();
    let state = this.states.get(key);
    if (!state) {
      state = { queue: Promise.resolve() };
      this.states.set(key, state);
    }
    return state;
  }

  private schedule(doc: vscode.TextDocument, delay: number): void {
    if (analysisPath(doc) === undefined) return;
    const state = this.state(doc);
    if (state.timer) clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      state.timer = undefined;
      void this.analyzeNow(doc);
    }, delay);
  }

  private onChange(e: vscode.TextDocumentChangeEvent): void {
    if (e.contentChanges.length === 0 || analysisPath(e.document) === undefined) return;
    const state = this.state(e.document);
    if (state.tree) {
      try {
        applyChanges(state.tree, e.contentChanges);
      } catch (err) {
        // A tree that missed an edit would give wrong ranges: drop it and parse from scratch.
        this.log.warn(`incremental parse state dropped for ${e.document.uri.fsPath}: ${(err as Error).message}`);
        state.tree.delete();
        state.tree = undefined;
      }
    }
    this.schedule(e.document, CHANGE_DEBOUNCE_MS);
  }

  private onTabsChanged(e: vscode.TabChangeEvent): void {
    const shown = new Set(vscode.window.tabGroups.all.flatMap((g) => g.tabs).map(tabUri).filter((u): u is vscode.Uri => u !== undefined).map((u) => u.toString()));
    for (const tab of e.closed) {
      const uri = tabUri(tab);
      if (!uri || shown.has(uri.toString())) continue;
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
      if (doc) this.onClose(doc);
    }
    // A document that stayed loaded after its tab closed gets no open event when shown again.
    for (const tab of e.opened) {
      const uri = tabUri(tab);
      const doc = uri && vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
      if (doc && !this.analysed.has(uri.toString())) this.schedule(doc, 0);
    }
  }

  private onClose(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    const state = this.states.get(key);
    if (state?.timer) clearTimeout(state.timer);
    state?.tree?.delete();
    this.states.delete(key);
    if (this.fromDisk.has(key)) {
      // A scanned file goes back to its saved content (closing may have discarded edits).
      this.pending.track(this.analyzeOnDisk(doc.uri).catch((e: unknown) => this.log.error(`analysis of ${doc.uri.fsPath} failed`, e)));
    } else {
      this.forget(doc.uri);
    }
  }

  private forget(uri: vscode.Uri): void {
    this.collection.delete(uri);
    this.analysed.delete(uri.toString());
    this.measured?.staticChanged(uri);
  }

  private async run(doc: vscode.TextDocument): Promise<void> {
    if (doc.isClosed) return;
    const file = analysisPath(doc);
    if (file === undefined) return;
    const settings = this.settingsFor(doc.uri);
    // No state means the document was closed after this analysis was queued.
    const state = this.states.get(doc.uri.toString());
    if (!state) return;
    if (!this.inScope(doc.uri, file, settings)) {
      state.tree?.delete();
      state.tree = undefined;
      this.forget(doc.uri);
      return;
    }
    const version = doc.version;
    const text = doc.getText();
    // Taken out of the state while parsing: edits arriving meanwhile must not touch a tree being replaced.
    const previousTree = state.tree;
    state.tree = undefined;
    const started = performance.now();
    let result;
    try {
      result = await analyze(file, text, { ...settings.analyze, previousTree });
    } finally {
      previousTree?.delete();
    }
    this.counts.analyses++;
    if (previousTree) this.counts.incremental++;
    this.log.trace(`analysed ${path.basename(file)} v${version} in ${(performance.now() - started).toFixed(1)} ms${previousTree ? ' (incremental)' : ''}: ${result.findings.length} findings`);
    if (doc.isClosed || doc.version !== version || this.states.get(doc.uri.toString()) !== state) {
      // Superseded: the scheduled analysis of the newer version parses from scratch.
      result.tree?.delete();
      return;
    }
    state.tree = result.tree;
    this.publish(doc.uri, { version, file, findings: result.findings });
    const noticeKey = result.notices.map((n) => n.message).join('\n');
    if (noticeKey !== state.lastNotices) {
      state.lastNotices = noticeKey;
      this.report(doc.uri, result.notices);
    }
  }

  private publish(uri: vscode.Uri, analysed: Analysed): void {
    this.analysed.set(uri.toString(), analysed);
    this.collection.set(uri, analysed.findings.map((f) => this.diagnosticOf(f, uri)));
    this.measured?.staticChanged(uri);
  }

  /** One diagnostic per code and line: a measured twin's figures join the static message, in its words. */
  private diagnosticOf(f: Finding, uri: vscode.Uri): vscode.Diagnostic {
    const d = toDiagnostic(f, uri);
    const twin = this.measured?.twinOf(uri, f);
    if (twin) {
      d.message = `${f.message} Measured in the last profile run: ${twin.message}`;
      d.severity = Math.min(d.severity, toSeverity(twin.severity));
    }
    return d;
  }

  /** Runtime findings of the last profile run join the static ones (src/editor/runtime-diagnostics.ts). */
  joinMeasured(measured: MeasuredFindings): void {
    this.measured = measured;
  }

  /** The static findings published for `uri` now. */
  published(uri: vscode.Uri): readonly Finding[] {
    return this.analysed.get(uri.toString())?.findings ?? [];
  }

  /** Publishes `uri`'s static findings again, e.g. once a measured twin joined or left. */
  republish(uri: vscode.Uri): void {
    const analysed = this.analysed.get(uri.toString());
    if (analysed) this.collection.set(uri, analysed.findings.map((f) => this.diagnosticOf(f, uri)));
  }

  /** Every notice goes to the log; a skipped file or a failing rule also earns the session's one notification. */
  report(uri: vscode.Uri, notices: readonly Notice[]): void {
    const name = vscode.workspace.asRelativePath(uri, false);
    for (const n of notices) {
      const line = `${name}${n.line !== undefined ? `:${n.line + 1}` : ''}: ${n.message}`;
      const userFacing = n.kind === 'too-large' || n.kind === 'long-line' || n.kind === 'binary' || n.level === 'error';
      if (userFacing) this.log.notifyOnce(n.level, line);
      else if (n.level === 'warning') this.log.warn(line);
      else this.log.info(line);
    }
  }

  dispose(): void {
    for (const state of this.states.values()) {
      if (state.timer) clearTimeout(state.timer);
      state.tree?.delete();
    }
    this.states.clear();
    for (const d of this.disposables) d.dispose();
  }
}

function tabUri(tab: vscode.Tab): vscode.Uri | undefined {
  if (tab.input instanceof vscode.TabInputText) return tab.input.uri;
  if (tab.input instanceof vscode.TabInputTextDiff) return tab.input.modified;
  return undefined;
}

/**
 * Analyses a file as saved on disk (the workspace scan's unopened files), skipping one over the size
 * limit before reading it. `place` maps the findings onto the file (notebooks put cell findings on JSON lines).
 */
async function analyzeSaved(
  uri: vscode.Uri,
  file: string,
  settings: EditorSettings,
  place: (text: string, findings: Finding[]) => Finding[],
): Promise<{ findings: Finding[]; notices: Notice[] }> {
  const limit = settings.analyze.maxFileBytes ?? Number.POSITIVE_INFINITY;
  const stat = await vscode.workspace.fs.stat(uri);
  // A notebook is measured by its code cells (analyze does that); only a huge file is skipped unread.
  if (stat.size > fileSizeLimit(file, limit)) {
    return { findings: [], notices: [{ file, kind: 'too-large', level: 'info', message: `skipped: ${(stat.size / 1048576).toFixed(1)} MB is over the ${(limit / 1048576).toFixed(1)} MB limit (setting pipelineDoctor.maxFileSizeMB)` }] };
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(await vscode.workspace.fs.readFile(uri));
  const result = await analyze(file, text, settings.analyze);
  result.tree?.delete();
  return { findings: place(text, result.findings), notices: result.notices };
}
