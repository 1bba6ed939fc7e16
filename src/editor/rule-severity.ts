// "Configure severity of CODE" (a quick fix on every finding, and a palette command): asks for what is
// missing and writes the choice into `pipelineDoctor.rules` (config.ts writeRuleSeverity).
import * as vscode from 'vscode';
import { RULES, ruleByCode } from '../analyzers/registry';
import type { SeveritySetting } from '../shared/findings';
import { configuredSeverity, isSeveritySetting, writeRuleSeverity } from './config';

export const CONFIGURE_SEVERITY_COMMAND = 'pipelineDoctor.configureRuleSeverity';

const CHOICES: ReadonlyArray<{ value: SeveritySetting; detail: string }> = [
  { value: 'error', detail: 'Shown as an error' },
  { value: 'warning', detail: 'Shown as a warning' },
  { value: 'info', detail: 'Shown as information' },
  { value: 'hint', detail: 'Shown as a hint (dotted underline)' },
  { value: 'off', detail: 'Rule disabled' },
];

/**
 * Arguments come from a code action (`[code, undefined, uri]`), a test (`[code, severity, uri]`) or the
 * palette (none): whatever is missing or malformed is asked for. Resolves to true when the setting was written.
 */
export async function configureRuleSeverity(codeArg?: unknown, severityArg?: unknown, uriArg?: unknown): Promise<boolean> {
  let code = typeof codeArg === 'string' && ruleByCode(codeArg) ? codeArg : undefined;
  if (!code) {
    const picked = await vscode.window.showQuickPick(
      RULES.map((r) => ({ label: r.code, description: r.name })),
      { title: 'Configure the severity of a Pipeline Doctor rule', matchOnDescription: true },
    );
    if (!picked) return false;
    code = picked.label;
  }
  const uri = typeof uriArg === 'string' ? vscode.Uri.parse(uriArg) : vscode.window.activeTextEditor?.document.uri;
  let severity = isSeveritySetting(severityArg) ? severityArg : undefined;
  if (!severity) {
    const current = configuredSeverity(uri, code) ?? ruleByCode(code)!.severity;
    const picked = await vscode.window.showQuickPick(
      CHOICES.map((c) => ({ label: c.value, detail: c.detail, description: c.value === current ? 'current' : undefined })),
      { title: `Severity of ${code}` },
    );
    if (!picked) return false;
    severity = picked.label as SeveritySetting;
  }
  await writeRuleSeverity(uri, code, severity);
  return true;
}
