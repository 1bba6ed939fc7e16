#!/usr/bin/env node
// Lint throughput and editor latency, printed as figures (not a timed test):
//  - whole-tree lint of a generated 100,000-line corpus through the real CLI (a subprocess, 2 cores)
//  - p50/p95 re-analysis of a 2,000-line file after a one-character edit (incremental parse, as the editor does)
//  - pylint on the same corpus when it is installed, for the ratio
// Usage: npm run bench:lint [-- --lines 100000]
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const argLines = process.argv.indexOf('--lines');
const TARGET_LINES = argLines > 0 ? Number(process.argv[argLines + 1]) : 100_000;

if (!fs.existsSync(path.join(root, 'dist/cli.js'))) execFileSync('node', ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
if (!fs.existsSync(path.join(root, 'out/src/analyzers/index.js'))) execFileSync('npx', ['tsc', '-p', '.'], { cwd: root, stdio: 'inherit' });

// Two generated corpora of TARGET_LINES lines each:
//  - "project": a realistic repository mix, a quarter training code (the examples, rule fixtures and the
//    accuracy corpus, renamed and replicated) and three quarters ordinary Python (the standard library's
//    own modules: models, utilities and tooling look like this to the analyzer);
//  - "stress": nothing but training code, every file full of loaders, loops and trainers.
const sources = [];
const collect = (dir) => {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && e.name !== 'data' && e.name !== 'tests' && e.name !== 'debug') collect(p);
    else if (e.name.endsWith('.py') && !e.name.includes('.fixed.')) sources.push(fs.readFileSync(p, 'utf8'));
  }
};
collect(path.join(root, 'examples'));
collect(path.join(root, 'test/rules/fixtures'));
collect(path.join(root, 'test/corpus'));
const stdlibDir = path.dirname(spawnSync('python3', ['-c', 'import argparse; print(argparse.__file__)'], { encoding: 'utf8' }).stdout.trim());
const ordinary = fs.readdirSync(stdlibDir).filter((f) => f.endsWith('.py')).sort().map((f) => fs.readFileSync(path.join(stdlibDir, f), 'utf8')).filter((t) => t.split('\n').length < 3000);

