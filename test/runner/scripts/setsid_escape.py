"""Starts a grandchild that leaves the run's process group with os.setsid(), then trains with DataLoader
workers until stopped: however the run ends, nothing may be left running."""
import subprocess
import sys

import torch
from torch.utils.data import DataLoader

from pd_test_common import SlowFileDataset, args, small_model, train_step

o = args(["--marker"])
# The marker in its argv lets the test find it in /proc.
subprocess.Popen([sys.executable, "-c", "import os, time; os.setsid(); time.sleep(600)", o.marker])
loader = DataLoader(SlowFileDataset(None, o.n, o.sleep_ms), batch_size=4, num_workers=o.workers)
model = small_model()
opt = torch.optim.SGD(model.parameters(), lr=0.01)
for _ in range(o.epochs):
    for x, y in loader:
        train_step(model, opt, x, y)
