// The live metrics of one profile run, as Prometheus/OpenMetrics series (docs/profiling.md, "Live metrics
// for Prometheus and Grafana"). Fed in Node from the harness's events and the host samples the runner
// already receives, so the harness does no extra work. Each run has registries of its own, never
// prom-client's global default registry: two runs in one process (the editor) never mix their series.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { OpenMetricsContentType, RegistryContentType } from 'prom-client';
import type { GpuSample, ProfileEvent } from '../shared/profile';
import type { HostSample } from './host-sampler';

/** Step times run from about a millisecond (a small model on a GPU) to seconds (a large one, or a stalled loader). */
export const STEP_SECONDS_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Data waits go lower: a loader that keeps up blocks for tens of microseconds. */
export const DATA_WAIT_SECONDS_BUCKETS: readonly number[] = [0.0001, 0.00025, 0.0005, ...STEP_SECONDS_BUCKETS];

export interface RunIdentity {
  /** The run folder's name: unique per run. */
  run: string;
  /** The script as the user named it (a path relative to the run's cwd, or a module name). */
  script: string;
  mode: string;
}

const STEP_LABELS = ['run', 'script', 'rank', 'phase'] as const;
const RANK_LABELS = ['run', 'script', 'rank'] as const;
const GPU_LABELS = ['run', 'script', 'rank', 'gpu'] as const;
// Host figures cover the whole machine (and the run's process group), not one rank.
const HOST_LABELS = ['run', 'script'] as const;

const MIB = 2 ** 20;

/** The run's metric objects in one registry. */
class RunSeries {
  private readonly stepSeconds: Histogram<(typeof STEP_LABELS)[number]>;
  private readonly dataWaitSeconds: Histogram<(typeof STEP_LABELS)[number]>;
  private readonly samples: Counter<(typeof STEP_LABELS)[number]>;
  private readonly samplesPerSecond: Gauge<(typeof RANK_LABELS)[number]>;
  private readonly inputBoundShare: Gauge<(typeof RANK_LABELS)[number]>;
  private readonly gpuUtilization: Gauge<(typeof GPU_LABELS)[number]>;
  private readonly gpuMemoryUsed: Gauge<(typeof GPU_LABELS)[number]>;
  private readonly gpuMemoryTotal: Gauge<(typeof GPU_LABELS)[number]>;
  private readonly cpuUtilization: Gauge<(typeof HOST_LABELS)[number]>;
  private readonly runCpuUtilization: Gauge<(typeof HOST_LABELS)[number]>;
  private readonly memoryUsed: Gauge<(typeof HOST_LABELS)[number]>;
  private readonly diskRead: Gauge<(typeof HOST_LABELS)[number]>;
  private readonly diskWrite: Gauge<(typeof HOST_LABELS)[number]>;
  private readonly ended: Gauge<(typeof HOST_LABELS)[number]>;

  constructor(private readonly id: RunIdentity, startedAt: Date, registry: Registry<RegistryContentType>) {
    const registers = [registry];
    const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: readonly number[]): Histogram<L> =>
      new Histogram({ name, help, labelNames, buckets: [...buckets], registers });
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> =>
      new Gauge({ name, help, labelNames, registers });

