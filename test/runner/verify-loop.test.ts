// The verify loop from the CLI with real PyTorch: profile a naive loader, apply the rule's own fix
// (LOAD001 through the fix engine, as `lint --fix` does), then `profile --compare-with` that run.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { compareCommand } from '../../src/cli/compare';
import { fixFile } from '../../src/cli/fix-file';
import { profileCommand } from '../../src/cli/profile';
import { isRunComparison } from '../../src/shared/run-comparison';
import { PY, requireTorch, script, tempDir } from './helpers';

async function cli(argv: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await profileCommand(argv, { stdout: (s) => { out += s; }, stderr: (s) => { err += s; }, cwd });
  return { code, out, err };
}

describe('cli: profile --compare-with (the verify loop)', () => {
  before(requireTorch);

  it('reruns the earlier run\'s configuration after the fix and shows the gain and the num_workers diff', async () => {
    const dir = tempDir('verify');
    const file = path.join(dir, 'naive_loader.py');
    fs.copyFileSync(script('naive_loader.py'), file);
    const first = await cli(['naive_loader.py', '--python', PY, '--warmup', '3', '--steps', '30', '--control', '0'], dir);
    assert.equal(first.code, 0, first.err);
    const runs = path.join(dir, '.pipeline-doctor', 'runs');
    const [beforeRun] = fs.readdirSync(runs);
    assert.ok(beforeRun);

    const fixed = await fixFile(file, {});
    assert.equal(fixed.fixed, 1, JSON.stringify(fixed.notices));
    assert.match(fs.readFileSync(file, 'utf8'), /num_workers=min\(8, os\.cpu_count\(\) or 1\)/);

    // No script, interpreter or step counts given: all come from the earlier run.
    const second = await cli(['--compare-with', beforeRun, '--format', 'json'], dir);
    assert.equal(second.code, 0, second.err);
    const { summary, comparison } = JSON.parse(second.out) as { summary: { steps: number; python: { path: string } }; comparison: unknown };
    assert.equal(summary.steps, 30);
    assert.equal(summary.python.path, PY);
    assert.ok(isRunComparison(comparison));
    const workers = Math.min(8, os.cpus().length);
    assert.ok(comparison.configChanges.some((c) => c.setting === 'num_workers' && c.before === '0' && c.after === String(workers)), JSON.stringify(comparison.configChanges));
    assert.equal(comparison.decision, 'faster', comparison.sentence);
    assert.ok(comparison.speedup && comparison.speedup.low > 1, JSON.stringify(comparison.speedup));

    // The same two runs as text, through `compare`.
    const afterRun = fs.readdirSync(runs).find((r) => r !== beforeRun);
    assert.ok(afterRun);
    let text = '';
    const code = compareCommand([beforeRun, afterRun], { stdout: (s) => { text += s; }, stderr: (s) => { text += s; }, cwd: dir, version: '0', color: false });
    assert.equal(code, 0, text);
    assert.match(text, /step p50 \(p10-p90\) +\S+ ms \(\S+ ms-\S+ ms\) +\S+ ms \(/);
    assert.match(text, /data wait p50 \(p10-p90\)/);
    assert.match(text, /^Speed-up: \d+\.\d\dx \(90% interval \d+\.\d\d-\d+\.\d\dx, ratio of mean step time\)$/m);
    assert.match(text, new RegExp(`^Changed: num_workers 0 \u2192 ${workers}`, 'm'));
    assert.match(text, /^Verdict: (changed|unchanged) \(/m);
    assert.match(text, /^method: speed-up = mean step time before \/ mean step time after/m);
  });

  it('reruns a run started as a module (python -m pkg.mod) as that module, from the folder it ran in', async () => {
    const dir = tempDir('verify-module');
    fs.mkdirSync(path.join(dir, 'pkg'));
    fs.writeFileSync(path.join(dir, 'pkg', '__init__.py'), '');
    fs.copyFileSync(script('io_wait_loader.py'), path.join(dir, 'pkg', 'io_wait.py'));
    fs.copyFileSync(script('loader_settings.py'), path.join(dir, 'loader_settings.py'));
    const first = await cli(['pkg.io_wait', '--module', '--python', PY, '--warmup', '2', '--steps', '12', '--control', '0', '--', '--n', '400', '--sleep-ms', '1'], dir);
    assert.equal(first.code, 0, first.err);
    const runs = path.join(dir, '.pipeline-doctor', 'runs');
    const [beforeRun] = fs.readdirSync(runs);
    assert.ok(beforeRun);
    const recorded = JSON.parse(fs.readFileSync(path.join(runs, beforeRun, 'summary.json'), 'utf8')) as { script: string; module?: boolean };
    assert.deepEqual([recorded.script, recorded.module], ['pkg.io_wait', true]);

    // From another folder: the module is found only from the one the run started in; the new run folder
    // goes under this command's --out.
    const elsewhere = tempDir('verify-elsewhere');
    const second = await cli(['--compare-with', path.join(runs, beforeRun), '--format', 'json'], elsewhere);
    assert.equal(second.code, 0, second.err);
    const { summary, comparison } = JSON.parse(second.out) as { summary: { script: string; module?: boolean; steps: number; folder: string; cwd: string }; comparison: unknown };
    assert.deepEqual([summary.script, summary.module, summary.steps, summary.cwd], ['pkg.io_wait', true, 12, dir]);
    assert.ok(summary.folder.startsWith(path.join(elsewhere, '.pipeline-doctor', 'runs')), summary.folder);
    assert.ok(isRunComparison(comparison));
    assert.ok(comparison.speedup, comparison.sentence);
  });

  it('refuses a run it cannot find before running anything', async () => {
    const dir = tempDir('verify');
    const r = await cli([script('naive_loader.py'), '--compare-with', 'no-such-run'], dir);
    assert.equal(r.code, 2);
    assert.match(r.err, /--compare-with: no run 'no-such-run'/);
    assert.equal(fs.existsSync(path.join(dir, '.pipeline-doctor')), false);
  });
});
