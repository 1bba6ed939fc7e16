"""Input-bound on purpose: every sample sleeps and reads a file, num_workers defaults to 0."""
import torch
from torch.utils.data import DataLoader

from pd_test_common import SlowFileDataset, args, small_model, train_step

opt_ = args()


def main():
    ds = SlowFileDataset(opt_.data, opt_.n, opt_.sleep_ms)
    loader = DataLoader(ds, batch_size=opt_.batch, shuffle=True, num_workers=opt_.workers)
    model = small_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    for _ in range(opt_.epochs):
        for x, y in loader:
            train_step(model, opt, x, y)
    print("done")


if __name__ == "__main__":
    main()
