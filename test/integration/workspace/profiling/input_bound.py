# A deliberately input-bound training loop for the Profile Pipeline tests: every sample costs ~3 ms
# to "load" and the DataLoader loads in the training process (num_workers=0), while the step itself is
# a tiny linear model on CPU.
import time

import torch
from torch.utils.data import DataLoader, Dataset


class SlowDataset(Dataset):
    def __len__(self):
        return 2000

    def __getitem__(self, i):
        time.sleep(0.003)
        return torch.full((16,), float(i % 7)), torch.tensor(float(i % 3))


def main():
    model = torch.nn.Linear(16, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loader = DataLoader(SlowDataset(), batch_size=4, shuffle=True)
    for x, y in loader:
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x).squeeze(1), y)
        loss.backward()
        opt.step()


if __name__ == "__main__":
    main()
