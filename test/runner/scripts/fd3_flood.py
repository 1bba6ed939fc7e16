"""Writes one huge line to the harness's event channel (fd 3) before training: a script that mistakes fd 3 for its own file."""
import os

import torch
from torch.utils.data import DataLoader

from pd_test_common import SlowFileDataset, args, small_model, train_step

o = args(["--flood-mb"])
line = b"x" * (int(o.flood_mb) << 20) + b"\nnot an event\n{\"type\": \"mystery\"}\n"
written = 0
while written < len(line):
    written += os.write(3, line[written:])
loader = DataLoader(SlowFileDataset(None, 200, 1.0), batch_size=4)
model = small_model()
opt = torch.optim.SGD(model.parameters(), lr=0.01)
for x, y in loader:
    train_step(model, opt, x, y)
