// `lint --fix` on one file: read, fix with the engine (engine/fix-engine.ts), write back, analyse the
// result for the report. Python and config files are fixed as one text; a notebook's code cells are fixed
// together and written back into the .ipynb JSON source by source (notebook-edit.ts). Whatever goes wrong
// with one file (unreadable, deleted, not a notebook, changed on disk meanwhile) becomes a notice on
// that file, and the run goes on with the next.
import fs from 'node:fs';
import { analyze, analyzeFile, analyzeNotebookCells, DEFAULT_MAX_FILE_BYTES, encodingNotice, fileKind, fileSizeLimit, type AnalysisResult, type AnalyzeOptions, type Notice } from '../analyzers';
import { fixCellsUntilStable, fixUntilStable, type FixNotice } from '../analyzers/engine/fix-engine';
import { NotebookFormatError, parseNotebook, type NotebookCell } from '../analyzers/notebook/notebook';
import { replaceCellSources } from '../analyzers/notebook/notebook-edit';
import { readSourceFile, writeSourceFile } from './source-file';

export interface FixedFile {
  findings: AnalysisResult['findings'];
  notices: Notice[];
  /** Fixes written to the file. */
  fixed: number;
}

export async function fixFile(file: string, options: AnalyzeOptions): Promise<FixedFile> {
  const notice = (level: Notice['level'], message: string): Notice => ({ file, kind: 'fix', level, message });
  try {
    const kind = fileKind(file);
    if (!kind || fs.statSync(file).size > fileSizeLimit(file, options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES)) return { ...(await analyzeFile(file, options)), fixed: 0 };
    const read = readSourceFile(file, kind === 'python');
    if (!read.source.lossless) {
      const { findings, notices, tree } = await analyze(file, read.source.text, options);
      tree?.delete();
      return { findings, notices: [...notices, encodingNotice(file, read.source)], fixed: 0 };
    }
    const said = (fixNotices: FixNotice[]) => fixNotices.map((n) => notice(n.level, n.message));
    if (kind !== 'notebook') {
      const out = await fixUntilStable(read.source.text, (text) => analyze(file, text, options));
      if (out.text !== read.source.text) writeSourceFile(read, out.text);
      return { findings: out.result.findings, notices: [...out.result.notices, ...said(out.notices)], fixed: out.fixed };
    }
    let cells: NotebookCell[];
    try {
      cells = parseNotebook(read.source.text);
    } catch (e) {
      if (!(e instanceof NotebookFormatError)) throw e;
      return { findings: [], notices: [{ file, kind: 'notebook-format', level: 'warning', message: e.message }], fixed: 0 };
    }
    const out = await fixCellsUntilStable(
      cells.map((c) => c.source),
      (sources) => analyzeNotebookCells(file, cells.map((c, i) => ({ ...c, source: sources[i] })), options),
    );
    const changed = new Map<number, string>();
    out.cells.forEach((source, i) => {
      if (source !== cells[i].source) changed.set(i, source);
    });
    if (changed.size > 0) writeSourceFile(read, replaceCellSources(read.source.text, changed));
    return { findings: out.result.findings, notices: [...out.result.notices, ...said(out.notices)], fixed: out.fixed };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'the file is gone' : err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied' : err.message;
    return { findings: [], notices: [notice('error', `not fixed: ${why}`)], fixed: 0 };
  }
}
