"""PyTorch instrumentation: DataLoader creation sites and settings, and timing of every batch fetch.

Patched once, on the classes (so HF Trainer, Lightning and any DataLoader subclass are covered):
DataLoader.__init__ records the loader, DataLoader.__iter__ tags the iterator with the loader's id and
_BaseDataLoaderIter.__next__ times the fetch. In a sweep trial, __init__ first gives the training loader
the candidate's settings (pd_trial.py).
"""
import functools
import itertools
import os
import weakref

from pd_site import user_site
from pd_steps import LoaderState


def _role(loader):
    sampler = getattr(loader, "sampler", None)
    batch_sampler = getattr(loader, "batch_sampler", None)
    candidates = [sampler, getattr(batch_sampler, "sampler", None)]
    for s in candidates:
        name = type(s).__name__ if s is not None else ""
        if name in ("RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler"):
            return "train"
        if name == "DistributedSampler":
            return "train" if getattr(s, "shuffle", False) else "eval"
    for s in candidates:
        if type(s).__name__ == "SequentialSampler":
            return "eval"
    return "unknown"


def _type_name(obj):
    cls = type(obj)
    module = cls.__module__
    return cls.__qualname__ if module in ("__main__", "__mp_main__", "builtins") else module + "." + cls.__qualname__


def _length(dataset):
    try:
        return int(len(dataset))
    except Exception:
        return None


class TorchInstrument:
    def __init__(self, recorder, channel):
        self.recorder = recorder
        self.channel = channel
        # A pd_trial.Trial in a sweep trial run, else None.
        self.trial = None
        self.torch = None
        self.dataloader_cls = None
        self._ids = itertools.count(1)

    # Called by the post-import hook once torch.utils.data.dataloader has executed.
    def install(self, module):
        import torch  # already being imported by the user's script

        self.torch = torch
        dl_cls = module.DataLoader
        base_iter = module._BaseDataLoaderIter
        self.dataloader_cls = dl_cls
        instrument = self
        recorder = self.recorder
        orig_init, orig_iter, orig_next = dl_cls.__init__, dl_cls.__iter__, base_iter.__next__

        @functools.wraps(orig_init)
        def __init__(self, *args, **kwargs):
            if instrument.trial is not None:
                args, kwargs = instrument.trial.rewrite(orig_init, self, args, kwargs)
            orig_init(self, *args, **kwargs)
            try:
                instrument.register(self)
            except Exception as exc:
                instrument.channel.emit({"type": "notice", "level": "warning",
                                         "message": "could not record a DataLoader: %r" % (exc,)})

        @functools.wraps(orig_iter)
        def __iter__(self):
            it = orig_iter(self)
            lid = self.__dict__.get("_pd_id")
            if lid is not None:
                try:
                    it._pd_state = recorder.loaders[lid]
                except (AttributeError, KeyError):
                    pass
            return it

        @functools.wraps(orig_next)
        def __next__(self):
            st = getattr(self, "_pd_state", None)
            if st is None:
                return orig_next(self)
            t0, replay = recorder.enter(st, getattr(self, "_num_yielded", 1) == 0)
            if replay:
                batch = st.cached
            else:
                try:
                    batch = orig_next(self)
                except BaseException:
                    recorder.abort_fetch(st)
                    raise
            recorder.leave(st, t0, batch)
            return batch

        dl_cls.__init__ = __init__
        dl_cls.__iter__ = __iter__
        base_iter.__next__ = __next__

    def register(self, loader):
        lid = next(self._ids)
        site = user_site(1) or ("<unknown>", 1, 0, 1, 0)
        workers = int(getattr(loader, "num_workers", 0) or 0)
        prefetch = getattr(loader, "prefetch_factor", None)
        dataset = getattr(loader, "dataset", None)
        role = _role(loader)
        info = {
            "type": "loader", "id": lid, "kind": "torch",
            "file": site[0], "line": site[1], "column": site[2], "endLine": site[3], "endColumn": site[4],
            "num_workers": workers,
            "batch_size": getattr(loader, "batch_size", None),
            "pin_memory": bool(getattr(loader, "pin_memory", False)),
            "persistent_workers": bool(getattr(loader, "persistent_workers", False)),
            "prefetch_factor": prefetch if workers > 0 else None,
            "datasetType": _type_name(dataset) if dataset is not None else None,
            "datasetLength": _length(dataset) if dataset is not None else None,
            "role": role,
        }
        try:
            ref = weakref.ref(loader)
        except TypeError:
            ref = None
        try:
            dataset_ref = weakref.ref(dataset) if dataset is not None else None
        except TypeError:
            dataset_ref = (lambda d=dataset: d)
        loader.__dict__["_pd_id"] = lid
        state = LoaderState(lid, role, "torch", ref, dataset_ref, info)
        self.recorder.add_loader(state)
        self.channel.emit(info)
        self._note_cuda()

    def _note_cuda(self):
        """Arms the measured-window synchronisation once the script has actually initialised CUDA."""
        torch = self.torch
        if self.recorder.cuda_sync is None and torch is not None:
            try:
                if torch.cuda.is_available():
                    self.recorder.cuda_sync = self._lazy_sync
            except Exception:
                pass

    def _lazy_sync(self):
        cuda = self.torch.cuda
        if cuda.is_initialized():
            cuda.synchronize()

    def device_event(self):
        torch = self.torch
        event = {"type": "device", "torch": getattr(torch, "__version__", None), "cuda": False}
        try:
            if torch.cuda.is_available():
                event["cuda"] = True
                event["gpuName"] = torch.cuda.get_device_name(0)
        except Exception:
            pass
        return event

    def cuda_memory_event(self):
        torch = self.torch
        try:
            if torch is None or not torch.cuda.is_available() or not torch.cuda.is_initialized():
                return None
            dev = torch.cuda.current_device()
            props = torch.cuda.get_device_properties(dev)
            return {"type": "cuda-memory",
                    "peakAllocatedMiB": round(torch.cuda.max_memory_allocated(dev) / 2 ** 20, 2),
                    "totalMiB": round(props.total_memory / 2 ** 20, 2), "device": props.name}
        except Exception:
            return None


def cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
