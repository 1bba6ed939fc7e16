"""Sweep trials: apply one candidate loader setting to the training DataLoader of this run.

The orchestrator's sweep (docs/profiling.md, "Sweep: trial runs") runs the user's script once per candidate
setting, each in a fresh process, and measures real training steps. This module rewrites the keyword
arguments of the one DataLoader that the baseline run identified as the training loader: same creation
site (file and line of the first user frame) and same role (shuffling or not), so an evaluation loader
created on the same line (Lightning, HF Trainer) keeps its own settings.
"""
import inspect
import json

from pd_site import user_site

_SETTINGS = ("num_workers", "pin_memory", "prefetch_factor", "persistent_workers")


def _role_of_sampler(sampler):
    name = type(sampler).__name__ if sampler is not None else ""
    if name in ("RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler"):
        return "train"
    if name == "DistributedSampler":
        return "train" if getattr(sampler, "shuffle", False) else "eval"
    if name == "SequentialSampler":
        return "eval"
    return None


def predicted_role(arguments):
    """The role pd_torch._role would give the loader, from its constructor arguments (before __init__)."""
    for key in ("sampler", "batch_sampler"):
        s = arguments.get(key)
        if s is not None:
            role = _role_of_sampler(s) or _role_of_sampler(getattr(s, "sampler", None))
            return role or "unknown"
    dataset = arguments.get("dataset")
    try:
        from torch.utils.data import IterableDataset

        if isinstance(dataset, IterableDataset):
            return "unknown"
    except ImportError:
        pass
    return "train" if arguments.get("shuffle") else "eval"


class Trial:
    """`site` is "FILE:LINE:ROLE" of the training loader; `settings` a JSON object of DataLoader kwargs."""

    def __init__(self, site, settings):
        file, line, role = site.rsplit(":", 2)
        self.file = file
        self.line = int(line)
        self.role = role
        raw = json.loads(settings)
        self.settings = {k: raw[k] for k in _SETTINGS if k in raw}
        self.applied = 0

    def rewrite(self, orig_init, loader, args, kwargs):
        """(args, kwargs) for orig_init: the candidate's settings when this is the training loader."""
        site = user_site(2)
        if site is None or site[0] != self.file or site[1] != self.line:
            return args, kwargs
        try:
            bound = inspect.signature(orig_init).bind(loader, *args, **kwargs)
        except TypeError:
            return args, kwargs
        values = dict(bound.arguments)
        extra = values.pop("kwargs", None) or {}
        values.update(extra)
        if predicted_role(values) != self.role:
            return args, kwargs
        new = dict(values)
        new.pop("self", None)
        new.update(self.settings)
        if int(new.get("num_workers") or 0) == 0:
            # torch rejects these without workers; its own default (2 in torch 1.x, None since 2.0) is accepted.
            new.pop("prefetch_factor", None)
            new["persistent_workers"] = False
        elif new.get("prefetch_factor") is None:
            new.pop("prefetch_factor", None)
        self.applied += 1
        return (), new
