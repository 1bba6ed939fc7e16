#!/usr/bin/env node
// Honesty benchmark of the sweep (issue 12; docs/profiling.md, "Sweep: trial runs" and "Comparing two
// runs"): does the speed-up the sweep predicts for its recommended loader setting hold when the script is
// re-run with that setting? For the bundled naive example and the public scripts of
// test/real/sweep/manifest.json (materialised from local mirrors into a temp folder, never kept), it runs
// `profile --mode sweep`, then, when a setting is recommended, re-runs the script with it (the sweep's
// recorded setting, applied to the same loader by test/real/sweep/apply_setting.py) through
// `profile --compare-with <sweep run>`, several times, and prints the done-when table: script,
// recommendation, predicted speed-up [p10-p90], re-measured runs [90% interval] with the spread of their
// speed-ups, within the tolerance?, other-process CPU, and PASS/FAIL per row (a row passes when a setting
// other than the current one was recommended and the median re-measured speed-up is within the tolerance
// of the predicted one; a re-run compares with the sweep's baseline run over the same window as a trial).
//
//   npm run bench:sweep -- --mirrors /work/.mirror [--python PATH] [--sweep-budget SEC (default 120, the tool's)] [--reruns N]
//                          [--only NAME] [--tolerance 0.15] [--json FILE]
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : dflt;
};
const mirrors = arg('--mirrors', process.env.PD_MIRRORS ?? '/work/.mirror');
const python = arg('--python', fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const budget = arg('--sweep-budget', '120');
const reruns = Number(arg('--reruns', '3'));
const tolerance = Number(arg('--tolerance', '0.15'));
const only = arg('--only', null);
const jsonOut = arg('--json', null);
const cli = path.join(root, 'dist', 'cli.js');
if (!fs.existsSync(cli)) execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });

const manifest = JSON.parse(fs.readFileSync(path.join(root, 'test', 'real', 'sweep', 'manifest.json'), 'utf8'));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-bench-sweep-'));
const shimDir = path.join(work, 'shim');
fs.mkdirSync(shimDir);
fs.copyFileSync(path.join(root, 'test', 'real', 'sweep', 'apply_setting.py'), path.join(shimDir, 'sitecustomize.py'));

function gitDir(repo) {
  const base = path.join(mirrors, repo.replace('/', '+'), 'repo');
  return fs.existsSync(path.join(base, '.git')) ? path.join(base, '.git') : base;
}

/** The script's folder in the temp area: the bundled example copied, a public repo archived at its commit. */
function materialise(entry, i) {
  const dir = path.join(work, `s${i}`);
  fs.mkdirSync(dir);
  if (entry.bundled !== undefined) {
    // The example imports its neighbours (dataset.py): its whole folder is copied.
    fs.cpSync(path.dirname(path.join(root, entry.bundled)), dir, { recursive: true });
    return { dir, script: path.join(dir, path.basename(entry.bundled)) };
  }
  const tar = execFileSync('git', ['--git-dir', gitDir(entry.repo), 'archive', entry.commit], { maxBuffer: 1 << 30 });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  for (const f of entry.files ?? []) {
    const data = execFileSync('git', ['--git-dir', gitDir(f.repo), 'show', `${f.commit}:${f.path}`], { maxBuffer: 1 << 30 });
    fs.writeFileSync(path.join(dir, f.to), data);
  }
  return { dir, script: path.join(dir, entry.path) };
}

function profile(argv, cwd, env) {
  const r = spawnSync(process.execPath, [cli, 'profile', ...argv], {
    cwd, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 28, timeout: 900_000,
  });
  try {
    return JSON.parse(r.stdout);
  } catch {
    return { error: `exit ${r.status}: ${(r.stderr ?? '').slice(-600)}` };
  }
}

const fmt = (x, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));
const pct = (x) => (x === null || x === undefined ? '–' : `${Math.round(x)}%`);
const setting = (s) => s === undefined || s === null ? '–'
  : `nw=${s.num_workers} pin=${s.pin_memory ? 1 : 0}${s.num_workers > 0 ? ` pf=${s.prefetch_factor ?? '–'} pw=${s.persistent_workers ? 1 : 0}` : ''}`;
const interval = (s) => (s ? `${fmt(s.p50)} [${fmt(s.p10)}–${fmt(s.p90)}]` : '–');

