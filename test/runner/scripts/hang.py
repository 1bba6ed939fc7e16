"""Runs a few steps with DataLoader workers, then hangs and ignores SIGTERM (needs the SIGKILL escalation)."""
import signal
import time

import torch
from torch.utils.data import DataLoader

from pd_test_common import SlowFileDataset, args, small_model, train_step

o = args()
loader = DataLoader(SlowFileDataset(None, 400, 1.0), batch_size=4, shuffle=True, num_workers=2)
model = small_model()
opt = torch.optim.SGD(model.parameters(), lr=0.01)
for i, (x, y) in enumerate(loader):
    train_step(model, opt, x, y)
    if i == o.after:
        print("hanging", flush=True)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        while True:
            time.sleep(0.5)
