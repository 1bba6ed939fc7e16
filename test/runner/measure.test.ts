// The runner against real PyTorch on CPU: verdicts, the finding's location, data-free control,
// IO probe, and the Arrow files read back against summary.json. The sweep has its own file (sweep.test.ts).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { tableFromIPC } from 'apache-arrow';
import fs from 'node:fs';
import path from 'node:path';
import { profileScript, readRunFolder } from '../../src/runner/index';
import type { ProfileEvent, RunSummary } from '../../src/shared/profile';
import { median } from '../../src/runner/stats';
import { PY, assertNothingLeft, lineOf, requireTorch, script, smallFileDataset, tempDir } from './helpers';

describe('runner: measurements with real PyTorch', () => {
  before(requireTorch);

  let inputBound: RunSummary;
  let pid: number | undefined;
  const events: ProfileEvent[] = [];
  let dataDir = '';

  before(async () => {
    dataDir = smallFileDataset();
    inputBound = await profileScript(
      {
        script: script('input_bound.py'), args: ['--data', dataDir, '--sleep-ms', '2'], python: PY,
        outDir: tempDir('runs'), warmup: 3, steps: 20, controlSteps: 8,
      },
      { onEvent: (e) => events.push(e), onSpawn: (p) => { pid = p; } },
    );
  });

  it('judges a 0-worker loader whose dataset sleeps per sample highly input-bound, at its DataLoader line', async () => {
    const s = inputBound;
    assert.equal(s.verdict, 'highly-input-bound', s.error);
    assert.equal(s.ended.how, 'stopped-after-quick');
    assert.equal(s.steps, 20);
    assert.equal(s.warmupSteps, 3);
    assert.ok(s.inputShare !== null && s.inputShare >= 0.2, `inputShare ${s.inputShare}`);
    assert.ok(s.stepTimeMs !== null && s.stepTimeMs.p50 >= 16, `8 samples x 2 ms sleep: ${JSON.stringify(s.stepTimeMs)}`);
    assert.ok(s.samplesPerSec !== null && s.samplesPerSec > 0);
    const file = script('input_bound.py');
    const line = lineOf(file, 'loader = DataLoader(');
    const loader = s.loaders.find((l) => l.training);
    assert.ok(loader);
    assert.deepEqual([loader.file, loader.line, loader.num_workers, loader.batch_size, loader.role], [file, line, 0, 8, 'train']);
    assert.equal(loader.datasetLength, 4000);
    assert.match(loader.datasetType ?? '', /SlowFileDataset/);
    const f = s.findings.find((x) => x.code === 'LOAD001');
    assert.ok(f, `LOAD001 in ${s.findings.map((x) => x.code).join(',')}`);
    assert.equal(f.severity, 'warning');
    assert.equal(f.origin, 'runtime');
    assert.equal(f.file, file);
    assert.equal(f.range.start.line, line - 1);
    assert.equal(f.range.start.character, fs.readFileSync(file, 'utf8').split('\n')[line - 1]?.indexOf('DataLoader('));
    assert.equal(f.figures?.inputShare, s.inputShare);
    assert.match(f.message, /waits for data/);
    await assertNothingLeft(pid);
  });

  it('runs the data-free control: compute-only step time is below the measured step time', () => {
    const s = inputBound;
    assert.ok(s.computeOnlyStepMs !== undefined, 'control ran');
    assert.ok(s.stepTimeMs !== null && s.computeOnlyStepMs < s.stepTimeMs.p50,
      `${s.computeOnlyStepMs} < ${s.stepTimeMs?.p50}`);
    assert.ok(s.findings.some((x) => x.code === 'RUN003'));
    assert.ok(events.some((e) => e.type === 'control'));
  });

  it('probes the dataset root found on the dataset object; many small files that cost ~1% of a sample get no advice to shard', () => {
    const io = inputBound.ioProbe;
    assert.ok(io, 'io probe ran');
    assert.equal(io.root, dataDir);
    assert.equal(io.source, 'dataset');
    assert.equal(io.files, 1100);
    assert.equal(io.medianFileBytes, 2048);
    assert.deepEqual(io.formats[0], { ext: '.bin', count: 1100 });
    assert.equal(io.recommendSharding, true);
    assert.ok(io.smallFileReadsPerSec !== null && io.smallFileReadsPerSec > 0);
    // Page-cached 2 KiB reads are a sliver of a ~3 ms sample here: no advice to shard (RUN007 needs >= 10%).
    const share = (inputBound.samplesPerSec ?? 0) / io.smallFileReadsPerSec;
    assert.ok(share < 0.1, `read share ${share}`);
    assert.equal(inputBound.findings.some((x) => x.code === 'RUN007'), false);
  });

  it('reports no GPU figures on a machine without one, with a note saying so', () => {
    assert.equal(inputBound.gpu, null);
    assert.equal(inputBound.python.cuda, false);
    assert.ok(inputBound.notes.some((n) => /no CUDA GPU/.test(n)), inputBound.notes.join('; '));
    assert.ok(inputBound.cpu !== null && inputBound.cpu.cores >= 1);
  });

  it('writes Arrow files that read back with apache-arrow and match summary.json', () => {
    const run = readRunFolder(inputBound.folder);
    assert.deepEqual(run.summary, JSON.parse(fs.readFileSync(path.join(inputBound.folder, 'summary.json'), 'utf8')));
    assert.deepEqual(run.summary.verdict, inputBound.verdict);
    const steps = run.steps;
    assert.ok(steps);
    const phase = steps.getChild('phase')?.toArray() as string[];
    const stepMs = Array.from(steps.getChild('stepMs')?.toArray() as Float32Array);
    const waitMs = Array.from(steps.getChild('waitMs')?.toArray() as Float32Array);
    const measured = phase.map((p, i) => ({ p, i })).filter((x) => x.p === 'measured').map((x) => x.i);
    assert.equal(measured.length, inputBound.steps);
    assert.equal(phase.filter((p) => p === 'warmup').length, inputBound.warmupSteps);
    assert.equal(phase.filter((p) => p === 'control').length, 8);
    const share = median(measured.map((i) => (waitMs[i] ?? 0) / (stepMs[i] ?? 1))) ?? -1;
    assert.ok(Math.abs(share - (inputBound.inputShare ?? 0)) < 1e-3, `${share} vs ${inputBound.inputShare}`);
    const p50 = median(measured.map((i) => stepMs[i] ?? 0)) ?? -1;
    assert.ok(Math.abs(p50 - (inputBound.stepTimeMs?.p50 ?? 0)) < 0.05, `${p50} vs ${inputBound.stepTimeMs?.p50}`);
    const loaders = run.loaders;
    assert.ok(loaders);
    assert.equal(loaders.numRows, inputBound.loaders.length);
    const row = loaders.get(0)?.toJSON();
    assert.equal(row?.file, inputBound.loaders[0]?.file);
    assert.equal(row?.line, inputBound.loaders[0]?.line);
    assert.equal(row?.num_workers, 0);
    assert.equal(row?.training, true);
    assert.ok(run.system && run.system.numRows >= 1, 'host samples');
    assert.ok(run.system.schema.fields.some((f) => f.name === 'core0Pct'));
    assert.equal(run.gpu?.numRows, 0);
    // Bytes per step stay within the budget of 100.
    const bytes = fs.statSync(path.join(inputBound.folder, 'steps.arrow')).size;
    assert.ok(tableFromIPC(fs.readFileSync(path.join(inputBound.folder, 'steps.arrow'))).numRows === steps.numRows);
    assert.ok(bytes / steps.numRows < 100 || steps.numRows < 100, `${bytes} bytes for ${steps.numRows} steps`);
  });

  it('judges an in-memory compute-heavy script not input-bound', async () => {
    let cpid: number | undefined;
    const s = await profileScript(
      { script: script('compute_bound.py'), python: PY, outDir: tempDir('runs'), warmup: 2, steps: 10, controlSteps: 0 },
      { onSpawn: (p) => { cpid = p; } },
    );
    assert.equal(s.verdict, 'not-input-bound', s.error);
    assert.ok(s.inputShare !== null && s.inputShare < 0.05, `inputShare ${s.inputShare}`);
    assert.equal(s.findings.filter((f) => f.code === 'LOAD001' || f.code === 'RUN001').length, 0);
    assert.equal(s.loaders[0]?.datasetType, 'torch.utils.data.dataset.TensorDataset');
    await assertNothingLeft(cpid);
  });

  it('with workers, the warm-up lasts until their start-up queue is used up (the same window for every run)', async () => {
    let wpid: number | undefined;
    const s = await profileScript({
      script: script('io_wait_loader.py'), args: ['--n', '400', '--sleep-ms', '1', '--workers', '4', '--prefetch', '2'], python: PY,
      outDir: tempDir('runs'), warmup: 3, steps: 10, controlSteps: 0, ioProbe: 'off',
    }, { onSpawn: (p) => { wpid = p; } });
    assert.notEqual(s.verdict, 'failed', s.error);
    assert.equal(s.steps, 10);
    assert.equal(s.warmupSteps, 4 * 2 + 2, 'prefetch_factor x num_workers + 2');
    assert.ok(s.notes.includes('warm-up extended from 3 to 10 steps: the 8 batches the 4 workers load at start-up are used up before measuring'), s.notes.join('\n'));
    await assertNothingLeft(wpid);
  });
});
