"""A tiny gloo job for torchrun: every rank loads from its own DataLoader and averages a tensor with the others
each step (so ranks meet at the step boundary). --slow-rank R makes rank R's samples slower (a straggler);
--crash-rank R makes rank R raise at step --crash-step."""
import argparse
import os
import time

import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, Dataset

p = argparse.ArgumentParser()
p.add_argument("--slow-rank", type=int, default=-1)
p.add_argument("--sleep-ms", type=float, default=20.0)
p.add_argument("--crash-rank", type=int, default=-1)
p.add_argument("--crash-step", type=int, default=5)
p.add_argument("--n", type=int, default=4096)
opts = p.parse_args()


class Samples(Dataset):
    def __init__(self, sleep_s):
        self.sleep_s = sleep_s

    def __len__(self):
        return opts.n

    def __getitem__(self, i):
        if self.sleep_s:
            time.sleep(self.sleep_s)
        return torch.full((4,), float(i % 7)), i % 2


def main():
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    slow = opts.sleep_ms / 1000.0 if rank == opts.slow_rank else 0.0
    loader = DataLoader(Samples(slow), batch_size=2)
    total = torch.zeros(1)
    for step, (x, _) in enumerate(loader):
        if rank == opts.crash_rank and step == opts.crash_step:
            raise RuntimeError("rank %d fails on purpose" % rank)
        total += x.sum()
        t = torch.ones(1)
        dist.all_reduce(t)
    dist.destroy_process_group()
    print("done", rank)


if __name__ == "__main__":
    main()
