// The one entry point of the analyzer: text in, findings out. Pure: no `vscode`, no settings, no IO
// beyond what the caller passes (analyzeFile reads one file for the CLI and the workspace scan).
import fs from 'node:fs';
import path from 'node:path';
import type { Tree } from 'web-tree-sitter';
import { compareFindings, severityRank, type Finding, type Severity, type SeveritySetting } from '../shared/findings';
import { classifyConfig } from './config/classify';
import { ConfigDocument } from './config/document';
import { parsePython } from './engine/parser';
import { decodeSource, type DecodedSource } from './engine/source-encoding';
import { Suppressions } from './engine/suppressions';
import { fileKind } from './file-kind';
import { NotebookFormatError, NotebookProgram, parseNotebook, type NotebookCell } from './notebook/notebook';
import { isTestOrDebugPath, PythonModule } from './python/module';
import { projectIndex } from './workspace/project';
import { RULES } from './registry';
import { formatMessage } from './rules/messages';
import type { Report, Reporter, Rule } from './rules/rule';


export interface AnalyzeOptions {
  /** Per-code severity overrides; 'off' disables the rule. */
  severities?: Readonly<Record<string, SeveritySetting>>;
  /** Only these codes or code prefixes (`LOAD`, `STOP00`). */
  select?: readonly string[];
  /** Never these codes or code prefixes. */
  ignore?: readonly string[];
  /** Files larger than this are skipped with a notice. */
  maxFileBytes?: number;
  /**
   * The project (workspace) folder: paths are classified (tests, debug configs) relative to it, and
   * rules follow imports and config groups into its other files.
   */
  root?: string;
  /**
   * The project's files do not change while the analysis runs (a lint run without --fix): the project
   * index trusts what it has read instead of checking every file again on each lookup.
   */
  filesUnchanged?: boolean;
  /** A previous tree of the same document, already `edit()`ed, for incremental parsing. */
  previousTree?: Tree;
}

export type NoticeKind = 'too-large' | 'long-line' | 'binary' | 'syntax' | 'config-parse' | 'notebook-format' | 'rule-failed' | 'encoding' | 'fix';

export interface Notice {
  kind: NoticeKind;
  file: string;
  level: 'info' | 'warning' | 'error';
  message: string;
  /** 0-based; in a notebook, within the cell. */
  line?: number;
  /** A notebook's cell, 0-based like Finding.cell. */
  cell?: number;
}

export interface AnalysisResult {
  findings: Finding[];
  notices: Notice[];
  /** The parse tree of a Python file, for the caller to keep for incremental re-parsing. */
  tree?: Tree;
}

export { fileKind, type FileKind } from './file-kind';
export type { NotebookCell } from './notebook/notebook';

export const DEFAULT_MAX_FILE_BYTES = 2 * 1024 * 1024;
/**
 * Python with a line longer than this is generated or minified (embedded data, bundled code); hand-written
 * training code never comes near it, and such lines make every rule walk huge nodes.
 */
export const MAX_LINE_CHARS = 10_000;

/** The longest line, lines ending at LF, CRLF or a lone CR as in LineIndex. */
function longestLine(text: string): { line: number; length: number } {
  let best = { line: 0, length: 0 };
  let start = 0;
  let line = 0;
  if (!text.includes('\r')) {
    // LF only (nearly every file): the native search finds the line ends faster than a loop over every character.
    for (let end = text.indexOf('\n'); ; end = text.indexOf('\n', start)) {
      const stop = end < 0 ? text.length : end;
      if (stop - start > best.length) best = { line, length: stop - start };
      if (end < 0) return best;
      start = end + 1;
      line++;
    }
  }
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 10;
    if (c !== 10 && c !== 13) continue;
    if (i - start > best.length) best = { line, length: i - start };
    if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
    start = i + 1;
    line++;
  }
  return best;
}


function matchesAny(code: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => code === p || code.startsWith(p.toUpperCase()));
}

export function activeRules(options: AnalyzeOptions): Rule[] {
  return RULES.filter((r) => {
    if (options.severities?.[r.code] === 'off') return false;
    if (options.select && options.select.length > 0 && !matchesAny(r.code, options.select)) return false;
    if (options.ignore && matchesAny(r.code, options.ignore)) return false;
    return true;
  });
}

