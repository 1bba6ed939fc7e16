"""A training loader that does not shuffle (SequentialSampler), beside an evaluation loader that is never
iterated during the measured steps: the roles must come from how each loader is used, not from shuffle."""
import torch
from torch.utils.data import DataLoader

from pd_test_common import SlowFileDataset, args, small_model, train_step

opt_ = args()


def main():
    train_set = SlowFileDataset(opt_.data, opt_.n, opt_.sleep_ms)
    eval_set = SlowFileDataset(opt_.data, 64, 0)
    loader = DataLoader(train_set, batch_size=opt_.batch, shuffle=False, num_workers=opt_.workers)
    eval_loader = DataLoader(eval_set, batch_size=opt_.batch, shuffle=False)
    model = small_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    for _ in range(opt_.epochs):
        for x, y in loader:
            train_step(model, opt, x, y)
        with torch.no_grad():
            for x, _ in eval_loader:
                model(x)
    print("done")


if __name__ == "__main__":
    main()
