"""Crashes after a few steps with an ordinary exception."""
import torch
from torch.utils.data import DataLoader

from pd_test_common import SlowFileDataset, args, small_model, train_step

o = args()
loader = DataLoader(SlowFileDataset(None, 400, 1.0), batch_size=4, shuffle=True)
model = small_model()
opt = torch.optim.SGD(model.parameters(), lr=0.01)
for i, (x, y) in enumerate(loader):
    train_step(model, opt, x, y)
    if i == o.after:
        raise RuntimeError("boom at step %d" % i)
