// The data-free control checked against step - wait of the same run (docs/profiling.md, "Data-free
// control"), with real PyTorch on CPU: quoted as an upper bound when it agrees, called unreliable when
// compute alone took longer than the measured steps spent outside their wait.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { profileScript } from '../../src/runner/index';
import type { RunSummary } from '../../src/shared/profile';
import { boundFromShare, controlSentence, speedupText } from '../../src/shared/verdict-text';
import { PY, requireTorch, script, tempDir } from './helpers';

const W = 3;
const N = 20;
const K = 8;

function run(args: string[]): Promise<RunSummary> {
  return profileScript({
    script: script('control_check.py'), args, python: PY, outDir: tempDir('control'), warmup: W, steps: N, controlSteps: K,
  });
}

describe('runner: the data-free control against the measured split (real PyTorch)', () => {
  before(requireTorch);

  it('agrees with step - wait: quoted as an upper bound no lower than the split\'s', async () => {
    const s = await run([]);
    assert.notEqual(s.verdict, 'failed', s.error);
    const c = s.controlCheck;
    assert.ok(c, 'control checked');
    assert.equal(c.reliable, true, JSON.stringify(c));
    // Both measure the same fixed compute (sleeps and a tiny model), so they agree well within the noise.
    assert.ok(c.computeOnlyStepMs <= c.computeFromSplitMs + c.noiseMs, JSON.stringify(c));
    assert.equal(c.bound, Math.max(c.boundFromSplit, c.boundFromControl));
    assert.ok(Math.abs(c.boundFromSplit - boundFromShare(s.inputShare ?? 0)) < 0.01);
    const sentence = controlSentence(s) ?? '';
    assert.match(sentence, /^Your steps take .* of which .* wait for data; compute alone took .* consistent with .*: loading costs at most /);
    assert.ok(sentence.includes(speedupText(c.bound)), sentence);
    assert.ok(!s.notes.some((n) => /not quoted/.test(n)), s.notes.join('; '));
  });

  it('slower than step - wait (the step slowed down after the measured window): unreliable, not quoted', async () => {
    const s = await run(['--slow-from', String(W + N), '--slow-ms', '40']);
    assert.notEqual(s.verdict, 'failed', s.error);
    const c = s.controlCheck;
    assert.ok(c, 'control checked');
    assert.equal(c.reliable, false, JSON.stringify(c));
    assert.ok(c.computeOnlyStepMs > c.computeFromSplitMs + c.noiseMs);
    assert.equal(c.bound, c.boundFromSplit);
    assert.match(controlSentence(s) ?? '', /the data-free control cannot be trusted/);
    assert.ok(s.notes.some((n) => /data-free control .* not quoted/.test(n)), s.notes.join('; '));
    assert.ok(!s.findings.some((f) => f.code === 'RUN003'), 'no finding quotes the control');
    const verdictFinding = s.findings.find((f) => f.code === 'LOAD001' || f.code === 'RUN001');
    assert.ok(verdictFinding);
    assert.ok(verdictFinding.message.includes(`At most ${speedupText(Math.round(boundFromShare(s.inputShare ?? 0) * 100) / 100)} faster`), verdictFinding.message);
  });
});
