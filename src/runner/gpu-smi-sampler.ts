// GPU samples from one long-lived `nvidia-smi --query-gpu ... -lms 200` process, used only when the
// harness has no NVML (pynvml not importable) and nvidia-smi exists. One process for the whole run: a
// spawn per sample would cost more than the measurement.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { GpuSample } from '../shared/profile';
import { findExecutable } from './interpreter';

const QUERY = 'index,utilization.gpu,memory.used,memory.total,name';

export class NvidiaSmiSampler {
  readonly samples: GpuSample[] = [];
  name: string | null = null;
  private child: ChildProcess | null = null;

  /** `onSample`: each sample as it is parsed (the live metrics, src/runner/live-metrics.ts). */
  constructor(private readonly onSample?: (s: GpuSample) => void) {}

  static available(): string | null {
    return findExecutable('nvidia-smi', process.cwd());
  }

  start(binary: string, intervalMs = 200): void {
    const child = spawn(binary, [`--query-gpu=${QUERY}`, '--format=csv,noheader,nounits', `-lms`, String(intervalMs)], {
      stdio: ['ignore', 'pipe', 'ignore'],
      shell: false,
    });
    this.child = child;
    child.on('error', () => {
      this.child = null;
    });
    let buffer = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) this.parse(line);
    });
  }

  private parse(line: string): void {
    const [index, util, used, total, ...name] = line.split(',').map((s) => s.trim());
    const sample: GpuSample = {
      t: Date.now(), index: Number(index), utilizationPct: Number(util), memoryUsedMiB: Number(used),
      memoryTotalMiB: Number(total),
    };
    if ([sample.index, sample.utilizationPct, sample.memoryUsedMiB, sample.memoryTotalMiB].every(Number.isFinite)) {
      this.samples.push(sample);
      this.onSample?.(sample);
      this.name ??= name.join(',') || null;
    }
  }

  stop(): void {
    this.child?.kill('SIGTERM');
    this.child = null;
  }
}
