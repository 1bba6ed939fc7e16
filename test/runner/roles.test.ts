// Loader roles from how each loader is used (docs/profiling.md, "training loader"): a training loader that
// does not shuffle is 'train' once it is iterated in the training step, an evaluation loader stays 'eval',
// and a sweep trial still applies its setting to the unshuffled training loader. Real PyTorch on CPU.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { profileScript, readRunFolder } from '../../src/runner/index';
import { PY, assertNothingLeft, lineOf, requireTorch, script, tempDir } from './helpers';

const SCRIPT = script('unshuffled_train.py');

describe('runner: loader roles', () => {
  before(requireTorch);

  it('a training loader that does not shuffle is labelled train; the evaluation loader beside it stays eval', async () => {
    let pid: number | undefined;
    const s = await profileScript(
      { script: SCRIPT, args: ['--sleep-ms', '1'], python: PY, outDir: tempDir('roles'), warmup: 3, steps: 10, controlSteps: 0, ioProbe: 'off' },
      { onSpawn: (p) => { pid = p; } },
    );
    assert.notEqual(s.verdict, 'failed', s.error);
    const train = s.loaders.find((l) => l.line === lineOf(SCRIPT, 'loader = DataLoader('));
    const evaluation = s.loaders.find((l) => l.line === lineOf(SCRIPT, 'eval_loader = DataLoader('));
    assert.ok(train && evaluation, JSON.stringify(s.loaders));
    assert.equal(train.training, true);
    assert.equal(train.role, 'train');
    assert.equal(evaluation.role, 'eval');
    // The run folder's loader table says the same.
    const roles = readRunFolder(s.folder).loaders?.getChild('role')?.toArray() as string[];
    assert.deepEqual([...roles].sort(), ['eval', 'train']);
    await assertNothingLeft(pid);
  });

  it('a sweep trial still finds the unshuffled training loader and applies its setting', async () => {
    let pid: number | undefined;
    const s = await profileScript(
      {
        script: SCRIPT, args: ['--sleep-ms', '2', '--n', '4000'], python: PY, outDir: tempDir('roles'), mode: 'sweep', warmup: 3, steps: 10,
        controlSteps: 0, ioProbe: 'off', sweepBudgetSeconds: 25,
      },
      { onSpawn: (p) => { pid = p; } },
    );
    assert.equal(s.ended.how, 'stopped-after-sweep', s.error);
    const tried = (s.sweep ?? []).filter((c) => !c.current && c.trials > 0);
    assert.ok(tried.length > 0, JSON.stringify(s.sweep));
    for (const c of s.sweep ?? []) assert.equal(c.error, null, `${JSON.stringify(c)}`);
    assert.ok(tried.some((c) => c.stepMs !== null), 'a candidate setting was measured');
    await assertNothingLeft(pid);
  });
});
