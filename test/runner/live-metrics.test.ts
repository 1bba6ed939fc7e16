// Live metrics scraped by a real Prometheus (Debian's `prometheus`, installed by scripts/setup.sh --tests):
// the test starts Prometheus on a free loopback port with a temp storage folder and a scrape config that
// names only the run's metrics endpoint, profiles a real PyTorch script with --metrics-port, queries
// Prometheus's HTTP API for the run's series, and checks that nothing is left listening.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { profileCommand } from '../../src/cli/profile';
import { findExecutable } from '../../src/runner/interpreter';
import { profileScript } from '../../src/runner/profile-script';
import { STEP_SECONDS_BUCKETS } from '../../src/runner/live-metrics';
import type { RunSummary } from '../../src/shared/profile';
import { PY, assertNothingLeft, liveChildren, requireTorch, script, tempDir } from './helpers';

const REPO = path.resolve(__dirname, '..', '..', '..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

interface PromVector {
  metric: Record<string, string>;
  value: [number, string];
}

class Prometheus {
  private child: ChildProcess | null = null;
  private log = '';
  private dir: string | null = null;
  readonly base: string;

  constructor(private readonly port: number) {
    this.base = `http://127.0.0.1:${port}`;
  }

  async start(target: string): Promise<void> {
    const binary = findExecutable('prometheus', REPO) ?? (fs.existsSync('/usr/bin/prometheus') ? '/usr/bin/prometheus' : null);
    assert.ok(binary, "Prometheus is not installed: install Debian's prometheus package (bash scripts/setup.sh --tests)");
    const dir = tempDir('prometheus');
    this.dir = dir;
    // One scrape job, the run's endpoint; no self-scrape, no remote write, no alerting: loopback only.
    fs.writeFileSync(path.join(dir, 'prometheus.yml'), [
      'global:',
      '  scrape_interval: 500ms',
      '  scrape_timeout: 500ms',
      'scrape_configs:',
      '  - job_name: pipeline-doctor',
      '    static_configs:',
      `      - targets: ['${target}']`,
      '',
    ].join('\n'));
    this.child = spawn(binary, [
      `--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${this.port}`, '--log.level=warn',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (c: Buffer) => { this.log += c.toString(); });
    this.child.stderr?.on('data', (c: Buffer) => { this.log += c.toString(); });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      assert.equal(this.child.exitCode, null, `prometheus exited: ${this.log}`);
      const ready = await fetch(`${this.base}/-/ready`).then((r) => r.ok, () => false);
      if (ready) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.fail(`prometheus not ready after 30 s: ${this.log}`);
  }

  /** An instant query, at `time` (Unix seconds) when given. */
  async query(promql: string, time?: number): Promise<PromVector[]> {
    const at = time === undefined ? '' : `&time=${time}`;
    const r = await fetch(`${this.base}/api/v1/query?query=${encodeURIComponent(promql)}${at}`);
    const body = await r.json() as { status: string; data: { resultType: string; result: PromVector[] } };
    assert.equal(body.status, 'success', `${promql}: ${JSON.stringify(body)}`);
    assert.equal(body.data.resultType, 'vector');
    return body.data.result;
  }

  /** The one value a query returns. */
  async value(promql: string): Promise<number> {
    const result = await this.query(promql);
    assert.equal(result.length, 1, `${promql}: ${JSON.stringify(result)}`);
    return Number(result[0]?.value[1]);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child !== null && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (this.dir !== null) fs.rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }
}

describe('live metrics: a real Prometheus scrapes a profile run', () => {
  let prometheus: Prometheus;
  let promPort: number;
  let metricsPort: number;
  let summary: RunSummary;
  let pgid: number | undefined;
  let servedAt = '';
  /** A moment (Unix seconds) when Prometheus held the run's final values and the endpoint was still up. */
  let endScrapedAt = 0;

  before(async () => {
    requireTorch();
    promPort = await freePort();
    metricsPort = await freePort();
    prometheus = new Prometheus(promPort);
    await prometheus.start(`127.0.0.1:${metricsPort}`);
    const out = tempDir('prom-runs');
    // The endpoint lingers until Prometheus has scraped the run's end (then the linger is cut short), so
    // a slow scrape on a loaded machine cannot miss the final values.
    const stopLinger = new AbortController();
    const run = profileScript({
      // 20 ms per sample, 8 per batch: the run lasts several seconds, so Prometheus (every 500 ms) scrapes it
      // while its counters rise, which the dashboard's rate() queries need.
      script: 'test/runner/scripts/input_bound.py', args: ['--sleep-ms', '20'], cwd: REPO, python: PY, outDir: out,
      warmup: 5, steps: 40, controlSteps: 5, metricsPort, metricsLingerSeconds: 60,
    }, {
      signal: stopLinger.signal,
      onSpawn: (pid) => { pgid = pid; },
      onMetricsServing: (url) => { servedAt = url; },
    });
    let finished = false;
    void run.then(() => { finished = true; }, () => { finished = true; });
    while (!finished && (await prometheus.query('max_over_time(pipeline_doctor_run_ended[5m]) == 1')).length === 0) {
      await new Promise((r) => setTimeout(r, 250));
    }
    endScrapedAt = Date.now() / 1000;
    // The harness's process group is gone before the linger is cut: the abort must not reach the run itself.
    const groupAlive = (): boolean => {
      if (pgid === undefined) return false;
      try {
        process.kill(-pgid, 0);
        return true;
      } catch {
        return false;
      }
    };
    while (!finished && groupAlive()) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 300));
    stopLinger.abort();
    summary = await run;
  });

  after(async () => {
    await prometheus.stop();
  });

  it('the run was measured and its endpoint is closed once profileScript returns', async () => {
    assert.equal(summary.verdict, 'highly-input-bound', summary.error);
    assert.equal(servedAt, `http://127.0.0.1:${metricsPort}/metrics`);
    assert.equal(await listening(metricsPort), false, 'the metrics port is still open after the run');
    await assertNothingLeft(pgid);
  });

  // The target is gone, so its series are stale now: each query reads them over the run's last minutes.
  it('the step histogram holds every step, with run, script and rank labels', async () => {
    const run = path.basename(summary.folder);
    const sel = `run="${run}",script="test/runner/scripts/input_bound.py",rank="0",job="pipeline-doctor"`;
    assert.equal(await prometheus.value(`max_over_time(up{job="pipeline-doctor"}[5m])`), 1);
    assert.equal(await prometheus.value(`max_over_time(pipeline_doctor_step_seconds_count{${sel},phase="measured"}[5m])`), summary.steps);
    assert.equal(summary.steps, 40);
    assert.equal(await prometheus.value(`max_over_time(pipeline_doctor_step_seconds_count{${sel},phase="warmup"}[5m])`), summary.warmupSteps);
    assert.equal(await prometheus.value(`max_over_time(pipeline_doctor_samples_total{${sel},phase="measured"}[5m])`), 40 * 8);
    // Buckets: one series per bound, cumulative, the +Inf bucket equal to the count.
    const buckets = await prometheus.query(`max_over_time(pipeline_doctor_step_seconds_bucket{${sel},phase="measured"}[5m])`);
    assert.equal(buckets.length, STEP_SECONDS_BUCKETS.length + 1);
    const counts = buckets
      .map((b) => ({ le: b.metric.le === '+Inf' ? Infinity : Number(b.metric.le), n: Number(b.value[1]) }))
      .sort((a, b) => a.le - b.le);
    for (let i = 1; i < counts.length; i++) assert.ok((counts[i]?.n ?? 0) >= (counts[i - 1]?.n ?? 0), JSON.stringify(counts));
    assert.equal(counts.at(-1)?.n, 40);
    // The median from the buckets lies in the bucket that holds the summary's median step time.
    const p50 = await prometheus.value(
      `histogram_quantile(0.5, max_over_time(pipeline_doctor_step_seconds_bucket{${sel},phase="measured"}[5m]))`);
    const measured = (summary.stepTimeMs?.p50 ?? NaN) / 1000;
    const upper = STEP_SECONDS_BUCKETS.find((le) => le >= measured) ?? Infinity;
    const lower = [...STEP_SECONDS_BUCKETS].reverse().find((le) => le < measured) ?? 0;
    assert.ok(p50 >= lower && p50 <= upper, `histogram p50 ${p50} s outside [${lower}, ${upper}] around the measured ${measured} s`);
    const labels = (await prometheus.query(`max_over_time(pipeline_doctor_step_seconds_count{phase="measured"}[5m])`))[0]?.metric;
    assert.deepEqual({ run: labels?.run, script: labels?.script, rank: labels?.rank, instance: labels?.instance },
      { run, script: 'test/runner/scripts/input_bound.py', rank: '0', instance: `127.0.0.1:${metricsPort}` });
  });

  it('input share, samples/s, CPU and disk have plausible values; the run is marked ended', async () => {
    const run = `run="${path.basename(summary.folder)}"`;
    // Every sample sleeps 20 ms in the training process: most of each step is waiting.
    const share = await prometheus.value(`last_over_time(pipeline_doctor_input_bound_ratio{${run}}[5m])`);
    assert.ok(share > 0.5 && share <= 1, `input share ${share}`);
    const wait = await prometheus.value(`max_over_time(pipeline_doctor_data_wait_seconds_sum{${run},phase="measured"}[5m])` +
      ` / max_over_time(pipeline_doctor_step_seconds_sum{${run},phase="measured"}[5m])`);
    assert.ok(Math.abs(wait - (summary.inputShare ?? NaN)) < 0.1, `wait share ${wait} vs median ${summary.inputShare}`);
    const rate = await prometheus.value(`max_over_time(pipeline_doctor_samples_per_second{${run}}[5m])`);
    assert.ok(rate > 0 && rate < 8 / 0.02 * 1.5, `samples/s ${rate}`);
    const cpu = await prometheus.value(`max_over_time(pipeline_doctor_cpu_utilization_ratio{${run}}[5m])`);
    assert.ok(cpu > 0 && cpu <= 1, `cpu ${cpu}`);
    const own = await prometheus.value(`max_over_time(pipeline_doctor_run_cpu_utilization_ratio{${run}}[5m])`);
    assert.ok(own > 0 && own <= 1, `run cpu ${own}`);
    assert.ok(await prometheus.value(`max_over_time(pipeline_doctor_disk_read_bytes_per_second{${run}}[5m])`) >= 0);
    assert.ok(await prometheus.value(`max_over_time(pipeline_doctor_memory_used_bytes{${run}}[5m])`) > 0);
    assert.equal(await prometheus.value(`max_over_time(pipeline_doctor_run_ended{${run}}[5m])`), 1, 'the final values were scraped');
    assert.equal(await prometheus.value(`max_over_time(pipeline_doctor_run_info{${run},mode="quick"}[5m])`), 1);
  });

  it('every query of the shipped Grafana dashboard parses and, GPU panels aside on a CPU run, returns the run', async () => {
    interface Panel { title: string; targets?: { expr: string }[] }
    const dashboard = JSON.parse(fs.readFileSync(path.join(REPO, 'docs', 'grafana', 'pipeline-doctor.json'), 'utf8')) as {
      panels: Panel[]; templating: { list: { name: string }[] };
    };
    assert.deepEqual(dashboard.templating.list.map((v) => v.name), ['datasource', 'run', 'script', 'rank']);
    const run = path.basename(summary.folder);
    // While the endpoint was up (its series go stale once it closes), with Grafana's variables filled in.
    const at = endScrapedAt;
    const fill = (expr: string): string => expr.replaceAll('$run', run).replaceAll('$script', '.*').replaceAll('$rank', '.*')
      .replaceAll('$__rate_interval', '1m');
    let checked = 0;
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) {
        const result = await prometheus.query(fill(target.expr), at);
        if (/GPU/.test(panel.title)) {
          assert.deepEqual(result, [], `${panel.title}: no GPU in this run`);
        } else {
          assert.ok(result.length > 0, `${panel.title}: ${target.expr} returned nothing`);
          assert.ok(result.every((r) => r.metric.run === run && Number.isFinite(Number(r.value[1]))), `${panel.title}: ${JSON.stringify(result)}`);
        }
        checked++;
      }
    }
    assert.ok(checked >= 15, `${checked} queries`);
  });

  it('once Prometheus is stopped, nothing is left listening', async () => {
    await prometheus.stop();
    assert.equal(await listening(promPort), false, 'prometheus port');
    assert.equal(await listening(metricsPort), false, 'metrics port');
  });
});

