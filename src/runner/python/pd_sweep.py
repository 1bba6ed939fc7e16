"""The num_workers autotuner: iterate the training DataLoader's dataset alone over a grid of settings.

Each setting gets a fresh DataLoader over the same dataset, sampler/batching and collate_fn, is read for
a bounded number of batches (and seconds), and is reported as batches/s excluding the first batch, whose
time is worker start-up and is reported separately. Stage 1 walks num_workers (0, 1, 2, 4, ... up to the
CPU count); stage 2 tries prefetch_factor=4 and, on CUDA machines, the other pin_memory value at the best
worker count, so a 16-core box costs about 8 settings instead of the full product.
"""
import time

from pd_events import now_ms

perf = time.perf_counter


def worker_grid(cpus, current):
    grid, w = [0], 1
    while w <= cpus:
        grid.append(w)
        w *= 2
    if cpus not in grid:
        grid.append(cpus)
    if current not in grid:
        grid.append(current)
    return sorted(set(grid))


class Sweep:
    def __init__(self, instrument, channel, cpus, batches, seconds, workers=None):
        self.instrument = instrument
        self.channel = channel
        self.cpus = cpus
        self.batches = max(2, batches)
        self.seconds = seconds
        self.workers = workers

    def _kwargs(self, loader, workers, pin, prefetch):
        from torch.utils.data import IterableDataset

        kw = {
            "num_workers": workers, "pin_memory": pin, "collate_fn": loader.collate_fn,
            "worker_init_fn": loader.worker_init_fn, "timeout": loader.timeout,
            "multiprocessing_context": loader.multiprocessing_context if workers > 0 else None,
            "generator": loader.generator,
        }
        if workers > 0:
            kw["prefetch_factor"] = prefetch
        if isinstance(loader.dataset, IterableDataset):
            kw.update(batch_size=loader.batch_size, drop_last=loader.drop_last)
        elif loader.batch_size is not None:
            kw.update(batch_size=loader.batch_size, drop_last=loader.drop_last, sampler=loader.sampler)
        elif loader.batch_sampler is not None:
            kw.update(batch_size=1, batch_sampler=loader.batch_sampler)
            del kw["batch_size"]
        else:
            kw.update(batch_size=None, sampler=loader.sampler)
        return kw

    def _measure(self, loader, workers, pin, prefetch):
        inst = self.instrument
        inst.suspended = True
        t_start = now_ms()
        it = None
        try:
            dl = inst.dataloader_cls(loader.dataset, **self._kwargs(loader, workers, pin, prefetch))
            t0 = perf()
            it = iter(dl)
            next(it)
            t1 = perf()
            n = 0
            deadline = t1 + self.seconds
            for _ in range(self.batches - 1):
                try:
                    next(it)
                except StopIteration:
                    break
                n += 1
                if perf() > deadline:
                    break
            t2 = perf()
            rate = n / (t2 - t1) if n and t2 > t1 else (1.0 / (t1 - t0) if t1 > t0 else 0.0)
            return {"batches": n + 1, "batchesPerSec": round(rate, 4), "firstBatchMs": round((t1 - t0) * 1e3, 3),
                    "tStart": t_start, "tEnd": now_ms(), "error": None}
        except Exception as exc:
            return {"batches": 0, "batchesPerSec": 0.0, "firstBatchMs": 0.0, "tStart": t_start, "tEnd": now_ms(),
                    "error": "%s: %s" % (type(exc).__name__, exc)}
        finally:
            shutdown = getattr(it, "_shutdown_workers", None)
            if shutdown is not None:
                try:
                    shutdown()
                except Exception:
                    pass
            inst.suspended = False

    def run(self, state):
        loader = state.ref() if state.ref is not None else None
        if loader is None:
            self.channel.emit({"type": "notice", "level": "warning", "message": "sweep: the training loader is gone"})
            return
        cur = state.settings
        cur_w = cur.get("num_workers") or 0
        cur_pin = bool(cur.get("pin_memory"))
        cur_pf = cur.get("prefetch_factor") if cur_w > 0 else None
        torch = self.instrument.torch
        cuda = bool(torch is not None and torch.cuda.is_available())
        base_pin = True if cuda else cur_pin
        seen = set()
        results = []

        def point(w, pin, pf):
            pf = pf if w > 0 else None
            key = (w, pin, pf)
            if key in seen:
                return
            seen.add(key)
            res = self._measure(loader, w, pin, pf or 2)
            res.update(num_workers=w, pin_memory=pin, prefetch_factor=pf,
                       current=(w == cur_w and pin == cur_pin and pf == cur_pf))
            results.append(res)
            self.channel.emit(dict(res, type="sweep", loader=state.id))

        for w in (self.workers or worker_grid(self.cpus, cur_w)):
            point(w, base_pin, 2)
        point(cur_w, cur_pin, cur_pf or 2)
        ok = [r for r in results if r["error"] is None and r["num_workers"] > 0]
        if ok:
            best = max(ok, key=lambda r: r["batchesPerSec"])
            point(best["num_workers"], best["pin_memory"], 4)
            if cuda:
                point(best["num_workers"], not best["pin_memory"], best["prefetch_factor"])
