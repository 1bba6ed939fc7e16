"""Shared pieces of the runner's test scripts: a deliberately slow file-backed dataset and a small model."""
import argparse
import os
import time

import torch
from torch import nn
from torch.utils.data import Dataset


class SlowFileDataset(Dataset):
    """One small file per sample plus a sleep: the classic input-bound pipeline, made slow on purpose."""

    def __init__(self, root, n, sleep_ms, dim=32):
        self.root = root
        self.n = n
        self.sleep_s = sleep_ms / 1000.0
        self.dim = dim

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if self.root:
            with open(os.path.join(self.root, "s%05d.bin" % (i % 1100)), "rb") as fh:
                fh.read()
        time.sleep(self.sleep_s)
        g = torch.Generator().manual_seed(i)
        return torch.randn(self.dim, generator=g), i % 4


def small_model(dim=32, hidden=64):
    return nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, 4))


def args(extra=None):
    p = argparse.ArgumentParser()
    p.add_argument("--data", default=None)
    p.add_argument("--n", type=int, default=4000)
    p.add_argument("--sleep-ms", type=float, default=2.0)
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--after", type=int, default=5)
    for a in extra or []:
        p.add_argument(a)
    return p.parse_args()


def train_step(model, opt, x, y):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss
