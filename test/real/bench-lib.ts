// The real-code development set (issue 9): manifests of expert labels on files of public repositories,
// materialised from local git mirrors and judged against what the CLI reports there.
// Shared by `npm run bench:real` (scripts/bench-real.mjs) and its unit test (test/unit/real-bench.test.ts).
//
// A manifest (test/real/repos/<owner>__<name>.json) names a repository, the commit the labels were made on,
// and for each labelled file its labels: `expect` (an expert flags CODE here, at `severity`), `ok` (the tool
// must not report CODE here) or `maybe` (debatable: left out of every score). Lines are 1-based; notebook
// labels carry the 0-based index of the cell among all cells and a line within that cell.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type Severity = 'error' | 'warning' | 'info' | 'hint';
export type FileKind = 'py' | 'notebook' | 'config';

export interface Label {
  code: string;
  line: number;
  endLine?: number;
  cell?: number;
  label: 'expect' | 'ok' | 'maybe';
  severity?: Severity;
  why?: string;
}

export interface LabelledFile {
  path: string;
  labels: Label[];
}

export interface Manifest {
  repo: string;
  commit: string;
  style?: string;
  files: LabelledFile[];
}

/** A finding as the CLI's `--format json` prints it (0-based range, file relative to the project root). */
export interface CliFinding {
  code: string;
  severity: Severity;
  message: string;
  messageId?: string;
  file: string;
  range: { start: { line: number; character: number } };
  cell?: number;
}

export type Verdict = 'right' | 'wrong' | 'maybe' | 'unjudged';

export interface JudgedFinding {
  repo: string;
  path: string;
  kind: FileKind;
  code: string;
  severity: Severity;
  /** 1-based, within the cell for notebooks. */
  line: number;
  cell?: number;
  message: string;
  messageId?: string;
  /** Against warning+error precision (only for findings at warning or error). */
  serious?: Verdict;
  /** Against all-severity precision. */
  all: Verdict;
  label?: Label;
}

export interface JudgedExpect {
  repo: string;
  path: string;
  kind: FileKind;
  label: Label;
  /** Found by a finding of its code at any severity. */
  found: boolean;
  /** Found by a finding at warning or error (counted only for expects of severity warning or error). */
  foundSerious: boolean;
}

export interface Judgement {
  findings: JudgedFinding[];
  expects: JudgedExpect[];
}

export function familyOf(code: string): string {
  return code.replace(/\d+$/, '');
}

export function kindOf(file: string): FileKind {
  const ext = path.extname(file).toLowerCase();
  return ext === '.ipynb' ? 'notebook' : ext === '.py' ? 'py' : 'config';
}

const serious = (s: Severity | undefined) => s === 'error' || s === 'warning';

function matches(label: Label, code: string, line: number, cell: number | undefined): boolean {
  return label.code === code && (label.cell ?? undefined) === (cell ?? undefined) && line >= label.line && line <= (label.endLine ?? label.line);
}

/**
 * Judges the findings of one repository against its manifest. A finding takes the first label that matches
 * it, preferring `expect`, then `maybe`, then `ok` (a place an expert flags stays flagged even if another
 * label on the same lines says otherwise).
 */
export function judge(manifest: Manifest, findings: readonly CliFinding[]): Judgement {
  const out: Judgement = { findings: [], expects: [] };
  const byFile = new Map<string, CliFinding[]>();
  for (const f of findings) {
    const rel = f.file.split(path.sep).join('/');
    byFile.set(rel, [...(byFile.get(rel) ?? []), f]);
  }
  for (const file of manifest.files) {
    const kind = kindOf(file.path);
    const found = byFile.get(file.path) ?? [];
    const order = ['expect', 'maybe', 'ok'] as const;
    for (const f of found) {
      const line = f.range.start.line + 1;
      const label = order.map((k) => file.labels.find((l) => l.label === k && matches(l, f.code, line, f.cell))).find(Boolean);
      let all: Verdict = 'unjudged';
      let seriousVerdict: Verdict | undefined;
      if (label?.label === 'expect') {
        all = 'right';
        if (serious(f.severity)) seriousVerdict = serious(label.severity) ? 'right' : 'wrong';
      } else if (label?.label === 'ok') {
        all = 'wrong';
        if (serious(f.severity)) seriousVerdict = 'wrong';
      } else if (label?.label === 'maybe') {
        all = 'maybe';
        if (serious(f.severity)) seriousVerdict = 'maybe';
      } else if (serious(f.severity)) {
        seriousVerdict = 'unjudged';
      }
      out.findings.push({ repo: manifest.repo, path: file.path, kind, code: f.code, severity: f.severity, line, cell: f.cell, message: f.message, messageId: f.messageId, serious: seriousVerdict, all, label });
    }
    for (const label of file.labels) {
      if (label.label !== 'expect') continue;
      const hits = found.filter((f) => matches(label, f.code, f.range.start.line + 1, f.cell));
      out.expects.push({
        repo: manifest.repo,
        path: file.path,
        kind,
        label,
        found: hits.length > 0,
        foundSerious: hits.some((f) => serious(f.severity)),
      });
    }
  }
  return out;
}

export interface Score {
  /** Warning+error findings judged right / wrong; precision = right / (right + wrong). */
  seriousRight: number;
  seriousWrong: number;
  seriousPrecision: number;
  allRight: number;
  allWrong: number;
  allPrecision: number;
  expects: number;
  found: number;
  recall: number;
  seriousExpects: number;
  seriousFound: number;
  seriousRecall: number;
  unjudged: number;
}

