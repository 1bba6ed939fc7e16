// The two HTML shells of the dashboard app: the VS Code webview page (scripts by nonce, styles and the
// bundle from the webview's cspSource) and the exported report (one self-contained file: data, script
// and CSS inline, CSP forbidding every fetch). Pure string building; every interpolated value is escaped.
import { bytesToBase64, escapeHtml, jsonForScriptElement } from '../shared/html';
import type { ComparisonMessage, DashboardRun, EmbeddedRun, ReportPayload } from '../shared/protocol';

export interface WebviewPageOptions {
  /** `webview.cspSource` */
  cspSource: string;
  /** Fresh per render, from crypto (see newNonce). */
  nonce: string;
  scriptUri: string;
  styleUri: string;
}

/** The `ready` handshake starts from the bundle; nothing here runs inline. */
export function webviewPageHtml(o: WebviewPageOptions): string {
  const csp = [
    "default-src 'none'",
    `img-src ${o.cspSource} data:`,
    `style-src ${o.cspSource}`,
    `font-src ${o.cspSource}`,
    `script-src 'nonce-${o.nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${escapeHtml(o.styleUri)}">
<title>Pipeline Doctor</title>
</head>
<body>
<main id="app" aria-live="polite"><p class="muted">Loading the dashboard…</p></main>
<script nonce="${escapeHtml(o.nonce)}" src="${escapeHtml(o.scriptUri)}"></script>
</body>
</html>
`;
}

/**
 * The --vscode-* variables a webview gets from VS Code, defined for a browser: the report keeps the rule
 * "colours only from --vscode-* variables" and follows the reader's light or dark preference.
 */
export const REPORT_THEME_CSS = `
:root {
  color-scheme: light dark;
  --vscode-font-family: system-ui, -apple-system, "Segoe UI", Ubuntu, sans-serif;
  --vscode-font-size: 13px;
  --vscode-editor-font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace;
  --vscode-foreground: #3b3b3b;
  --vscode-descriptionForeground: #717171;
  --vscode-editor-background: #ffffff;
  --vscode-sideBar-background: #f8f8f8;
  --vscode-panel-border: #e5e5e5;
  --vscode-widget-border: #e5e5e5;
  --vscode-focusBorder: #005fb8;
  --vscode-textLink-foreground: #005fb8;
  --vscode-button-background: #005fb8;
  --vscode-button-foreground: #ffffff;
  --vscode-button-hoverBackground: #0258a8;
  --vscode-button-secondaryBackground: #e5e5e5;
  --vscode-button-secondaryForeground: #3b3b3b;
  --vscode-badge-background: #cccccc;
  --vscode-badge-foreground: #3b3b3b;
  --vscode-errorForeground: #f85149;
  --vscode-editorError-foreground: #e51400;
  --vscode-editorWarning-foreground: #bf8803;
  --vscode-editorInfo-foreground: #1a85ff;
  --vscode-testing-iconPassed: #388a34;
  --vscode-charts-foreground: #616161;
  --vscode-charts-lines: rgba(97, 97, 97, 0.5);
  --vscode-charts-red: #e51400;
  --vscode-charts-blue: #1a85ff;
  --vscode-charts-yellow: #bf8803;
  --vscode-charts-orange: #d18616;
  --vscode-charts-green: #388a34;
  --vscode-charts-purple: #652d90;
  --vscode-editor-selectionBackground: #add6ff;
  --vscode-textCodeBlock-background: #f2f2f2;
}
@media (prefers-color-scheme: dark) {
  :root {
    --vscode-foreground: #cccccc;
    --vscode-descriptionForeground: #9d9d9d;
    --vscode-editor-background: #1f1f1f;
    --vscode-sideBar-background: #181818;
    --vscode-panel-border: #2b2b2b;
    --vscode-widget-border: #313131;
    --vscode-focusBorder: #0078d4;
    --vscode-textLink-foreground: #4daafc;
    --vscode-button-background: #0078d4;
    --vscode-button-foreground: #ffffff;
    --vscode-button-hoverBackground: #026ec1;
    --vscode-button-secondaryBackground: #313131;
    --vscode-button-secondaryForeground: #cccccc;
    --vscode-badge-background: #616161;
    --vscode-badge-foreground: #f8f8f8;
    --vscode-editorError-foreground: #f14c4c;
    --vscode-editorWarning-foreground: #cca700;
    --vscode-editorInfo-foreground: #3794ff;
    --vscode-testing-iconPassed: #73c991;
    --vscode-charts-foreground: #cccccc;
    --vscode-charts-lines: rgba(204, 204, 204, 0.5);
    --vscode-charts-red: #f14c4c;
    --vscode-charts-blue: #3794ff;
    --vscode-charts-yellow: #cca700;
    --vscode-charts-orange: #d18616;
    --vscode-charts-green: #89d185;
    --vscode-charts-purple: #b180d7;
    --vscode-editor-selectionBackground: #264f78;
    --vscode-textCodeBlock-background: #2b2b2b;
  }
}
body { background: var(--vscode-editor-background); color: var(--vscode-foreground); }
`;

export function embedRun(run: DashboardRun): EmbeddedRun {
  const b = (x: Uint8Array | null): string | null => (x === null ? null : bytesToBase64(x));
  return { ...run, tables: { steps: b(run.tables.steps), system: b(run.tables.system), gpu: b(run.tables.gpu), loaders: b(run.tables.loaders) } };
}

export interface ReportPageOptions {
  run: DashboardRun;
  comparison?: ComparisonMessage | null;
  /** The webview bundle (IIFE) and its CSS, inlined. */
  script: string;
  css: string;
  nonce: string;
  generatedAt?: string;
}

/** A script's text inside <script>: a literal `</script` in it would end the element early. */
function inlineScript(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

function inlineStyle(css: string): string {
  return css.replace(/<\/(style)/gi, '<\\/$1');
}

export function reportPageHtml(o: ReportPageOptions): string {
  const payload: ReportPayload = {
    kind: 'pipeline-doctor-report',
    generatedAt: o.generatedAt ?? new Date().toISOString(),
    run: embedRun(o.run),
    comparison: o.comparison ?? null,
  };
  // No network at all: nothing may be fetched, only the nonce'd inline script and style apply.
  const csp = `default-src 'none'; img-src data:; style-src 'nonce-${o.nonce}'; script-src 'nonce-${o.nonce}'; connect-src 'none'; form-action 'none'; base-uri 'none'`;
  const title = `Pipeline Doctor report: ${o.run.summary.script.split(/[\\/]/).pop() ?? ''}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style nonce="${escapeHtml(o.nonce)}">${inlineStyle(REPORT_THEME_CSS)}
${inlineStyle(o.css)}</style>
</head>
<body class="report">
<main id="app" aria-live="polite"><p>This report needs JavaScript to draw its charts.</p></main>
<script type="application/json" id="pd-report-data">${jsonForScriptElement(payload)}</script>
<script nonce="${escapeHtml(o.nonce)}">${inlineScript(o.script)}</script>
</body>
</html>
`;
}
