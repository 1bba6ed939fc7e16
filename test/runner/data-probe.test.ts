// The data-quality probe against real PyTorch on CPU (docs/profiling.md, "Data-quality probe"): a dataset
// made to have one defect gives exactly that finding, with its figures, at the DataLoader's line; the clean
// dataset gives none; --no-data-probe gives neither findings nor the probe's event.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import path from 'node:path';
import { profileCommand } from '../../src/cli/profile';
import { DATA_PROBE_CODES } from '../../src/runner/data-probe-findings';
import { profileScript } from '../../src/runner/index';
import type { Finding } from '../../src/shared/findings';
import { isRunSummary } from '../../src/shared/profile';
import type { ProfileEvent, RunSummary } from '../../src/shared/profile';
import { PY, lineOf, requireTorch, script, tempDir } from './helpers';

const SCRIPT = script('data_defects.py');
const PROBE_CODES = new Set<string>(Object.values(DATA_PROBE_CODES));

async function profile(defect: string, extra: string[] = []): Promise<{ summary: RunSummary; events: ProfileEvent[] }> {
  const events: ProfileEvent[] = [];
  const summary = await profileScript(
    { script: SCRIPT, args: ['--defect', defect, ...extra], python: PY, outDir: tempDir('probe'), warmup: 10, steps: 5, controlSteps: 0, ioProbe: 'off' },
    { onEvent: (e) => events.push(e) },
  );
  return { summary, events };
}

/** The one data-probe finding of a run, at the DataLoader's line. */
function onlyProbeFinding(summary: RunSummary): Finding {
  const found = summary.findings.filter((f) => PROBE_CODES.has(f.code));
  assert.equal(found.length, 1, JSON.stringify(found.map((f) => [f.code, f.message])));
  const f = found[0]!;
  assert.equal(f.file, SCRIPT);
  assert.equal(f.range.start.line, lineOf(SCRIPT, 'loader = DataLoader(') - 1);
  assert.equal(f.origin, 'runtime');
  return f;
}

