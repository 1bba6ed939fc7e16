"""A small training loop over a dataset made to have one data defect (--defect), for the data-quality probe.

Each sample is (features float32[32], image float32[3, 16, 16] in [0, 1], label int64), or the same as a
dict with --dict. `clean` has none of the probe's defects; every other value adds exactly one.
"""
import argparse

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

DEFECTS = ("clean", "nan", "constant", "skew", "missing", "duplicates", "image", "empty")


class Defective(Dataset):
    def __init__(self, defect, n, as_dict):
        self.defect = defect
        self.n = n
        self.as_dict = as_dict
        # The classes the labels use; 10 declared where 3 of them never appear.
        self.classes = ["c%d" % c for c in range({"missing": 10, "skew": 2}.get(defect, 4))]

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        d = self.defect
        key = i % 100 if d == "duplicates" else i
        g = torch.Generator().manual_seed(key)
        x = torch.randn(32, generator=g)
        img = torch.rand(3, 16, 16, generator=g)
        y = key % 4
        if d == "nan":
            x[i % 32] = float("nan")  # one value in 32: 3.125% of batch[0]
        elif d == "constant":
            x[5] = 0.0
        elif d == "skew":
            y = 1 if i % 20 == 0 else 0
        elif d == "missing":
            y = i % 7  # classes 7, 8 and 9 never appear
        elif d == "image":
            img = torch.randint(0, 256, (3, 16, 16), generator=g).float()
            img[0, 0, 0], img[0, 0, 1] = 255.0, 0.0
        elif d == "empty" and 128 <= i < 160:
            return None  # the collate below drops it: the fifth batch is empty
        if self.as_dict:
            return {"x": x, "pixel_values": img, "labels": torch.tensor(y)}
        return x, img, torch.tensor(y)


def collate(samples):
    kept = [s for s in samples if s is not None]
    if not kept:
        return torch.zeros(0, 32), torch.zeros(0, 3, 16, 16), torch.zeros(0, dtype=torch.long)
    return torch.utils.data.default_collate(kept)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--defect", choices=DEFECTS, default="clean")
    p.add_argument("--dict", action="store_true")
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--epochs", type=int, default=1)
    a = p.parse_args()
    torch.manual_seed(0)
    dataset = Defective(a.defect, a.n, a.dict)
    shuffle = a.defect not in ("duplicates", "empty")
    loader = DataLoader(dataset, batch_size=32, shuffle=shuffle, collate_fn=collate)  # the loader's line
    model = nn.Linear(32 + 3 * 16 * 16, len(dataset.classes))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    for _ in range(a.epochs):
        for batch in loader:
            x, img, y = (batch["x"], batch["pixel_values"], batch["labels"]) if a.dict else batch
            out = model(torch.cat([torch.nan_to_num(x), img.flatten(1) / 255.0], 1))
            loss = nn.functional.cross_entropy(out, y, reduction="sum")
            opt.zero_grad()
            loss.backward()
            opt.step()


if __name__ == "__main__":
    main()
