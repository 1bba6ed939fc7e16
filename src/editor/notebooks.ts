// Diagnostics for Jupyter notebooks open in the notebook editor. The code cells are one program (a later
// cell uses the DataLoader an earlier one made), so a cell is never analysed on its own: any change to
// any cell re-analyses the whole notebook, and each finding goes to the cell document its `cell` names.
import path from 'node:path';
import * as vscode from 'vscode';
import { analyzeNotebookCells, type Notice, type NotebookCell } from '../analyzers';
import type { Finding } from '../shared/findings';
import type { EditorSettings } from './config';
import { toDiagnostic, toRange } from './convert';
import type { Log } from './log';
import { PendingWork } from './pending-work';

export const NOTEBOOK_CELL_SCHEME = 'vscode-notebook-cell';
/** The built-in ipynb serializer's type; other notebook kinds (interactive window, REPL) are not .ipynb programs. */
export const JUPYTER_NOTEBOOK_TYPE = 'jupyter-notebook';

/** What the notebook adapter borrows from the text-document adapter, so both share settings, scope and one collection. */
export interface NotebookHost {
  readonly collection: vscode.DiagnosticCollection;
  settingsFor(uri: vscode.Uri): EditorSettings;
  inWorkspaceScope(uri: vscode.Uri, file: string, settings: EditorSettings): boolean;
  report(uri: vscode.Uri, notices: readonly Notice[]): void;
  /** The notebook left the editor: the host may restore what the workspace scan found on disk. */
  notebookClosed(uri: vscode.Uri): void;
}

interface NotebookState {
  timer?: ReturnType<typeof setTimeout>;
  /** Analyses of one notebook run one after another. */
  queue: Promise<void>;
  lastNotices?: string;
}

interface AnalysedNotebook {
  /** The cells (document and version) analysed: the findings hold for exactly this content. */
  signature: string;
  findings: Finding[];
  /** Cell documents that got diagnostics, so they can be cleared when the cell goes or the notebook closes. */
  published: vscode.Uri[];
}

/** The path the analyzer sees: the real file, or a made-up .ipynb path for an untitled notebook. */
export function notebookAnalysisPath(nb: vscode.NotebookDocument): string | undefined {
  if (nb.notebookType !== JUPYTER_NOTEBOOK_TYPE) return undefined;
  if (nb.uri.scheme === 'file') return nb.uri.fsPath;
  if (nb.uri.scheme === 'untitled') return nb.uri.path.endsWith('.ipynb') ? nb.uri.path : `${nb.uri.path}.ipynb`;
  return undefined;
}

/** The analyzer's view of a cell: Python code cells form the program; other languages and markdown do not. */
export function toNotebookCell(cell: vscode.NotebookCell, source = cell.document.getText()): NotebookCell {
  if (cell.kind === vscode.NotebookCellKind.Markup) return { kind: 'markdown', source };
  return { kind: cell.document.languageId === 'python' ? 'code' : 'raw', source };
}

function signatureOf(nb: vscode.NotebookDocument): string {
  return nb.getCells().map((c) => `${c.document.uri.toString()}@${c.document.version}:${c.kind}:${c.document.languageId}`).join('|');
}

export class NotebookDiagnostics implements vscode.Disposable {
  private readonly states = new Map<string, NotebookState>();
  private readonly analysed = new Map<string, AnalysedNotebook>();
  private readonly pending = new PendingWork();
  private readonly disposables: vscode.Disposable[] = [];
  readonly counts = { analyses: 0 };

  constructor(
    private readonly host: NotebookHost,
    private readonly log: Log,
    private readonly debounceMs: number,
  ) {}

