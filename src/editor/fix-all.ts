// "Fix all safe problems": applies every SAFE fix of a document, re-analysing between passes because
// mergeFixEdits leaves clashing fixes for the next pass. The result is one minimal replace edit, so the
// whole fix-all is a single undo step and the cursor outside the changed region stays put.
import * as vscode from 'vscode';
import { analyze } from '../analyzers';
import { applyEdits, mergeFixEdits } from '../analyzers/engine/apply-edits';
import type { Finding } from '../shared/findings';
import type { Diagnostics } from './diagnostics';
import { analysisPath } from './diagnostics';

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
export function minimalEdit(doc: vscode.TextDocument, after: string): vscode.WorkspaceEdit {
  const before = doc.getText();
  let prefix = 0;
  const max = Math.min(before.length, after.length);
  while (prefix < max && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (suffix < max - prefix && before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)) suffix++;
  const edit = new vscode.WorkspaceEdit();
  edit.replace(doc.uri, new vscode.Range(doc.positionAt(prefix), doc.positionAt(before.length - suffix)), after.slice(prefix, after.length - suffix));
  return edit;
}

export async function fixAllEdit(doc: vscode.TextDocument, diagnostics: Diagnostics): Promise<vscode.WorkspaceEdit | undefined> {
  const text = await fixedText(doc, diagnostics);
  return text === undefined ? undefined : minimalEdit(doc, text);
}
