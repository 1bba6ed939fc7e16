// The CLI stopped by SIGTERM (`kill`, `timeout`, a cancelled CI job) or SIGHUP (the terminal closed)
// ends the run as Ctrl+C does: the script's process group is stopped, the partial result and
// summary.json are written. A grandchild that left the group with os.setsid() is found and killed too,
// and named in the summary. Real CLI, real PyTorch, real signals; /proc proves nothing is left.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { profileScript, readRunFolder } from '../../src/runner/index';
import { listProcesses, readStat } from '../../src/runner/process-group';
import type { RunSummary } from '../../src/shared/profile';
import { PY, assertNoInvalidEventLines, requireTorch, script, tempDir } from './helpers';

const CLI = path.resolve(__dirname, '../../src/cli.js');

/** Live processes whose command line contains `marker`: the harness, its workers and the escapee. */
function processesWith(marker: string): { pid: number; cmdline: string }[] {
  return listProcesses().filter((p) => p.state !== 'Z' && p.state !== 'X').map((p) => {
    try {
      return { pid: p.pid, cmdline: fs.readFileSync(`/proc/${p.pid}/cmdline`, 'utf8') };
    } catch {
      return { pid: p.pid, cmdline: '' };
    }
  }).filter((p) => p.cmdline.includes(marker));
}

async function until(what: string, test: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The grandchild started by setsid_escape.py, once it has left the run's session. */
function escapeeOf(marker: string): number | undefined {
  const p = processesWith(marker).find((q) => q.cmdline.includes('os.setsid()'));
  return p !== undefined && readStat(p.pid)?.sid === p.pid ? p.pid : undefined;
}

/** Size of the run's steps table (the only run folder under `out`), 0 before it exists. */
function stepsBytes(out: string): number {
  try {
    const [run] = fs.readdirSync(out);
    return run === undefined ? 0 : fs.statSync(path.join(out, run, 'steps.arrow')).size;
  } catch {
    return 0;
  }
}

async function assertNothingLeftWith(marker: string): Promise<void> {
  try {
    await until('the run\'s processes to end', () => processesWith(marker).length === 0, 5000);
  } finally {
    // Whatever the outcome, this test leaves nothing behind.
    for (const p of processesWith(marker)) process.kill(p.pid, 'SIGKILL');
  }
}

describe('runner: stop signals and processes that leave the group', () => {
  before(requireTorch);

  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    it(`${signal} to the CLI stops the run like Ctrl+C: summary.json written, partial steps kept, nothing left running`, async () => {
      const marker = `pd-marker-${randomBytes(6).toString('hex')}`;
      const out = tempDir('signal');
      const cli = spawn(process.execPath, [
        CLI, 'profile', script('setsid_escape.py'), '--json', '--mode', 'full', '--python', PY, '--warmup', '2', '--out', out,
        '--', '--marker', marker, '--workers', '2', '--n', '100000', '--sleep-ms', '5',
      ], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      cli.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => cli.once('close', (code) => resolve(code)));
      let escapee: number | undefined;
      try {
        await until('the grandchild to call setsid', () => (escapee = escapeeOf(marker)) !== undefined, 60_000);
        // Steps flushed to the run folder (once a second): there is a partial result to keep.
        await until('a step to be recorded', () => stepsBytes(out) > 0, 60_000);
        const empty = stepsBytes(out);
        await until('more steps to be recorded', () => stepsBytes(out) > empty, 60_000);
        cli.kill(signal);
        const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
        assert.equal(code, 130, `exit code after ${signal}; stderr: ${stderr.slice(-2000)}`);
        const summary = JSON.parse(stdout) as RunSummary;
        assert.equal(summary.ended.how, 'cancelled');
        assert.ok(fs.existsSync(path.join(summary.folder, 'summary.json')), 'summary.json written');
        assert.ok((readRunFolder(summary.folder).steps?.numRows ?? 0) > 0, 'the steps recorded before the signal are kept');
        assert.ok(summary.notes.some((n) => n.includes(`${escapee} (python`) && /setsid/.test(n) && /killed/.test(n)), summary.notes.join('\n'));
        assertNoInvalidEventLines(summary);
      } finally {
        if (cli.exitCode === null) cli.kill('SIGKILL');
        await assertNothingLeftWith(marker);
      }
    });
  }

  it('a second Ctrl+C stops at once and still writes summary.json with the verdict of the steps measured', async () => {
    const out = tempDir('sigint2');
    const cli = spawn(process.execPath, [
      CLI, 'profile', script('input_bound.py'), '--json', '--mode', 'full', '--python', PY, '--warmup', '2', '--out', out,
      '--', '--sleep-ms', '3', '--n', '100000',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    cli.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => cli.once('close', (code) => resolve(code)));
    try {
      await until('a step to be recorded', () => stepsBytes(out) > 0, 60_000);
      const first = stepsBytes(out);
      await until('more steps to be recorded', () => stepsBytes(out) > first, 60_000);
      cli.kill('SIGINT');
      await new Promise((r) => setTimeout(r, 20));
      cli.kill('SIGINT');
      const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
      assert.equal(code, 130, `exit code after two SIGINTs; stderr: ${stderr.slice(-2000)}`);
      const summary = JSON.parse(stdout) as RunSummary;
      assert.equal(summary.ended.how, 'cancelled');
      assert.equal(summary.verdict, 'highly-input-bound', summary.error);
      const data = readRunFolder(summary.folder);
      assert.equal(data.summary.steps, summary.steps);
      assert.ok(summary.steps > 0 && (data.steps?.numRows ?? 0) >= summary.steps, 'the steps measured before the signals are kept');
      assert.match(stderr, /stopping at once/);
    } finally {
      if (cli.exitCode === null) cli.kill('SIGKILL');
    }
  });

  it('a run that ends on its own also kills the grandchild that left the group, and names it', async () => {
    const marker = `pd-marker-${randomBytes(6).toString('hex')}`;
    let escapee: number | undefined;
    let s: RunSummary;
    try {
      s = await profileScript(
        { script: script('setsid_escape.py'), args: ['--marker', marker, '--n', '400', '--sleep-ms', '1'], python: PY, outDir: tempDir('runs'), warmup: 2, steps: 20, controlSteps: 0, ioProbe: 'off' },
        { onEvent: (e) => { if (e.type === 'steps') escapee ??= escapeeOf(marker); } },
      );
    } finally {
      await assertNothingLeftWith(marker);
    }
    assert.notEqual(s.verdict, 'failed', s.error);
    assert.ok(escapee !== undefined, 'the grandchild was seen running during the run');
    assert.ok(s.notes.some((n) => n.includes(`${escapee} (python`) && /killed/.test(n)), s.notes.join('\n'));
  });
});
