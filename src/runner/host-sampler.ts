// Host CPU (per core), memory and disk throughput while the harness runs.
// CPU and memory come from `systeminformation` (it reads /proc on Linux, no child processes). Disk IO is
// read from /proc/diskstats directly on Linux: systeminformation's disksIO/fsStats spawn a shell pipeline
// (lsblk | sed | awk) per call, which at 2 Hz would itself load the machine being measured; elsewhere
// systeminformation's fsStats is used.
import fs from 'node:fs';
import si from 'systeminformation';
import { listProcesses } from './process-group';

export interface HostSample {
  t: number;
  cpuPct: number;
  /** CPU used by the harness's process group (script + DataLoader workers), as a share of all cores. */
  groupCpuPct: number | null;
  corePct: number[];
  memUsedMiB: number;
  memTotalMiB: number;
  diskReadMBps: number | null;
  diskWriteMBps: number | null;
}

interface DiskCounters {
  t: number;
  readBytes: number;
  writeBytes: number;
}

function readDiskstats(): DiskCounters | null {
  let text: string;
  try {
    text = fs.readFileSync('/proc/diskstats', 'utf8');
  } catch {
    return null;
  }
  let whole: Set<string>;
  try {
    whole = new Set(fs.readdirSync('/sys/block').filter((d) => !/^(loop|ram|zram|nbd|fd|sr)\d*/.test(d)));
  } catch {
    whole = new Set();
  }
  let readSectors = 0;
  let writeSectors = 0;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const name = f[2];
    if (name === undefined || !whole.has(name)) continue;
    readSectors += Number(f[5] ?? 0);
    writeSectors += Number(f[9] ?? 0);
  }
  // /proc/diskstats counts 512-byte sectors whatever the device's sector size.
  return { t: Date.now(), readBytes: readSectors * 512, writeBytes: writeSectors * 512 };
}

// Linux reports utime/stime in clock ticks; USER_HZ is 100 on every mainstream architecture.
const CLOCK_TICKS_PER_S = 100;

function groupTicks(pgid: number): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const p of listProcesses()) {
    if (p.pgid !== pgid) continue;
    try {
      const text = fs.readFileSync(`/proc/${p.pid}/stat`, 'utf8');
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      ticks.set(p.pid, Number(f[11] ?? 0) + Number(f[12] ?? 0));
    } catch {
      // exited between the listing and the read
    }
  }
  return ticks;
}

export class HostSampler {
  private pgid: number | null = null;
  private lastGroup: { t: number; ticks: Map<number, number> } | null = null;
  readonly samples: HostSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastDisk: DiskCounters | null = null;
  private busy = false;
  private stopped = false;

  constructor(private readonly intervalMs = 500, private readonly onSample?: (s: HostSample) => void) {}

  /** Per-process CPU makes "the workers saturate the cores" distinguishable from a busy machine. */
  watchGroup(pgid: number): void {
    if (process.platform !== 'linux') return;
    this.pgid = pgid;
    this.lastGroup = { t: Date.now(), ticks: groupTicks(pgid) };
  }

  private groupCpu(cores: number): number | null {
    if (this.pgid === null || this.lastGroup === null || cores < 1) return null;
    const now = { t: Date.now(), ticks: groupTicks(this.pgid) };
    const dt = (now.t - this.lastGroup.t) / 1000;
    let used = 0;
    for (const [pid, ticks] of now.ticks) used += Math.max(0, ticks - (this.lastGroup.ticks.get(pid) ?? 0));
    this.lastGroup = now;
    return dt > 0 ? Math.min(100, (used / CLOCK_TICKS_PER_S / dt / cores) * 100) : null;
  }

  async start(): Promise<void> {
    // The first currentLoad() call only primes the counters.
    await si.currentLoad().catch(() => undefined);
    this.lastDisk = process.platform === 'linux' ? readDiskstats() : null;
    if (this.stopped) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      const [load, mem] = await Promise.all([si.currentLoad(), si.mem()]);
      let read: number | null = null;
      let write: number | null = null;
      if (process.platform === 'linux') {
        const now = readDiskstats();
        if (now !== null && this.lastDisk !== null && now.t > this.lastDisk.t) {
          const dt = (now.t - this.lastDisk.t) / 1000;
          read = (now.readBytes - this.lastDisk.readBytes) / 2 ** 20 / dt;
          write = (now.writeBytes - this.lastDisk.writeBytes) / 2 ** 20 / dt;
        }
        this.lastDisk = now;
      } else {
        const fsStats = await si.fsStats().catch(() => null);
        read = fsStats?.rx_sec != null ? fsStats.rx_sec / 2 ** 20 : null;
        write = fsStats?.wx_sec != null ? fsStats.wx_sec / 2 ** 20 : null;
      }
      if (this.stopped) return;
      const sample: HostSample = {
        t: Date.now(),
        cpuPct: load.currentLoad,
        groupCpuPct: this.groupCpu(load.cpus.length),
        corePct: load.cpus.map((c) => c.load),
        memUsedMiB: (mem.total - mem.available) / 2 ** 20,
        memTotalMiB: mem.total / 2 ** 20,
        diskReadMBps: read,
        diskWriteMBps: write,
      };
      this.samples.push(sample);
      this.onSample?.(sample);
    } catch {
      // A failed sample is a gap in the chart, not a failed run.
    } finally {
      this.busy = false;
    }
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }
}
