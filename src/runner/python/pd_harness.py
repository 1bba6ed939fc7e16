"""Pipeline Doctor harness: runs a training script under measurement and streams NDJSON events.

    python pd_harness.py --events fd:3|unix:SOCKET|PATH [--mode quick|full] [--warmup W] [--steps N]
        [--control K] [--sync-every S] [--data-root DIR] [--io-probe auto|on|off] [--data-probe on|off]
        [--trial-loader FILE:LINE:ROLE --trial-settings JSON] [--gpu-interval-ms MS]
        [--module] -- SCRIPT [ARGS...]

The sweep is the orchestrator's: it runs this harness once per candidate loader setting (a trial, quick
mode with --trial-loader/--trial-settings), see docs/profiling.md.

Stdlib only; torch, pynvml and keras are used only when the user's environment has them. The script runs
in this process as __main__ (runpy), so `if __name__ == "__main__":` blocks, relative imports from the
script's folder and multiprocessing workers behave as under `python SCRIPT`.
"""
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import platform  # noqa: E402
import runpy  # noqa: E402
import signal  # noqa: E402
import threading  # noqa: E402
import traceback  # noqa: E402

import pd_imports  # noqa: E402
import pd_keras  # noqa: E402
from pd_events import SCHEMA_VERSION, EventChannel, now_ms  # noqa: E402
from pd_gpu import NvmlSampler, try_nvml  # noqa: E402
from pd_data_probe import DataProbe  # noqa: E402
from pd_optim import OptimizerSteps  # noqa: E402
from pd_probe import find_root, probe  # noqa: E402
from pd_steps import CancelRun, StepRecorder, StopRun  # noqa: E402
from pd_torch import TorchInstrument  # noqa: E402
from pd_trial import Trial  # noqa: E402

# Every harness module is imported above: sys.path[0] becomes the script's folder before the script runs.

# After a stop, interpreter shutdown joins the script's non-daemon threads; a script that left one
# running must not turn "stopped after 60 steps" into a hang.
_EXIT_GRACE_S = 5.0


def _parse(argv):
    if "--" in argv:
        i = argv.index("--")
        own, rest = argv[:i], argv[i + 1:]
    else:
        own, rest = argv, []
    p = argparse.ArgumentParser(prog="pd_harness")
    p.add_argument("--events", required=True)
    p.add_argument("--mode", choices=("quick", "full"), default="quick")
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--control", type=int, default=0)
    p.add_argument("--sync-every", type=int, default=0)
    p.add_argument("--data-root")
    p.add_argument("--io-probe", choices=("auto", "on", "off"), default="auto")
    # Off unless the orchestrator asks: sweep trials measure settings, not data.
    p.add_argument("--data-probe", choices=("on", "off"), default="off")
    p.add_argument("--trial-loader")
    p.add_argument("--trial-settings")
    p.add_argument("--gpu-interval-ms", type=int, default=200)
    p.add_argument("--module", action="store_true")
    opts = p.parse_args(own)
    if not rest:
        p.error("missing the script after --")
    if (opts.trial_loader is None) != (opts.trial_settings is None):
        p.error("--trial-loader and --trial-settings go together")
    return opts, rest


def _torch_version():
    """Version without importing torch (about 1 s); the user's script decides whether to import it."""
    try:
        if importlib.util.find_spec("torch") is None:
            return None, "No module named 'torch'"
    except (ImportError, ValueError) as exc:
        return None, "%s: %s" % (type(exc).__name__, exc)
    try:
        from importlib.metadata import version

        return version("torch"), None
    except Exception:
        return "unknown", None


def _cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _rank():
    """The rank torchrun gave this process (docs/profiling.md, "torchrun jobs"), or None outside torchrun."""
    try:
        return {"rank": int(os.environ["RANK"]), "localRank": int(os.environ["LOCAL_RANK"]),
                "worldSize": int(os.environ["WORLD_SIZE"])}
    except (KeyError, ValueError):
        return None


