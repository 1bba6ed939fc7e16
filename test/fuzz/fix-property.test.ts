// The bounded run of the fix property test in `npm test` (`npm run fuzz -- --fix` runs every seed in
// several variants): only the fixes' bytes change, the result compiles, a second run changes nothing.
import assert from 'node:assert/strict';
import path from 'node:path';
import { it } from 'node:test';
import { fixProperty } from './fix-property';

it('--fix over 60 fixture and corpus files in mixed line ends, BOMs and latin-1 changes only the fixes\' bytes, keeps them compiling, and is stable', async () => {
  const report = await fixProperty(path.resolve(__dirname, '../../..'), { inputs: 60, seed: Number(process.env.FUZZ_SEED ?? 11) });
  console.log(`fix property: ${report.inputs} files, ${report.changedFiles} changed by ${report.fixes} fixes`);
  assert.ok(report.fixes > 0, 'some fixes were applied');
  assert.deepEqual(report.failures.slice(0, 5), []);
});
