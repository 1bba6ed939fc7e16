// "Fix all safe problems": applies every SAFE fix of a document, re-analysing between passes because
// mergeFixEdits leaves clashing fixes for the next pass. The result is one minimal replace edit, so the
// whole fix-all is a single undo step and the cursor outside the changed region stays put.
import * as vscode from 'vscode';
import { analyze, analyzeNotebookCells } from '../analyzers';
import { applyEdits, mergeFixEdits } from '../analyzers/engine/apply-edits';
import type { Edit, Finding } from '../shared/findings';
import type { Diagnostics } from './diagnostics';
import { analysisPath } from './diagnostics';
import { notebookAnalysisPath, toNotebookCell } from './notebooks';

const MAX_PASSES = 5;

/** The document text after all safe fixes, or undefined when there is nothing safe to fix. */
export async function fixedText(doc: vscode.TextDocument, diagnostics: Diagnostics): Promise<string | undefined> {
  const file = analysisPath(doc);
  if (file === undefined) return undefined;
  const settings = diagnostics.settingsFor(doc.uri);
  if (!diagnostics.inScope(doc.uri, file, settings)) return undefined;
  const original = doc.getText();
  let text = original;
  let findings: Finding[] = await diagnostics.findingsFor(doc);
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const safe = findings.flatMap((f) => f.fixes.filter((fix) => fix.safe));
    if (safe.length === 0) break;
    const edits = mergeFixEdits(safe.map((fix) => fix.edits), text);
    if (edits.length === 0) break;
    text = applyEdits(text, edits);
    const skipped = safe.some((fix) => !fix.edits.some((e) => edits.includes(e)));
    if (!skipped) break;
    const result = await analyze(file, text, settings.analyze);
    result.tree?.delete();
    findings = result.findings;
  }
  return text === original ? undefined : text;
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

export async function fixAllEdit(doc: vscode.TextDocument, diagnostics: Diagnostics): Promise<vscode.WorkspaceEdit | undefined> {
  const text = await fixedText(doc, diagnostics);
  return text === undefined ? undefined : minimalEdit(doc, text);
}

/**
 * The source of every cell after all safe fixes, or undefined when there is nothing safe to fix. One fix
 * may edit two cells (the import in the first code cell, the arguments in the loader's cell), and
 * mergeFixEdits must see it whole: the cells are laid end to end so one text holds every edit.
 */
export async function fixedCellTexts(nb: vscode.NotebookDocument, diagnostics: Diagnostics): Promise<string[] | undefined> {
  const file = notebookAnalysisPath(nb);
  if (file === undefined) return undefined;
  const settings = diagnostics.settingsFor(nb.uri);
  if (!diagnostics.inWorkspaceScope(nb.uri, file, settings)) return undefined;
  const cells = nb.getCells();
  const original = cells.map((c) => c.document.getText());
  const texts = [...original];
  let findings: Finding[] = await diagnostics.notebooks.findingsFor(nb);
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const firstLine: number[] = [];
    let line = 0;
    for (const t of texts) {
      firstLine.push(line);
      line += t.split('\n').length;
    }
    const home = new Map<Edit, { cell: number; edit: Edit }>();
    const fixes = findings.flatMap((f) =>
      f.fixes.filter((fix) => fix.safe).map((fix) =>
        fix.edits.map((e) => {
          const cell = e.cell ?? f.cell ?? 0;
          const shifted: Edit = {
            range: { start: { line: e.range.start.line + firstLine[cell], character: e.range.start.character }, end: { line: e.range.end.line + firstLine[cell], character: e.range.end.character } },
            newText: e.newText,
          };
          home.set(shifted, { cell, edit: e });
          return shifted;
        }),
      ),
    );
    if (fixes.length === 0) break;
    const chosen = mergeFixEdits(fixes, texts.join('\n'));
    if (chosen.length === 0) break;
    const perCell = new Map<number, Edit[]>();
    for (const e of chosen) {
      const at = home.get(e);
      if (at) perCell.set(at.cell, [...(perCell.get(at.cell) ?? []), at.edit]);
    }
    for (const [cell, edits] of perCell) texts[cell] = applyEdits(texts[cell], edits);
    const skipped = fixes.some((edits) => !edits.some((e) => chosen.includes(e)));
    if (!skipped) break;
    const result = await analyzeNotebookCells(file, cells.map((c, i) => toNotebookCell(c, texts[i])), settings.analyze);
    findings = result.findings;
  }
  return texts.every((t, i) => t === original[i]) ? undefined : texts;
}

/** Fix-all for a notebook: one WorkspaceEdit with a minimal replace in each changed cell. */
export async function notebookFixAllEdit(nb: vscode.NotebookDocument, diagnostics: Diagnostics): Promise<vscode.WorkspaceEdit | undefined> {
  const texts = await fixedCellTexts(nb, diagnostics);
  if (texts === undefined) return undefined;
  const edit = new vscode.WorkspaceEdit();
  nb.getCells().forEach((cell, i) => {
    if (texts[i] !== cell.document.getText()) minimalEdit(cell.document, texts[i], edit);
  });
  return edit;
}
