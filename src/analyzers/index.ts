// The one entry point of the analyzer: text in, findings out. Pure: no `vscode`, no settings, no IO
// beyond what the caller passes (analyzeFile reads one file for the CLI and the workspace scan).
import fs from 'node:fs';
import path from 'node:path';
import type { Tree } from 'web-tree-sitter';
import { compareFindings, type Finding, type SeveritySetting } from '../shared/findings';
import { classifyConfig } from './config/classify';
import { ConfigDocument } from './config/document';
import { parsePython } from './engine/parser';
import { Suppressions } from './engine/suppressions';
import { fileKind } from './file-kind';
import { isTestOrDebugPath, PythonModule } from './python/module';
import { RULES } from './registry';
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
  /** Paths are classified (tests, debug configs) relative to this folder. */
  root?: string;
  /** A previous tree of the same document, already `edit()`ed, for incremental parsing. */
  previousTree?: Tree;
}

export interface Notice {
  file: string;
  level: 'info' | 'warning' | 'error';
  message: string;
  line?: number;
}

export interface AnalysisResult {
  findings: Finding[];
  notices: Notice[];
  /** The parse tree of a Python file, for the caller to keep for incremental re-parsing. */
  tree?: Tree;
}

export { fileKind, type FileKind } from './file-kind';

export const DEFAULT_MAX_FILE_BYTES = 2 * 1024 * 1024;


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
  const notices: Notice[] = [];
  if (!kind) return { findings: [], notices };
  const limit = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  if (text.length > limit) {
    notices.push({ file, level: 'info', message: `skipped: ${(text.length / 1048576).toFixed(1)} MB is over the ${(limit / 1048576).toFixed(1)} MB limit (setting pipelineDoctor.maxFileSizeMB)` });
    return { findings: [], notices };
  }
  if (text.slice(0, 8192).includes('\u0000')) {
    notices.push({ file, level: 'info', message: 'skipped: binary content' });
    return { findings: [], notices };
  }
  const rules = activeRules(options);
  const findings: Finding[] = [];
  const suppressions = new Suppressions(text);
  const reporterFor = (rule: Rule): Reporter => ({
    report(r: Report) {
      const finding: Finding = {
        code: rule.code,
        severity: (options.severities?.[rule.code] as Finding['severity'] | undefined) ?? r.severity ?? rule.severity,
        message: r.message,
        file,
        range: r.range,
        fixes: r.fixes ?? [],
        related: r.related ?? [],
        origin: 'static',
      };
      if (!suppressions.isSuppressed(finding)) findings.push(finding);
    },
  });
  const run = (rule: Rule, check: () => void) => {
    try {
      check();
    } catch (e) {
      notices.push({ file, level: 'error', message: `rule ${rule.code} failed: ${(e as Error).message}` });
    }
  };

  let tree: Tree | undefined;
  if (kind === 'python') {
    tree = await parsePython(text, options.previousTree);
    const module = new PythonModule(classificationPath(file, options.root), text, tree);
    if (tree.rootNode.hasError) {
      const first = firstError(tree.rootNode);
      notices.push({ file, level: 'warning', line: first, message: `syntax error${first !== undefined ? ` at line ${first + 1}` : ''}: findings near it may be missing` });
    }
    for (const rule of rules) if (rule.checkPython) run(rule, () => rule.checkPython!(module, reporterFor(rule)));
  } else if (kind === 'yaml' || kind === 'json') {
    const doc = new ConfigDocument(file, text, kind);
    for (const p of doc.problems.slice(0, 1)) notices.push({ file, level: 'warning', line: p.range.start.line, message: p.message });
    if (doc.root) {
      const ctx = { doc, kinds: classifyConfig(doc), isDebugOrTest: isTestOrDebugPath(classificationPath(file, options.root)) };
      if (ctx.kinds.size > 0) for (const rule of rules) if (rule.checkConfig) run(rule, () => rule.checkConfig!(ctx, reporterFor(rule)));
    }
  }
  findings.sort(compareFindings);
  return { findings, notices, tree };
}

function firstError(node: import('web-tree-sitter').Node): number | undefined {
  const cursor = node.walk();
  try {
    for (;;) {
      if (cursor.nodeType === 'ERROR' || cursor.currentNode.isMissing) return cursor.startPosition.row;
      if (cursor.gotoFirstChild() || cursor.gotoNextSibling()) continue;
      for (;;) {
        if (!cursor.gotoParent()) return undefined;
        if (cursor.gotoNextSibling()) break;
      }
    }
  } finally {
    cursor.delete();
  }
}

/** Reads a file from disk (bytes decoded as UTF-8 with replacement) and analyses it. */
export async function analyzeFile(file: string, options: AnalyzeOptions = {}): Promise<AnalysisResult> {
  const stat = await fs.promises.stat(file);
  const limit = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  if (stat.size > limit) {
    return { findings: [], notices: [{ file, level: 'info', message: `skipped: ${(stat.size / 1048576).toFixed(1)} MB is over the ${(limit / 1048576).toFixed(1)} MB limit` }] };
  }
  const bytes = await fs.promises.readFile(file);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  return analyze(file, text, options);
}
