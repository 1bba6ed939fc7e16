// "Suppress CODE on this line": the edit that adds or extends `# pipeline-doctor: ignore[CODE]`.
// Pure (no `vscode`), so the line rules are unit-testable. Only offered where a comment is valid:
// Python and YAML take `#`, JSONC takes `//`, plain JSON (read by tools that reject comments) none.
import type { Edit, Range } from '../shared/findings';

export type CommentStyle = '#' | '//';

export function commentStyleFor(file: string, languageId: string): CommentStyle | undefined {
  const lower = file.toLowerCase();
  if (languageId === 'python' || /\.pyi?$/.test(lower)) return '#';
  if (languageId === 'yaml' || /\.ya?ml$/.test(lower)) return '#';
  if (lower.endsWith('.jsonc')) return '//';
  return undefined;
}

const EXISTING = /(#|\/\/)\s*pipeline-doctor:\s*ignore(?!-file)\[([^\]]*)\]/;

/**
 * The edit suppressing `code` for a finding at `range`, or undefined when no line can carry it.
 * `lines` is the document split into lines (no terminators). The analyzer honours a directive on the
 * first or the last line of a finding; a Python line ending in `\` cannot take a comment, so the other
 * line is tried.
 */
export function suppressionEdit(lines: readonly string[], range: Range, code: string, style: CommentStyle): Edit | undefined {
  const candidates = [...new Set([range.start.line, range.end.line])];
  for (const line of candidates) {
    const text = lines[line];
    if (text === undefined) continue;
    const existing = EXISTING.exec(text);
    if (existing) {
      const codes = existing[2].split(',').map((c) => c.trim()).filter(Boolean);
      if (codes.includes(code)) return undefined;
      const start = existing.index + existing[0].indexOf('[') + 1;
      const end = existing.index + existing[0].length - 1;
      return { range: { start: { line, character: start }, end: { line, character: end } }, newText: [...codes, code].join(', ') };
    }
    const content = text.replace(/\s+$/, '');
    if (content.endsWith('\\')) continue;
    const directive = `${style} pipeline-doctor: ignore[${code}]`;
    return {
      range: { start: { line, character: content.length }, end: { line, character: text.length } },
      newText: content.length === 0 ? directive : `  ${directive}`,
    };
  }
  return undefined;
}

const FILE_DIRECTIVE = /(#|\/\/)\s*pipeline-doctor:\s*ignore-file(?:\[([^\]]*)\])?/;

/**
 * The edit suppressing `code` in the whole file: extends an existing `ignore-file[...]` directive, else
 * adds one on its own line at the top (after a shebang and a PEP 263 coding line, which must stay first).
 * Undefined when the file already ignores the code.
 */
export function fileSuppressionEdit(lines: readonly string[], code: string, style: CommentStyle, eol = '\n'): Edit | undefined {
  for (const [line, text] of lines.entries()) {
    const existing = FILE_DIRECTIVE.exec(text);
    if (!existing) continue;
    if (existing[2] === undefined) return undefined; // `ignore-file` alone silences every code
    const codes = existing[2].split(',').map((c) => c.trim()).filter(Boolean);
    if (codes.includes(code)) return undefined;
    const start = existing.index + existing[0].indexOf('[') + 1;
    const end = existing.index + existing[0].length - 1;
    return { range: { start: { line, character: start }, end: { line, character: end } }, newText: [...codes, code].join(', ') };
  }
  let line = 0;
  if (style === '#') {
    if (lines[line]?.startsWith('#!')) line++;
    if (line < 2 && /^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+/.test(lines[line] ?? '')) line++;
  }
  const at = { line, character: 0 };
  return { range: { start: at, end: at }, newText: `${style} pipeline-doctor: ignore-file[${code}]${eol}` };
}
