// Quick fixes for our diagnostics (the rule's fix — preferred only when safe —, "Suppress CODE on this
// line", "Show documentation for CODE") and `source.fixAll.pipelineDoctor` (safe fixes only, also what
// `editor.codeActionsOnSave` runs). Every change is a WorkspaceEdit, so it is undoable.
import * as vscode from 'vscode';
import type { Finding } from '../shared/findings';
import { sameRange, toWorkspaceEdit } from './convert';
import { analysisPath, DIAGNOSTIC_SOURCE, type Diagnostics } from './diagnostics';
import { fixAllEdit } from './fix-all';
import { commentStyleFor, suppressionEdit } from './suppress';

export const FIX_ALL_KIND = vscode.CodeActionKind.SourceFixAll.append('pipelineDoctor');
export const SHOW_DOCS_COMMAND = 'pipelineDoctor.showRuleDocumentation';

export const DOCUMENT_SELECTOR: vscode.DocumentSelector = ['python', 'yaml', 'json', 'jsonc'].flatMap((language) => [
  { language, scheme: 'file' },
  { language, scheme: 'untitled' },
]);

function diagnosticCode(d: vscode.Diagnostic): string | undefined {
  const code = d.code;
  if (code === undefined) return undefined;
  return typeof code === 'object' ? String(code.value) : String(code);
}

class PipelineDoctorActions implements vscode.CodeActionProvider {
  constructor(private readonly diagnostics: Diagnostics) {}

  async provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): Promise<vscode.CodeAction[]> {
    const actions: vscode.CodeAction[] = [];
    const wantsFixAll = context.only !== undefined && context.only.contains(FIX_ALL_KIND);
    const wantsQuickFixes = context.only === undefined || context.only.intersects(vscode.CodeActionKind.QuickFix);
    const ours = context.diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE);
    if (wantsQuickFixes && ours.length > 0) {
      const findings = await this.diagnostics.findingsFor(doc);
      for (const diagnostic of ours) {
        const finding = findings.find((f) => f.code === diagnosticCode(diagnostic) && sameRange(diagnostic.range, f.range));
        if (finding) actions.push(...this.quickFixes(doc, diagnostic, finding));
      }
    }
    if (wantsFixAll) {
      const edit = await fixAllEdit(doc, this.diagnostics);
      if (edit) {
        const action = new vscode.CodeAction('Pipeline Doctor: fix all safe problems', FIX_ALL_KIND);
        action.edit = edit;
        actions.push(action);
      }
    }
    return actions;
  }

  private quickFixes(doc: vscode.TextDocument, diagnostic: vscode.Diagnostic, finding: Finding): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    for (const fix of finding.fixes) {
      const action = new vscode.CodeAction(fix.safe ? fix.title : `${fix.title} (review: may change behaviour)`, vscode.CodeActionKind.QuickFix);
      action.edit = toWorkspaceEdit(doc.uri, fix.edits);
      action.diagnostics = [diagnostic];
      action.isPreferred = fix.safe;
      actions.push(action);
    }
    const style = commentStyleFor(analysisPath(doc) ?? doc.uri.path, doc.languageId);
    if (style) {
      const lines = Array.from({ length: doc.lineCount }, (_, i) => doc.lineAt(i).text);
      const edit = suppressionEdit(lines, finding.range, finding.code, style);
      if (edit) {
        const action = new vscode.CodeAction(`Suppress ${finding.code} on this line`, vscode.CodeActionKind.QuickFix);
        action.edit = toWorkspaceEdit(doc.uri, [edit]);
        action.diagnostics = [diagnostic];
        actions.push(action);
      }
    }
    const docs = new vscode.CodeAction(`Show documentation for ${finding.code}`, vscode.CodeActionKind.QuickFix);
    docs.command = { command: SHOW_DOCS_COMMAND, title: `Show documentation for ${finding.code}`, arguments: [finding.code] };
    docs.diagnostics = [diagnostic];
    actions.push(docs);
    return actions;
  }
}

export function registerCodeActions(diagnostics: Diagnostics): vscode.Disposable {
  return vscode.languages.registerCodeActionsProvider(DOCUMENT_SELECTOR, new PipelineDoctorActions(diagnostics), {
    providedCodeActionKinds: [vscode.CodeActionKind.QuickFix, FIX_ALL_KIND],
  });
}
