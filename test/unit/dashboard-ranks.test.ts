// The Ranks section's words and marks (webview/model/ranks.ts): the straggler comes from the run's own RUN014
// findings, a run without ranks has no section, and the step-end spread is put against a step.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Finding } from '../../src/shared/findings';
import type { RunSummary } from '../../src/shared/profile';
import { ranksView } from '../../webview/model/ranks';
import { whoseFigures } from '../../webview/model/verdict';
import { writeSyntheticRun, writeSyntheticTorchrunRun } from '../helpers/synthetic-run';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'pd-ranks-'));

const straggler = (rank: number, metric: string): Finding => ({
  code: 'RUN014', severity: 'warning', origin: 'runtime', file: '/w/t.py', fixes: [], related: [],
  range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } },
  message: `rank ${rank} is a straggler (${metric})`, figures: { rank, metric, factor: 2 },
});

describe('Ranks section model', () => {
  it('has no section for a single-process run', async () => {
    assert.equal(ranksView(await writeSyntheticRun(tmp(), { sweep: false })), null);
  });

  it('names the RUN014 rank, marks its figure, and puts the step-end spread against the median step', async () => {
    const v = ranksView(await writeSyntheticTorchrunRun(tmp()));
    assert.ok(v);
    assert.equal(v.headline, 'Rank 1 is the straggler: its step time stands out from the other ranks\'.');
    assert.deepEqual(v.rows.map((r) => [r.rank, r.straggler, r.hot]), [[0, false, []], [1, true, [2]]]);
    assert.equal(v.spread, 'Step-end spread: ranks end their steps 19.5 ms apart (median over measured steps, 65% of a step).');
  });

  it('marks a data-wait straggler\'s data wait, names several stragglers, and ignores a RUN014 for a rank not listed', async () => {
    const s: RunSummary = await writeSyntheticTorchrunRun(tmp());
    const four = { ...s, ranks: [0, 1, 2, 3].map((rank) => ({ ...s.ranks![0]!, rank, localRank: rank % 2 })),
      findings: [straggler(1, 'data wait'), straggler(3, 'step time'), straggler(3, 'data wait'), straggler(7, 'step time')] };
    const v = ranksView(four);
    assert.ok(v);
    assert.equal(v.headline, 'Ranks 1 and 3 are stragglers: their data wait and step time stand out from the other ranks\'.');
    assert.deepEqual(v.rows.map((r) => [r.cells[0], r.hot]), [['0', []], ['1', [3]], ['2 (local 0)', []], ['3 (local 1)', [2, 3]]]);
    assert.deepEqual(v.stragglers.map((x) => x.rank), [1, 3, 3]);
  });

  it('a GPU column only when some rank sampled its GPU, before "Waiting on others"; the marked figures keep their columns', async () => {
    const s = await writeSyntheticTorchrunRun(tmp());
    const cpu = ranksView(s);
    assert.ok(cpu);
    assert.equal(cpu.columns.includes('GPU util'), false, 'a CPU job has no GPU column');
    const v = ranksView({ ...s, ranks: s.ranks!.map((r, i) => ({ ...r, gpuUtilizationPct: i === 0 ? 93.5 : null })) });
    assert.ok(v);
    assert.deepEqual(v.columns, ['Rank', 'Steps', 'Step p50', 'Data wait p50', 'Input share', 'Samples/s', 'GPU util', 'Waiting on others', 'Ended']);
    assert.deepEqual(v.rows.map((r) => r.cells[6]), ['94%', '\u2014']);
    assert.ok(v.rows.every((r) => r.cells.length === v.columns.length));
    assert.deepEqual(v.rows.map((r) => r.hot), [[], [2]]);
  });

  it('judges no rank when none is named, and none of a failed run', async () => {
    const s = await writeSyntheticTorchrunRun(tmp());
    assert.equal(ranksView({ ...s, findings: [] })?.headline, '2 ranks; no rank stands out from the others.');
    assert.equal(ranksView({ ...s, findings: [], verdict: 'failed', error: 'boom' })?.headline, '2 ranks; the run failed, so no rank is judged.');
    const one = ranksView({ ...s, findings: [], ranks: [s.ranks![0]!], stepEndSpreadMs: null });
    assert.equal(one?.headline, 'One rank reported: nothing to compare it with.');
    assert.equal(one?.spread, null);
  });

  it('the verdict card says whose figures it shows: the rank that waits most, the one that crashed, or that it is not known', async () => {
    const s = await writeSyntheticTorchrunRun(tmp());
    assert.match(whoseFigures(s) ?? '', /^torchrun job: verdict and step figures of rank 0 of 2 \(the rank that waits most for data, which sets the job's pace\); CPU figures: this machine, all ranks together\./);
    const crashed = { ...s, figuresRank: 1, ranks: s.ranks!.map((r) => (r.rank === 1 ? { ...r, ended: 'exception' } : r)) };
    assert.match(whoseFigures(crashed) ?? '', /of rank 1 of 2 \(the rank that crashed first\)/);
    assert.match(whoseFigures({ ...s, figuresRank: undefined }) ?? '', /did not record whose figures these are/);
    assert.equal(whoseFigures(await writeSyntheticRun(tmp(), { sweep: false })), null);
  });
});
