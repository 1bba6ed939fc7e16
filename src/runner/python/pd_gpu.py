"""NVML sampling in a daemon thread, when pynvml is importable.

5 Hz: NVML's utilisation is "share of the last 1/6-1 s in which a kernel ran", so faster polling adds
nothing. Each sample costs a few microseconds. The process list is never queried (about 4.5 ms a call,
and it takes the driver's global lock). Samples are batched into one event a second.
"""
import threading
import time

from pd_events import now_ms


def try_nvml():
    try:
        import pynvml  # optional dependency

        pynvml.nvmlInit()
        count = pynvml.nvmlDeviceGetCount()
        if count < 1:
            return None
        return pynvml
    except Exception:
        return None


class NvmlSampler(threading.Thread):
    def __init__(self, nvml, channel, interval_ms=200):
        super().__init__(name="pipeline-doctor-nvml", daemon=True)
        self.nvml = nvml
        self.channel = channel
        self.interval = max(0.1, interval_ms / 1000.0)
        self._stop_event = threading.Event()

    def run(self):
        nv = self.nvml
        try:
            handles = [nv.nvmlDeviceGetHandleByIndex(i) for i in range(nv.nvmlDeviceGetCount())]
        except Exception:
            return
        batch, last = [], time.monotonic()
        while not self._stop_event.wait(self.interval):
            t = now_ms()
            for i, h in enumerate(handles):
                try:
                    util = nv.nvmlDeviceGetUtilizationRates(h)
                    mem = nv.nvmlDeviceGetMemoryInfo(h)
                    batch.append({"t": round(t, 1), "index": i, "utilizationPct": util.gpu,
                                  "memoryUsedMiB": round(mem.used / 2 ** 20, 1),
                                  "memoryTotalMiB": round(mem.total / 2 ** 20, 1)})
                except Exception:
                    continue
            if batch and time.monotonic() - last >= 1.0:
                self.channel.emit({"type": "gpu", "source": "nvml", "samples": batch})
                batch, last = [], time.monotonic()
        if batch:
            self.channel.emit({"type": "gpu", "source": "nvml", "samples": batch})

    def stop(self):
        self._stop_event.set()
        self.join(timeout=1.0)
