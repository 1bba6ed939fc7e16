// Rule documentation inside VS Code: a read-only virtual document `pipeline-doctor-docs:/CODE.md`,
// rendered with the built-in Markdown preview. Diagnostics link to this URI (their `code.target`):
// the hover and the peek view open a diagnostic's target with the opener service WITHOUT
// `allowCommands`, so a `command:` URI would do nothing there; a document URI opens everywhere.
import * as vscode from 'vscode';
import { RULES, ruleByCode } from '../analyzers/registry';
import { ruleDocument, ruleSummary } from '../analyzers/rules/docs';
import type { Log } from './log';

export const DOCS_SCHEME = 'pipeline-doctor-docs';

export function docsUri(code: string): vscode.Uri {
  return vscode.Uri.from({ scheme: DOCS_SCHEME, path: `/${code.toUpperCase()}.md` });
}

export function codeFromDocsUri(uri: vscode.Uri): string {
  return uri.path.replace(/^\//, '').replace(/\.md$/i, '').toUpperCase();
}

class RuleDocsProvider implements vscode.TextDocumentContentProvider {
  provideTextDocumentContent(uri: vscode.Uri): string {
    const code = codeFromDocsUri(uri);
    const rule = ruleByCode(code);
    if (rule) return ruleDocument(rule);
    return `# Unknown rule ${code}\n\nPipeline Doctor has no rule with this code. Known rules:\n\n${RULES.map((r) => `- ${r.code} (${r.name}): ${ruleSummary(r)}`).join('\n')}\n`;
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
      RULES.map((r) => ({ label: r.code, description: r.name, detail: ruleSummary(r) })),
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
