// Jupyter notebooks: the code cells are analysed as one program in document order (the order "Run All"
// executes them), and every position is mapped back to its cell. IPython magics and shell escapes are
// turned into comments of the same length, so columns stay exact.
import type { Edit, Finding, Position, Range, RelatedLocation } from '../../shared/findings';

export interface NotebookCell {
  kind: 'code' | 'markdown' | 'raw';
  source: string;
}

export class NotebookFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotebookFormatError';
  }
}

/** Reads the cells of an .ipynb (nbformat 4; `source` as a string or a list of lines). */
export function parseNotebook(text: string): NotebookCell[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new NotebookFormatError(`not valid notebook JSON: ${(e as Error).message}`);
  }
  const cells = doc !== null && typeof doc === 'object' ? (doc as { cells?: unknown }).cells : undefined;
  if (!Array.isArray(cells)) throw new NotebookFormatError('not a Jupyter notebook: no "cells" list');
  return cells.map((c: unknown, i) => {
    if (c === null || typeof c !== 'object' || Array.isArray(c)) throw new NotebookFormatError(`not a Jupyter notebook: cell ${i + 1} is not an object`);
    const cell = c as { cell_type?: unknown; source?: unknown };
    const source = Array.isArray(cell.source) ? cell.source.map(String).join('') : typeof cell.source === 'string' ? cell.source : '';
    const kind = cell.cell_type === 'code' ? 'code' : cell.cell_type === 'markdown' ? 'markdown' : 'raw';
    return { kind, source };
  });
}

/** Cell magics whose body is Python that IPython runs (timed, captured, profiled). */
const PYTHON_CELL_MAGIC = /^\s*%%(time|timeit|capture|prun)\b/;

/**
 * `%matplotlib inline` -> `#matplotlib inline`, `!pip install x` -> `#pip install x`. A cell magic's body
 * is Python only for the magics above; `%%bash`, `%%html`, `%%writefile`, ... bodies are not run as
 * Python, so every line of them becomes a comment (its first character replaced, so columns stay).
 * As in IPython, a line magic or shell escape starts a statement: a `%` or `!` line inside open brackets
 * or after a backslash is Python (`% (epoch, n))` continuing a `print("..." ...`), and a shell escape
 * ending in a backslash continues on the next line.
 */
function neutraliseMagics(source: string): string {
  const lines = source.split('\n');
  const comment = (line: string) => line.replace(/^(\s*)\S/, '$1#');
  if (/^\s*%%/.test(lines[0] ?? '') && !PYTHON_CELL_MAGIC.test(lines[0])) return lines.map(comment).join('\n');
  const out: string[] = [];
  let python: PythonLineState = { depth: 0, openString: null, continues: false };
  let magicContinues = false;
  for (const line of lines) {
    const statementStart = python.depth === 0 && python.openString === null && !python.continues;
    if (magicContinues || (statementStart && /^\s*[%!]/.test(line))) {
      out.push(comment(line));
      magicContinues = /\\\s*$/.test(line);
      continue;
    }
    magicContinues = false;
    out.push(line);
    python = scanPythonLine(line, python);
  }
  return out.join('\n');
}

interface PythonLineState {
  /** Brackets open at the end of the line. */
  depth: number;
  /** The delimiter of a triple-quoted string still open, or null. */
  openString: string | null;
  /** The line ends with a backslash: the statement goes on. */
  continues: boolean;
}

/** Just enough tokenizing to know whether the next line starts a statement: strings, comments, brackets. */
function scanPythonLine(line: string, state: PythonLineState): PythonLineState {
  let { depth, openString } = state;
  let i = 0;
  while (i < line.length) {
    if (openString !== null) {
      if (line[i] === '\\') i += 2;
      else if (line.startsWith(openString, i)) {
        i += openString.length;
        openString = null;
      } else i++;
      continue;
    }
    const c = line[i];
    if (c === '#') break;
    if (c === '"' || c === "'") {
      if (line.startsWith(c.repeat(3), i)) {
        openString = c.repeat(3);
        i += 3;
        continue;
      }
      for (i++; i < line.length && line[i] !== c; i++) if (line[i] === '\\') i++;
      i++;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1);
    i++;
  }
  return { depth, openString, continues: openString === null && /\\\r?$/.test(line) };
}

/** The program the notebook's code cells form, and where each cell starts in it. */
export class NotebookProgram {
  readonly text: string;
  /** For each cell: its first line in `text`, or -1 for cells that are not code. */
  readonly cellStart: number[] = [];
  private readonly codeCells: number[] = [];

  constructor(readonly cells: readonly NotebookCell[]) {
    const parts: string[] = [];
    let line = 0;
    cells.forEach((cell, i) => {
      if (cell.kind !== 'code') {
        this.cellStart.push(-1);
        return;
      }
      const code = neutraliseMagics(cell.source.replace(/\r\n?/g, '\n'));
      this.cellStart.push(line);
      this.codeCells.push(i);
      parts.push(code);
      line += code.split('\n').length;
    });
    this.text = parts.join('\n');
  }

  /** The cell holding a program line, and the position relative to that cell. */
  toCell(pos: Position): { cell: number; position: Position } {
    let cell = this.codeCells[0] ?? 0;
    for (const i of this.codeCells) if (this.cellStart[i] <= pos.line) cell = i;
    return { cell, position: { line: pos.line - this.cellStart[cell], character: pos.character } };
  }

  private rangeToCell(range: Range): { cell: number; range: Range } {
    const start = this.toCell(range.start);
    const end = this.toCell(range.end);
    // A range that runs past its cell is clipped to the start cell's last line.
    const endPos = end.cell === start.cell ? end.position : { line: this.cellLineCount(start.cell) - 1, character: this.cellLastLineLength(start.cell) };
    return { cell: start.cell, range: { start: start.position, end: endPos } };
  }

  private cellLineCount(cell: number): number {
    return this.cells[cell].source.split('\n').length;
  }

  private cellLastLineLength(cell: number): number {
    const lines = this.cells[cell].source.split('\n');
    return lines[lines.length - 1].length;
  }

  /** Rewrites a finding found in the program into cell coordinates (ranges, fixes, related locations). */
  mapFinding(f: Finding): Finding {
    const { cell, range } = this.rangeToCell(f.range);
    const edit = (e: Edit): Edit => {
      const m = this.rangeToCell(e.range);
      return { ...e, range: m.range, cell: m.cell };
    };
    const related = (r: RelatedLocation): RelatedLocation => {
      if (r.file && r.file !== f.file) return r;
      const m = this.rangeToCell(r.range);
      return { ...r, range: m.range, cell: m.cell };
    };
    return { ...f, cell, range, fixes: f.fixes.map((x) => ({ ...x, edits: x.edits.map(edit) })), related: f.related.map(related) };
  }
}
