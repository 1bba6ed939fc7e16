"""Steps of training loops without a DataLoader (a `get_batch()` over a memmap, `batchify` language models).

See docs/profiling.md, "Loops without a DataLoader". When optimizer steps follow each other with no
DataLoader fetch in between, the end of `optimizer.step()` is the step boundary and the gap until the
model's next forward is the data wait: a step runs from one step's end to the next, the wait is the time
the loop spent before it called the model again (building the batch, moving it to the device).

Cost: `step` of each Optimizer subclass is wrapped once, at the class (torch 1.13 has no global step hook;
one path for every version). After each step a global forward pre-hook is registered and removes itself
on its first call, so only the first forward after a step is seen and nested module calls cost nothing.

The batch source is named once, during a warm-up step: a profile hook records which user functions
called from the training loop's frames returned tensors; the last one before the forward (else the first
one after it: a loop that prefetches the next batch) is the source, reported at its call site. That one
step runs slower under the hook, which is why it must be a warm-up step. When no such call is found the
source is the line that called the model; without any warm-up step, the line that called optimizer.step().
"""
import functools
import itertools
import os
import sys

from pd_site import is_user_file, user_site
from pd_steps import LoaderState, batch_len, perf_ns

_STACK_LIMIT = 64


class OptimizerSteps:
    def __init__(self, recorder, channel, ids=itertools.count(20_000)):
        self.recorder = recorder
        self.channel = channel
        self._ids = ids
        self.state = None
        self.off = False
        self._depth = 0
        self._fetches_at_last_step = None
        # The training loader's fetch count at the first optimizer step after it was chosen.
        self._train_fetches = None
        self._register_hook = None
        self._tensor_cls = None
        self._handle = None
        self._t0 = None
        # Batch-source discovery (one warm-up step).
        self._capturing = False
        self._calls = []
        self._forward_seen = False
        self._loop_frames = None
        self._forward_site = None
        self._source_named = False
        self._previous_profile = None

    # Called by the post-import hook once torch.optim.optimizer has executed.
    def install(self, module):
        import torch  # being imported by the user's script

        self._tensor_cls = torch.Tensor
        self._register_hook = getattr(torch.nn.modules.module, "register_module_forward_pre_hook", None)
        if self._register_hook is None:
            # torch < 1.11: without the global pre-hook the wait cannot be timed; a step without its wait
            # would read as "not input-bound", so such loops stay unmeasured.
            self.off = True
            return
        opt_cls = module.Optimizer
        orig_init = opt_cls.__init__
        steps = self

        @functools.wraps(orig_init)
        def __init__(self, *args, **kwargs):
            orig_init(self, *args, **kwargs)
            steps.wrap_class(type(self))

        opt_cls.__init__ = __init__

    def wrap_class(self, cls):
        step = cls.__dict__.get("step")
        if step is None or getattr(step, "_pd_step", False):
            return
        steps = self

        @functools.wraps(step)
        def wrapped(*args, **kwargs):
            # A subclass whose step calls super().step() ends one training step, not two.
            steps._depth += 1
            try:
                out = step(*args, **kwargs)
            finally:
                steps._depth -= 1
            if steps._depth == 0 and not steps.off:
                steps.step_end()
            return out

        # functools.wraps copies torch's own "hooked" marker, so torch does not wrap the class again.
        wrapped._pd_step = True
        cls.step = wrapped

    # -- the step boundary ------------------------------------------------------------------------
    def step_end(self):
        rec = self.recorder
        st = self.state
        if st is None:
            if rec.train_id is not None:
                # A DataLoader (or Keras fit) defines the steps. One more step first: when the training
                # loader fetched between the two, it is iterated in the training step, so its role is train.
                trained = rec.loaders.get(rec.train_id)
                fetches = trained.fetches if trained is not None else None
                if self._train_fetches is not None:
                    if fetches != self._train_fetches:
                        rec.confirm_train_role(trained)
                    self.off = True
                self._train_fetches = fetches
                return
            fetches = sum(s.fetches for s in rec.loaders.values())
            if self._fetches_at_last_step != fetches:
                self._fetches_at_last_step = fetches
                return
            st = self._elect()
            new_epoch = True
        else:
            new_epoch = False
        if self._capturing:
            self._end_capture(st)
        self._disarm()
        t0, _ = rec.enter(st, new_epoch)  # raises StopRun when quick mode has its steps
        # The wait is filled in by the first forward; a step with no forward keeps a zero wait.
        rec.leave(st, t0, None)
        self._t0 = t0
        if st.steps < rec.warmup and not self._source_named:
            self._start_capture()
        self._arm()

    def _elect(self):
        site = user_site(1) or ("<unknown>", 1, 0, 1, 0)
        lid = next(self._ids)
        info = {
            "type": "loader", "id": lid, "kind": "optimizer",
            "file": site[0], "line": site[1], "column": site[2], "endLine": site[3], "endColumn": site[4],
            "role": "train",
        }
        st = LoaderState(lid, "train", "optimizer", None, None, info)
        self.state = st
        self.recorder.add_loader(st)
        self.channel.emit(info)
        return st

    # -- the first forward after a step -----------------------------------------------------------
    def _arm(self):
        if self._register_hook is not None:
            self._handle = self._register_hook(self._on_forward)

    def _disarm(self):
        h, self._handle = self._handle, None
        if h is not None:
            h.remove()

    def _on_forward(self, module, inputs):
        t1 = perf_ns()
        self._disarm()
        st = self.state
        if st is None or self._t0 is None:
            return None
        st.last_wait_ns = t1 - self._t0
        self._t0 = None
        st.last_samples = batch_len(inputs)
        if self._capturing:
            self._note_forward()
        return None

    # -- naming the batch source (one warm-up step) -----------------------------------------------
    def _start_capture(self):
        self._capturing = True
        self._calls = []
        self._forward_seen = False
        self._loop_frames = None
        self._forward_site = None
        # A profiler the user runs (cProfile) gets its hook back after this one step.
        self._previous_profile = sys.getprofile()
        sys.setprofile(self._profile)

    def _profile(self, frame, event, arg):
        if event != "return":
            return
        caller = frame.f_back
        if caller is None or not self._has_tensor(arg):
            return
        if is_user_file(frame.f_code.co_filename) and is_user_file(caller.f_code.co_filename):
            self._calls.append((caller, frame.f_code.co_name, caller.f_lineno, self._forward_seen))

    def _has_tensor(self, value):
        t = self._tensor_cls
        if isinstance(value, t):
            return True
        if isinstance(value, (tuple, list)):
            return any(isinstance(v, t) for v in value[:8])
        if isinstance(value, dict):
            return any(isinstance(v, t) for v in list(value.values())[:8])
        return False

    def _note_forward(self):
        frames = []
        f = sys._getframe(2)
        for _ in range(_STACK_LIMIT):
            if f is None:
                break
            if is_user_file(f.f_code.co_filename):
                frames.append(f)
                if self._forward_site is None:
                    self._forward_site = (os.path.abspath(f.f_code.co_filename), f.f_lineno)
            f = f.f_back
        self._loop_frames = frames
        self._forward_seen = True

    def _end_capture(self, st):
        sys.setprofile(self._previous_profile)
        self._previous_profile = None
        self._capturing = False
        self._source_named = True
        frames = self._loop_frames or []
        calls = [c for c in self._calls if any(c[0] is f for f in frames)]
        before = [c for c in calls if not c[3]]
        after = [c for c in calls if c[3]]
        chosen = before[-1] if before else (after[0] if after else None)
        info = st.settings
        if chosen is not None:
            caller, name, line, _ = chosen
            info["file"], info["line"] = os.path.abspath(caller.f_code.co_filename), line
            info["batchSource"] = name
        elif self._forward_site is not None:
            info["file"], info["line"] = self._forward_site
        # The call's columns are not known here: left out, the finding starts at the line (runtime-findings.ts).
        info["column"] = info["endLine"] = info["endColumn"] = None
        info["batch_size"] = st.last_samples
        self._calls = []
        self._loop_frames = None
        self.channel.emit(info)
