// Property test of `lint --fix` (issue 10): the fix engine with the real analyzer and the real file I/O
// of the CLI, over every rule fixture and corpus file and variants of them (CRLF, lone CR, mixed line
// ends, a UTF-8 BOM, latin-1 with a coding cookie). For every file it checks that
//   - the written bytes are the read bytes with each pass's edits spliced in, and nothing else (the
//     splice is computed here independently: lines split by regex, offsets encoded to bytes);
//   - a Python file that parsed still parses, and one that compiled still compiles (python3 py_compile,
//     all files of a run in one interpreter);
//   - a second run changes nothing and applies no fix.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { analyze, fileKind } from '../../src/analyzers';
import { encodeSource } from '../../src/analyzers/engine/source-encoding';
import { fixUntilStable } from '../../src/analyzers/engine/fix-engine';
import { parsePython } from '../../src/analyzers/engine/parser';
import type { Edit } from '../../src/shared/findings';
import { readSourceFile, writeSourceFile } from '../../src/cli/source-file';
import { fixFile } from '../../src/cli/fix-file';
import { parseTree, type Node as JsonNode } from 'jsonc-parser';
import { seededRandom } from '../../src/shared/seeded-random';

export interface FixPropertyReport {
  inputs: number;
  /** Files --fix changed, and fixes applied in all. */
  changedFiles: number;
  fixes: number;
  failures: Array<{ file: string; variant: string; problem: string }>;
}

/** Every analysable file of the rule fixtures and the corpus. */
export function fixSeeds(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && fileKind(e.name) && fs.statSync(p).size < 200_000) out.push(p);
    }
  };
  walk(path.join(root, 'test/rules/fixtures'));
  walk(path.join(root, 'test/corpus'));
  return out;
}

/** `python`: for Python only (comments, coding cookies); `text`: not for notebooks, whose line ends are JSON's. */
type Variant = { name: string; bytes: (text: string, r: () => number) => Buffer; python?: boolean; text?: boolean };

const lines = (text: string) => text.split(/\r\n|\r|\n/);
const withEnds = (text: string, end: (i: number) => string) => {
  const ls = lines(text);
  return ls.map((l, i) => (i < ls.length - 1 ? l + end(i) : l)).join('');
};

export const VARIANTS: Variant[] = [
  { name: 'as is', bytes: (t) => Buffer.from(t, 'utf8') },
  { name: 'CRLF', bytes: (t) => Buffer.from(withEnds(t, () => '\r\n'), 'utf8') },
  { name: 'lone CR', bytes: (t) => Buffer.from(withEnds(t, () => '\r'), 'utf8'), text: true },
  { name: 'mixed line ends', bytes: (t, r) => Buffer.from(withEnds(t, () => ['\n', '\r\n', '\r'][Math.floor(r() * 3)]), 'utf8'), text: true },
  { name: 'BOM', bytes: (t) => Buffer.from('\ufeff' + t, 'utf8') },
  { name: 'BOM + CRLF', bytes: (t) => Buffer.from('\ufeff' + withEnds(t, () => '\r\n'), 'utf8') },
  { name: 'UTF-8 comments', bytes: (t) => Buffer.from(`# données — ✓\n${t}${t.endsWith('\n') ? '' : '\n'}# fin ✓\n`, 'utf8'), python: true },
  { name: 'latin-1 cookie', bytes: (t) => Buffer.from(`# -*- coding: latin-1 -*-\n# donn\u00e9es \u00a9\n${t.replace(/[^\x00-\xff]/g, '?')}${t.endsWith('\n') ? '' : '\n'}# \u00e9t\u00e9\n`, 'latin1'), python: true },
  { name: 'latin-1 cookie + CRLF', bytes: (t) => Buffer.from(withEnds(`# vim: set fileencoding=latin-1 :\n# caf\u00e9\n${t.replace(/[^\x00-\xff]/g, '?')}`, () => '\r\n'), 'latin1'), python: true },
];

/** Line starts under Python's rule (LF, CRLF, lone CR), computed here rather than with LineIndex. */
function offsetOf(text: string, pos: { line: number; character: number }): number {
  const re = /\r\n|\r|\n/g;
  let start = 0;
  for (let line = 0; line < pos.line; line++) {
    const m = re.exec(text);
    if (!m) return text.length;
    start = m.index + m[0].length;
  }
  return Math.min(start + pos.character, text.length);
}

