"""CI smoke run of the CIFAR training code: two tiny batches on CPU, no workers, anomaly detection on.

Runs in the GitHub Actions job on every PR (python smoke_train.py); it must finish in seconds on any OS.
"""
import sys

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from train import ResNet


def main():
    torch.manual_seed(0)
    torch.autograd.set_detect_anomaly(True)
    images = torch.randn(8, 3, 32, 32)
    labels = torch.randint(0, 10, (8,))
    loader = DataLoader(TensorDataset(images, labels), batch_size=2, num_workers=0)

    model = ResNet(num_blocks=(1, 1, 1, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    losses = []
    for step, (x, y) in enumerate(loader):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        print(f"step {step} loss {losses[-1]:.4f}")
        if step == 1:
            break

    if not all(l == l for l in losses):
        print("NaN loss in smoke run", file=sys.stderr)
        sys.exit(1)

    model.eval()
    with torch.no_grad():
        out = model(images[:2])
    assert out.shape == (2, 10), out.shape
    print("smoke run ok")


if __name__ == "__main__":
    main()
