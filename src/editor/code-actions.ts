// Quick fixes for our diagnostics (the rule's fix — preferred only when safe —, "Suppress CODE on this
// line", "Show documentation for CODE") and `source.fixAll.pipelineDoctor` (safe fixes only, also what
// `editor.codeActionsOnSave` runs). Every change is a WorkspaceEdit, so it is undoable. In a notebook
// cell the findings are the whole notebook's, and a fix's edits go to the cells they name.
import * as vscode from 'vscode';
import type { Edit, Finding } from '../shared/findings';
import { sameRange, toRange, toWorkspaceEdit } from './convert';
import { analysisPath, DIAGNOSTIC_SOURCE, type Diagnostics } from './diagnostics';
import { fixAllEdit, notebookFixAllEdit } from './fix-all';
import { NOTEBOOK_CELL_SCHEME } from './notebooks';
import { commentStyleFor, suppressionEdit, type CommentStyle } from './suppress';

export const FIX_ALL_KIND = vscode.CodeActionKind.SourceFixAll.append('pipelineDoctor');
export const SHOW_DOCS_COMMAND = 'pipelineDoctor.showRuleDocumentation';

export const DOCUMENT_SELECTOR: vscode.DocumentSelector = [
  ...['python', 'yaml', 'json', 'jsonc'].flatMap((language) => [
    { language, scheme: 'file' },
    { language, scheme: 'untitled' },
  ]),
  { language: 'python', scheme: NOTEBOOK_CELL_SCHEME },
];

/** Where a finding's edits go and how its line can be suppressed: one text document, or the cells of a notebook. */
interface FixTarget {
  findings: Finding[];
  /** The findings that may belong to the diagnostics of this document. */
  own(f: Finding): boolean;
  toEdit(edits: readonly Edit[], finding: Finding): vscode.WorkspaceEdit;
  style: CommentStyle | undefined;
  fixAll(): Promise<vscode.WorkspaceEdit | undefined>;
}

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
    if (!wantsFixAll && !(wantsQuickFixes && ours.length > 0)) return actions;
    const target = await this.targetFor(doc);
    if (!target) return actions;
    if (wantsQuickFixes && ours.length > 0) {
      for (const diagnostic of ours) {
        const finding = target.findings.find((f) => target.own(f) && f.code === diagnosticCode(diagnostic) && sameRange(diagnostic.range, f.range));
        if (finding) actions.push(...this.quickFixes(doc, target, diagnostic, finding));
      }
    }
    if (wantsFixAll) {
      const edit = await target.fixAll();
      if (edit) {
        const action = new vscode.CodeAction('Pipeline Doctor: fix all safe problems', FIX_ALL_KIND);
        action.edit = edit;
        actions.push(action);
      }
    }
    return actions;
  }

  private async targetFor(doc: vscode.TextDocument): Promise<FixTarget | undefined> {
    if (doc.uri.scheme !== NOTEBOOK_CELL_SCHEME) {
      return {
        findings: await this.diagnostics.findingsFor(doc),
        own: () => true,
        toEdit: (edits) => toWorkspaceEdit(doc.uri, edits),
        style: commentStyleFor(analysisPath(doc) ?? doc.uri.path, doc.languageId),
        fixAll: () => fixAllEdit(doc, this.diagnostics),
      };
    }
    const located = this.diagnostics.notebooks.notebookOf(doc);
    if (!located) return undefined;
    const { notebook, index } = located;
    const cells = notebook.getCells();
    return {
      findings: await this.diagnostics.notebooks.findingsFor(notebook),
      own: (f) => (f.cell ?? 0) === index,
      toEdit: (edits, finding) => {
        const edit = new vscode.WorkspaceEdit();
        for (const e of edits) {
          const cell = cells[e.cell ?? finding.cell ?? index];
          if (cell) edit.replace(cell.document.uri, toRange(e.range), e.newText);
        }
        return edit;
      },
      style: '#',
      fixAll: () => notebookFixAllEdit(notebook, this.diagnostics),
    };
  }

  private quickFixes(doc: vscode.TextDocument, target: FixTarget, diagnostic: vscode.Diagnostic, finding: Finding): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    for (const fix of finding.fixes) {
      const action = new vscode.CodeAction(fix.safe ? fix.title : `${fix.title} (review: may change behaviour)`, vscode.CodeActionKind.QuickFix);
      action.edit = target.toEdit(fix.edits, finding);
      action.diagnostics = [diagnostic];
      action.isPreferred = fix.safe;
      actions.push(action);
    }
    if (target.style) {
      // The finding's range is relative to `doc` (its own cell in a notebook), and so is the suppression.
      const lines = Array.from({ length: doc.lineCount }, (_, i) => doc.lineAt(i).text);
      const edit = suppressionEdit(lines, finding.range, finding.code, target.style);
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