    this.stepSeconds = histogram('pipeline_doctor_step_seconds',
      'Training step time (fetch entry to next fetch entry), by phase: warmup, measured, control (data-free), extra', STEP_LABELS,
      STEP_SECONDS_BUCKETS);
    this.dataWaitSeconds = histogram('pipeline_doctor_data_wait_seconds',
      'Time each step blocked fetching its batch from the training loader', STEP_LABELS, DATA_WAIT_SECONDS_BUCKETS);
    this.samples = new Counter({
      name: 'pipeline_doctor_samples_total', help: 'Samples consumed by the training steps (steps whose batch length could be read)',
      labelNames: STEP_LABELS, registers,
    });
    this.samplesPerSecond = gauge('pipeline_doctor_samples_per_second',
      'Samples per second over the latest batch of steps the harness reported (control steps excluded)', RANK_LABELS);
    this.inputBoundShare = gauge('pipeline_doctor_input_bound_ratio',
      'Share of step time spent waiting for data (0-1) over the latest batch of steps (control steps excluded)', RANK_LABELS);
    this.gpuUtilization = gauge('pipeline_doctor_gpu_utilization_ratio', 'GPU busy share (0-1), NVML or nvidia-smi', GPU_LABELS);
    this.gpuMemoryUsed = gauge('pipeline_doctor_gpu_memory_used_bytes', 'GPU memory in use', GPU_LABELS);
    this.gpuMemoryTotal = gauge('pipeline_doctor_gpu_memory_total_bytes', 'GPU memory in all', GPU_LABELS);
    this.cpuUtilization = gauge('pipeline_doctor_cpu_utilization_ratio', 'Host CPU busy share over all cores (0-1)', HOST_LABELS);
    this.runCpuUtilization = gauge('pipeline_doctor_run_cpu_utilization_ratio',
      'CPU used by the run\'s own processes (script and DataLoader workers), as a share of all cores (0-1)', HOST_LABELS);
    this.memoryUsed = gauge('pipeline_doctor_memory_used_bytes', 'Host memory in use', HOST_LABELS);
    this.diskRead = gauge('pipeline_doctor_disk_read_bytes_per_second', 'Host disk read rate (whole disks, Linux /proc/diskstats)', HOST_LABELS);
    this.diskWrite = gauge('pipeline_doctor_disk_write_bytes_per_second', 'Host disk write rate (whole disks, Linux /proc/diskstats)', HOST_LABELS);
    this.ended = gauge('pipeline_doctor_run_ended', '1 once the harness reported the end of the script (of every rank, in a torchrun job), else 0', HOST_LABELS);
    const info = gauge('pipeline_doctor_run_info', 'Always 1: the run\'s identity and mode', ['run', 'script', 'mode']);
    info.set({ run: id.run, script: id.script, mode: id.mode }, 1);
    const start = gauge('pipeline_doctor_run_start_time_seconds', 'When the run started (Unix time)', HOST_LABELS);
    start.set(this.host(), startedAt.getTime() / 1000);
    this.ended.set(this.host(), 0);
  }

  private host(): Record<(typeof HOST_LABELS)[number], string> {
    return { run: this.id.run, script: this.id.script };
  }

  private ranked(rank: string): Record<(typeof RANK_LABELS)[number], string> {
    return { run: this.id.run, script: this.id.script, rank };
  }

  observeEvent(e: ProfileEvent, rank: string): void {
    if (e.type === 'steps') {
      const labels = { ...this.ranked(rank), phase: e.phase };
      let stepMs = 0;
      let waitMs = 0;
      let samples = 0;
      // The rate counts only the time of steps whose batch length is known.
      let countedMs = 0;
      let counted = false;
      for (let i = 0; i < e.t.length; i++) {
        const step = e.stepMs[i] ?? 0;
        const wait = e.waitMs[i] ?? 0;
        this.stepSeconds.observe(labels, step / 1000);
        this.dataWaitSeconds.observe(labels, wait / 1000);
        stepMs += step;
        waitMs += wait;
        const n = e.samples[i];
        if (n !== null && n !== undefined) {
          samples += n;
          countedMs += step;
          counted = true;
        }
      }
      if (counted) this.samples.inc(labels, samples);
      // Control steps replay one batch with no loader: their rate and wait say nothing about the pipeline.
      if (e.phase !== 'control' && stepMs > 0) {
        this.inputBoundShare.set(this.ranked(rank), Math.min(1, waitMs / stepMs));
        if (countedMs > 0) this.samplesPerSecond.set(this.ranked(rank), samples / (countedMs / 1000));
      }
    } else if (e.type === 'gpu') {
      this.observeGpu(e.samples, rank);
    } else if (e.type === 'end') {
      this.markEnded();
    }
  }

  markEnded(): void {
    this.ended.set(this.host(), 1);
  }

  observeGpu(samples: readonly GpuSample[], rank: string): void {
    for (const s of samples) {
      const labels = { ...this.ranked(rank), gpu: String(s.index) };
      this.gpuUtilization.set(labels, s.utilizationPct / 100);
      this.gpuMemoryUsed.set(labels, s.memoryUsedMiB * MIB);
      this.gpuMemoryTotal.set(labels, s.memoryTotalMiB * MIB);
    }
  }

  observeHost(s: HostSample): void {
    const labels = this.host();
    this.cpuUtilization.set(labels, s.cpuPct / 100);
    if (s.groupCpuPct !== null) this.runCpuUtilization.set(labels, s.groupCpuPct / 100);
    this.memoryUsed.set(labels, s.memUsedMiB * MIB);
    if (s.diskReadMBps !== null) this.diskRead.set(labels, s.diskReadMBps * MIB);
    if (s.diskWriteMBps !== null) this.diskWrite.set(labels, s.diskWriteMBps * MIB);
  }
}

/**
 * The run's series in both text formats. Each format has its own registry and its own metric objects:
 * prom-client renames a counter in place (drops `_total`) when an OpenMetrics registry renders it, so
 * one object registered in both would lose `_total` in the Prometheus format after the first
 * OpenMetrics scrape.
 */
export class LiveMetrics {
  /** Prometheus text format 0.0.4 (curl, older scrapers). */
  readonly prometheus = new Registry();
  /** OpenMetrics 1.0, what Prometheus asks for first. */
  readonly openMetrics = new Registry<OpenMetricsContentType>();
  private readonly series: readonly RunSeries[];

  constructor(id: RunIdentity, startedAt: Date) {
    this.openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    this.series = [new RunSeries(id, startedAt, this.prometheus), new RunSeries(id, startedAt, this.openMetrics)];
  }

  /**
   * One event of the process that is rank `rank` of its job (0 for a single process: rank 0 of a world of
   * one). Events do not carry their rank: a torchrun rank names it once, in `hello`, on its own channel.
   */
  observeEvent(e: ProfileEvent, rank = 0): void {
    for (const s of this.series) s.observeEvent(e, String(rank));
  }

  /** The end of the whole job (a torchrun job has ended only when its last rank has). */
  markEnded(): void {
    for (const s of this.series) s.markEnded();
  }

  observeGpu(samples: readonly GpuSample[], rank = 0): void {
    for (const s of this.series) s.observeGpu(samples, String(rank));
  }

  observeHost(sample: HostSample): void {
    for (const s of this.series) s.observeHost(sample);
  }
}
