#!/usr/bin/env node
// Precision and recall of the analyzer on the hand-annotated corpus (test/corpus/, see test/accuracy/corpus-lib.ts).
//   TP = an `expect` annotation the analyzer reports (a `miss` it now reports counts as TP too)
//   FP = a finding with no annotation, or one annotated `fp` (a documented false positive)
//   FN = a `miss` annotation (a documented false negative), or an `expect` the analyzer no longer reports
// Printed per rule family and overall, for warning+error findings (the issue-5 target: precision >= 0.95)
// and for all severities; recall target >= 0.85.
// Usage: npm run bench:accuracy [-- --json] [-- --strict (exit 1 when a target is missed)] [-- --details]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = new Set(process.argv.slice(2));
const lib = path.join(root, 'out/test/accuracy/corpus-lib.js');

// Compile when the compiled harness is missing or older than any TypeScript source.
function newestTs(dir) {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestTs(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}
const stale = !fs.existsSync(lib) || fs.statSync(lib).mtimeMs < Math.max(newestTs(path.join(root, 'src')), newestTs(path.join(root, 'test/accuracy')));
if (stale) {
  console.error('compiling (npx tsc -p .) ...');
  try {
    execFileSync('npx', ['tsc', '-p', '.'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch {
    // Type errors elsewhere in the tree still emit JavaScript; go on if the harness is there.
    if (!fs.existsSync(lib)) process.exit(2);
    console.error('tsc reported errors (see above); using the emitted JavaScript');
  }
}

const { corpusFiles, corpusAnnotations, compareFile, score, familyOf, catalogSeverity } = require(lib);
const { ruleByCode } = require(path.join(root, 'out/src/analyzers/registry.js'));
const severityOf = (code) => ruleByCode(code)?.severity ?? catalogSeverity(code);

const files = corpusFiles();
const outcomes = [];
const problems = [];
for (const file of files) {
  const cmp = await compareFile(file, severityOf);
  problems.push(...cmp.problems);
  for (const o of cmp.outcomes) outcomes.push({ ...o, file: file.rel });
}

const serious = (o) => o.severity === 'error' || o.severity === 'warning';
const families = [...new Set(outcomes.map((o) => familyOf(o.code)))].sort();
const fmt = (x) => (Number.isFinite(x) ? x.toFixed(3) : '  -  ');
const row = (name, list) => {
  const s = score(list);
  return { name, ...s, text: `${name.padEnd(9)} ${String(s.tp).padStart(4)} ${String(s.fp).padStart(4)} ${String(s.fn).padStart(4)}   ${fmt(s.precision)}   ${fmt(s.recall)}` };
};
const table = (title, list) => {
  const rows = families.map((f) => row(f, list.filter((o) => familyOf(o.code) === f))).filter((r) => r.tp + r.fp + r.fn > 0);
  const overall = row('overall', list);
  return { title, rows, overall };
};
const tables = [table('warning + error findings', outcomes.filter(serious)), table('all severities', outcomes)];
const P_TARGET = 0.95;
const R_TARGET = 0.85;
const warnOverall = tables[0].overall;
const allOverall = tables[1].overall;
const met = { precision: warnOverall.precision >= P_TARGET, recall: allOverall.recall >= R_TARGET };

const counts = { files: files.length, byFolder: {}, annotations: { expect: 0, miss: 0, fp: 0 }, cleanFiles: 0 };
for (const f of files) counts.byFolder[f.rel.split('/')[0]] = (counts.byFolder[f.rel.split('/')[0]] ?? 0) + 1;
for (const f of files) {
  const anns = corpusAnnotations(f);
  for (const a of anns) counts.annotations[a.kind]++;
  // "Well-tuned": nothing of warning or error severity should be reported (info/hint may be).
  if (!anns.some((a) => a.kind !== 'fp' && ['warning', 'error'].includes(severityOf(a.code)))) counts.cleanFiles++;
}

if (args.has('--json')) {
  console.log(JSON.stringify({ counts, tables: tables.map((t) => ({ title: t.title, overall: strip(t.overall), families: t.rows.map(strip) })), targets: { precision: P_TARGET, recall: R_TARGET, met }, disagreements: problems }, null, 2));
} else {
  console.log(`accuracy corpus: ${files.length} files (${Object.entries(counts.byFolder).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  console.log(`  ${counts.cleanFiles} files expect no warning or error; annotations: ${counts.annotations.expect} expect, ${counts.annotations.miss} miss, ${counts.annotations.fp} fp`);
  for (const t of tables) {
    console.log(`\n${t.title}\nfamily      TP   FP   FN   precision  recall`);
    for (const r of t.rows) console.log(r.text);
    console.log(t.overall.text);
  }
  console.log(`\ntargets: precision (warning+error) ${fmt(warnOverall.precision)} ${met.precision ? '>=' : '<'} ${P_TARGET}; recall (all) ${fmt(allOverall.recall)} ${met.recall ? '>=' : '<'} ${R_TARGET}` + `; recall (warning+error) ${fmt(warnOverall.recall)}`);
  if (args.has('--details')) {
    const show = (label, pred) => {
      const list = outcomes.filter(pred);
      if (list.length === 0) return;
      console.log(`\n${label}:`);
      for (const o of list) console.log(`  ${o.file}:${o.cell !== undefined ? `cell ${o.cell}:` : ''}${o.line + 1} ${o.code} (${o.severity ?? '?'})${o.reason ? ` — ${o.reason}` : ''}`);
    };
    show('false positives', (o) => o.verdict === 'fp');
    show('false negatives', (o) => o.verdict === 'fn');
  }
  if (problems.length > 0) {
    console.log(`\n${problems.length} disagreement(s) with the annotations (the corpus test fails on these):`);
    for (const p of problems) console.log(`  ${p}`);
  }
}
if (args.has('--strict') && (!met.precision || !met.recall)) process.exit(1);

function strip(r) {
  const { text, ...rest } = r;
  return rest;
}
