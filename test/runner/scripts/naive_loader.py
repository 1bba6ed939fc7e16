"""Verify loop: a naive training loader (num_workers defaults to 0) whose samples wait on IO."""
import sys
import time

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset


class SlowDataset(Dataset):
    """Each sample waits 4 ms, as a read from slow storage would: workers overlap the waits."""

    def __len__(self):
        return 2000

    def __getitem__(self, i):
        time.sleep(0.004)
        return torch.randn(32), i % 4


def main():
    loader = DataLoader(SlowDataset(), batch_size=8, shuffle=True)
    model = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 4))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    for x, y in loader:
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()


if __name__ == "__main__":
    main()
