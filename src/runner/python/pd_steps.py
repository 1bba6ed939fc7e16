"""Turns batch-fetch timestamps into training steps, decides which loader is the training loader, and
drives the quick-mode state machine (warm-up -> measured -> data-free control -> [sweep] -> stop).

A step of the training loader runs from the entry of one fetch to the entry of the next fetch, so step
time covers the data wait plus everything the loop does with the batch; the data wait is the time the
fetch itself blocked. Timestamps are perf_counter_ns (~0.1 us); per fetch the harness spends a few
microseconds, and events are flushed in batches (at most every 0.5 s or 256 steps), never per step.

CUDA asynchrony (see docs/profiling.md): the loop's CPU thread may run ahead of the GPU, so a single
step's CPU interval is not its GPU time. A synchronize per step would be exact but would remove the very
CPU/GPU overlap being measured and cost a pipeline drain every step. Instead the harness calls
torch.cuda.synchronize() once just before the first measured fetch and once just before the fetch that
closes the measured window (plus every --sync-every steps if asked): two drains per run. The window's wall
time is therefore exact and gives samples/s; per-step intervals average to it because the CPU can only
run ahead by the bounded CUDA launch queue. The data wait needs no synchronisation: time the CPU thread
spends blocked in a fetch is time it cannot enqueue work, which is what starves the GPU.
"""
import threading
import time

from pd_events import now_ms

perf_ns = time.perf_counter_ns
INF = float("inf")
_FLUSH_NS = 500_000_000
_FLUSH_STEPS = 256
# A loader that is not obviously for training (no shuffling sampler) becomes the training loader once it
# yields this many batches in one pass; Lightning's sanity check reads 2 validation batches first.
_ELECT_AFTER_FETCHES = 3


class StopRun(BaseException):
    """Quick or sweep mode has what it needs: unwinds the user's script past `except Exception`."""


class CancelRun(BaseException):
    """The orchestrator asked the run to end (SIGTERM on cancel or timeout)."""


class LoaderState:
    __slots__ = (
        "id", "role", "kind", "ref", "dataset_ref", "fetches", "epoch_fetches", "steps", "last_t0",
        "last_wait_ns", "last_samples", "cached", "window_t0", "window_breaks", "control_ms", "settings",
        "dataset_keep",
    )

    def __init__(self, lid, role, kind, ref=None, dataset_ref=None, settings=None):
        self.id = lid
        self.role = role
        self.kind = kind
        self.ref = ref
        self.dataset_ref = dataset_ref
        self.settings = settings or {}
        self.fetches = 0
        self.epoch_fetches = 0
        self.steps = 0
        self.last_t0 = None
        self.last_wait_ns = 0
        self.last_samples = None
        self.cached = None
        self.window_t0 = None
        self.window_breaks = 0
        self.control_ms = []
        # The training loader's dataset outlives the script's namespace so the IO probe can read its root.
        self.dataset_keep = None


def batch_len(batch, depth=0):
    """Samples in a batch: leading dimension of the first tensor-like leaf; None when unknown."""
    try:
        shape = getattr(batch, "shape", None)
        if shape is not None and len(shape) > 0:
            return int(shape[0])
        if depth > 3:
            return None
        if isinstance(batch, (list, tuple)) and batch:
            return batch_len(batch[0], depth + 1)
        values = getattr(batch, "values", None)
        if callable(values):
            for v in values():
                return batch_len(v, depth + 1)
    except Exception:
        return None
    return None