function classificationPath(file: string, root: string | undefined): string {
  if (!root) return file;
  const rel = path.relative(root, file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}

export async function analyze(file: string, text: string, options: AnalyzeOptions = {}): Promise<AnalysisResult> {
  const kind = fileKind(file);
  if (!kind) return { findings: [], notices: [] };
  const limit = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  if (text.length > fileSizeLimit(file, limit)) {
    return { findings: [], notices: [{ file, kind: 'too-large', level: 'info', message: `skipped: ${(text.length / 1048576).toFixed(1)} MB is over the ${(limit / 1048576).toFixed(1)} MB limit (setting pipelineDoctor.maxFileSizeMB)` }] };
  }
  if (text.slice(0, 8192).includes('\u0000')) return { findings: [], notices: [{ file, kind: 'binary', level: 'info', message: 'skipped: binary content' }] };
  if (kind === 'notebook') {
    let cells: NotebookCell[];
    try {
      cells = parseNotebook(text);
    } catch (e) {
      if (e instanceof NotebookFormatError) return { findings: [], notices: [{ file, kind: 'notebook-format', level: 'warning', message: e.message }] };
      throw e;
    }
    const code = codeLength(cells);
    if (code > limit) {
      return { findings: [], notices: [{ file, kind: 'too-large', level: 'info', message: `skipped: the notebook's code cells hold ${(code / 1048576).toFixed(1)} MB, over the ${(limit / 1048576).toFixed(1)} MB limit (setting pipelineDoctor.maxFileSizeMB)` }] };
    }
    return analyzeNotebookCells(file, cells, options);
  }
  const session = new Session(file, text, options);
  if (kind === 'python') return session.python(options.previousTree);
  return session.config(kind);
}

/**
 * Analyses a notebook's cells as one program (document order) and maps every finding back to its
 * cell. The editor calls this with the live cells of an open notebook; `analyze` with an .ipynb file.
 */
export async function analyzeNotebookCells(file: string, cells: readonly NotebookCell[], options: AnalyzeOptions = {}): Promise<AnalysisResult> {
  const program = new NotebookProgram(cells);
  const lineName = (line: number): string => {
    const at = program.toCell({ line, character: 0 });
    return `line ${at.position.line + 1} of cell ${at.cell + 1}`;
  };
  const result = await new Session(file, program.text, options, {}, lineName).python();
  result.tree?.delete();
  return {
    findings: result.findings.map((f) => program.mapFinding(f)).sort(compareFindings),
    notices: result.notices.map((n) => {
      if (n.line === undefined) return n;
      const at = program.toCell({ line: n.line, character: 0 });
      return { ...n, line: at.position.line, cell: at.cell };
    }),
  };
}

/** One analysis of one text: runs the active rules, applies suppressions and severity settings. */
class Session {
  private readonly rules: Rule[];
  private readonly findings: Finding[] = [];
  private readonly notices: Notice[] = [];
  private readonly suppressions: Suppressions;

  constructor(
    private readonly file: string,
    private readonly text: string,
    private readonly options: AnalyzeOptions,
    /** Severity ceilings this kind of file imposes (notebooks), below the user's own settings. */
    private readonly capped: Readonly<Record<string, Severity>> = {},
    /** How messages name a line of `text` (a notebook names the cell and the line within it). */
    private readonly lineName: (line: number) => string = (line) => `line ${line + 1}`,
  ) {
    this.rules = activeRules(options);
    this.suppressions = new Suppressions(text);
  }

  private reporterFor(rule: Rule): Reporter {
    return {
      report: (r: Report) => {
        const own = r.severity ?? rule.severity;
        const cap = this.capped[rule.code];
        const template = rule.messages[r.messageId];
        if (template === undefined) throw new Error(`reported message id '${r.messageId}', which its messages do not declare`);
        const data = r.data ? Object.fromEntries(Object.entries(r.data).map(([k, v]) => [k, String(v)])) : undefined;
        const finding: Finding = {
          code: rule.code,
          severity: (this.options.severities?.[rule.code] as Severity | undefined) ?? (cap && severityRank(cap) < severityRank(own) ? cap : own),
          message: formatMessage(template, data),
          messageId: r.messageId,
          ...(data ? { messageData: data } : {}),
          file: this.file,
          range: r.range,
          fixes: r.fixes ?? [],
          related: r.related ?? [],
          origin: 'static',
        };
        if (!this.suppressions.isSuppressed(finding)) this.findings.push(finding);
      },
    };
  }

  private run(rule: Rule, check: () => void): void {
    try {
      check();
    } catch (e) {
      this.notices.push({ file: this.file, kind: 'rule-failed', level: 'error', message: `rule ${rule.code} failed: ${(e as Error).message}` });
    }
  }

  private result(tree?: Tree): AnalysisResult {
    this.findings.sort(compareFindings);
    return { findings: this.findings, notices: this.notices, tree };
  }

  async python(previousTree?: Tree): Promise<AnalysisResult> {
    const long = longestLine(this.text);
    if (long.length > MAX_LINE_CHARS) {
      this.notices.push({ file: this.file, kind: 'long-line', level: 'info', line: long.line, message: `skipped: ${this.lineName(long.line)} has ${long.length.toLocaleString('en-US')} characters; generated or minified code is not analysed` });
      return this.result();
    }
    const tree = await parsePython(this.text, previousTree);
    const project = this.options.root ? projectIndex(this.options.root, this.options.filesUnchanged) : undefined;
    const module = new PythonModule(classificationPath(this.file, this.options.root), this.text, tree, project);
    if (tree.rootNode.hasError) {
      const first = firstError(tree.rootNode);
      this.notices.push({ file: this.file, kind: 'syntax', level: 'warning', line: first, message: `syntax error${first !== undefined ? ` at ${this.lineName(first)}` : ''}: findings near it may be missing` });
    }
    for (const rule of this.rules) {
      if (!rule.checkPython || (rule.skipTestFiles && module.isTestOrDebugFile())) continue;
      this.run(rule, () => rule.checkPython!(module, this.reporterFor(rule)));
    }
    return this.result(tree);
  }

  config(format: 'yaml' | 'json'): AnalysisResult {
    const long = longestLine(this.text);
    if (long.length > MAX_LINE_CHARS) {
      this.notices.push({ file: this.file, kind: 'long-line', level: 'info', line: long.line, message: `skipped: line ${long.line + 1} has ${long.length.toLocaleString('en-US')} characters; generated data is not analysed as a training config` });
      return this.result();
    }
    const doc = new ConfigDocument(this.file, this.text, format);
    for (const p of doc.problems.slice(0, 1)) this.notices.push({ file: this.file, kind: 'config-parse', level: 'warning', line: p.range.start.line, message: p.message });
    if (doc.root) {
      const project = this.options.root ? projectIndex(this.options.root, this.options.filesUnchanged) : undefined;
      const ctx = { doc, kinds: classifyConfig(doc), isDebugOrTest: isTestOrDebugPath(classificationPath(this.file, this.options.root)), project };
      if (ctx.kinds.size > 0) for (const rule of this.rules) if (rule.checkConfig) this.run(rule, () => rule.checkConfig!(ctx, this.reporterFor(rule)));
    }
    return this.result();
  }
}

/** Line of the first syntax error: descends only into subtrees that contain one (not a whole-tree walk). */
function firstError(root: import('web-tree-sitter').Node): number | undefined {
  const cursor = root.walk();
  try {
    for (;;) {
      const node = cursor.currentNode;
      if (node.isError || node.isMissing) return cursor.startPosition.row;
      if (!cursor.gotoFirstChild()) return node.hasError ? cursor.startPosition.row : undefined;
      while (!(cursor.currentNode.hasError || cursor.currentNode.isMissing)) {
        if (!cursor.gotoNextSibling()) return node.startPosition.row;
      }
    }
  } finally {
    cursor.delete();
  }
}

/**
 * Notebooks embed their outputs (plots as base64 images) in the file, so their size limit applies to the code
 * cells' source once parsed; the file itself is only capped where even parsing its JSON would be slow.
 */
export const NOTEBOOK_FILE_CAP_BYTES = 64 * 1024 * 1024;

/** The largest file (in bytes or characters) worth reading under the analysis size limit. */
export function fileSizeLimit(file: string, limit: number): number {
  return fileKind(file) === 'notebook' ? Math.max(limit, NOTEBOOK_FILE_CAP_BYTES) : limit;
}

function codeLength(cells: readonly NotebookCell[]): number {
  let n = 0;
  for (const c of cells) if (c.kind === 'code') n += c.source.length;
  return n;
}

/**
 * Reads a file from disk and analyses it. The bytes are decoded as `lint --fix` decodes them (a BOM is
 * left out of the text, Python files honour their coding cookie), so positions agree between the two.
 */
export async function analyzeFile(file: string, options: AnalyzeOptions = {}): Promise<AnalysisResult> {
  // Synchronous reads on purpose: source files are small, and awaiting the thread pool for each of
  // thousands of files left a whole-tree lint idle a third of the time.
  const stat = fs.statSync(file);
  const limit = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  if (stat.size > fileSizeLimit(file, limit)) {
    return { findings: [], notices: [{ file, kind: 'too-large', level: 'info', message: `skipped: ${(stat.size / 1048576).toFixed(1)} MB is over the ${(limit / 1048576).toFixed(1)} MB limit` }] };
  }
  const source = decodeSource(fs.readFileSync(file), fileKind(file) === 'python');
  const result = await analyze(file, source.text, options);
  if (!source.lossless && !result.notices.some((n) => n.kind === 'binary')) result.notices.push(encodingNotice(file, source));
  return result;
}

/** Said of a file whose bytes the decoded text does not reproduce: `--fix` leaves such a file alone. */
export function encodingNotice(file: string, source: DecodedSource): Notice {
  const what = source.encoding === 'utf-8' ? 'not valid UTF-8' : `in ${source.encoding}, which --fix does not write`;
  return { file, kind: 'encoding', level: 'info', message: `${what}: analysed as decoded, never rewritten by a fix` };
}
