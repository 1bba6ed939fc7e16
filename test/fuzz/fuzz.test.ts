// The bounded fuzz run of `npm test` (`npm run fuzz` runs thousands): zero crashes, figures printed.
import assert from 'node:assert/strict';
import path from 'node:path';
import { it } from 'node:test';
import { fuzz, percentile } from './fuzzer';

it('survives 400 mutated Python, YAML, JSON and notebook inputs without a crash', async () => {
  const report = await fuzz(path.resolve(__dirname, '../../..'), 400, Number(process.env.FUZZ_SEED ?? 7));
  console.log(`fuzz: ${report.inputs} inputs, p50 ${percentile(report.timesMs, 50).toFixed(1)} ms, p99 ${percentile(report.timesMs, 99).toFixed(1)} ms, slowest ${report.slowest.ms.toFixed(0)} ms (${report.slowest.mutation} of ${report.slowest.file})`);
  assert.deepEqual(report.crashes.slice(0, 3), []);
});