/** The bytes of one pass: each edit's range turned into bytes of `before`, the new text encoded, the rest copied. */
function splice(bytes: Buffer, text: string, edits: readonly Edit[], encode: (s: string) => Buffer, bom: number): { bytes: Buffer; text: string } {
  const spans = edits.map((e) => ({ start: offsetOf(text, e.range.start), end: offsetOf(text, e.range.end), newText: e.newText }))
    .map((s, order) => ({ ...s, order }))
    .sort((a, b) => a.start - b.start || a.end - b.end || a.order - b.order);
  const parts: Buffer[] = [];
  let textOut = '';
  let cursor = 0;
  let byteCursor = bom;
  for (const s of spans) {
    const keep = text.slice(cursor, s.start);
    const keepBytes = encode(keep).length;
    parts.push(bytes.subarray(byteCursor, byteCursor + keepBytes), encode(s.newText));
    byteCursor += keepBytes + encode(text.slice(s.start, s.end)).length;
    textOut += keep + s.newText;
    cursor = s.end;
  }
  parts.push(bytes.subarray(byteCursor));
  return { bytes: Buffer.concat([bytes.subarray(0, bom), ...parts]), text: textOut + text.slice(cursor) };
}

/** Compiles files in one python3; returns those that fail. */
function failingToCompile(files: readonly string[]): Set<string> {
  if (files.length === 0) return new Set();
  const script = 'import py_compile, sys\nfor f in sys.stdin.read().split("\\0"):\n    try:\n        py_compile.compile(f, cfile="/dev/null", doraise=True)\n    except Exception:\n        print(f)\n';
  const out = execFileSync('/usr/bin/python3', ['-c', script], { input: files.join('\0'), encoding: 'utf8', maxBuffer: 64 << 20 });
  return new Set(out.split('\n').filter(Boolean));
}

/**
 * `inputs` files: with `cover`, the seeds in turn (each seed once per round), else seeds drawn at random;
 * each in a variant drawn at random.
 */
