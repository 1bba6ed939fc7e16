// "Fix all safe problems": every SAFE fix of a document, through the same engine as `lint --fix`
// (engine/fix-engine.ts: passes until stable, a pass that breaks the syntax dropped). The result is one
// minimal replace edit, so the whole fix-all is a single undo step and the cursor outside the changed
// region stays put.
import * as vscode from 'vscode';
import type { Finding } from '../shared/findings';
import { analyze, analyzeNotebookCells, type AnalyzeOptions } from '../analyzers';
import { fixCellsUntilStable, fixUntilStable, type FixNotice } from '../analyzers/engine/fix-engine';
import type { Diagnostics } from './diagnostics';
import { analysisPath } from './diagnostics';
import { notebookAnalysisPath, toNotebookCell } from './notebooks';

/**
 * A fix-all that stopped short (did not converge, would break the syntax) says so. A file that does not
 * parse yet is passed over quietly: fix-all also runs on save, often mid-edit.
 */
function tell(notices: readonly FixNotice[]): void {
  for (const n of notices) if (n.level === 'error') void vscode.window.showWarningMessage(`Pipeline Doctor: ${n.message}`);
}

/** Restricts a fix-all to one rule ("Fix all LOAD001 problems in this file"). */
function onlyCode(options: AnalyzeOptions, code: string | undefined): AnalyzeOptions {
  return code === undefined ? options : { ...options, select: [code] };
}

/** Whether the current findings offer a safe fix (of `code`): without one, fix-all (run on every save) analyses nothing again. */
function offersSafeFix(findings: readonly Finding[], code: string | undefined): boolean {
  return findings.some((f) => (code === undefined || f.code === code) && f.fixes.some((x) => x.safe));
}

/** The document text after all safe fixes (of `code` only, when given), or undefined when there is nothing safe to fix. */
export async function fixedText(doc: vscode.TextDocument, diagnostics: Diagnostics, code?: string): Promise<string | undefined> {
  const file = analysisPath(doc);
  if (file === undefined) return undefined;
  const settings = diagnostics.settingsFor(doc.uri);
  if (!diagnostics.inScope(doc.uri, file, settings)) return undefined;
  if (!offersSafeFix(await diagnostics.findingsFor(doc), code)) return undefined;
  const original = doc.getText();
  const options = onlyCode(settings.analyze, code);
  const out = await fixUntilStable(original, (text) => analyze(file, text, options));
  tell(out.notices);
  return out.text === original ? undefined : out.text;
}

/** One edit replacing only the region where `before` and `after` differ. */
export function minimalEdit(doc: vscode.TextDocument, after: string, edit = new vscode.WorkspaceEdit()): vscode.WorkspaceEdit {
  const before = doc.getText();
  let prefix = 0;
  const max = Math.min(before.length, after.length);
  while (prefix < max && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (suffix < max - prefix && before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)) suffix++;
  edit.replace(doc.uri, new vscode.Range(doc.positionAt(prefix), doc.positionAt(before.length - suffix)), after.slice(prefix, after.length - suffix));
  return edit;
}

export async function fixAllEdit(doc: vscode.TextDocument, diagnostics: Diagnostics, code?: string): Promise<vscode.WorkspaceEdit | undefined> {
  const text = await fixedText(doc, diagnostics, code);
  return text === undefined ? undefined : minimalEdit(doc, text);
}

/**
 * The source of every cell after all safe fixes, or undefined when there is nothing safe to fix. One fix
 * may edit two cells (the import in the first code cell, the arguments in the loader's cell); the engine
 * fixes the cells together.
 */
export async function fixedCellTexts(nb: vscode.NotebookDocument, diagnostics: Diagnostics, code?: string): Promise<string[] | undefined> {
  const file = notebookAnalysisPath(nb);
  if (file === undefined) return undefined;
  const settings = diagnostics.settingsFor(nb.uri);
  if (!diagnostics.inWorkspaceScope(nb.uri, file, settings)) return undefined;
  if (!offersSafeFix(await diagnostics.notebooks.findingsFor(nb), code)) return undefined;
  const cells = nb.getCells();
  const original = cells.map((c) => c.document.getText());
  const options = onlyCode(settings.analyze, code);
  const out = await fixCellsUntilStable(original, (texts) => analyzeNotebookCells(file, cells.map((c, i) => toNotebookCell(c, texts[i])), options));
  tell(out.notices);
  return out.cells.every((t, i) => t === original[i]) ? undefined : out.cells;
}

/** Fix-all for a notebook: one WorkspaceEdit with a minimal replace in each changed cell. */
export async function notebookFixAllEdit(nb: vscode.NotebookDocument, diagnostics: Diagnostics, code?: string): Promise<vscode.WorkspaceEdit | undefined> {
  const texts = await fixedCellTexts(nb, diagnostics, code);
  if (texts === undefined) return undefined;
  const edit = new vscode.WorkspaceEdit();
  nb.getCells().forEach((cell, i) => {
    if (texts[i] !== cell.document.getText()) minimalEdit(cell.document, texts[i], edit);
  });
  return edit;
}
