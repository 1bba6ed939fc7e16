#!/usr/bin/env node
// npm run fuzz [-- --iterations N --seed S]: the long fuzz run; prints figures and any crash.
// npm run fuzz -- --fix [--rounds N --seed S]: the long fix property run (test/fuzz/fix-property.ts): every
// fixture and corpus file N times (default 8), each in a line-end/BOM/encoding variant drawn at random.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
execFileSync('npx', ['tsc', '-p', '.'], { cwd: root, stdio: 'inherit' });
if (process.argv.includes('--fix')) {
  const { fixProperty, fixSeeds } = createRequire(import.meta.url)(path.join(root, 'out/test/fuzz/fix-property.js'));
  const t0 = Date.now();
  const report = await fixProperty(root, { inputs: fixSeeds(root).length * arg('--rounds', 8), seed: arg('--seed', 1), cover: true });
  console.log(`fix property: ${report.inputs} files, ${report.changedFiles} changed by ${report.fixes} fixes, ${report.failures.length} failures, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  for (const f of report.failures.slice(0, 20)) console.log(`  FAIL ${f.file} (${f.variant}): ${f.problem}`);
  process.exit(report.failures.length > 0 ? 1 : 0);
}
const { fuzz, percentile } = createRequire(import.meta.url)(path.join(root, 'out/test/fuzz/fuzzer.js'));
const report = await fuzz(root, arg('--iterations', 5000), arg('--seed', 1));
const over = report.timesMs.filter((t) => t > 200).length;
console.log(`inputs ${report.inputs}; crashes ${report.crashes.length}; p50 ${percentile(report.timesMs, 50).toFixed(1)} ms; p99 ${percentile(report.timesMs, 99).toFixed(1)} ms; max ${report.slowest.ms.toFixed(0)} ms (${report.slowest.mutation} of ${report.slowest.file}); over 200 ms: ${over}`);
for (const o of report.overBudget.slice(0, 5)) console.log(`  over budget: ${o.ms.toFixed(0)} ms, ${o.mutation} of ${o.file} (${(o.bytes / 1024).toFixed(0)} KiB)`);
for (const c of report.crashes.slice(0, 5)) console.log(`\nCRASH ${c.mutation} of ${c.file}\n${c.error}\n--- sample ---\n${c.sample}`);
process.exitCode = report.crashes.length > 0 ? 1 : 0;