export async function fixProperty(root: string, options: { inputs: number; seed: number; cover?: boolean }): Promise<FixPropertyReport> {
  const seeds = fixSeeds(root);
  const r = seededRandom(options.seed);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-fix-property-'));
  const report: FixPropertyReport = { inputs: 0, changedFiles: 0, fixes: 0, failures: [] };
  const toCompile: Array<{ before: string; after: string; file: string; variant: string }> = [];
  try {
    for (let i = 0; i < options.inputs; i++) {
      const seed = seeds[options.cover ? i % seeds.length : Math.floor(r() * seeds.length)];
      const kind = fileKind(seed)!;
      const variants = VARIANTS.filter((v) => (kind === 'python' || !v.python) && (kind !== 'notebook' || !v.text));
      const variant = variants[Math.floor(r() * variants.length)];
      const original = variant.bytes(fs.readFileSync(seed, 'utf8'), r);
      const name = `${String(i).padStart(5, '0')}-${path.basename(seed)}`;
      const file = path.join(dir, name);
      const before = path.join(dir, `before-${name}`);
      fs.writeFileSync(file, original);
      fs.writeFileSync(before, original);
      const fail = (problem: string) => report.failures.push({ file: path.relative(root, seed), variant: variant.name, problem });
      report.inputs++;
      if (kind === 'notebook') {
        await checkNotebook(file, fail, report);
        continue;
      }
      try {
        const read = readSourceFile(file, kind === 'python');
        if (!read.source.lossless) {
          fail(`read back lossy (${read.source.encoding})`);
          continue;
        }
        const out = await fixUntilStable(read.source.text, (text) => analyze(file, text, {}));
        if (out.notices.some((n) => n.level === 'error')) fail(`engine: ${out.notices.map((n) => n.message).join('; ')}`);
        if (kind === 'python') {
          // Line ends do not change Python's syntax: the analysis must see a syntax error exactly when the
          // LF-only text has one.
          const reference = await parsePython(read.source.text.replace(/\r\n?/g, '\n'));
          const says = out.notices.some((n) => /^not fixed: syntax error/.test(n.message)) || (out.text === read.source.text && out.result.notices.some((n) => n.kind === 'syntax'));
          if (reference.rootNode.hasError !== says && (out.text === read.source.text)) fail(`syntax error ${says ? 'reported' : 'missed'} (the LF-only text ${reference.rootNode.hasError ? 'has one' : 'has none'})`);
          reference.delete();
        }
        if (out.text === read.source.text) continue;
        writeSourceFile(read, out.text);
        report.changedFiles++;
        report.fixes += out.fixed;
        // 1. The bytes: the read bytes with each pass spliced in, nothing else.
        const encode = (s: string) => Buffer.from(encodeSource(s, { encoding: read.source.encoding, bom: false }));
        let expected = { bytes: original, text: read.source.text };
        for (const pass of out.passes) expected = splice(expected.bytes, expected.text, pass, encode, read.source.bom ? 3 : 0);
        const written = fs.readFileSync(file);
        if (expected.text !== out.text) fail('the engine\'s text is not its passes applied');
        if (!written.equals(expected.bytes)) fail(`bytes outside the fixes changed (first difference at byte ${firstDifference(written, expected.bytes)})`);
        // 2. Still parses.
        if (kind === 'python') {
          const t0 = await parsePython(read.source.text);
          const t1 = await parsePython(out.text);
          if (!t0.rootNode.hasError && t1.rootNode.hasError) fail('the fixed file no longer parses');
          t0.delete();
          t1.delete();
          toCompile.push({ before, after: file, file: path.relative(root, seed), variant: variant.name });
        }
        // 3. A second run changes nothing.
        const again = await fixUntilStable(out.text, (text) => analyze(file, text, {}));
        if (again.text !== out.text || again.fixed !== 0) fail(`a second run changed it again (${again.fixed} fixes)`);
      } catch (e) {
        fail(`threw ${(e as Error).stack ?? e}`);
      }
    }
    const broken = failingToCompile(toCompile.flatMap((c) => [c.before, c.after]));
    for (const c of toCompile) if (!broken.has(c.before) && broken.has(c.after)) report.failures.push({ file: c.file, variant: c.variant, problem: 'compiled before the fix, not after' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return report;
}

/** The `source` values of a notebook's cells, by JSON node. */
function sourceNodes(text: string): JsonNode[] {
  const cells = parseTree(text.replace(/^\ufeff/, ''))?.children?.find((p) => p.children?.[0]?.value === 'cells')?.children?.[1]?.children ?? [];
  return cells.flatMap((c) => c.children?.find((p) => p.children?.[0]?.value === 'source')?.children?.[1] ?? []);
}

/**
 * A notebook through `lint --fix`'s own per-file path: outside the cells' `source` values not a byte
 * changes (the text between consecutive sources is identical), and a second run changes nothing.
 */
async function checkNotebook(file: string, fail: (problem: string) => void, report: FixPropertyReport): Promise<void> {
  const before = fs.readFileSync(file, 'utf8');
  const first = await fixFile(file, {});
  const after = fs.readFileSync(file, 'utf8');
  if (first.notices.some((n) => n.kind === 'fix')) fail(`notice: ${first.notices.map((n) => n.message).join('; ')}`);
  if (after === before) return;
  report.changedFiles++;
  report.fixes += first.fixed;
  const [a, b] = [sourceNodes(before), sourceNodes(after)];
  const between = (text: string, nodes: JsonNode[]) => nodes.map((n, i) => text.slice(i === 0 ? 0 : nodes[i - 1].offset + nodes[i - 1].length, n.offset))
    .concat(text.slice(nodes.length ? nodes[nodes.length - 1].offset + nodes[nodes.length - 1].length : 0));
  if (a.length !== b.length || JSON.stringify(between(before, a)) !== JSON.stringify(between(after, b))) fail('bytes outside the cells\' sources changed');
  const second = await fixFile(file, {});
  if (second.fixed !== 0 || fs.readFileSync(file, 'utf8') !== after) fail(`a second run changed it again (${second.fixed} fixes)`);
}

function firstDifference(a: Buffer, b: Buffer): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}
