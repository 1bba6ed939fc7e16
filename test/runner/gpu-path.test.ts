// The GPU code paths, exercised on a machine without a GPU. The hardware is replaced by stand-ins at its
// narrowest interface (a CUDA synchronise callback, a pynvml-shaped object, an `nvidia-smi` that prints
// its documented CSV), and everything above it is the real code: the step recorder, the NVML sampling
// thread, the Node sampler with its long-lived subprocess. The real-GPU check is `npm run bench:runner`
// on a GPU machine.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { NvidiaSmiSampler } from '../../src/runner/gpu-smi-sampler';
import { locateHarness } from '../../src/runner/harness-locator';
import { listProcesses } from '../../src/runner/process-group';
import { PY, tempDir } from './helpers';

const HARNESS_DIR = path.dirname(locateHarness());

function python(code: string): string {
  return execFileSync(PY, ['-c', code], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: HARNESS_DIR } });
}

describe('GPU paths with hardware stand-ins', () => {
  it('synchronises CUDA only at the edges of the measured window (and every --sync-every steps)', () => {
    const syncedAt = (syncEvery: number) => JSON.parse(python(`
import json
from pd_steps import LoaderState, StepRecorder, StopRun

class Channel:
    def emit(self, event):
        pass

recorder = StepRecorder(Channel(), "quick", 3, 5, 0, ${syncEvery})
state = LoaderState(1, "train", "torch")
recorder.add_loader(state)
synced = []
recorder.cuda_sync = lambda: synced.append(state.steps)
try:
    for fetch in range(100):
        t0, _ = recorder.enter(state, fetch == 0)
        recorder.leave(state, t0, [0] * 8)
except StopRun:
    pass
print(json.dumps({"synced": synced, "steps": state.steps}))
`)) as { synced: number[]; steps: number };
    // Recorded: how many steps were complete when the drain ran. Warm-up is steps 0-2 and steps 3-7 are
    // measured: one drain before the first measured step, one before the fetch that closes the window,
    // none per step.
    assert.deepEqual(syncedAt(0), { synced: [2, 7], steps: 8 });
    // --sync-every 2 adds a drain at the first fetch and before every second step.
    assert.deepEqual(syncedAt(2).synced, [0, 1, 2, 3, 5, 7]);
  });

  it('samples NVML on its own thread and batches the samples into gpu events', () => {
    const events = JSON.parse(python(`
import json, time
from pd_events import schema_checker
from pd_gpu import NvmlSampler

class Rates:
    gpu = 87

class Memory:
    used = 3 * 2 ** 30
    total = 80 * 2 ** 30

class FakeNvml:
    """The pynvml calls the sampler makes, answering like one 80 GiB card at 87% utilisation."""
    def nvmlDeviceGetCount(self):
        return 1
    def nvmlDeviceGetHandleByIndex(self, i):
        return ("handle", i)
    def nvmlDeviceGetUtilizationRates(self, h):
        return Rates()
    def nvmlDeviceGetMemoryInfo(self, h):
        return Memory()

events = []
problems = []
check = schema_checker()
class Channel:
    def emit(self, event):
        events.append(event)
        problems.extend(check(json.loads(json.dumps(event))))

sampler = NvmlSampler(FakeNvml(), Channel(), interval_ms=100)
sampler.start()
time.sleep(1.35)
sampler.stop()
print(json.dumps({"events": events, "problems": problems, "alive": sampler.is_alive()}))
`)) as { events: Array<{ type: string; source: string; samples: Array<Record<string, number>> }>; problems: string[]; alive: boolean };
    assert.deepEqual(events.problems, [], 'the gpu events follow the event schema (src/shared/profile-events.schema.json)');
    assert.equal(events.alive, false, 'the sampling thread ends on stop()');
    assert.ok(events.events.length >= 1 && events.events.length <= 3, `one event a second, got ${events.events.length}`);
    const samples = events.events.flatMap((e) => (assert.equal(e.type, 'gpu'), assert.equal(e.source, 'nvml'), e.samples));
    assert.ok(samples.length >= 8 && samples.length <= 14, `about 5-10 samples a second, got ${samples.length}`);
    for (const s of samples) assert.deepEqual({ ...s, t: 0 }, { t: 0, index: 0, utilizationPct: 87, memoryUsedMiB: 3072, memoryTotalMiB: 81920 });
  });

  it('reads a long-lived nvidia-smi loop, drops unreadable rows and ends the process on stop', async () => {
    const dir = tempDir('smi');
    const smi = path.join(dir, 'nvidia-smi');
    // Prints what `nvidia-smi --query-gpu=index,utilization.gpu,memory.used,memory.total,name
    // --format=csv,noheader,nounits -lms 200` prints, including a row the driver could not read.
    fs.writeFileSync(smi, [
      '#!/bin/sh',
      'echo "$@" > "$(dirname "$0")/argv"',
      'while true; do',
      '  echo "0, 91, 10240, 81559, NVIDIA H100 80GB HBM3"',
      '  echo "0, [N/A], 10240, 81559, NVIDIA H100 80GB HBM3"',
      '  sleep 0.1',
      'done',
      '',
    ].join('\n'), { mode: 0o755 });
    const sampler = new NvidiaSmiSampler();
    sampler.start(smi, 100);
    await new Promise((r) => setTimeout(r, 600));
    const running = listProcesses().filter((p) => p.ppid === process.pid && p.comm === 'nvidia-smi');
    assert.equal(running.length, 1, 'one long-lived nvidia-smi for the whole run');
    sampler.stop();
    assert.match(fs.readFileSync(path.join(dir, 'argv'), 'utf8'), /--query-gpu=index,utilization\.gpu,memory\.used,memory\.total,name --format=csv,noheader,nounits -lms 100/);
    assert.ok(sampler.samples.length >= 3, `samples read: ${sampler.samples.length}`);
    for (const s of sampler.samples) assert.deepEqual({ ...s, t: 0 }, { t: 0, index: 0, utilizationPct: 91, memoryUsedMiB: 10240, memoryTotalMiB: 81559 });
    assert.equal(sampler.name, 'NVIDIA H100 80GB HBM3');
    let left = running;
    for (let i = 0; i < 20 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      left = listProcesses().filter((p) => p.ppid === process.pid && p.comm === 'nvidia-smi' && p.state !== 'Z');
    }
    assert.deepEqual(left, [], 'nvidia-smi ended on stop');
  });
});
