// Converts the core's plain types (0-based lines, UTF-16 columns — already VS Code's convention) to
// VS Code objects, so no other adapter repeats the mapping.
import * as vscode from 'vscode';
import type { Edit, Finding, Range, Severity } from '../shared/findings';
import { docsUri } from './docs';

export const DIAGNOSTIC_SOURCE = 'pipeline-doctor';

export function toRange(r: Range): vscode.Range {
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}

export function sameRange(a: vscode.Range, b: Range): boolean {
  return a.start.line === b.start.line && a.start.character === b.start.character && a.end.line === b.end.line && a.end.character === b.end.character;
}

const SEVERITY: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

export function toSeverity(s: Severity): vscode.DiagnosticSeverity {
  return SEVERITY[s];
}

/** One WorkspaceEdit for a document, so the change is a single undo step. */
export function toWorkspaceEdit(uri: vscode.Uri, edits: readonly Edit[]): vscode.WorkspaceEdit {
  const edit = new vscode.WorkspaceEdit();
  for (const e of edits) edit.replace(uri, toRange(e.range), e.newText);
  return edit;
}

export function toDiagnostic(f: Finding, uri: vscode.Uri): vscode.Diagnostic {
  // The message says the measured figures in words; the raw figures (keys) are for the dashboard and report.
  const d = new vscode.Diagnostic(toRange(f.range), f.message, toSeverity(f.severity));
  d.source = DIAGNOSTIC_SOURCE;
  d.code = { value: f.code, target: docsUri(f.code) };
  if (f.related.length > 0) {
    d.relatedInformation = f.related.map((r) => new vscode.DiagnosticRelatedInformation(new vscode.Location(r.file ? vscode.Uri.file(r.file) : uri, toRange(r.range)), r.message));
  }
  return d;
}
