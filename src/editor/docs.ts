// Rule documentation inside VS Code: a read-only virtual document `pipeline-doctor-docs:/CODE.md`,
// rendered with the built-in Markdown preview. Diagnostics link to this URI (their `code.target`):
// the hover and the peek view open a diagnostic's target with the opener service WITHOUT
// `allowCommands`, so a `command:` URI would do nothing there; a document URI opens everywhere.
import fs from 'node:fs';
import * as vscode from 'vscode';
import { RULES, ruleByCode } from '../analyzers/registry';
import { ruleDocument, ruleSummary } from '../analyzers/rules/docs';
import { RUNTIME_RULES } from '../runner';
import { locateRuntimeFindingsDoc, runtimeFindingRow } from '../runner/runtime-findings-doc';
import { HIGHLY_INPUT_BOUND_SHARE, MODERATELY_INPUT_BOUND_SHARE } from '../shared/profile';
import type { Log } from './log';

export const DOCS_SCHEME = 'pipeline-doctor-docs';

export function docsUri(code: string): vscode.Uri {
  return vscode.Uri.from({ scheme: DOCS_SCHEME, path: `/${code.toUpperCase()}.md` });
}

export function codeFromDocsUri(uri: vscode.Uri): string {
  return uri.path.replace(/^\//, '').replace(/\.md$/i, '').toUpperCase();
}

let runtimeFindingsDoc: string | undefined;

/** RUN codes exist only as measurements: their page is the catalog entry and its row of docs/runtime-findings.md. */
function runtimeRuleDocument(rule: { code: string; name: string; summary: string }): string {
  const highly = Math.round(HIGHLY_INPUT_BOUND_SHARE * 100);
  const moderately = Math.round(MODERATELY_INPUT_BOUND_SHARE * 100);
  if (runtimeFindingsDoc === undefined) {
    const file = locateRuntimeFindingsDoc();
    runtimeFindingsDoc = file ? fs.readFileSync(file, 'utf8') : '';
  }
  const row = runtimeFindingRow(runtimeFindingsDoc, rule.code);
  return `# ${rule.code}: ${rule.name}\n\n${rule.summary}.\n\n`
    + '## What it is\n\nA runtime finding: **Pipeline Doctor: Profile Pipeline** (or `pipeline-doctor profile`) measured it while running '
    + 'your training script. It is shown at the line that created the training DataLoader, with the measured figures in the message.\n\n'
    + (row ? `## When it is reported\n\n${row.when}\n\nSeverity: ${row.severity}. Figures in the finding: ${row.figures}.\n\n` : '')
    + `## How it is measured\n\nInput share = time waiting for the next batch / step time, per step; the median over the measured steps is the verdict: `
    + `≥ ${highly}% highly input-bound, ≥ ${moderately}% moderately (the thresholds of TF Profiler's input-pipeline analyzer and the PyTorch profiler plugin). `
    + 'Any speedup quoted is a ratio of measured figures (a measured fix comes from sweep trial runs of the real training step, with its interval; "if loading were free" is the data-free control upper bound), never a guess.\n\n'
    + '## What to do\n\nOpen **Pipeline Doctor: Show Dashboard** for the run: the loaders table, the sweep and the data-free control show '
    + 'which setting fixes it and how much faster the steps get. Run the profile again after the change to compare the two runs.\n';
}

class RuleDocsProvider implements vscode.TextDocumentContentProvider {
  provideTextDocumentContent(uri: vscode.Uri): string {
    const code = codeFromDocsUri(uri);
    const rule = ruleByCode(code);
    if (rule) return ruleDocument(rule);
    const runtime = RUNTIME_RULES.find((r) => r.code === code);
    if (runtime) return runtimeRuleDocument(runtime);
    const known = [
      ...RULES.map((r) => `- ${r.code} (${r.name}): ${ruleSummary(r)}`),
      ...RUNTIME_RULES.filter((r) => !ruleByCode(r.code)).map((r) => `- ${r.code} (${r.name}): ${r.summary} (measured by Profile Pipeline)`),
    ];
    return `# Unknown rule ${code}\n\nPipeline Doctor has no rule with this code. Known rules:\n\n${known.join('\n')}\n`;
  }
}

function previewTabOpen(uri: vscode.Uri): boolean {
  const name = uri.path.split('/').pop() ?? '';
  return vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.includes('markdown.preview') && t.label.includes(name)));
}

/** Opens a rule's docs rendered; asks for the rule when none is given. Returns the URI shown. */
export async function showRuleDocs(log: Log, code?: string): Promise<vscode.Uri | undefined> {
  let chosen = code?.toUpperCase();
  if (!chosen) {
    const pick = await vscode.window.showQuickPick(
      [
        ...RULES.map((r) => ({ label: r.code, description: r.name, detail: ruleSummary(r) })),
        ...RUNTIME_RULES.filter((r) => !ruleByCode(r.code)).map((r) => ({ label: r.code, description: r.name, detail: `${r.summary} (measured by Profile Pipeline)` })),
      ],
      { title: 'Pipeline Doctor: rule documentation', matchOnDescription: true, matchOnDetail: true },
    );
    if (!pick) return undefined;
    chosen = pick.label;
  }
  const uri = docsUri(chosen);
  try {
    await vscode.commands.executeCommand('markdown.showPreview', uri);
  } catch (e) {
    // The Markdown extension can be disabled; the plain document still shows the docs.
    log.warn(`Markdown preview unavailable (${(e as Error).message}); showing the docs as text`);
    await vscode.window.showTextDocument(uri, { preview: true });
  }
  return uri;
}

/**
 * Registers the provider and turns a docs document opened as text (a click on a diagnostic's code in
 * the hover, peek view or Problems panel) into the rendered preview. When a preview of it is already
 * open the user asked for the source ("Open Source"), so the text editor stays.
 */
export function registerRuleDocs(log: Log): vscode.Disposable[] {
  const renderWhenOpened = vscode.window.onDidChangeActiveTextEditor(async (editor) => {
    const uri = editor?.document.uri;
    if (!uri || uri.scheme !== DOCS_SCHEME || previewTabOpen(uri)) return;
    try {
      await vscode.commands.executeCommand('markdown.showPreview', uri);
      const textTab = vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .find((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === uri.toString());
      if (textTab) await vscode.window.tabGroups.close(textTab, true);
    } catch (e) {
      log.trace(`docs stay as text: ${(e as Error).message}`);
    }
  });
  return [vscode.workspace.registerTextDocumentContentProvider(DOCS_SCHEME, new RuleDocsProvider()), renderWhenOpened];
}
