// Runtime findings of the last profile run as diagnostics, in their own collection so the static
// analysis (which replaces its diagnostics on every edit) never erases them and they never erase it.
// Each run replaces the previous run's diagnostics; a distinct `source` tells the two apart in Problems.
import * as vscode from 'vscode';
import type { Finding } from '../shared/findings';
import { toDiagnostic } from './diagnostics';

export const RUNTIME_DIAGNOSTIC_SOURCE = 'pipeline-doctor profile';

export class RuntimeDiagnostics implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection(RUNTIME_DIAGNOSTIC_SOURCE);

  /** Shows `findings` (a run's runtime findings) and clears those of earlier runs. */
  show(findings: readonly Finding[]): void {
    this.collection.clear();
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const f of findings) {
      const uri = vscode.Uri.file(f.file);
      const d = toDiagnostic(f, uri);
      d.source = RUNTIME_DIAGNOSTIC_SOURCE;
      const list = byFile.get(uri.toString()) ?? [];
      list.push(d);
      byFile.set(uri.toString(), list);
    }
    for (const [key, list] of byFile) this.collection.set(vscode.Uri.parse(key), list);
  }

  dispose(): void {
    this.collection.dispose();
  }
}
