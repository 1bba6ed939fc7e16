// torchrun jobs (docs/profiling.md, "torchrun jobs"): real torchrun, two gloo ranks on this machine, the
// harness in each, each rank's events kept and the job verdict naming the straggler.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { tableFromIPC } from 'apache-arrow';
import { profileCommand } from '../../src/cli/profile';
import { profileScript, readRunFolder } from '../../src/runner/index';
import type { RunSummary } from '../../src/shared/profile';
import { PY, assertNothingLeft, lineOf, requireTorch, script, tempDir } from './helpers';

const DDP = script('ddp_ranks.py');

async function runJob(args: string[], steps: number, hooks: Parameters<typeof profileScript>[1] = {}):
  Promise<{ s: RunSummary; pid: number | undefined; stderr: string }> {
  let pid: number | undefined;
  let stderr = '';
  const s = await profileScript(
    { script: DDP, args, python: PY, outDir: tempDir('torchrun'), warmup: 2, steps, controlSteps: 0, ioProbe: 'off',
      timeoutMs: 180_000, graceMs: 5000, distributed: { nprocPerNode: 2 } },
    { ...hooks, onSpawn: (p) => { pid = p; }, onOutput: (st, t) => { if (st === 'stderr') stderr += t; } },
  );
  return { s, pid, stderr };
}

