// Mutation fuzzing of the analyzer: truncations, random bytes, splices, deep nesting and huge lines over
// real Python, YAML, JSON and notebook inputs. A crash is any exception out of `analyze`; slowness is
// reported as figures (the 200 ms budget is checked by reading them, not by a timed assertion).
import fs from 'node:fs';
import path from 'node:path';
import { analyze, fileKind } from '../../src/analyzers';
import { seededRandom } from '../../src/shared/seeded-random';

export interface FuzzReport {
  inputs: number;
  crashes: Array<{ file: string; mutation: string; error: string; sample: string }>;
  timesMs: number[];
  slowest: { file: string; mutation: string; ms: number };
  /** Inputs over the 200 ms budget, slowest first (at most 20), for `npm run fuzz` to name. */
  overBudget: Array<{ file: string; mutation: string; ms: number; bytes: number }>;
}

export function seedInputs(root: string): Array<{ file: string; text: string }> {
  const out: Array<{ file: string; text: string }> = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && e.name !== 'data' && e.name !== 'node_modules') walk(p);
      else if (e.isFile() && fileKind(e.name) && fs.statSync(p).size < 200_000) out.push({ file: path.relative(root, p), text: fs.readFileSync(p, 'utf8') });
    }
  };
  walk(path.join(root, 'examples'));
  walk(path.join(root, 'test/rules/fixtures'));
  return out;
}

type Mutation = (text: string, r: () => number, ext: string) => string;

const int = (r: () => number, n: number) => Math.floor(r() * n);

const MUTATIONS: Record<string, Mutation> = {
  truncate: (t, r) => t.slice(0, int(r, t.length + 1)),
  'random bytes': (t, r) => {
    const chars = [...t];
    for (let i = 0; i < 1 + int(r, 20); i++) chars[int(r, chars.length + 1)] = String.fromCharCode(int(r, 0x3000));
    return chars.join('');
  },
  'delete span': (t, r) => {
    const a = int(r, t.length + 1);
    return t.slice(0, a) + t.slice(a + int(r, 200));
  },
  'duplicate span': (t, r) => {
    const a = int(r, t.length + 1);
    const b = a + int(r, 400);
    return t.slice(0, b) + t.slice(a, b) + t.slice(a);
  },
  'swap lines': (t, r) => {
    const lines = t.split('\n');
    for (let i = 0; i < 5; i++) {
      const a = int(r, lines.length);
      const b = int(r, lines.length);
      [lines[a], lines[b]] = [lines[b], lines[a]];
    }
    return lines.join('\n');
  },
  'deep nesting': (t, r, ext) => {
    const depth = 500 + int(r, 3000);
    const nest =
      ext === '.py' ? `x = ${'('.repeat(depth)}1${')'.repeat(depth)}\ny = ${'a.'.repeat(depth)}b()\n${'['.repeat(depth)}` :
      ext === '.json' || ext === '.ipynb' ? `${'['.repeat(depth)}${']'.repeat(depth)}` :
      Array.from({ length: Math.min(depth, 400) }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n');
    const at = int(r, t.length + 1);
    return t.slice(0, at) + '\n' + nest + '\n' + t.slice(at);
  },
  'huge line': (t, r) => {
    const at = int(r, t.length + 1);
    return t.slice(0, at) + 'DataLoader(' + 'x, '.repeat(20_000 + int(r, 60_000)) + ')\n' + t.slice(at);
  },
  'binary junk': (t, r) => t.slice(0, int(r, t.length)) + String.fromCharCode(...Array.from({ length: 64 }, () => int(r, 256))),
};

export async function fuzz(root: string, iterations: number, seed = 1): Promise<FuzzReport> {
  const seeds = seedInputs(root);
  const r = seededRandom(seed);
  const names = Object.keys(MUTATIONS);
  const report: FuzzReport = { inputs: 0, crashes: [], timesMs: [], slowest: { file: '', mutation: '', ms: 0 }, overBudget: [] };
  for (let i = 0; i < iterations; i++) {
    const input = seeds[int(r, seeds.length)];
    const mutation = names[int(r, names.length)];
    // Mutations stack sometimes: a truncated file with random bytes is a realistic half-saved buffer.
    let text = MUTATIONS[mutation](input.text, r, path.extname(input.file));
    if (r() < 0.3) text = MUTATIONS[names[int(r, names.length)]](text, r, path.extname(input.file));
    const t0 = process.hrtime.bigint();
    try {
      const result = await analyze(input.file, text, {});
      result.tree?.delete();
    } catch (e) {
      report.crashes.push({ file: input.file, mutation, error: (e as Error).stack ?? String(e), sample: text.slice(0, 300) });
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    report.timesMs.push(ms);
    if (ms > report.slowest.ms) report.slowest = { file: input.file, mutation, ms };
    if (ms > 200) {
      report.overBudget.push({ file: input.file, mutation, ms, bytes: text.length });
      report.overBudget.sort((a, b) => b.ms - a.ms).splice(20);
    }
    report.inputs++;
  }
  return report;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}
