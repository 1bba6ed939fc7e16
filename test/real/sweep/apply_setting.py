"""Bench-only shim (scripts/bench-sweep.mjs): re-runs a script with the loader setting its sweep recommended.

Loaded as sitecustomize through PYTHONPATH; PD_BENCH_SETTING is {"file", "line", "settings"}. The DataLoader
created at that site (the training loader the run identified) gets the settings, like a sweep trial, so
the re-run measures exactly the setting the sweep predicted for, without editing the script.
"""
import functools
import inspect
import json
import os
import sys

_spec = os.environ.get("PD_BENCH_SETTING")
if _spec:
    _want = json.loads(_spec)
    _file, _line, _settings = os.path.realpath(_want["file"]), int(_want["line"]), _want["settings"]
    import torch.utils.data.dataloader as _dl

    _orig = _dl.DataLoader.__init__

    @functools.wraps(_orig)
    def _init(self, *args, **kwargs):
        frame = sys._getframe(1)
        hit = False
        while frame is not None:
            if frame.f_lineno == _line and os.path.realpath(frame.f_code.co_filename) == _file:
                hit = True
                break
            frame = frame.f_back
        if hit:
            bound = inspect.signature(_orig).bind(self, *args, **kwargs)
            values = dict(bound.arguments)
            values.pop("self", None)
            values.update(values.pop("kwargs", None) or {})
            values.update(_settings)
            if int(values.get("num_workers") or 0) == 0:
                values.pop("prefetch_factor", None)
                values["persistent_workers"] = False
            elif values.get("prefetch_factor") is None:
                values.pop("prefetch_factor", None)
            sys.stderr.write("[bench] loader at %s:%d set to %s\n" % (_file, _line, json.dumps(_settings)))
            return _orig(self, **values)
        return _orig(self, *args, **kwargs)

    _dl.DataLoader.__init__ = _init