describe('live metrics: the endpoint ends with the run', () => {
  it('cancelled mid-run: no linger, the port closed, nothing left', async () => {
    requireTorch();
    const port = await freePort();
    const abort = new AbortController();
    let pid: number | undefined;
    let scraped = '';
    const t0 = Date.now();
    const s = await profileScript({
      script: script('input_bound.py'), args: ['--workers', '2', '--sleep-ms', '2'], python: PY, outDir: tempDir('prom-cancel'),
      mode: 'full', warmup: 2, ioProbe: 'off', metricsPort: port, metricsLingerSeconds: 30,
    }, {
      signal: abort.signal,
      onSpawn: (p) => { pid = p; },
      onEvent: (e) => {
        if (e.type !== 'steps' || e.phase !== 'measured' || abort.signal.aborted) return;
        // A scrape while the run goes, then the cancel.
        void fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).then((text) => { scraped = text; }).finally(() => abort.abort());
      },
    });
    assert.equal(s.ended.how, 'cancelled');
    assert.match(scraped, /^pipeline_doctor_step_seconds_count\{[^}]*phase="measured"\} [1-9]/m);
    assert.ok(Date.now() - t0 < 25_000, 'the 30 s linger was cut short by the cancel');
    assert.equal(await listening(port), false, 'the metrics port is still open after a cancelled run');
    await assertNothingLeft(pid);
  });

  it('a script that raises: the port closed after the linger', async () => {
    requireTorch();
    const port = await freePort();
    const t0 = Date.now();
    let ended = 0;
    const s = await profileScript({
      script: script('raises.py'), python: PY, outDir: tempDir('prom-raise'), metricsPort: port, metricsLingerSeconds: 1,
    }, { onEvent: (e) => { if (e.type === 'end') ended = Date.now(); } });
    assert.equal(s.ended.how, 'crashed');
    assert.ok(ended > t0 && Date.now() - ended >= 1000, 'lingered about a second after the end');
    assert.equal(await listening(port), false);
  });
});

describe('live metrics: a busy port', () => {
  it('is a clear error before the script starts: exit 2, no run folder, no process', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    const out = tempDir('prom-busy');
    let err = '';
    try {
      const code = await profileCommand([script('input_bound.py'), '--python', PY, '--out', out, '--metrics-port', String(port)],
        { stdout: () => undefined, stderr: (s) => { err += s; }, cwd: REPO });
      assert.equal(code, 2, err);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
    assert.match(err, new RegExp(`^pipeline-doctor profile: cannot serve live metrics: 127\\.0\\.0\\.1:${port} is already in use`));
    assert.deepEqual(fs.readdirSync(out), [], 'no run folder for a run that never started');
    assert.deepEqual(liveChildren(), [], 'no python started');
  });

  it('--metrics-host without --metrics-port is a usage error', async () => {
    let err = '';
    const code = await profileCommand([script('input_bound.py'), '--metrics-host', '0.0.0.0'],
      { stdout: () => undefined, stderr: (s) => { err += s; }, cwd: REPO });
    assert.equal(code, 2);
    assert.match(err, /--metrics-host and --metrics-linger go with --metrics-port/);
  });
});
