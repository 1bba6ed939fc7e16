"""Keras path: a timing callback injected into Model.fit.

Keras has no DataLoader to patch; the gap between the end of one train batch and the start of the next is
where Keras pulls the next batch from its data adapter, so that gap is the data wait and end-to-end is
the step. With steps_per_execution > 1 a "step" is one execution. Keras runs batches synchronously with
respect to these callbacks, so no extra synchronisation is added.
"""
import functools
import itertools

from pd_site import user_site
from pd_steps import LoaderState


def install(keras, recorder, channel, ids=itertools.count(10_000)):
    model_cls = getattr(keras, "Model", None)
    callbacks_mod = getattr(keras, "callbacks", None)
    if model_cls is None or callbacks_mod is None or getattr(model_cls.fit, "_pd_wrapped", False):
        return
    orig_fit = model_cls.fit

    class _Timing(callbacks_mod.Callback):
        def __init__(self, state, samples):
            super().__init__()
            self._state = state
            self._samples = samples
            self._t0 = None

        def on_epoch_begin(self, epoch, logs=None):
            self._t0, _ = recorder.enter(self._state, True)

        def on_train_batch_begin(self, batch, logs=None):
            recorder.leave(self._state, self._t0, None, self._samples)

        def on_train_batch_end(self, batch, logs=None):
            self._t0, _ = recorder.enter(self._state, False)

    @functools.wraps(orig_fit)
    def fit(self, *args, **kwargs):
        site = user_site(1) or ("<unknown>", 1, 0, 1, 0)
        lid = next(ids)
        batch_size = kwargs.get("batch_size")
        info = {"type": "loader", "id": lid, "kind": "keras", "file": site[0], "line": site[1], "column": site[2],
                "endLine": site[3], "endColumn": site[4], "num_workers": kwargs.get("workers"),
                "batch_size": batch_size, "datasetType": type(args[0]).__name__ if args else None, "role": "train"}
        state = LoaderState(lid, "train", "keras", None, None, info)
        recorder.add_loader(state)
        channel.emit(info)
        callbacks = list(kwargs.get("callbacks") or [])
        callbacks.append(_Timing(state, batch_size))
        kwargs["callbacks"] = callbacks
        return orig_fit(self, *args, **kwargs)

    fit._pd_wrapped = True
    model_cls.fit = fit