/** A loopback port free right now, for a c10d rendezvous. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function nodeRun(endpoint: string, nodeRank: number, hooks: Parameters<typeof profileScript>[1] = {}):
  Promise<RunSummary> {
  return profileScript(
    { script: DDP, args: ['--slow-rank', '1', '--sleep-ms', '15'], python: PY, outDir: tempDir('torchrun-node'), warmup: 2,
      steps: 6, controlSteps: 0, ioProbe: 'off', timeoutMs: 180_000, graceMs: 5000,
      distributed: { nprocPerNode: 1, nnodes: 2, nodeRank, rdzvEndpoint: endpoint } },
    hooks,
  );
}

function measuredRows(folder: string, file: string): number {
  const table = tableFromIPC(fs.readFileSync(path.join(folder, file)));
  return (table.getChild('phase')?.toArray() as string[]).filter((p) => p === 'measured').length;
}

describe('runner: torchrun jobs', () => {
  before(requireTorch);

  it('2 ranks, rank 1 slower on purpose: per-rank figures and rank 1 named a straggler with its factor', async () => {
    const { s, pid } = await runJob(['--slow-rank', '1', '--sleep-ms', '15'], 8);
    assert.notEqual(s.verdict, 'failed', s.error);
    assert.equal(s.ended.how, 'stopped-after-quick');
    assert.deepEqual(s.ranks?.map((r) => [r.rank, r.localRank, r.ended, r.steps]), [[0, 0, 'stopped', 8], [1, 1, 'stopped', 8]]);
    for (const r of s.ranks ?? []) assert.equal(measuredRows(s.folder, r.stepsFile), 8, `${r.stepsFile} keeps rank ${r.rank}'s steps`);
    assert.deepEqual(s.ranks?.map((r) => r.gpuUtilizationPct), [null, null], 'a CPU job: no rank sampled a GPU');
    const [r0, r1] = s.ranks ?? [];
    assert.ok(r0 && r1 && r0.dataWaitMs && r1.dataWaitMs && r1.dataWaitMs.p50 > 10 * r0.dataWaitMs.p50, 'rank 1 waits for data, rank 0 not');
    const straggler = s.findings.filter((f) => f.code === 'RUN014');
    assert.equal(straggler.length, 1, JSON.stringify(s.findings));
    assert.match(straggler[0]!.message, /^rank 1 is a straggler: its data wait is [\d.]+ ms per step, [\d.]+x the median of the other ranks/);
    assert.equal(straggler[0]!.figures?.rank, 1);
    assert.ok(Number(straggler[0]!.figures?.factor) >= 10, 'factor');
    assert.equal(straggler[0]!.range.start.line + 1, lineOf(DDP, 'loader = DataLoader('));
    // Rank 0 sits in the all_reduce each step waiting for rank 1's data.
    assert.ok((r0.peerWaitMs ?? 0) > 5 && (r1.peerWaitMs ?? Infinity) < (r0.peerWaitMs ?? 0) / 5, `peer waits ${r0.peerWaitMs} ${r1.peerWaitMs}`);
    const wait = s.findings.filter((f) => f.code === 'RUN015');
    assert.equal(wait.length, 1, JSON.stringify(s.findings));
    assert.match(wait[0]!.message, /^ranks wait on each other inside each step: rank 0 [\d.]+ ms per step .*for rank 1$/);
    // The job's figures are the slow rank's: it sets the pace of the all_reduce every step.
    assert.match(s.verdict, /input-bound/);
    assert.ok(s.findings.some((f) => f.code === 'LOAD001' || f.code === 'RUN001'), 'the slow rank\'s input-bound finding');
    await assertNothingLeft(pid);
    // The run folder reads back with its ranks checked: a damaged rank entry is named, not rendered.
    assert.deepEqual(readRunFolder(s.folder).summary.ranks, s.ranks);
    const damaged = tempDir('torchrun-damaged');
    const json = JSON.parse(fs.readFileSync(path.join(s.folder, 'summary.json'), 'utf8')) as RunSummary;
    json.ranks![1]!.steps = -1;
    fs.writeFileSync(path.join(damaged, 'summary.json'), JSON.stringify(json));
    assert.throws(() => readRunFolder(damaged), /ranks\[1\]\.steps: -1 is below 0/);
  });

  it('a rank that crashes ends the whole job: failed with its error, what was measured kept, nothing left', async () => {
    const { s, pid } = await runJob(['--crash-rank', '1', '--crash-step', '6'], 200);
    assert.equal(s.verdict, 'failed');
    assert.match(s.error ?? '', /raised RuntimeError: rank 1 fails on purpose/);
    const r1 = s.ranks?.find((r) => r.rank === 1);
    assert.equal(r1?.ended, 'exception');
    assert.ok(r1 !== undefined && r1.steps >= 1 && r1.steps <= 4, `measured steps before the crash at step 6: ${r1?.steps}`);
    assert.equal(measuredRows(s.folder, r1.stepsFile), r1.steps, 'rank 1\'s steps kept in its own file');
    assert.equal(s.ranks?.length, 2, 'rank 0 reported too');
    await assertNothingLeft(pid);
  });

  it('cancel while the ranks train: every rank flushes what it measured, the job ends, nothing left', async () => {
    const abort = new AbortController();
    let hellos = 0;
    const { s, pid } = await runJob(['--sleep-ms', '5', '--slow-rank', '0'], 100_000, {
      signal: abort.signal,
      onEvent: (e) => {
        if (e.type === 'hello') hellos++;
        // Both ranks started and measured steps arrive: cancel mid-run.
        if (e.type === 'steps' && e.phase === 'measured' && hellos === 2 && !abort.signal.aborted) setTimeout(() => abort.abort(), 1500);
      },
    });
    // Stopped by you, not failed: the verdict comes from the steps measured until then.
    assert.notEqual(s.verdict, 'failed', s.error);
    assert.equal(s.ended.how, 'cancelled');
    assert.equal(s.error, undefined);
    assert.equal(s.ranks?.length, 2);
    for (const r of s.ranks ?? []) {
      assert.ok(r.steps > 0, `rank ${r.rank} kept its measured steps`);
      assert.equal(measuredRows(s.folder, r.stepsFile), r.steps);
    }
    await assertNothingLeft(pid);
  });

  it('2 "nodes" on localhost through a c10d rendezvous: each node keeps its own rank, the slow one input-bound', async () => {
    const endpoint = `127.0.0.1:${await freePort()}`;
    const pids: number[] = [];
    const [a, b] = await Promise.all([0, 1].map((r) => nodeRun(endpoint, r, { onSpawn: (p) => pids.push(p) })));
    const byRank = [a!, b!].sort((x, y) => (x.ranks?.[0]?.rank ?? 9) - (y.ranks?.[0]?.rank ?? 9));
    assert.deepEqual(byRank.map((s) => s.ranks?.map((r) => [r.rank, r.localRank, r.ended, r.steps])),
      [[[0, 0, 'stopped', 6]], [[1, 0, 'stopped', 6]]]);
    for (const s of byRank) {
      assert.equal(s.ended.how, 'stopped-after-quick', s.error);
      assert.ok(s.notes.some((n) => /^1 of 2 ranks reported to this machine/.test(n)), s.notes.join('\n'));
    }
    assert.equal(byRank[0]!.verdict, 'not-input-bound');
    assert.equal(byRank[1]!.verdict, 'highly-input-bound');
    for (const p of pids) await assertNothingLeft(p);
  });

  it('cancel during the rendezvous (the other node never comes): the job ends, nothing left', async () => {
    const endpoint = `127.0.0.1:${await freePort()}`;
    const abort = new AbortController();
    let pid: number | undefined;
    const t0 = Date.now();
    const s = await nodeRun(endpoint, 0, { signal: abort.signal, onSpawn: (p) => { pid = p; setTimeout(() => abort.abort(), 5000); } });
    assert.equal(s.verdict, 'failed');
    assert.equal(s.ended.how, 'cancelled');
    assert.match(s.error ?? '', /^stopped by you before a step was measured/);
    assert.deepEqual(s.ranks, []);
    assert.ok(Date.now() - t0 < 60_000, 'ended promptly');
    await assertNothingLeft(pid);
  });

  it('--metrics-port: every rank\'s series on one endpoint, labelled by rank; run_ended only once the job has ended', async () => {
    const port = await freePort();
    const scrape = async (): Promise<string> => {
      try {
        return await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      } catch {
        return '';
      }
    };
    const seen: string[] = [];
    let done = false;
    const poll = (async () => {
      while (!done) {
        const text = await scrape();
        if (text !== '') seen.push(text);
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    let rankEnds = 0;
    let endedBeforeJobEnd = false;
    const s = await profileScript(
      { script: DDP, args: ['--slow-rank', '1', '--sleep-ms', '15'], python: PY, outDir: tempDir('torchrun-metrics'), warmup: 2,
        steps: 8, controlSteps: 0, ioProbe: 'off', timeoutMs: 180_000, graceMs: 5000, distributed: { nprocPerNode: 2 },
        metricsPort: port, metricsLingerSeconds: 2 },
      {
        onEvent: (e) => {
          if (e.type !== 'end' || ++rankEnds !== 1) return;
          // One rank has ended, the job has not: the endpoint must not say the run ended yet.
          void scrape().then((text) => { endedBeforeJobEnd = /^pipeline_doctor_run_ended\{[^}]*\} 1$/m.test(text); });
        },
      },
    );
    done = true;
    await poll;
    assert.notEqual(s.verdict, 'failed', s.error);
    const last = seen.at(-1) ?? '';
    const run = path.basename(s.folder);
    for (const rank of ['0', '1']) {
      const count = new RegExp(`^pipeline_doctor_step_seconds_count\\{run="${run}",script="[^"]*ddp_ranks\\.py",rank="${rank}",phase="measured"\\} 8$`, 'm');
      assert.match(last, count, `rank ${rank}'s 8 measured steps`);
    }
    const share = (rank: string): number => Number(new RegExp(`^pipeline_doctor_input_bound_ratio\\{[^}]*rank="${rank}"\\} ([\\d.e-]+)$`, 'm').exec(last)?.[1]);
    assert.ok(share('1') > 0.2 && share('0') < share('1'), `input-bound share by rank: 0 → ${share('0')}, 1 → ${share('1')}`);
    assert.match(last, /^pipeline_doctor_run_ended\{[^}]*\} 1$/m);
    assert.equal(endedBeforeJobEnd, false, 'run_ended was 1 after the first rank\'s end, before the job had ended');
    assert.equal(await scrape(), '', 'the endpoint is closed after the linger');
  });

  it('a job that cannot start (no such script) is a failed summary, like one process', async () => {
    const s = await profileScript({ script: 'missing_train.py', python: PY, outDir: tempDir('torchrun-missing'),
      cwd: tempDir('torchrun-cwd'), distributed: { nprocPerNode: 2 } });
    assert.equal(s.verdict, 'failed');
    assert.equal(s.ended.how, 'spawn-failed');
    assert.match(s.error ?? '', /script not found: .*missing_train\.py/);
    assert.deepEqual(readRunFolder(s.folder).summary.ranks, []);
  });

  it('profile: torchrun options that cannot work are usage errors, before anything starts', async () => {
    const cases: [string[], RegExp][] = [
      [['train.py', '--nnodes', '2'], /--nnodes above 1 needs --rdzv-endpoint HOST:PORT/],
      [['train.py', '--nproc-per-node', '2', '--rdzv-endpoint', 'nohost'], /--rdzv-endpoint needs HOST:PORT/],
      [['train.py', '--nproc-per-node', '2', '--mode', 'sweep'], /--mode sweep is not available for torchrun jobs/],
      [['train.py', '--nproc-per-node', '0'], /--nproc-per-node needs an integer >= 1/],
    ];
    for (const [argv, message] of cases) {
      let stderr = '';
      const code = await profileCommand(argv, { stdout: () => undefined, stderr: (t) => { stderr += t; }, cwd: tempDir('torchrun-usage') });
      assert.equal(code, 2, argv.join(' '));
      assert.match(stderr, message);
    }
  });
});
