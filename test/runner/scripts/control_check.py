"""A DataLoader loop whose compute is a fixed sleep, for checking the data-free control against the split.

Each sample sleeps --sleep-ms in the dataset (the data wait); each step sleeps --compute-ms after a real
forward/backward (compute that does not depend on the machine's load). From iteration --slow-from on, each
step sleeps --slow-ms more: set it to the first control step and the control runs under other conditions
than the measured steps, as when the machine gets busy after the measured window.
"""
import argparse
import time

import torch
from torch.utils.data import DataLoader

from pd_test_common import SlowFileDataset, small_model, train_step

p = argparse.ArgumentParser()
p.add_argument("--sleep-ms", type=float, default=0.5)
p.add_argument("--compute-ms", type=float, default=6.0)
p.add_argument("--slow-from", type=int, default=-1)
p.add_argument("--slow-ms", type=float, default=0.0)
opt_ = p.parse_args()


def main():
    loader = DataLoader(SlowFileDataset(None, 4000, opt_.sleep_ms), batch_size=8, shuffle=True)
    model = small_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    for i, (x, y) in enumerate(loader):
        train_step(model, opt, x, y)
        time.sleep(opt_.compute_ms / 1000.0)
        if 0 <= opt_.slow_from <= i:
            time.sleep(opt_.slow_ms / 1000.0)
    print("done")


if __name__ == "__main__":
    main()