const rows = [];
for (const [i, entry] of manifest.scripts.entries()) {
  if (only !== null && !entry.name.includes(only)) continue;
  const t0 = Date.now();
  // A script whose trial processes start slowly (an evaluation at step 0) gets its own budget in the manifest.
  const sweepBudget = String(entry.sweepBudget ?? budget);
  process.stderr.write(`\n== ${entry.name}: sweep (budget ${sweepBudget}s)…\n`);
  const { dir, script } = materialise(entry, i);
  const cwd = path.join(dir, entry.cwd ?? path.dirname(path.relative(dir, script)));
  const env = entry.pythonpath !== undefined ? { PYTHONPATH: path.join(dir, entry.pythonpath) } : {};
  const runs = path.join(work, `runs${i}`);
  const common = ['--python', python, '--json', '--out', runs];
  const sweep = profile([script, '--mode', 'sweep', '--sweep-budget', sweepBudget, ...common, '--', ...entry.args], cwd, env);
  const row = { name: entry.name, sweepBudget, repo: entry.repo ?? 'bundled', commit: entry.commit ?? null, path: entry.path ?? entry.bundled };
  rows.push(row);
  if (sweep.verdict === undefined || sweep.verdict === 'failed') {
    row.error = sweep.error ?? 'no verdict';
    continue;
  }
  const training = (sweep.loaders ?? []).find((l) => l.training) ?? null;
  const current = (sweep.sweep ?? []).find((c) => c.current) ?? null;
  const outcome = sweep.sweepOutcome ?? null;
  Object.assign(row, {
    verdict: sweep.verdict, steps: sweep.steps, loaderKind: training?.kind ?? null,
    loader: training && training.kind === 'torch' ? `${path.basename(training.file)}:${training.line}` : 'none',
    current: current ?? (training ? { num_workers: training.num_workers, pin_memory: training.pin_memory, prefetch_factor: training.prefetch_factor, persistent_workers: training.persistent_workers } : null),
    decision: outcome?.decision ?? 'no sweep', sentence: outcome?.sentence ?? (sweep.notes ?? []).join(' '),
    sweepOtherCpu: outcome?.otherCpuPct ?? sweep.cpu?.otherMeanPct ?? null, busy: outcome?.busy ?? null, candidates: sweep.sweep ?? [],
  });
  const others = (sweep.sweep ?? []).filter((c) => !c.current && c.speedup !== null);
  const fastest = others.sort((a, b) => b.speedup.p50 - a.speedup.p50)[0] ?? null;
  row.fastest = fastest;
  // Nothing recommended: the fastest measured candidate is still re-run, so its sweep estimate is checked too.
  const recommended = outcome?.decision === 'faster' && outcome.recommended !== undefined;
  const target = recommended ? outcome.recommended : fastest?.num_workers !== undefined ? fastest : null;
  if (target !== null && training !== null && training.kind === 'torch') {
    row.recommended = recommended ? outcome.recommended : undefined;
    row.checked = target;
    row.predicted = recommended ? outcome.speedup : fastest.speedup;
    row.reruns = [];
    const spec = JSON.stringify({
      file: training.file, line: training.line,
      settings: {
        num_workers: target.num_workers, pin_memory: target.pin_memory,
        prefetch_factor: target.prefetch_factor ?? null, persistent_workers: target.persistent_workers,
      },
    });
    const rerunEnv = {
      ...env, PD_BENCH_SETTING: spec,
      PYTHONPATH: [shimDir, env.PYTHONPATH].filter((p) => p !== undefined).join(path.delimiter),
    };
    for (let k = 0; k < reruns; k++) {
      process.stderr.write(`   re-run ${k + 1}/${reruns} with ${setting(target)}…\n`);
      const r = profile(['--compare-with', sweep.folder, ...common], cwd, rerunEnv);
      const c = r.comparison ?? null;
      const after = r.summary?.loaders?.find((l) => l.training) ?? null;
      row.reruns.push({
        speedup: c?.speedup ?? null, decision: c?.decision ?? null, otherCpuBefore: c?.before?.otherCpuPct ?? null,
        otherCpuAfter: c?.after?.otherCpuPct ?? null, loadWarning: c?.loadWarning ?? null,
        applied: after ? setting({ num_workers: after.num_workers, pin_memory: after.pin_memory, prefetch_factor: after.prefetch_factor, persistent_workers: after.persistent_workers }) : null,
        within: c?.speedup ? Math.abs(c.speedup.p50 / row.predicted.p50 - 1) <= tolerance : null,
        error: c === null ? (r.error ?? 'no comparison') : null,
      });
    }
  }
  row.wallS = Math.round((Date.now() - t0) / 1000);
  process.stderr.write(`   ${row.decision} (${row.wallS}s)\n`);
}

