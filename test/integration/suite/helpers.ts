// Shared helpers for the tests inside the extension host: the workspace, waiting for diagnostics, and
// the extension's test API. The workspace is a temp copy made by scripts/run-vscode-tests.mjs.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { PipelineDoctorApi } from '../../../src/editor/api';

export const EXTENSION_ID = 'pipeline-doctor.pipeline-doctor';
export const SOURCE = 'pipeline-doctor';

export async function api(): Promise<PipelineDoctorApi> {
  const ext = vscode.extensions.getExtension<PipelineDoctorApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed in this extension host`);
  return ext.isActive ? ext.exports : ext.activate();
}

export function folder(): vscode.WorkspaceFolder {
  const f = vscode.workspace.workspaceFolders?.[0];
  assert.ok(f, 'no workspace folder is open');
  return f;
}

export function wsUri(rel: string): vscode.Uri {
  return vscode.Uri.joinPath(folder().uri, ...rel.split('/'));
}

export async function writeFile(rel: string, content: string | Uint8Array): Promise<vscode.Uri> {
  const uri = wsUri(rel);
  await vscode.workspace.fs.writeFile(uri, typeof content === 'string' ? new TextEncoder().encode(content) : content);
  return uri;
}

export async function readWs(rel: string): Promise<string> {
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(wsUri(rel)));
}

export async function open(relOrUri: string | vscode.Uri): Promise<vscode.TextEditor> {
  const uri = typeof relOrUri === 'string' ? wsUri(relOrUri) : relOrUri;
  const doc = await vscode.workspace.openTextDocument(uri);
  return vscode.window.showTextDocument(doc, { preview: false });
}

export function ours(uri: vscode.Uri, code?: string): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE && (code === undefined || codeOf(d) === code));
}

export function codeOf(d: vscode.Diagnostic): string | undefined {
  return typeof d.code === 'object' ? String(d.code.value) : d.code === undefined ? undefined : String(d.code);
}

export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until `uri` has exactly `count` of our diagnostics with `code`, and returns them. */
export async function waitForDiagnostics(uri: vscode.Uri, code: string, count: number, timeoutMs = 10_000): Promise<vscode.Diagnostic[]> {
  await waitFor(() => ours(uri, code).length === count, `${count} ${code} diagnostic(s) on ${vscode.workspace.asRelativePath(uri)} (now ${ours(uri, code).length})`, timeoutMs);
  return ours(uri, code);
}

/** Waits for the analyzer to settle: debounce timers, then pending analyses. */
export async function settle(): Promise<void> {
  await (await api()).whenIdle();
}

export function rangeOf(d: vscode.Diagnostic): [number, number, number, number] {
  return [d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character];
}

export async function codeActions(uri: vscode.Uri, range: vscode.Range, kind?: string): Promise<vscode.CodeAction[]> {
  const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, range, kind);
  return actions ?? [];
}

export async function updateSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('pipelineDoctor').update(key, value, vscode.ConfigurationTarget.Workspace);
}

/** Closes every editor, reverting unsaved changes first so no "Save?" dialog blocks the close. */
export async function closeAll(): Promise<void> {
  for (const doc of vscode.workspace.textDocuments.filter((d) => d.isDirty)) {
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  }
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

/**
 * A naive training script; the DataLoader name sits on line 6, columns 13-23. Its dataset is built in place
 * from a map-style class, so LOAD001's fix is safe (a dataset passed in could be an IterableDataset).
 */
export const NAIVE_TRAIN = `# A naive training script.
import torch
from torch.utils.data import DataLoader, Subset


def train(model, dataset, opt):
    loader = DataLoader(Subset(dataset, range(4096)), batch_size=64, shuffle=True)
    for x, y in loader:
        loss = model(x, y)
        loss.backward()
        opt.step()
`;