export function score(j: Judgement): Score {
  const sr = j.findings.filter((f) => f.serious === 'right').length;
  const sw = j.findings.filter((f) => f.serious === 'wrong').length;
  const ar = j.findings.filter((f) => f.all === 'right').length;
  const aw = j.findings.filter((f) => f.all === 'wrong').length;
  const se = j.expects.filter((e) => serious(e.label.severity));
  const ratio = (a: number, b: number) => (b === 0 ? NaN : a / b);
  return {
    seriousRight: sr,
    seriousWrong: sw,
    seriousPrecision: ratio(sr, sr + sw),
    allRight: ar,
    allWrong: aw,
    allPrecision: ratio(ar, ar + aw),
    expects: j.expects.length,
    found: j.expects.filter((e) => e.found).length,
    recall: ratio(j.expects.filter((e) => e.found).length, j.expects.length),
    seriousExpects: se.length,
    seriousFound: se.filter((e) => e.foundSerious).length,
    seriousRecall: ratio(se.filter((e) => e.foundSerious).length, se.length),
    unjudged: j.findings.filter((f) => f.all === 'unjudged').length,
  };
}

/** The part of a judgement whose findings and expects satisfy `pred`. */
export function slice(j: Judgement, pred: (x: { code: string; kind: FileKind }) => boolean): Judgement {
  return { findings: j.findings.filter((f) => pred(f)), expects: j.expects.filter((e) => pred({ code: e.label.code, kind: e.kind })) };
}

export function merge(list: readonly Judgement[]): Judgement {
  return { findings: list.flatMap((j) => j.findings), expects: list.flatMap((j) => j.expects) };
}

export function readManifests(dir: string): Manifest[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()
    .map((n) => {
      const m = JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')) as Manifest;
      if (!/^[^/]+\/[^/]+$/.test(m.repo) || !/^[0-9a-f]{40}$/.test(m.commit) || !Array.isArray(m.files)) throw new Error(`${n}: needs repo "owner/name", a 40-hex commit and files`);
      return m;
    });
}

/** The git dir of `owner/name` under one of the mirror folders (`<dir>/<owner>+<name>/repo`, bare or not). */
export function findMirror(mirrorDirs: readonly string[], repo: string): string | undefined {
  const [owner, name] = repo.split('/');
  for (const dir of mirrorDirs) {
    const base = path.join(dir, `${owner}+${name}`, 'repo');
    for (const gitDir of [path.join(base, '.git'), base]) {
      if (fs.existsSync(path.join(gitDir, 'HEAD')) && fs.existsSync(path.join(gitDir, 'objects'))) return gitDir;
    }
  }
  return undefined;
}

/**
 * Extracts the tree of `commit` into a fresh temporary folder, as a user who cloned the repository sees it.
 * Mirrors may lack the blobs of their largest files (images, weights): those files are left out.
 */
export function materialise(gitDir: string, commit: string): string {
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-real-'));
  const git = (args: string[], input?: string) => execFileSync('git', ['--git-dir', gitDir, ...args], { input, maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'ignore'] });
  const extract = (pathspecs: string[]) => execFileSync('tar', ['-x', '-C', dest], { input: git(['archive', '--format=tar', commit, '--', ...pathspecs]), maxBuffer: 1 << 30 });
  try {
    extract([]);
    return dest;
  } catch {
    // Some blob is absent: archive only the files whose blobs the mirror holds.
  }
  const entries = git(['ls-tree', '-r', '-z', commit]).toString('utf8').split('\0').filter(Boolean);
  const blobs = entries.map((e) => ({ object: e.split(/\s/)[2], path: e.slice(e.indexOf('\t') + 1), type: e.split(/\s/)[1] })).filter((e) => e.type === 'blob');
  const present = git(['cat-file', '--batch-check'], blobs.map((b) => b.object).join('\n') + '\n')
    .toString('utf8')
    .trim()
    .split('\n')
    .map((l) => !l.endsWith(' missing'));
  const paths = blobs.filter((_, i) => present[i]).map((b) => `:(literal)${b.path}`);
  for (let i = 0; i < paths.length; i += 500) extract(paths.slice(i, i + 500));
  return dest;
}

/** Runs the built CLI in the project root `cwd` on the listed files and returns its findings and notices. */
export function lint(cliPath: string, cwd: string, files: readonly string[]): { findings: CliFinding[]; notices: string } {
  const present = files.filter((f) => fs.existsSync(path.join(cwd, f)));
  if (present.length === 0) return { findings: [], notices: '' };
  const res = execFileSync(process.execPath, [cliPath, 'lint', '--format', 'json', '--fail-on', 'never', ...present], {
    cwd,
    maxBuffer: 1 << 28,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  const parsed = JSON.parse(res) as { findings: CliFinding[]; notices: { file: string; message: string }[] };
  return { findings: parsed.findings, notices: parsed.notices.map((n) => `${n.file}: ${n.message}`).join('\n') };
}

/** Materialises one manifest's repository, lints its labelled files and judges the findings. */
export function benchRepo(manifest: Manifest, gitDir: string, cliPath: string): { judgement: Judgement; missingFiles: string[]; notices: string } {
  const root = materialise(gitDir, manifest.commit);
  try {
    const files = manifest.files.map((f) => f.path);
    const missingFiles = files.filter((f) => !fs.existsSync(path.join(root, f)));
    const { findings, notices } = lint(cliPath, root, files);
    return { judgement: judge(manifest, findings), missingFiles, notices };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}