// The done-when table (issue 12): one row per script, with a pass/fail of its own. A row passes when the
// sweep recommended a setting other than the current one and the median of the re-measured speed-ups lies
// within the tolerance of the predicted one; nothing recommended, or a script with no loader setting to
// try, is a fail with its reason (the prediction could not be checked).
const median = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length === 0 ? null : v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const same = (a, b) => a && b && setting(a) === setting(b);
for (const r of rows) {
  const measured = (r.reruns ?? []).flatMap((x) => (x.speedup ? [x.speedup.p50] : []));
  r.remeasuredMedian = median(measured);
  r.deviation = r.predicted && r.remeasuredMedian !== null ? r.remeasuredMedian / r.predicted.p50 - 1 : null;
  if (r.error !== undefined) r.result = { pass: false, why: `failed: ${r.error.replace(/\|/g, '/').replace(/\n/g, ' ').slice(0, 160)}` };
  else if (r.recommended === undefined) {
    r.result = { pass: false, why: r.loader === 'none' ? 'no DataLoader setting to try' : `nothing recommended (${r.decision})` };
  } else if (same(r.recommended, r.current)) r.result = { pass: false, why: 'recommended the current setting' };
  else if (r.deviation === null) r.result = { pass: false, why: 'no re-run could be compared' };
  else r.result = { pass: Math.abs(r.deviation) <= tolerance, why: `re-measured median ${fmt(r.remeasuredMedian)}x, ${r.deviation >= 0 ? '+' : ''}${Math.round(r.deviation * 100)}% of predicted` };
}
const lines = [
  `| script | recommendation | predicted speed-up [p10–p90] | re-measured runs [90% interval] (spread of p50s) | within ${Math.round(tolerance * 100)}%? | other-process CPU: sweep / re-runs | result |`,
  '|---|---|---|---|---|---|---|',
];
for (const r of rows) {
  const verdict = `${r.result.pass ? 'PASS' : 'FAIL'}: ${r.result.why}`;
  if (r.error !== undefined) {
    lines.push(`| ${r.name} | – | – | – | – | – | ${verdict} |`);
    continue;
  }
  const what = r.recommended !== undefined
    ? `${setting(r.recommended)} (current ${setting(r.current)})`
    : r.checked !== undefined ? `none; fastest measured ${setting(r.checked)} re-run all the same (current ${setting(r.current)})`
      : r.loader === 'none' ? `none: no DataLoader (steps at optimizer.step(), ${r.steps} measured)` : `none (current ${setting(r.current)})`;
  for (const x of r.reruns ?? []) if (x.applied !== null && x.applied !== setting(r.checked)) x.notApplied = x.applied;
  const runs = (r.reruns ?? []).map((x) => (x.speedup ? `${fmt(x.speedup.p50)} [${fmt(x.speedup.low)}–${fmt(x.speedup.high)}]` : `– (${x.error})`) +
    (x.notApplied ? ` (ran with ${x.notApplied})` : ''));
  const p50s = (r.reruns ?? []).flatMap((x) => (x.speedup ? [x.speedup.p50] : []));
  const spread = p50s.length > 1 ? ` (${fmt(Math.min(...p50s))}–${fmt(Math.max(...p50s))})` : '';
  const within = (r.reruns ?? []).map((x) => (x.within === null ? '–' : x.within ? 'yes' : 'no'));
  const overall = r.deviation === null ? '' : ` → median ${Math.abs(r.deviation) <= tolerance ? 'yes' : 'no'}`;
  const cpu = `${pct(r.sweepOtherCpu)} / ${(r.reruns ?? []).map((x) => pct(x.otherCpuAfter)).join(', ') || '–'}`;
  lines.push(`| ${r.name} | ${what} | ${interval(r.predicted)} | ${runs.join('; ') || '–'}${spread} | ${within.join(', ') || '–'}${overall} | ${cpu} | ${verdict} |`);
}
console.log(`\nSweep honesty (${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} at the end; sweep budget ${budget}s unless the manifest sets one; ${reruns} re-runs; python ${python})\n`);
console.log(lines.join('\n'));
const passed = rows.filter((r) => r.result.pass).length;
console.log(`\n${passed} of ${rows.length} rows pass (predicted speed-up of the recommended setting within ${Math.round(tolerance * 100)}% of the median re-measured one).`);
for (const r of rows) if (r.sentence) console.log(`\n${r.name}: ${r.sentence}`);
for (const r of rows) for (const x of r.reruns ?? []) if (x.loadWarning) console.log(`\n${r.name} re-run: ${x.loadWarning}`);
if (jsonOut !== null) fs.writeFileSync(jsonOut, JSON.stringify(rows, null, 2));
fs.rmSync(work, { recursive: true, force: true });