def main(argv):
    opts, target = _parse(argv)
    channel = EventChannel(opts.events)
    main_pid = os.getpid()
    recorder = StepRecorder(channel, opts.mode, opts.warmup, opts.steps, opts.control, opts.sync_every)
    torch_version, torch_error = _torch_version()

    nvml = try_nvml()
    keras_spec = importlib.util.find_spec("keras") is not None
    channel.emit({
        "type": "hello", "schemaVersion": SCHEMA_VERSION, "pid": main_pid, "python": platform.python_version(),
        "executable": sys.executable, "torch": torch_version, "torchError": torch_error, "nvml": nvml is not None,
        "keras": keras_spec, "cpuCount": _cpu_count(),
        "mode": opts.mode, "warmup": opts.warmup, "steps": opts.steps, "controlSteps": recorder.control,
        "syncEvery": opts.sync_every, "rank": _rank(), "t": now_ms(),
    })

    instrument = TorchInstrument(recorder, channel)
    if opts.trial_loader is not None:
        instrument.trial = Trial(opts.trial_loader, opts.trial_settings)
    hooks = {}
    if torch_version is not None:
        def on_dataloader(module):
            instrument.install(module)
            channel.emit(instrument.device_event())
            if opts.data_probe == "on":
                recorder.data_probe = DataProbe(instrument.torch, channel)

        hooks["torch.utils.data.dataloader"] = on_dataloader
        # Loops without a DataLoader: steps end at optimizer.step() (docs/profiling.md).
        hooks["torch.optim.optimizer"] = OptimizerSteps(recorder, channel).install
    if keras_spec:
        def on_keras(module):
            pd_keras.install(module, recorder, channel)

        hooks["keras"] = on_keras
    pd_imports.install(hooks)

    def on_sigterm(signum, frame):
        if os.getpid() != main_pid:
            # A forked DataLoader worker inherited this handler: die the default way.
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        raise CancelRun()

    signal.signal(signal.SIGTERM, on_sigterm)

    sampler = None
    if nvml is not None:
        sampler = NvmlSampler(nvml, channel, opts.gpu_interval_ms)
        sampler.start()

    script = target[0]
    sys.argv = list(target)
    how, exit_code, error = "completed", 0, None
    try:
        if opts.module:
            sys.path[0] = os.getcwd()
            runpy.run_module(script, run_name="__main__", alter_sys=True)
        else:
            sys.path[0] = os.path.dirname(os.path.abspath(script))
            runpy.run_path(script, run_name="__main__")
        if recorder.stop_requested:
            how = "stopped"
    except StopRun:
        how = "stopped"
    except CancelRun:
        how, exit_code = "cancelled", 143
    except KeyboardInterrupt:
        how, exit_code = "interrupted", 130
    except SystemExit as exc:
        code = exc.code
        if code is None or code == 0:
            how = "stopped" if recorder.stop_requested else "completed"
        else:
            how = "exit"
            exit_code = code if isinstance(code, int) else 1
            if not isinstance(code, int):
                sys.stderr.write("%s\n" % (code,))
        if recorder.stop_requested:
            how, exit_code = "stopped", 0
    except BaseException as exc:  # the user's script crashed: report it as Python would, then summarise
        if recorder.stop_requested:
            how = "stopped"
        else:
            how, exit_code = "exception", 1
            tb = traceback.format_exc()
            sys.stderr.write(tb)
            error = {"type": type(exc).__name__, "message": str(exc)[:2000], "traceback": tb[-8000:]}
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if how == "cancelled" else on_sigterm)
        _finish(opts, recorder, instrument, channel, how)
    except CancelRun:
        how, exit_code = "cancelled", 143
    if sampler is not None:
        sampler.stop()
    channel.emit({"type": "end", "how": how, "exitCode": exit_code, "error": error, "t": now_ms()})
    channel.close()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        pass
    timer = threading.Timer(_EXIT_GRACE_S, os._exit, args=(exit_code,))
    timer.daemon = True
    timer.start()
    return exit_code


def _finish(opts, recorder, instrument, channel, how):
    recorder.finish()
    memory = instrument.cuda_memory_event()
    if memory is not None:
        channel.emit(memory)
    if opts.io_probe == "off" or how == "cancelled":
        return
    root, source = None, "user"
    if opts.data_root:
        root = os.path.abspath(opts.data_root)
    else:
        st = recorder.training_state()
        dataset = st.dataset_keep if st is not None else None
        if dataset is not None:
            root, source = find_root(dataset), "dataset"
    if root is None:
        if opts.io_probe == "on":
            channel.emit({"type": "notice", "level": "warning",
                          "message": "IO probe: no dataset root found; pass --data-root"})
        return
    if not os.path.isdir(root):
        channel.emit({"type": "notice", "level": "warning", "message": "IO probe: %s is not a directory" % root})
        return
    channel.emit(probe(root, source))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