function writeCorpus(name, pick) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pd-bench-${name}-`));
  let trainingLines = 0;
  let lines = 0;
  let files = 0;
  const taken = { training: 0, ordinary: 0 };
  for (let i = 0; lines < TARGET_LINES; i++) {
    const [kind, text] = pick(i, taken, lines);
    taken[kind]++;
    const src = text.replace(/\bmodel\b/g, `model_${i}`).replace(/\bloader\b/g, `loader_${i}`);
    const pkg = path.join(dir, `pkg${Math.floor(i / 50)}`);
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(path.join(pkg, `module_${i}.py`), src);
    const n = src.split('\n').length;
    lines += n;
    if (kind === 'training') trainingLines += n;
    files++;
  }
  return { dir, lines, files, trainingShare: trainingLines / lines };
}

const time = (fn) => {
  const t0 = process.hrtime.bigint();
  const r = fn();
  return [Number(process.hrtime.bigint() - t0) / 1e6, r];
};

function lintCorpus(label, corpus) {
  const runs = [];
  let findings = 0;
  for (let i = 0; i < 3; i++) {
    const [ms, r] = time(() => spawnSync(process.execPath, [path.join(root, 'dist/cli.js'), 'lint', corpus.dir, '--format', 'json', '--fail-on', 'never'], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 }));
    if (r.status !== 0) throw new Error(`lint failed: ${r.stderr}`);
    findings = JSON.parse(r.stdout).findings.length;
    runs.push(ms);
  }
  const best = Math.min(...runs);
  const median = [...runs].sort((a, b) => a - b)[1];
  console.log(`whole-tree lint, ${label}: ${corpus.lines.toLocaleString()} lines in ${corpus.files} files: ${(best / 1000).toFixed(2)} s (best of 3; median ${(median / 1000).toFixed(2)} s) = ${Math.round(corpus.lines / (best / 1000)).toLocaleString()} lines/s, ${findings} findings  [target ≤ 2 s]`);
  return best;
}

// By lines: training files are added while they are under a quarter of what is written so far.
let trainingWritten = 0;
const project = writeCorpus('project', (i, taken, lines) => {
  if (trainingWritten <= lines / 4) {
    const text = sources[taken.training % sources.length];
    trainingWritten += text.split('\n').length;
    return ['training', text];
  }
  return ['ordinary', ordinary[taken.ordinary % ordinary.length]];
});
const stress = writeCorpus('stress', (i, taken) => ['training', sources[taken.training % sources.length]]);
lintCorpus(`project mix (${Math.round(project.trainingShare * 100)}% training code)`, project);
const best = lintCorpus('stress (all training code)', stress);
const lines = stress.lines;
const corpus = stress.dir;

// Editor latency: one-character edits in a 2,000-line file, re-parsed incrementally from the previous
// tree as the editor does. Two files: a realistic module (a training script below ~1,850 lines of
// ordinary Python, taken from the standard library's argparse) and a stress file made only of training
// code (examples and fixtures back to back: dozens of loaders, loops and trainers in one file).
const { analyze } = require(path.join(root, 'out/src/analyzers/index.js'));
const stdlibFile = spawnSync('python3', ['-c', 'import argparse; print(argparse.__file__)'], { encoding: 'utf8' }).stdout.trim();
const trainScript = fs.readFileSync(path.join(root, 'test/corpus/pytorch/cifar_resnet/train.py'), 'utf8');
const first2000 = (text) => text.split('\n').slice(0, 2000).join('\n');
const realistic = first2000(fs.readFileSync(stdlibFile, 'utf8').split('\n').slice(0, 2000 - trainScript.split('\n').length).join('\n') + '\n' + trainScript);
let dense = '';
for (let i = 0; dense.split('\n').length < 2000; i++) dense += sources[i % sources.length] + '\n';
dense = first2000(dense);

async function editLatency(original) {
  let { tree } = await analyze('big.py', original, {});
  let text = original;
  const samples = [];
  for (let i = 0; i < 200; i++) {
    const offset = text.indexOf('\n', (i * 997) % (text.length - 200)) + 1;
    const pos = tree.rootNode.descendantForIndex(offset).startPosition;
    const edited = text.slice(0, offset) + ' ' + text.slice(offset);
    const t0 = process.hrtime.bigint();
    tree.edit({
      startIndex: offset, oldEndIndex: offset, newEndIndex: offset + 1,
      startPosition: pos, oldEndPosition: pos, newEndPosition: { row: pos.row, column: pos.column + 1 },
    });
    const r = await analyze('big.py', edited, { previousTree: tree });
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    tree.delete();
    tree = r.tree;
    text = edited;
  }
  samples.sort((a, b) => a - b);
  const pct = (p) => samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))];
  return `p50 ${pct(50).toFixed(1)} ms, p95 ${pct(95).toFixed(1)} ms`;
}
console.log(`re-analysis after a 1-char edit, 2,000-line training module: ${await editLatency(realistic)}  [target p95 ≤ 30 ms]`);
console.log(`re-analysis after a 1-char edit, 2,000 lines of nothing but training code (stress): ${await editLatency(dense)}`);

// Activation, measured inside a real VS Code (code-server) by the extension itself.
const vscodeRun = spawnSync(process.execPath, [path.join(root, 'scripts/run-vscode-tests.mjs'), '--extensionTestsPath', path.join(root, 'out/test/integration/suite/index.js'),
  '--folder', path.join(root, 'test/integration/workspace'), '--grep', 'activation'], { cwd: root, encoding: 'utf8' });
const activation = /activation: ([\d.]+) ms/.exec(vscodeRun.stdout + vscodeRun.stderr);
console.log(activation ? `extension activation (activate() in code-server): ${activation[1]} ms  [target ≤ 150 ms]` : `extension activation: not measured (${(vscodeRun.stderr || vscodeRun.stdout).trim().split('\n').pop()})`);

const pylint = spawnSync('pylint', ['--version'], { encoding: 'utf8' });
if (pylint.status === 0) {
  const sub = fs.readdirSync(corpus).slice(0, 2).map((d) => path.join(corpus, d));
  const subLines = sub.flatMap((d) => fs.readdirSync(d).map((f) => fs.readFileSync(path.join(d, f), 'utf8').split('\n').length)).reduce((a, b) => a + b, 0);
  const [ms] = time(() => spawnSync('pylint', ['--disable=all', '--enable=W,E', '--jobs=2', ...sub], { encoding: 'utf8' }));
  const pylintRate = subLines / (ms / 1000);
  console.log(`pylint (W,E checks, 2 jobs) on ${subLines.toLocaleString()} lines of the stress corpus: ${Math.round(pylintRate).toLocaleString()} lines/s; pipeline-doctor is ${(lines / (best / 1000) / pylintRate).toFixed(1)}x faster`);
} else {
  console.log('pylint not installed (apt-get install pylint) — no side-by-side figure');
}
for (const c of [project, stress]) fs.rmSync(c.dir, { recursive: true, force: true });
