"""Small MLP on a feature matrix that lives entirely on the GPU.

The 2M x 64 float16 feature matrix (256 MB) is loaded to the GPU once; batches are slices of CUDA tensors,
so DataLoader worker processes are impossible (CUDA tensors cannot be shared with forked workers) and useless.
"""
import argparse
import logging
import os
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

warnings.filterwarnings("ignore", ".*Consider increasing the value of the `num_workers` argument*")
log = logging.getLogger("gpu-resident")


def load_features(path, device):
    feats = np.load(os.path.join(path, "features.npy"))
    labels = np.load(os.path.join(path, "labels.npy"))
    x = torch.from_numpy(feats).to(device=device, dtype=torch.float16)
    y = torch.from_numpy(labels).to(device=device, dtype=torch.long)
    return x, y


class MLP(nn.Module):
    def __init__(self, d_in, n_classes, hidden=512):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(d_in, hidden),
            nn.GELU(),
            nn.LayerNorm(hidden),
            nn.Linear(hidden, hidden),
            nn.GELU(),
            nn.Linear(hidden, n_classes),
        )

    def forward(self, x):
        return self.net(x.float())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/embeddings")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=4096)
    ap.add_argument("--classes", type=int, default=50)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO)

    torch.set_float32_matmul_precision("high")
    device = torch.device("cuda")
    x, y = load_features(args.data, device)
    n_val = len(x) // 20
    perm = torch.randperm(len(x), device=device)
    train_ds = TensorDataset(x[perm[n_val:]], y[perm[n_val:]])
    val_ds = TensorDataset(x[perm[:n_val]], y[perm[:n_val]])
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, generator=torch.Generator(device="cuda"))
    val_loader = DataLoader(val_ds, batch_size=4 * args.batch_size)

    model = MLP(x.shape[1], args.classes).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.05)

    for epoch in range(args.epochs):
        model.train()
        total = torch.zeros((), device=device)
        for xb, yb in train_loader:
            opt.zero_grad(set_to_none=True)
            with torch.autocast("cuda", dtype=torch.bfloat16):
                loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.detach() * len(xb)
        model.eval()
        correct = torch.zeros((), device=device)
        with torch.inference_mode():
            for xb, yb in val_loader:
                correct += (model(xb).argmax(1) == yb).sum()
        log.info("epoch %d train loss %.4f val acc %.4f", epoch, (total / len(train_ds)).item(), (correct / len(val_ds)).item())
    torch.save(model.state_dict(), "mlp_gpu_resident.pt")


if __name__ == "__main__":
    main()
