// Quick fixes for our diagnostics, the menu ESLint users know: the rule's fix (preferred only when safe),
// "Fix all CODE problems in this file", "Suppress CODE on this line", "Suppress CODE in this file",
// "Configure severity of CODE", "Show documentation for CODE"; and `source.fixAll.pipelineDoctor` (safe
// fixes only, also what `editor.codeActionsOnSave` runs). Every change is a WorkspaceEdit, so it is
// undoable. In a notebook cell the findings are the whole notebook's, and a fix's edits go to the cells
// they name.
import * as vscode from 'vscode';
import type { Edit, Finding } from '../shared/findings';
import { sameRange, toRange, toWorkspaceEdit } from './convert';
import { analysisPath, DIAGNOSTIC_SOURCE, type Diagnostics } from './diagnostics';
import { fixAllEdit, notebookFixAllEdit } from './fix-all';
import { NOTEBOOK_CELL_SCHEME } from './notebooks';
import { CONFIGURE_SEVERITY_COMMAND } from './rule-severity';
import { commentStyleFor, fileSuppressionEdit, suppressionEdit, type CommentStyle } from './suppress';
import { fixMayChangeSpeed, REPROFILE_COMMAND } from './verify-loop';

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
  /** Every safe fix (of `code` only, when given) as one edit. */
  fixAll(code?: string): Promise<vscode.WorkspaceEdit | undefined>;
  /** The edit adding `code` to the file's `ignore-file` directive (the notebook's first code cell). */
  suppressInFile(code: string): vscode.WorkspaceEdit | undefined;
}

/** "Fix all CODE problems in this file" runs the fix engine only when chosen (resolveCodeAction). */
class FixAllOfCodeAction extends vscode.CodeAction {
  constructor(code: string, readonly computeEdit: () => Promise<vscode.WorkspaceEdit | undefined>) {
    super(`Fix all ${code} problems in this file`, vscode.CodeActionKind.QuickFix);
  }
}

function linesOf(doc: vscode.TextDocument): string[] {
  return Array.from({ length: doc.lineCount }, (_, i) => doc.lineAt(i).text);
}

function eolOf(doc: vscode.TextDocument): string {
  return doc.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n';
}

function diagnosticCode(d: vscode.Diagnostic): string | undefined {
  const code = d.code;
  if (code === undefined) return undefined;
  return typeof code === 'object' ? String(code.value) : String(code);
}

class PipelineDoctorActions implements vscode.CodeActionProvider {
  constructor(private readonly diagnostics: Diagnostics) {}

  async resolveCodeAction(action: vscode.CodeAction): Promise<vscode.CodeAction> {
    if (action instanceof FixAllOfCodeAction && !action.edit) action.edit = await action.computeEdit();
    return action;
  }

  async provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): Promise<vscode.CodeAction[]> {
    const actions: vscode.CodeAction[] = [];
    const wantsFixAll = context.only !== undefined && context.only.contains(FIX_ALL_KIND);
    const wantsQuickFixes = context.only === undefined || context.only.intersects(vscode.CodeActionKind.QuickFix);
    const ours = context.diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE);
    if (!wantsFixAll && !(wantsQuickFixes && ours.length > 0)) return actions;
    const target = await this.targetFor(doc);
    if (!target) return actions;
    if (wantsQuickFixes && ours.length > 0) {
      const perCode = new Set<string>();
      for (const diagnostic of ours) {
        const finding = target.findings.find((f) => target.own(f) && f.code === diagnosticCode(diagnostic) && sameRange(diagnostic.range, f.range));
        if (finding) actions.push(...this.quickFixes(doc, target, diagnostic, finding, perCode));
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
      const style = commentStyleFor(analysisPath(doc) ?? doc.uri.path, doc.languageId);
      return {
        findings: await this.diagnostics.findingsFor(doc),
        own: () => true,
        toEdit: (edits) => toWorkspaceEdit(doc.uri, edits),
        style,
        fixAll: (code) => fixAllEdit(doc, this.diagnostics, code),
        suppressInFile: (code) => {
          const edit = style && fileSuppressionEdit(linesOf(doc), code, style, eolOf(doc));
          return edit ? toWorkspaceEdit(doc.uri, [edit]) : undefined;
        },
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
      fixAll: (code) => notebookFixAllEdit(notebook, this.diagnostics, code),
      suppressInFile: (code) => {
        // The directive is read from the whole program: any code cell carries it; the first is where people look.
        const first = cells.find((c) => c.kind === vscode.NotebookCellKind.Code);
        const edit = first && fileSuppressionEdit(linesOf(first.document), code, '#', eolOf(first.document));
        return edit ? toWorkspaceEdit(first.document.uri, [edit]) : undefined;
      },
    };
  }

  /** The actions of one diagnostic; those about the whole file are offered once per code (`perCode`). */
  private quickFixes(doc: vscode.TextDocument, target: FixTarget, diagnostic: vscode.Diagnostic, finding: Finding, perCode: Set<string>): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    const code = finding.code;
    for (const fix of finding.fixes) {
      const action = new vscode.CodeAction(fix.safe ? fix.title : `${fix.title} (review: may change behaviour)`, vscode.CodeActionKind.QuickFix);
      action.edit = target.toEdit(fix.edits, finding);
      action.diagnostics = [diagnostic];
      action.isPreferred = fix.safe;
      // Run after the edit is applied: the verify loop offers to measure the fix, when the file was profiled.
      if (doc.uri.scheme === 'file' && fixMayChangeSpeed(code)) {
        action.command = { command: REPROFILE_COMMAND, title: 'Offer to re-profile and compare', arguments: [{ script: doc.uri.fsPath, offer: true, applied: fix.title }] };
      }
      actions.push(action);
    }
    const firstOfCode = !perCode.has(code);
    perCode.add(code);
    // Only safe fixes are applied in bulk, as by fix-all on save: a reviewed change stays one at a time.
    if (firstOfCode && finding.fixes.some((f) => f.safe)) actions.push(new FixAllOfCodeAction(code, () => target.fixAll(code)));
    if (target.style) {
      // The finding's range is relative to `doc` (its own cell in a notebook), and so is the suppression.
      const edit = suppressionEdit(linesOf(doc), finding.range, code, target.style);
      if (edit) {
        const action = new vscode.CodeAction(`Suppress ${code} on this line`, vscode.CodeActionKind.QuickFix);
        action.edit = toWorkspaceEdit(doc.uri, [edit]);
        action.diagnostics = [diagnostic];
        actions.push(action);
      }
    }
    const inFile = firstOfCode ? target.suppressInFile(code) : undefined;
    if (inFile) {
      const action = new vscode.CodeAction(`Suppress ${code} in this file`, vscode.CodeActionKind.QuickFix);
      action.edit = inFile;
      action.diagnostics = [diagnostic];
      actions.push(action);
    }
    if (firstOfCode) {
      const configure = new vscode.CodeAction(`Configure severity of ${code}`, vscode.CodeActionKind.QuickFix);
      configure.command = { command: CONFIGURE_SEVERITY_COMMAND, title: `Configure severity of ${code}`, arguments: [code, undefined, doc.uri.toString()] };
      actions.push(configure);
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