class StepRecorder:
    def __init__(self, channel, mode, warmup, steps, control, sync_every):
        self.channel = channel
        self.mode = mode
        self.warmup = max(0, warmup)
        self.measured = INF if mode == "full" else max(1, steps)
        self.control = control if mode != "full" else 0
        self.sync_every = max(0, sync_every)
        self.loaders = {}
        self.train_id = None
        self.stop_requested = False
        self.stop_reason = None
        # Set by the torch patch once CUDA is initialised; None on CPU runs.
        self.cuda_sync = None
        # A pd_data_probe.DataProbe when the data-quality probe is on: fed the warm-up batches.
        self.data_probe = None
        self._pending = None
        self._last_flush = perf_ns()
        # Guards _pending against the background flusher (a script that hangs or is killed after a few
        # steps still gets them reported). Uncontended, it costs well under a microsecond per step.
        self._lock = threading.Lock()
        self._flusher = threading.Thread(target=self._flush_periodically, name="pipeline-doctor-flush", daemon=True)
        self._flusher.start()

    def _flush_periodically(self):
        while True:
            time.sleep(_FLUSH_NS / 1e9)
            if self._pending is not None and perf_ns() - self._last_flush >= _FLUSH_NS:
                self._flush()

    # -- registration -----------------------------------------------------------------------------
    def add_loader(self, state):
        self.loaders[state.id] = state

    def confirm_train_role(self, st):
        """The loader iterated within the training step (between two optimizer.step() calls) trains,
        whatever its sampler: a training loader that does not shuffle is not an evaluation loader."""
        if st is None or st.role == "train" or st.kind != "torch":
            return
        st.role = "train"
        info = st.settings
        if info.get("type") == "loader":
            info["role"] = "train"
            self.channel.emit(info)

    def any_train_role(self):
        return any(s.role == "train" for s in self.loaders.values())

    # -- phases ------------------------------------------------------------------------------------
    def _phase_of(self, k):
        if k < self.warmup:
            return "warmup"
        if k < self.warmup + self.measured:
            return "measured"
        if k < self.warmup + self.measured + self.control:
            return "control"
        return "extra"

    def _maybe_elect(self, st, new_epoch):
        st.epoch_fetches = 0 if new_epoch else st.epoch_fetches
        if st.role == "train" or (not self.any_train_role() and st.epoch_fetches + 1 >= _ELECT_AFTER_FETCHES):
            self.train_id = st.id
            st.dataset_keep = st.dataset_ref() if st.dataset_ref is not None else None
            self.channel.emit({"type": "training-loader", "loader": st.id, "t": now_ms()})
            self._drain_in_warmup(st)
            return True
        return False

    def _drain_in_warmup(self, st):
        """The warm-up lasts until the batches the workers loaded at start-up are used up (prefetch_factor x
        num_workers, and 2 more): until then steps are served from that queue and look faster than the steady
        state. Every run applies it, sweep trials and the re-runs that check them alike, so the two measure
        the same window (docs/profiling.md, "How a run works")."""
        if st.kind != "torch":
            return
        workers = int(st.settings.get("num_workers") or 0)
        if workers <= 0:
            return
        drain = workers * int(st.settings.get("prefetch_factor") or 2) + 2
        if drain > self.warmup:
            self.channel.emit({"type": "notice", "level": "info", "message": (
                "warm-up extended from %d to %d steps: the %d batches the %d workers load at start-up are used up "
                "before measuring" % (self.warmup, drain, drain - 2, workers))})
            self.warmup = drain

    # -- the hot path ------------------------------------------------------------------------------
    def enter(self, st, new_epoch):
        """At a fetch's entry. Returns (t0, replay) where replay means: hand back the cached batch."""
        if self.stop_requested:
            raise StopRun()
        if st.id != self.train_id:
            if self.train_id is not None or not self._maybe_elect(st, new_epoch):
                st.fetches += 1
                st.epoch_fetches = 1 if new_epoch else st.epoch_fetches + 1
                return None, False
            new_epoch = True  # steps of a just-elected loader start at this fetch
        chained = st.last_t0 is not None and not new_epoch
        nxt = st.steps + 1 if chained else st.steps
        sync = self.cuda_sync
        if sync is not None and (
            nxt == self.warmup or nxt == self.warmup + self.measured or
            (self.sync_every and nxt % self.sync_every == 0)
        ):
            sync()
        t0 = perf_ns()
        if chained:
            self._record(st, st.steps, t0)
            st.steps = nxt
        else:
            if st.last_t0 is not None and st.window_t0 is not None:
                st.window_breaks += 1
            st.last_t0 = None
        st.fetches += 1
        st.epoch_fetches = 1 if new_epoch else st.epoch_fetches + 1
        w, m, c = self.warmup, self.measured, self.control
        if nxt == w and st.window_t0 is None:
            self._flush()
            st.window_t0 = t0
            self.channel.emit({"type": "phase", "phase": "warmup", "loader": st.id, "t": now_ms()})
        if nxt == w + m:
            self._close_window(st, t0)
            if c == 0 or st.cached is None:
                self._stop()
        if c and nxt == w + m + c:
            self._close_control(st)
            self._stop()
        return t0, (c > 0 and w + m <= nxt < w + m + c and st.cached is not None)

    def leave(self, st, t0, batch, samples=None):
        if t0 is None:
            return
        t1 = perf_ns()
        st.last_t0 = t0
        st.last_wait_ns = t1 - t0
        st.last_samples = samples if samples is not None else batch_len(batch)
        if self.control and st.cached is None and st.steps == self.warmup and batch is not None:
            st.cached = batch
        probe = self.data_probe
        if probe is not None and not probe.done and st.steps < self.warmup and st.kind == "torch" and batch is not None:
            # Warm-up only: the probe's time falls in this warm-up step, never in the measured window.
            probe.observe(st, batch, self.warmup)

    def abort_fetch(self, st):
        """A fetch raised (StopIteration at the end of an epoch, or an error): the chain breaks."""
        st.last_t0 = None

    # -- bookkeeping -------------------------------------------------------------------------------
    def _record(self, st, k, t0):
        with self._lock:
            self._record_locked(st, k, t0)

    def _record_locked(self, st, k, t0):
        phase = self._phase_of(k)
        p = self._pending
        if p is not None and (p["phase"] != phase or p["loader"] != st.id):
            self._flush_locked()
            p = None
        if p is None:
            self._last_flush = t0
            p = self._pending = {"type": "steps", "loader": st.id, "phase": phase, "first": k,
                                 "t": [], "stepMs": [], "waitMs": [], "samples": []}
        step_ms = (t0 - st.last_t0) / 1e6
        # Epoch milliseconds of the step start, derived without a second clock read per step.
        p["t"].append(round(now_ms() - (perf_ns() - st.last_t0) / 1e6, 3))
        p["stepMs"].append(round(step_ms, 4))
        p["waitMs"].append(round(st.last_wait_ns / 1e6, 4))
        p["samples"].append(st.last_samples)
        if phase == "control":
            st.control_ms.append(step_ms)
        if len(p["t"]) >= _FLUSH_STEPS or t0 - self._last_flush > _FLUSH_NS:
            self._flush_locked()

    def _close_window(self, st, t0):
        self._flush()
        event = {"type": "phase", "phase": "measured", "loader": st.id, "t": now_ms()}
        if st.window_t0 is not None and st.window_breaks == 0:
            event["windowMs"] = round((t0 - st.window_t0) / 1e6, 4)
            event["windowSteps"] = st.steps - self.warmup
        self.channel.emit(event)

    def _close_control(self, st):
        self._flush()
        ms = sorted(st.control_ms)
        if ms:
            self.channel.emit({
                "type": "control", "loader": st.id, "steps": len(ms),
                "computeOnlyStepMs": round(ms[len(ms) // 2], 4),
                "computeOnlyStepP90Ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.9))], 4),
            })
        st.cached = None

    def _flush(self):
        with self._lock:
            self._flush_locked()

    def _flush_locked(self):
        p, self._pending = self._pending, None
        self._last_flush = perf_ns()
        if p is not None and p["t"]:
            self.channel.emit(p)

    def _stop(self):
        """End of the quick measurement: the script is stopped (sweep trials run in processes of their own)."""
        self._flush()
        self.request_stop(self.mode)
        raise StopRun()

    def request_stop(self, reason):
        self.stop_requested = True
        if self.stop_reason is None:
            self.stop_reason = reason

    def finish(self):
        self._flush()
        if self.data_probe is not None:
            self.data_probe.finish()
        st = self.loaders.get(self.train_id)
        if st is not None and st.cached is not None and st.control_ms:
            self._close_control(st)

    def training_state(self):
        return self.loaders.get(self.train_id)
