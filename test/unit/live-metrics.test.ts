// The live metrics exposition from synthetic harness events (names, labels, bucket counts, both text
// formats) and the endpoint's socket behaviour (busy port, loopback, nothing left open). The real
// Prometheus scrape of a real run is in test/runner/live-metrics.test.ts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { MetricsServerError } from '../../src/runner/errors';
import type { HostSample } from '../../src/runner/host-sampler';
import { DATA_WAIT_SECONDS_BUCKETS, LiveMetrics, STEP_SECONDS_BUCKETS } from '../../src/runner/live-metrics';
import { MetricsServer } from '../../src/runner/metrics-server';
import type { ProfileEvent, StepsEvent } from '../../src/shared/profile';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Sample lines of the text formats (`name{a="b",…} value`); label values here carry no quotes or commas. */
function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? '').split(',').filter((p) => p !== '')) {
      const [k, v] = pair.split('=');
      labels[k ?? ''] = JSON.parse(v ?? '""') as string;
    }
    out.push({ name: m[1] ?? '', labels, value: Number(m[3]) });
  }
  return out;
}

function pick(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

function only(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = pick(samples, name, labels);
  assert.equal(found.length, 1, `${name} ${JSON.stringify(labels)}: ${JSON.stringify(found)}`);
  return found[0]?.value ?? NaN;
}

const steps = (phase: StepsEvent['phase'], stepMs: number[], waitMs: number[], samples: (number | null)[], first = 0): StepsEvent => ({
  type: 'steps', loader: 0, phase, first, t: stepMs.map((_, i) => 1000 + i), stepMs, waitMs, samples,
});

const host: HostSample = {
  t: 0, cpuPct: 62.5, groupCpuPct: 40, corePct: [50, 75], memUsedMiB: 1024, memTotalMiB: 4096, diskReadMBps: 3, diskWriteMBps: 0.5,
};

function fed(events: ProfileEvent[]): LiveMetrics {
  const m = new LiveMetrics({ run: '2026-01-01T00-00-00-000Z-train', script: 'train.py', mode: 'quick' }, new Date(1_700_000_000_000));
  for (const e of events) m.observeEvent(e);
  m.observeHost(host);
  return m;
}

describe('live metrics: exposition', () => {
  const events: ProfileEvent[] = [
    steps('warmup', [40, 45], [30, 35], [8, 8]),
    steps('measured', [0.8, 3, 30, 300, 4000], [0.05, 0.2, 20, 100, 3000], [8, 8, 8, 8, null], 2),
    steps('control', [2, 2], [0, 0], [8, 8], 7),
    { type: 'gpu', source: 'nvml', samples: [{ t: 1, index: 0, utilizationPct: 87, memoryUsedMiB: 2048, memoryTotalMiB: 16384 }] },
  ];

  it('step and wait histograms: bucket counts per phase, cumulative, with run/script/rank/phase labels', async () => {
    const s = parseExposition(await fed(events).prometheus.metrics());
    const labels = { run: '2026-01-01T00-00-00-000Z-train', script: 'train.py', rank: '0', phase: 'measured' };
    const bucket = (name: string, le: string): number => only(s, `${name}_bucket`, { ...labels, le });
    assert.equal(only(s, 'pipeline_doctor_step_seconds_count', labels), 5);
    assert.ok(Math.abs(only(s, 'pipeline_doctor_step_seconds_sum', labels) - 4.3338) < 1e-9);
    // 0.8 ms | 3 ms | 30 ms | 300 ms | 4 s against 1 ms, 2.5 ms, 5 ms, 25 ms, 50 ms, 250 ms, 500 ms, 5 s
    assert.deepEqual(['0.001', '0.0025', '0.005', '0.025', '0.05', '0.25', '0.5', '2.5', '5', '+Inf']
      .map((le) => bucket('pipeline_doctor_step_seconds', le)), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    assert.equal(pick(s, 'pipeline_doctor_step_seconds_bucket', labels).length, STEP_SECONDS_BUCKETS.length + 1);
    assert.equal(pick(s, 'pipeline_doctor_data_wait_seconds_bucket', labels).length, DATA_WAIT_SECONDS_BUCKETS.length + 1);
    assert.equal(bucket('pipeline_doctor_data_wait_seconds', '0.0001'), 1);
    assert.equal(bucket('pipeline_doctor_data_wait_seconds', '0.00025'), 2);
    assert.equal(bucket('pipeline_doctor_data_wait_seconds', '+Inf'), 5);
    assert.equal(only(s, 'pipeline_doctor_step_seconds_count', { ...labels, phase: 'warmup' }), 2);
    assert.equal(only(s, 'pipeline_doctor_step_seconds_count', { ...labels, phase: 'control' }), 2);
    assert.equal(only(s, 'pipeline_doctor_samples_total', labels), 32);
  });

  it('rate and input share come from the latest non-control batch; a data-free control batch leaves them', async () => {
    const s = parseExposition(await fed(events).prometheus.metrics());
    const ranked = { run: '2026-01-01T00-00-00-000Z-train', script: 'train.py', rank: '0' };
    // 32 samples over the 333.8 ms of the four steps whose batch length is known.
    assert.ok(Math.abs(only(s, 'pipeline_doctor_samples_per_second', ranked) - 32 / 0.3338) < 1e-6);
    assert.ok(Math.abs(only(s, 'pipeline_doctor_input_bound_ratio', ranked) - 3120.25 / 4333.8) < 1e-9);
    assert.equal(pick(s, 'pipeline_doctor_input_bound_ratio').length, 1, 'one series: phases do not split the gauge');
  });

  it('GPU, CPU, memory and disk in base units (ratios 0-1, bytes)', async () => {
    const s = parseExposition(await fed(events).prometheus.metrics());
    const hostLabels = { run: '2026-01-01T00-00-00-000Z-train', script: 'train.py' };
    const gpu = { ...hostLabels, rank: '0', gpu: '0' };
    assert.equal(only(s, 'pipeline_doctor_gpu_utilization_ratio', gpu), 0.87);
    assert.equal(only(s, 'pipeline_doctor_gpu_memory_used_bytes', gpu), 2048 * 2 ** 20);
    assert.equal(only(s, 'pipeline_doctor_gpu_memory_total_bytes', gpu), 16384 * 2 ** 20);
    assert.equal(only(s, 'pipeline_doctor_cpu_utilization_ratio', hostLabels), 0.625);
    assert.equal(only(s, 'pipeline_doctor_run_cpu_utilization_ratio', hostLabels), 0.4);
    assert.equal(only(s, 'pipeline_doctor_memory_used_bytes', hostLabels), 1024 * 2 ** 20);
    assert.equal(only(s, 'pipeline_doctor_disk_read_bytes_per_second', hostLabels), 3 * 2 ** 20);
    assert.equal(only(s, 'pipeline_doctor_disk_write_bytes_per_second', hostLabels), 0.5 * 2 ** 20);
    assert.equal(only(s, 'pipeline_doctor_run_info', { ...hostLabels, mode: 'quick' }), 1);
    assert.equal(only(s, 'pipeline_doctor_run_start_time_seconds', hostLabels), 1_700_000_000);
    assert.equal(only(s, 'pipeline_doctor_run_ended', hostLabels), 0);
  });

  it('each rank\'s events are labelled with the rank they were received from (torchrun: the rank\'s own channel)', async () => {
    const m = fed([steps('measured', [10], [1], [4])]);
    m.observeEvent(steps('measured', [10, 10], [1, 1], [4, 4]), 3);
    m.markEnded();
    const s = parseExposition(await m.prometheus.metrics());
    assert.equal(only(s, 'pipeline_doctor_step_seconds_count', { rank: '0', phase: 'measured' }), 1);
    assert.equal(only(s, 'pipeline_doctor_step_seconds_count', { rank: '3', phase: 'measured' }), 2);
    assert.equal(only(s, 'pipeline_doctor_run_ended'), 1);
  });

  it('OpenMetrics: its content type, `# EOF`, and the same samples', async () => {
    const m = fed(events);
    const text = await m.openMetrics.metrics();
    assert.match(m.openMetrics.contentType, /^application\/openmetrics-text; version=1\.0\.0/);
    assert.match(m.prometheus.contentType, /^text\/plain; version=0\.0\.4/);
    assert.ok(text.endsWith('# EOF\n'), text.slice(-40));
    const open = parseExposition(text.replace(/# EOF\n$/, ''));
    const prom = parseExposition(await m.prometheus.metrics());
    assert.deepEqual(open.map((x) => x.name).sort(), prom.map((x) => x.name).sort());
  });

  it('every metric the Grafana dashboard (docs/grafana/pipeline-doctor.json) queries is exposed, GPU ones included', async () => {
    const dashboard = fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'docs', 'grafana', 'pipeline-doctor.json'), 'utf8');
    const queried = new Set(dashboard.match(/pipeline_doctor_[a-z_]+/g) ?? []);
    const exposed = new Set(parseExposition(await fed(events).prometheus.metrics()).map((x) => x.name));
    assert.ok(queried.size >= 12, [...queried].join(' '));
    assert.deepEqual([...queried].filter((name) => !exposed.has(name)), []);
  });

  it('two runs in one process keep separate registries (the global default registry is not used)', async () => {
    const a = fed(events);
    const b = new LiveMetrics({ run: 'other', script: 'b.py', mode: 'full' }, new Date());
    b.observeEvent(steps('measured', [5], [1], [2]));
    const sb = parseExposition(await b.prometheus.metrics());
    assert.equal(pick(sb, 'pipeline_doctor_step_seconds_count').length, 1);
    assert.equal(pick(sb, 'pipeline_doctor_run_info')[0]?.labels.run, 'other');
    assert.equal(pick(parseExposition(await a.prometheus.metrics()), 'pipeline_doctor_run_info')[0]?.labels.run, '2026-01-01T00-00-00-000Z-train');
    const { register } = await import('prom-client');
    assert.equal((await register.getMetricsAsJSON()).filter((x) => x.name.startsWith('pipeline_doctor_')).length, 0);
  });
});

function get(url: string, accept?: string, agent?: http.Agent): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers: accept ? { accept } : {}, ...(agent ? { agent } : {}) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    }).on('error', reject);
  });
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(false); });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