  start(): void {
    this.disposables.push(
      vscode.workspace.onDidOpenNotebookDocument((nb) => this.schedule(nb, 0)),
      vscode.workspace.onDidChangeNotebookDocument((e) => this.onChange(e)),
      // Cell text edits also arrive as notebook changes; this catches them where a host reports only the text change.
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.scheme !== NOTEBOOK_CELL_SCHEME || e.contentChanges.length === 0) return;
        const nb = this.notebookOf(e.document)?.notebook;
        if (nb) this.schedule(nb, this.debounceMs);
      }),
      vscode.workspace.onDidCloseNotebookDocument((nb) => this.onClose(nb)),
      // Like text documents, a notebook may stay loaded long after its editor closed: the tab is what counts.
      vscode.window.tabGroups.onDidChangeTabs((e) => this.onTabsChanged(e)),
    );
    for (const nb of vscode.workspace.notebookDocuments) this.schedule(nb, 0);
  }

  refreshAll(): void {
    for (const nb of vscode.workspace.notebookDocuments) if (this.states.has(nb.uri.toString()) || this.shownInTab(nb.uri)) this.schedule(nb, 0);
  }

  /** The notebook at `uri` when the editor shows it (and so owns its diagnostics), else undefined. */
  tracked(uri: vscode.Uri): vscode.NotebookDocument | undefined {
    const key = uri.toString();
    if (!this.states.has(key)) return undefined;
    return vscode.workspace.notebookDocuments.find((nb) => nb.uri.toString() === key);
  }

  /** The notebook a cell document belongs to, and the cell's index. */
  notebookOf(doc: vscode.TextDocument): { notebook: vscode.NotebookDocument; index: number } | undefined {
    if (doc.uri.scheme !== NOTEBOOK_CELL_SCHEME) return undefined;
    const key = doc.uri.toString();
    for (const notebook of vscode.workspace.notebookDocuments) {
      const index = notebook.getCells().findIndex((c) => c.document.uri.toString() === key);
      if (index >= 0) return { notebook, index };
    }
    return undefined;
  }

  analyzeNow(nb: vscode.NotebookDocument): Promise<void> {
    const state = this.state(nb);
    if (state.timer) clearTimeout(state.timer);
    state.timer = undefined;
    state.queue = state.queue.then(() => this.run(nb)).catch((e: unknown) => this.log.error(`analysis of notebook ${nb.uri.toString()} failed`, e));
    return this.pending.track(state.queue);
  }

  /** The findings (cell coordinates) of the notebook's current content, analysing it first if needed. */
  async findingsFor(nb: vscode.NotebookDocument): Promise<Finding[]> {
    const key = nb.uri.toString();
    const current = this.analysed.get(key);
    if (current && current.signature === signatureOf(nb)) return current.findings;
    await this.analyzeNow(nb);
    const fresh = this.analysed.get(key);
    return fresh && fresh.signature === signatureOf(nb) ? fresh.findings : [];
  }

  async whenIdle(): Promise<void> {
    await this.pending.whenIdle(() => [...this.states.values()].some((s) => s.timer !== undefined));
  }

  private state(nb: vscode.NotebookDocument): NotebookState {
    const key = nb.uri.toString();
    let state = this.states.get(key);
    if (!state) {
      state = { queue: Promise.resolve() };
      this.states.set(key, state);
    }
    return state;
  }

  private schedule(nb: vscode.NotebookDocument, delay: number): void {
    if (notebookAnalysisPath(nb) === undefined) return;
    const state = this.state(nb);
    if (state.timer) clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      state.timer = undefined;
      void this.analyzeNow(nb);
    }, delay);
  }

  private onChange(e: vscode.NotebookDocumentChangeEvent): void {
    // Outputs, metadata and execution summaries change when cells run; only source and cell order matter.
    if (e.contentChanges.length > 0) this.schedule(e.notebook, 0);
    else if (e.cellChanges.some((c) => c.document !== undefined)) this.schedule(e.notebook, this.debounceMs);
  }

  private shownInTab(uri: vscode.Uri): boolean {
    const key = uri.toString();
    return vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputNotebook && t.input.uri.toString() === key));
  }

  private onTabsChanged(e: vscode.TabChangeEvent): void {
    for (const tab of e.closed) {
      if (!(tab.input instanceof vscode.TabInputNotebook) || this.shownInTab(tab.input.uri)) continue;
      const key = tab.input.uri.toString();
      const nb = vscode.workspace.notebookDocuments.find((n) => n.uri.toString() === key);
      if (nb) this.onClose(nb);
    }
    // A notebook that stayed loaded after its tab closed gets no open event when shown again.
    for (const tab of e.opened) {
      if (!(tab.input instanceof vscode.TabInputNotebook)) continue;
      const key = tab.input.uri.toString();
      const nb = vscode.workspace.notebookDocuments.find((n) => n.uri.toString() === key);
      if (nb && !this.states.has(key)) this.schedule(nb, 0);
    }
  }

  private onClose(nb: vscode.NotebookDocument): void {
    const key = nb.uri.toString();
    const state = this.states.get(key);
    if (!state && !this.analysed.has(key)) return;
    if (state?.timer) clearTimeout(state.timer);
    this.states.delete(key);
    this.clear(key);
    this.host.notebookClosed(nb.uri);
  }

  private clear(key: string): void {
    for (const uri of this.analysed.get(key)?.published ?? []) this.host.collection.delete(uri);
    this.analysed.delete(key);
  }

  private async run(nb: vscode.NotebookDocument): Promise<void> {
    if (nb.isClosed) return;
    const file = notebookAnalysisPath(nb);
    if (file === undefined) return;
    const key = nb.uri.toString();
    // No state means the notebook was closed after this analysis was queued.
    const state = this.states.get(key);
    if (!state) return;
    const settings = this.host.settingsFor(nb.uri);
    if (!this.host.inWorkspaceScope(nb.uri, file, settings)) {
      this.clear(key);
      return;
    }
    const signature = signatureOf(nb);
    const cells = nb.getCells();
    const started = performance.now();
    const result = await analyzeNotebookCells(file, cells.map((c) => toNotebookCell(c)), settings.analyze);
    this.counts.analyses++;
    this.log.trace(`analysed notebook ${path.basename(file)} (${cells.length} cells) in ${(performance.now() - started).toFixed(1)} ms: ${result.findings.length} findings`);
    // Superseded by an edit, or closed meanwhile: the scheduled analysis of the newer content publishes.
    if (nb.isClosed || signatureOf(nb) !== signature || this.states.get(key) !== state) return;
    this.publish(nb, cells, signature, result.findings);
    const noticeKey = result.notices.map((n) => n.message).join('\n');
    if (noticeKey !== state.lastNotices) {
      state.lastNotices = noticeKey;
      this.host.report(nb.uri, result.notices);
    }
  }

  private publish(nb: vscode.NotebookDocument, cells: readonly vscode.NotebookCell[], signature: string, findings: Finding[]): void {
    const key = nb.uri.toString();
    const uris = cells.map((c) => c.document.uri);
    const byCell = new Map<number, vscode.Diagnostic[]>();
    for (const f of findings) {
      const cell = f.cell ?? 0;
      if (!uris[cell]) continue;
      byCell.set(cell, [...(byCell.get(cell) ?? []), cellDiagnostic(f, uris)]);
    }
    const published = [...byCell.keys()].map((i) => uris[i]);
    const now = new Set(published.map((u) => u.toString()));
    // Cells that lost their findings, were deleted, or had their document replaced.
    for (const old of this.analysed.get(key)?.published ?? []) if (!now.has(old.toString())) this.host.collection.delete(old);
    for (const [i, diagnostics] of byCell) this.host.collection.set(uris[i], diagnostics);
    // What a workspace scan put on the .ipynb file itself is superseded while the editor shows the cells.
    this.host.collection.delete(nb.uri);
    this.analysed.set(key, { signature, findings, published });
  }

  dispose(): void {
    for (const state of this.states.values()) if (state.timer) clearTimeout(state.timer);
    this.states.clear();
    for (const d of this.disposables) d.dispose();
  }
}

/** A finding as a diagnostic on its cell; related locations in other cells point at those cells. */
function cellDiagnostic(f: Finding, cellUris: readonly vscode.Uri[]): vscode.Diagnostic {
  const own = cellUris[f.cell ?? 0];
  const d = toDiagnostic(f, own);
  if (f.related.length > 0) {
    d.relatedInformation = f.related.map((r) => {
      const uri = r.cell !== undefined && cellUris[r.cell] ? cellUris[r.cell] : r.file && r.file !== f.file ? vscode.Uri.file(r.file) : own;
      return new vscode.DiagnosticRelatedInformation(new vscode.Location(uri, toRange(r.range)), r.message);
    });
  }
  return d;
}
