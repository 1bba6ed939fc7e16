// Human-readable lint output: `path:line:col: SEVERITY CODE message`, grouped by file, with a summary.
import type { Notice } from '../analyzers';
import type { Finding } from '../shared/findings';

const COLORS = { error: '\x1b[31m', warning: '\x1b[33m', info: '\x1b[36m', hint: '\x1b[90m', reset: '\x1b[0m', dim: '\x1b[2m' };

export function formatFindingsText(findings: readonly Finding[], notices: readonly Notice[], fileCount: number, fixed: number, color: boolean): string {
  const c = (k: keyof typeof COLORS, s: string) => (color ? COLORS[k] + s + COLORS.reset : s);
  const lines: string[] = [];
  for (const f of findings) {
    const loc = `${displayPath(f.file)}:${f.cell !== undefined ? `cell ${f.cell + 1}:` : ''}${f.range.start.line + 1}:${f.range.start.character + 1}`;
    const fixable = f.fixes.some((x) => x.safe) ? c('dim', ' [fixable]') : '';
    lines.push(`${loc}: ${c(f.severity, f.severity.padEnd(7))} ${f.code} ${escapeControls(f.message)}${fixable}`);
  }
  for (const n of notices) lines.push(`${noticeLocation(n)}: ${n.level === 'error' ? c('error', 'error  ') : c('dim', 'note   ')} ${escapeControls(n.message)}`);
  const failed = new Set(notices.filter((n) => n.level === 'error').map((n) => n.file)).size;
  const counts = (['error', 'warning', 'info', 'hint'] as const)
    .map((s) => [s, findings.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}${n === 1 ? '' : 's'}`);
  const fixable = findings.filter((f) => f.fixes.some((x) => x.safe)).length;
  lines.push('');
  lines.push(
    `${findings.length === 0 ? 'No findings' : `${findings.length} finding${findings.length === 1 ? '' : 's'} (${counts.join(', ')})`} in ${fileCount} file${fileCount === 1 ? '' : 's'}` +
      (fixable > 0 ? `; ${fixable} fixable with --fix` : '') +
      (fixed > 0 ? `; applied ${fixed} fix${fixed === 1 ? '' : 'es'}` : '') +
      (failed > 0 ? `; ${failed} file${failed === 1 ? '' : 's'} could not be analysed` : ''),
  );
  return lines.join('\n') + '\n';
}

/** `file`, `file:line` or `file:cell N:line`, as findings are located (cells and lines 1-based for people). */
export function noticeLocation(n: Notice): string {
  const cell = n.cell !== undefined ? `:cell ${n.cell + 1}` : '';
  return `${displayPath(n.file)}${n.line !== undefined ? `${cell}:${n.line + 1}` : cell}`;
}

// C0 and C1 control characters and DEL: a newline would split a record in two, an escape sequence
// would drive the terminal.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Control characters as visible escapes (`\n`, `\u001b`). */
export function escapeControls(s: string): string {
  return s.replace(new RegExp(CONTROL.source, 'g'), (ch) => NAMED[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A path as one unambiguous token on one line: as is when it is plain, else quoted with escapes, the
 * way git quotes unusual paths (a name with a newline stays on its line and cannot pass for two records).
 */
export function displayPath(file: string): string {
  return CONTROL.test(file) ? `"${escapeControls(file.replace(/["\\]/g, '\\$&'))}"` : file;
}