describe('live metrics: endpoint', () => {
  it('serves /metrics on loopback, negotiates OpenMetrics, and closes even a kept-alive scrape connection', async () => {
    const server = await MetricsServer.start('127.0.0.1', 0);
    const agent = new http.Agent({ keepAlive: true });
    try {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      assert.equal((await get(server.url, undefined, agent)).status, 503, 'before the run folder exists');
      server.serve(fed([steps('measured', [10], [1], [4])]));
      const plain = await get(server.url, undefined, agent);
      assert.equal(plain.status, 200);
      assert.match(plain.type, /^text\/plain; version=0\.0\.4/);
      assert.match(plain.body, /^pipeline_doctor_step_seconds_count\{run="[^"]+",script="train.py",rank="0",phase="measured"\} 1$/m);
      const open = await get(server.url, 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5', agent);
      assert.match(open.type, /^application\/openmetrics-text/);
      assert.ok(open.body.endsWith('# EOF\n'));
      assert.equal((await get(server.url.replace('/metrics', '/'), undefined, agent)).status, 404);
    } finally {
      await server.close();
      agent.destroy();
    }
    assert.ok(await refused(Number(new URL(server.url).port)), 'the port is closed after close()');
  });

  it('a busy port is a MetricsServerError naming the address', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      await assert.rejects(MetricsServer.start('127.0.0.1', port), (err: Error) => {
        assert.ok(err instanceof MetricsServerError);
        assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port} is already in use`));
        return true;
      });
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('an address no interface has is a MetricsServerError too', async () => {
    await assert.rejects(MetricsServer.start('192.0.2.1', 0), (err: Error) => err instanceof MetricsServerError && /no interface/.test(err.message));
  });
});
