#!/usr/bin/env node
// Precision and recall of the CLI on the real-code development set (test/real/repos/*.json, issue 9).
// Each repository is extracted from its local git mirror at the labelled commit into a temporary folder,
// and `dist/cli.js lint` runs there as a user who opened that repository would run it.
//   precision (warnings+errors): a warning/error finding is right when it matches an `expect` of severity
//     warning or error; wrong when it matches `ok`, or an `expect` of severity info/hint
//   precision (all severities): right when it matches any `expect`; wrong when it matches `ok`
//   recall: expects found by a finding of their code (any severity); recall (warn): warning/error expects
//     found by a warning/error finding. `maybe` labels are left out of every figure; findings with no label
//     are listed and counted as unjudged (label them).
// Usage: npm run bench:real -- --mirrors DIR [--mirrors DIR2] [--json] [--allow-missing]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const lib = path.join(root, 'out/test/real/bench-lib.js');
const cli = path.join(root, 'dist/cli.js');

const argv = process.argv.slice(2);
const mirrors = [];
let json = false;
let allowMissing = false;
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--mirrors') mirrors.push(path.resolve(argv[++i] ?? ''));
  else if (a.startsWith('--mirrors=')) mirrors.push(path.resolve(a.slice('--mirrors='.length)));
  else if (a === '--json') json = true;
  else if (a === '--allow-missing') allowMissing = true;
  else {
    console.error(`unknown option ${a}\nusage: npm run bench:real -- --mirrors DIR [--mirrors DIR2] [--json] [--allow-missing]`);
    process.exit(2);
  }
}
if (mirrors.length === 0) {
  console.error('bench:real needs --mirrors DIR (folders holding <owner>+<name>/repo git mirrors)');
  process.exit(2);
}

if (!fs.existsSync(lib) || fs.statSync(lib).mtimeMs < fs.statSync(path.join(root, 'test/real/bench-lib.ts')).mtimeMs) {
  console.error('compiling (npx tsc -p .) ...');
  try {
    execFileSync('npx', ['tsc', '-p', '.'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch {
    if (!fs.existsSync(lib)) process.exit(2);
  }
}
if (!fs.existsSync(cli)) {
  console.error('building dist/ (node scripts/build.mjs) ...');
  execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}

const { readManifests, findMirror, benchRepo, merge, slice, score, familyOf } = require(lib);
const manifests = readManifests(path.join(root, 'test/real/repos'));
const judgements = [];
const missing = [];
const warnings = [];
let fileCount = 0;
for (const m of manifests) {
  const gitDir = findMirror(mirrors, m.repo);
  if (!gitDir) {
    missing.push(m.repo);
    continue;
  }
  const r = benchRepo(m, gitDir, cli);
  fileCount += m.files.length;
  judgements.push(r.judgement);
  for (const f of r.missingFiles) warnings.push(`${m.repo}: ${f} is not in commit ${m.commit.slice(0, 12)}`);
  if (r.notices) warnings.push(...r.notices.split('\n').map((n) => `${m.repo}: ${n}`));
}
const all = merge(judgements);
const families = ['LOAD', 'PREP', 'LOOP', 'STOP', 'EVAL', 'HW'];
for (const c of [...all.findings.map((f) => f.code), ...all.expects.map((e) => e.label.code)]) {
  if (!families.includes(familyOf(c))) families.push(familyOf(c));
}
const kinds = [['all files', () => true], ['.py', (k) => k === 'py'], ['notebooks', (k) => k === 'notebook'], ['configs', (k) => k === 'config']];
const tables = kinds.map(([title, kindPred]) => ({
  title,
  rows: [...families, 'overall'].map((fam) => ({
    family: fam,
    ...score(slice(all, (x) => kindPred(x.kind) && (fam === 'overall' || familyOf(x.code) === fam))),
  })),
}));

const where = (x) => `${x.repo} ${x.path}${x.cell !== undefined ? ` cell ${x.cell}` : ''}:${x.line}`;
const misses = all.expects.filter((e) => !e.found || (['warning', 'error'].includes(e.label.severity) && !e.foundSerious));
const wrong = all.findings.filter((f) => f.all === 'wrong' || f.serious === 'wrong');
const unjudged = all.findings.filter((f) => f.all === 'unjudged');

if (json) {
  console.log(JSON.stringify({ repos: judgements.length, files: fileCount, missingMirrors: missing, warnings, tables, misses, wrong, unjudged }, null, 2));
} else {
  const fmt = (x) => (Number.isFinite(x) ? x.toFixed(2) : '  - ');
  console.log(`real-code set: ${fileCount} files from ${judgements.length} repositories; ${all.expects.length} expects, ${all.findings.length} findings (${unjudged.length} unjudged)`);
  for (const t of tables) {
    if (t.rows.at(-1).expects + t.rows.at(-1).allRight + t.rows.at(-1).allWrong + t.rows.at(-1).unjudged === 0) continue;
    console.log(`\n${t.title}\nfamily   P(warn+err)  right/wrong   P(all)  right/wrong   recall  found/exp   R(warn)  found/exp   unjudged`);
    for (const r of t.rows) {
      if (r.expects + r.allRight + r.allWrong + r.unjudged + r.seriousRight + r.seriousWrong === 0) continue;
      console.log(
        `${r.family.padEnd(8)} ${fmt(r.seriousPrecision).padStart(11)}  ${`${r.seriousRight}/${r.seriousWrong}`.padStart(11)}   ${fmt(r.allPrecision).padStart(6)}  ${`${r.allRight}/${r.allWrong}`.padStart(11)}   ${fmt(r.recall).padStart(6)}  ${`${r.found}/${r.expects}`.padStart(9)}   ${fmt(r.seriousRecall).padStart(7)}  ${`${r.seriousFound}/${r.seriousExpects}`.padStart(9)}   ${String(r.unjudged).padStart(8)}`,
      );
    }
  }
  const section = (title, list, text) => {
    if (list.length === 0) return;
    console.log(`\n${title} (${list.length}):`);
    for (const x of list) console.log(`  ${text(x)}`);
  };
  section('misses (expects not found, or found below warning)', misses, (e) => `${where({ ...e, line: e.label.line, cell: e.label.cell })} ${e.label.code} expect ${e.label.severity ?? '?'}${e.found ? ' (found only below warning)' : ''} — ${e.label.why ?? ''}`);
  section('wrong findings', wrong, (f) => `${where(f)} ${f.code} ${f.severity} — label ${f.label.label}${f.label.severity ? ` ${f.label.severity}` : ''}: ${f.label.why ?? ''}`);
  section('UNJUDGED findings (no label: label them)', unjudged, (f) => `${where(f)} ${f.code} ${f.severity} — ${f.message.split('\n')[0].slice(0, 140)}`);
  section('warnings', warnings, (w) => w);
}
if (missing.length > 0) {
  console.error(`no mirror for: ${missing.join(', ')} (looked in ${mirrors.join(', ')})`);
  if (!allowMissing) process.exit(1);
}
