"""Command-line DataLoader settings for the sweep's test scripts, so a test can re-run a script with the
setting the sweep recommended, as a user applying the fix would."""
import argparse


def parse(defaults):
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=defaults.get("n", 4000))
    p.add_argument("--batch", type=int, default=defaults.get("batch", 8))
    p.add_argument("--sleep-ms", type=float, default=defaults.get("sleep_ms", 4.0))
    p.add_argument("--work", type=int, default=defaults.get("work", 40))
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--prefetch", type=int, default=None)
    p.add_argument("--persistent", action="store_true")
    p.add_argument("--pin", action="store_true")
    return p.parse_args()


def loader_kwargs(a):
    kw = {"num_workers": a.workers, "pin_memory": a.pin}
    if a.workers > 0:
        kw["persistent_workers"] = a.persistent
        if a.prefetch is not None:
            kw["prefetch_factor"] = a.prefetch
    return kw
