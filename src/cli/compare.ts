// Before/after of two runs as text (`pipeline-doctor profile --compare-with`, `pipeline-doctor compare`):
// the arithmetic is src/shared/run-comparison.ts; this only lays it out.
import path from 'node:path';
import type { Spread } from '../shared/profile';
import type { ComparedSide, RunComparison } from '../shared/run-comparison';
import { configChangeText } from '../shared/run-comparison';
import { readMeasuredRun, resolveRunFolder } from '../runner/measured-run';
import { compareMeasuredRuns } from '../shared/run-comparison';
import { UsageError, type CliIO } from './io';

export const COMPARE_USAGE = `Usage: pipeline-doctor compare <before> <after> [--out DIR] [--json]

Compares two profile runs of a script, before and after a change: median step time and data wait with
their p10-p90 spread, the measured speed-up with its interval, the loader settings that changed, whether
the verdict changed, and whether the machine was equally loaded during both.

  <before> <after>  run folders (paths), or names of run folders under --out
  --out DIR         folder of run folders (default .pipeline-doctor/runs)
  --json            print the comparison as JSON
  -h, --help        this help
`;

const ms = (x: number): string => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(x >= 100 ? 0 : x >= 10 ? 1 : 2)} ms`);
const spread = (s: Spread | null): string => (s === null ? '-' : `${ms(s.p50)} (${ms(s.p10)}-${ms(s.p90)})`);
const pct = (x: number | null): string => (x === null ? '-' : `${Math.round(x)}%`);

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => '  ' + r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd()).join('\n') + '\n';
}

export function renderComparison(c: RunComparison, labels: { before: string; after: string }): string {
  const row = (label: string, f: (s: ComparedSide) => string): string[] => [label, f(c.before), f(c.after)];
  let out = `Before: ${labels.before}\nAfter:  ${labels.after}\n\n`;
  out += table([
    ['', 'before', 'after'],
    row('step p50 (p10-p90)', (s) => spread(s.stepMs)),
    row('data wait p50 (p10-p90)', (s) => spread(s.waitMs)),
    row('measured steps', (s) => String(s.steps)),
    row('verdict', (s) => s.verdictText),
    row('other processes\' CPU', (s) => pct(s.otherCpuPct)),
  ]);
  out += '\n';
  if (c.speedup !== null) {
    const sp = c.speedup;
    out += `Speed-up: ${sp.p50.toFixed(2)}x (${Math.round(sp.level * 100)}% interval ${sp.low.toFixed(2)}-${sp.high.toFixed(2)}x, ratio of mean ${sp.basis})\n`;
  }
  out += `${c.sentence}\n`;
  out += c.configChanges.length > 0
    ? `Changed: ${c.configChanges.map(configChangeText).join('; ')}\n`
    : 'Changed: nothing the runs recorded (loader settings, script, arguments, interpreter, mode)\n';
  out += `Verdict: ${c.verdictChanged ? `changed (${c.before.verdict} \u2192 ${c.after.verdict})` : `unchanged (${c.after.verdict})`}\n`;
  if (c.loadWarning !== null) out += `warning: ${c.loadWarning}\n`;
  else if (c.before.otherCpuPct === null || c.after.otherCpuPct === null) out += 'note: the load of other processes was not recorded for both runs: whether they ran under the same load is unknown\n';
  out += `method: ${c.method}\n`;
  return out;
}

/** A run folder as its user named it: relative to `cwd` where that is shorter. */
export function runLabel(folder: string, cwd: string): string {
  const r = path.relative(cwd, folder);
  return r === '' || r.startsWith('..') ? folder : r;
}

export function compareCommand(argv: readonly string[], io: CliIO): number {
  let json = false;
  let outDir = path.join('.pipeline-doctor', 'runs');
  const refs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '-h' || arg === '--help') {
      io.stdout(COMPARE_USAGE);
      return 0;
    } else if (arg === '--json') json = true;
    else if (arg === '--out' || arg.startsWith('--out=')) {
      const v = arg === '--out' ? argv[++i] : arg.slice('--out='.length);
      if (!v) throw new UsageError('--out needs a folder');
      outDir = v;
    } else if (arg.startsWith('-')) throw new UsageError(`unknown option '${arg}'`);
    else refs.push(arg);
  }
  if (refs.length !== 2) throw new UsageError(`compare takes two runs, before and after (got ${refs.length})`);
  const runsDir = path.resolve(io.cwd, outDir);
  const folders = refs.map((ref) => {
    const folder = resolveRunFolder(ref, io.cwd, runsDir);
    if (folder === null) throw new UsageError(`no run '${ref}': neither a folder with summary.json nor a run under ${runLabel(runsDir, io.cwd)}`);
    return folder;
  });
  let comparison: RunComparison;
  try {
    comparison = compareMeasuredRuns(readMeasuredRun(folders[0] ?? ''), readMeasuredRun(folders[1] ?? ''));
  } catch (e) {
    // By name: each CLI bundle has its own copy of the class.
    if ((e as Error).name === 'RunFolderError') {
      io.stderr(`pipeline-doctor compare: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
  if (json) io.stdout(JSON.stringify(comparison, null, 2) + '\n');
  else io.stdout(renderComparison(comparison, { before: runLabel(folders[0] ?? '', io.cwd), after: runLabel(folders[1] ?? '', io.cwd) }));
  return 0;
}
