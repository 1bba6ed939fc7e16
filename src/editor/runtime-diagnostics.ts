// Runtime findings of the last profile run as diagnostics, in their own collection so the static
// analysis (which replaces its diagnostics on every edit) never erases them and they never erase it.
// Each run replaces the previous run's diagnostics; a distinct `source` tells the two apart in Problems.
//
// One diagnostic per code and location: a runtime finding on the line of a static finding of the same
// code (LOAD001 measured at the DataLoader the rule flagged) is not shown twice; its message joins the
// static diagnostic (src/editor/diagnostics.ts), which keeps the rule's quick fix. A measurement is of
// the code as it ran: an edit on a finding's lines removes it (Apply fix rewrites the very line it
// measured), and an edit above it moves it with its line.
import * as vscode from 'vscode';
import type { Finding } from '../shared/findings';
import type { Diagnostics, MeasuredFindings } from './diagnostics';
import { toDiagnostic } from './diagnostics';
import { rangeAfterChanges } from './edited-ranges';

export const RUNTIME_DIAGNOSTIC_SOURCE = 'pipeline-doctor profile';

export class RuntimeDiagnostics implements vscode.Disposable, MeasuredFindings {
  readonly collection = vscode.languages.createDiagnosticCollection(RUNTIME_DIAGNOSTIC_SOURCE);
  /** The last run's findings by document URI, with their ranges kept up to date with edits. */
  private byFile = new Map<string, Finding[]>();
  private readonly watch: vscode.Disposable;

  constructor(private readonly staticDiagnostics: Diagnostics) {
    staticDiagnostics.joinMeasured(this);
    this.watch = vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e));
  }

  /** Shows `findings` (a run's runtime findings) and clears those of earlier runs. */
  show(findings: readonly Finding[]): void {
    const before = [...this.byFile.keys()];
    this.byFile = new Map();
    for (const f of findings) {
      const key = vscode.Uri.file(f.file).toString();
      this.byFile.set(key, [...(this.byFile.get(key) ?? []), f]);
    }
    this.collection.clear();
    for (const key of new Set([...before, ...this.byFile.keys()])) this.refresh(vscode.Uri.parse(key));
  }

  twinOf(uri: vscode.Uri, f: Finding): Finding | undefined {
    return this.byFile.get(uri.toString())?.find((r) => r.code === f.code && r.range.start.line === f.range.start.line);
  }

  staticChanged(uri: vscode.Uri): void {
    this.publish(uri);
  }

  /** Runtime diagnostics of `uri` without those that joined a static twin. */
  private publish(uri: vscode.Uri): void {
    const own = this.byFile.get(uri.toString()) ?? [];
    const published = this.staticDiagnostics.published(uri);
    const shown = own.filter((r) => !published.some((f) => f.code === r.code && f.range.start.line === r.range.start.line));
    if (shown.length === 0) {
      this.collection.delete(uri);
      return;
    }
    this.collection.set(uri, shown.map((f) => {
      const d = toDiagnostic(f, uri);
      d.source = RUNTIME_DIAGNOSTIC_SOURCE;
      return d;
    }));
  }

  /** Both collections of `uri`: the runtime one, and the static one a measured message joins. */
  private refresh(uri: vscode.Uri): void {
    this.publish(uri);
    this.staticDiagnostics.republish(uri);
  }

  private onEdit(e: vscode.TextDocumentChangeEvent): void {
    const key = e.document.uri.toString();
    const own = this.byFile.get(key);
    if (!own || e.contentChanges.length === 0) return;
    const changes = e.contentChanges.map((c) => ({
      range: { start: { line: c.range.start.line, character: c.range.start.character }, end: { line: c.range.end.line, character: c.range.end.character } },
      text: c.text,
    }));
    const kept: Finding[] = [];
    for (const f of own) {
      const range = rangeAfterChanges(f.range, changes);
      if (range) kept.push({ ...f, range });
    }
    if (kept.length > 0) this.byFile.set(key, kept);
    else this.byFile.delete(key);
    // The static diagnostics follow with their re-analysis of this edit, which asks twinOf again.
    this.publish(e.document.uri);
  }

  dispose(): void {
    this.watch.dispose();
    this.collection.dispose();
  }
}
