"""A loader whose per-sample cost is waiting (time.sleep, no CPU), like a network or cold-disk read:
more workers than cores keep helping."""
import time

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from loader_settings import loader_kwargs, parse

torch.set_num_threads(1)
a = parse({"sleep_ms": 4.0})


class WaitingDataset(Dataset):
    def __len__(self):
        return a.n

    def __getitem__(self, i):
        time.sleep(a.sleep_ms / 1000.0)
        return torch.full((16,), float(i % 7)), i % 4


def main():
    loader = DataLoader(WaitingDataset(), batch_size=a.batch, shuffle=True, **loader_kwargs(a))
    model = nn.Linear(16, 4)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    for x, y in loader:
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()


if __name__ == "__main__":
    main()
