// `pipeline-doctor profile` through profileCommand: output shapes and exit codes.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import type { Log } from 'sarif';
import { profileCommand } from '../../src/cli/profile';
import { isRunSummary } from '../../src/shared/profile';
import type { RunSummary } from '../../src/shared/profile';
import { loadDashboardRun, staticFindingsFor } from '../../src/report/run-data';
import { PY, lineOf, requireTorch, script, tempDir } from './helpers';

async function cli(argv: string[], cwd = path.resolve(__dirname, '..', '..', '..')): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await profileCommand(argv, { stdout: (s) => { out += s; }, stderr: (s) => { err += s; }, cwd });
  return { code, out, err };
}

const EXAMPLES = path.resolve(__dirname, '..', '..', '..', 'examples', 'pytorch');
const quick = (out: string): string[] => ['--python', PY, '--warmup', '2', '--steps', '10', '--control', '4', '--out', out];

describe('cli: pipeline-doctor profile', () => {
  before(requireTorch);

  it('--json prints a valid run summary and exits 0 when measured', async () => {
    const r = await cli([script('input_bound.py'), '--json', ...quick(tempDir('cli')), '--', '--sleep-ms', '2']);
    assert.equal(r.code, 0, r.err);
    const summary: unknown = JSON.parse(r.out);
    assert.ok(isRunSummary(summary));
    assert.equal(summary.verdict, 'highly-input-bound');
    assert.equal(summary.steps, 10);
    assert.deepEqual(summary.args, ['--sleep-ms', '2']);
  });

  it('--format sarif prints SARIF 2.1.0 with ruleId, a cwd-relative uri and 1-based positions', async () => {
    const cwd = path.resolve(__dirname, '..', '..', '..');
    const r = await cli(['test/runner/scripts/input_bound.py', '--format', 'sarif', ...quick(tempDir('cli'))], cwd);
    assert.equal(r.code, 0, r.err);
    const log = JSON.parse(r.out) as Log;
    assert.equal(log.version, '2.1.0');
    const results = log.runs[0]?.results ?? [];
    const load = results.find((x) => x.ruleId === 'LOAD001');
    assert.ok(load, JSON.stringify(results.map((x) => x.ruleId)));
    const loc = load.locations?.[0]?.physicalLocation;
    assert.equal(loc?.artifactLocation?.uri, 'test/runner/scripts/input_bound.py');
    assert.equal(loc?.region?.startLine, lineOf(script('input_bound.py'), 'loader = DataLoader('));
    assert.equal(loc?.region?.startColumn, 14);
    assert.ok(log.runs[0]?.tool.driver.rules?.some((rule) => rule.id === 'LOAD001'));
  });

  it('text output has the verdict, the loader table and the findings', async () => {
    const r = await cli([script('input_bound.py'), ...quick(tempDir('cli'))]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Verdict: Highly input-bound: \d+% of each step waits for data/);
    assert.match(r.out, /Loaders:\n.*location.*workers.*batch/);
    assert.match(r.out, /input_bound\.py:\d+ +0 +8 /);
    assert.match(r.out, /warning LOAD001/);
    assert.match(r.out, /Run folder: /);
  });

  it('exits 1 with the message when the run fails', async () => {
    const r = await cli([script('raises.py'), '--json', ...quick(tempDir('cli'))]);
    assert.equal(r.code, 1);
    const summary = JSON.parse(r.out) as { verdict: string; error: string };
    assert.equal(summary.verdict, 'failed');
    assert.match(summary.error, /RuntimeError/);
    const missing = await cli([script('input_bound.py'), '--python', '/nonexistent/python', '--out', tempDir('cli')]);
    assert.equal(missing.code, 1);
    assert.match(missing.out, /Verdict: The run failed: could not start .*does not exist/);
  });

  it('keeps the run data out of version control: .pipeline-doctor/.gitignore written when the CLI creates the folder', async () => {
    const project = tempDir('gitignore');
    const r = await cli([script('input_bound.py'), '--python', PY, '--warmup', '2', '--steps', '5', '--control', '0'], project);
    assert.equal(r.code, 0, r.err);
    assert.match(fs.readFileSync(path.join(project, '.pipeline-doctor', '.gitignore'), 'utf8'), /^\*$/m);
    // An --out elsewhere is the user's folder: nothing is written beside it.
    const other = tempDir('gitignore-out');
    const r2 = await cli([script('input_bound.py'), '--python', PY, '--warmup', '2', '--steps', '5', '--control', '0', '--out', path.join(other, 'runs')], project);
    assert.equal(r2.code, 0, r2.err);
    assert.equal(fs.existsSync(path.join(other, '.gitignore')), false);
  });

  it('the HTML report of a CPU run leaves out static findings that only matter on a GPU', async () => {
    const project = tempDir('cpu-report');
    // The bundled naive example trains on "cuda if available": statically LOAD002, HW001 and HW003 apply,
    // but this run is on the CPU.
    for (const f of ['naive_train.py', 'dataset.py', 'model.py']) fs.copyFileSync(path.join(EXAMPLES, f), path.join(project, f));
    const train = path.join(project, 'naive_train.py');
    const staticCodes = (await staticFindingsFor(train)).findings.map((f) => f.code);
    for (const code of ['LOAD002', 'HW001', 'HW003']) assert.ok(staticCodes.includes(code), `static ${code} in ${staticCodes.join(', ')}`);
    const r = await cli(['naive_train.py', '--json', '--python', PY, '--warmup', '2', '--steps', '5', '--control', '0', '--report', 'report.html'], project);
    assert.equal(r.code, 0, r.err);
    const summary = JSON.parse(r.out) as RunSummary;
    assert.equal(summary.python.cuda, false);
    const { run } = await loadDashboardRun(summary.folder);
    const shown = run.findings.map((f) => f.code);
    for (const code of ['LOAD002', 'HW001', 'HW003']) assert.ok(!shown.includes(code), `${code} shown for a CPU run: ${shown.join(', ')}`);
    assert.ok(shown.includes('LOAD001'), shown.join(', '));
    const html = fs.readFileSync(path.join(project, 'report.html'), 'utf8');
    assert.doesNotMatch(html, /HW003|LOAD002/);
    assert.match(html, /LOAD001/);
  });

  it('exits 2 on usage errors', async () => {
    for (const argv of [[], ['x.py', '--mode', 'fast'], ['x.py', '--steps', 'many'], ['x.py', '--bogus'], ['a.py', 'b.py'], ['x.py', '--format', 'xml']]) {
      const r = await cli(argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.err, /pipeline-doctor profile: /);
    }
    const help = await cli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /Usage: pipeline-doctor profile/);
  });
});