describe('runner: data-quality probe with real PyTorch', () => {
  before(requireTorch);

  it('a clean dataset gives no probe finding; the probe ran on 5 shuffled warm-up batches and said so', async () => {
    const { summary, events } = await profile('clean');
    assert.notEqual(summary.verdict, 'failed', summary.error);
    assert.deepEqual(summary.findings.filter((f) => PROBE_CODES.has(f.code)), []);
    const probe = events.find((e) => e.type === 'data-probe');
    assert.ok(probe && probe.type === 'data-probe');
    assert.deepEqual([probe.batches, probe.samples, probe.shuffled, probe.truncated, probe.issues], [5, 160, true, false, []]);
    assert.deepEqual(probe.leaves.map((l) => [l.path, l.dtype, l.shape.join('x')]),
      [['batch[0]', 'float32', '32x32'], ['batch[1]', 'float32', '32x3x16x16'], ['batch[2]', 'int64', '32']]);
    assert.deepEqual(summary.dataProbe, { loader: probe.loader, batches: 5, samples: 160, shuffled: true, truncated: false, probeMs: probe.probeMs, issues: 0 });
  });

  it('NaN in the features: RUN008 (warning) with the share of values', async () => {
    const { summary } = await profile('nan');
    const f = onlyProbeFinding(summary);
    assert.equal(f.code, 'RUN008');
    assert.equal(f.severity, 'warning');
    assert.match(f.message, /^3\.1% of values in batch\[0\] are NaN \(160 NaN, 0 Inf of 5,120 values in the 5 probed batches\)/);
    assert.deepEqual(f.figures, { path: 'batch[0]', values: 5120, nan: 160, inf: 0, share: 160 / 5120 });
  });

  it('walks dict batches (HF style): the NaN is in batch["x"]', async () => {
    const { summary } = await profile('nan', ['--dict']);
    const f = onlyProbeFinding(summary);
    assert.equal(f.code, 'RUN008');
    assert.match(f.message, /^3\.1% of values in batch\["x"\] are NaN/);
  });

  it('a feature that is always 0: RUN009 names the column', async () => {
    const { summary } = await profile('constant');
    const f = onlyProbeFinding(summary);
    assert.equal(f.code, 'RUN009');
    assert.equal(f.severity, 'info');
    assert.match(f.message, /^1 of 32 features in batch\[0\] are constant across the 160 probed samples \(column 5\)/);
    assert.deepEqual(f.figures, { path: 'batch[0]', columns: 32, constantColumns: 1, samples: 160 });
  });

  it('95% of labels one class: RUN010 with the majority share', async () => {
    const { summary } = await profile('skew');
    const f = onlyProbeFinding(summary);
    assert.equal(f.code, 'RUN010');
    assert.equal(f.severity, 'info');
    const share = f.figures?.majorityShare;
    assert.ok(typeof share === 'number' && share >= 0.9 && share < 1, String(share));
    assert.deepEqual({ ...f.figures, majorityShare: 0 },
      { path: 'batch[2]', labels: 160, classesSeen: 2, majorityClass: 0, majorityShare: 0, missingClasses: 0, classesDeclared: 2 });
    assert.match(f.message, new RegExp(`^${Math.round(share * 100)}% of 160 probed labels in batch\\[2\\] are class 0 \\(2 classes seen\\)`));
  });

  it('3 of 10 declared classes absent from 160 shuffled labels: RUN010 lists them', async () => {
    const { summary } = await profile('missing');
    const f = onlyProbeFinding(summary);
    assert.equal(f.code, 'RUN010');
    assert.match(f.message, /^3 of the 10 classes the dataset declares never appear in 160 probed labels in batch\[2\] \(7, 8, 9\)/);
    assert.equal(f.figures?.missingClasses, 3);
    assert.equal(f.figures?.classesDeclared, 10);
  });

  it('samples that repeat byte for byte: RUN011 counts them', async () => {
    const { summary } = await profile('duplicates');
    const f = onlyProbeFinding(summary);
    assert.equal(f.code, 'RUN011');
    assert.match(f.message, /^60 of 160 probed samples \(38%\) repeat an earlier probed sample/);
    assert.deepEqual(f.figures, { samples: 160, duplicates: 60, share: 60 / 160 });
  });

  it('images as floats in 0-255: RUN012 with the range', async () => {
    const { summary } = await profile('image');
    const f = onlyProbeFinding(summary);
    assert.equal(f.code, 'RUN012');
    assert.match(f.message, /^batch\[1\] holds images as floats in 0-255, not normalised/);
    assert.deepEqual(f.figures, { path: 'batch[1]', min: 0, max: 255 });
  });

  it('an empty batch: RUN013 (warning)', async () => {
    const { summary } = await profile('empty');
    const f = onlyProbeFinding(summary);
    assert.equal(f.code, 'RUN013');
    assert.equal(f.severity, 'warning');
    assert.match(f.message, /^1 of the 5 probed batches is empty \(0 samples\)/);
    assert.deepEqual(f.figures, { emptyBatches: 1, batches: 5 });
  });

  it('--no-data-probe: no probe finding and no probe event, where the same run without it finds the NaN', async () => {
    const cwd = path.resolve(__dirname, '..', '..', '..');
    const run = async (flags: string[]): Promise<RunSummary> => {
      let out = '';
      let err = '';
      const code = await profileCommand([SCRIPT, '--json', '--python', PY, '--warmup', '10', '--steps', '5', '--control', '0',
        '--out', tempDir('probe-cli'), ...flags, '--', '--defect', 'nan'], { stdout: (s) => { out += s; }, stderr: (s) => { err += s; }, cwd });
      assert.equal(code, 0, err);
      const summary: unknown = JSON.parse(out);
      assert.ok(isRunSummary(summary));
      return summary;
    };
    const on = await run([]);
    assert.deepEqual(on.findings.filter((f) => PROBE_CODES.has(f.code)).map((f) => f.code), ['RUN008']);
    assert.ok(on.dataProbe);
    const off = await run(['--no-data-probe']);
    assert.deepEqual(off.findings.filter((f) => PROBE_CODES.has(f.code)), []);
    assert.equal(off.dataProbe, undefined, 'no data-probe event reached the run');
  });
});
