"""A loader whose per-sample cost is CPU work, and a training step that needs the CPU too: on a machine
with few cores the workers compete with the step, so more workers may not help at all."""
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from loader_settings import loader_kwargs, parse

torch.set_num_threads(1)
a = parse({"work": 6})


class CpuDataset(Dataset):
    def __len__(self):
        return a.n

    def __getitem__(self, i):
        x = torch.full((64, 64), float(i % 5) / 5.0)
        for _ in range(a.work):
            x = torch.tanh(x @ x.T / 64.0)
        return x.flatten()[:256], i % 4


def main():
    loader = DataLoader(CpuDataset(), batch_size=a.batch, shuffle=True, **loader_kwargs(a))
    model = nn.Sequential(nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 4))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    for x, y in loader:
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()


if __name__ == "__main__":
    main()
