// Offset <-> position mapping for a text, shared by the front ends and applyEdits. A line ends at LF,
// CRLF or a lone CR, as in Python's tokenizer and VS Code; tree-sitter only counts LF, so the parser is
// given `withLineFeeds(text)` (same length, same offsets, same lines), see parser.ts.
import type { Position, Range } from '../../shared/findings';

export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.starts.push(i + 1);
      else if (c === 13 && text.charCodeAt(i + 1) !== 10) this.starts.push(i + 1);
    }
  }

  get lineCount(): number {
    return this.starts.length;
  }

  position(offset: number): Position {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: offset - this.starts[lo] };
  }

  offset(pos: Position): number {
    const line = Math.min(Math.max(pos.line, 0), this.starts.length - 1);
    return Math.min(this.starts[line] + pos.character, this.text.length);
  }

  range(start: number, end: number): Range {
    return { start: this.position(start), end: this.position(end) };
  }

  lineStart(line: number): number {
    return this.starts[Math.min(line, this.starts.length - 1)];
  }

  /** Text of a line without its terminator. */
  lineText(line: number): string {
    const start = this.lineStart(line);
    const next = line + 1 < this.starts.length ? this.starts[line + 1] : this.text.length;
    return this.text.slice(start, next).replace(/\r?\n$|\r$/, '');
  }

  /** The line terminator the file uses most (LF on a tie or without any), for inserted lines. */
  eol(): string {
    let lf = 0;
    let crlf = 0;
    let cr = 0;
    for (let i = 1; i < this.starts.length; i++) {
      const end = this.starts[i] - 1;
      if (this.text.charCodeAt(end) === 13) cr++;
      else if (this.text.charCodeAt(end - 1) === 13) crlf++;
      else lf++;
    }
    if (crlf > lf && crlf >= cr) return '\r\n';
    if (cr > lf && cr > crlf) return '\r';
    return '\n';
  }
}

/**
 * The text with every lone CR turned into LF: the same length and the same lines as `text` under
 * LineIndex, in the form tree-sitter's Python grammar reads (it treats a lone CR as blank space, so
 * its rows and LineIndex's lines would disagree after one).
 */
export function withLineFeeds(text: string): string {
  return text.includes('\r') ? text.replace(/\r(?!\n)/g, '\n') : text;
}
