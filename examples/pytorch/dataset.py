"""A small image dataset stored the way many projects start: one .npy file per sample.

The files are generated on first use under examples/pytorch/data/ (about 6 MB), so the examples run
anywhere without downloads.
"""
import os

import numpy as np
import torch
from torch.utils.data import Dataset

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
NUM_SAMPLES = 2048
SHAPE = (3, 32, 32)


def ensure_data(root=DATA_DIR, count=NUM_SAMPLES):
    marker = os.path.join(root, f".complete-{count}")
    if os.path.exists(marker):
        return root
    os.makedirs(root, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        np.save(os.path.join(root, f"sample_{i:05d}.npy"), rng.random(SHAPE, dtype=np.float32))
    with open(os.path.join(root, "labels.csv"), "w") as f:
        f.write("file,label\n")
        for i in range(count):
            f.write(f"sample_{i:05d}.npy,{i % 10}\n")
    open(marker, "w").close()
    return root


class NpyImageDataset(Dataset):
    """Reads one .npy file per sample and normalises it, like a decode + transform step."""

    def __init__(self, root):
        self.root = root
        with open(os.path.join(root, "labels.csv")) as f:
            rows = [line.strip().split(",") for line in f.readlines()[1:]]
        self.files = [os.path.join(root, name) for name, _ in rows]
        self.labels = [int(label) for _, label in rows]

    def __len__(self):
        return len(self.files)

    def __getitem__(self, idx):
        image = np.load(self.files[idx])
        # A deliberately CPU-heavy "decode": per-sample normalisation and a blur, as real pipelines do.
        image = (image - image.mean()) / (image.std() + 1e-6)
        for _ in range(4):
            image = 0.25 * (np.roll(image, 1, axis=1) + np.roll(image, -1, axis=1) + np.roll(image, 1, axis=2) + np.roll(image, -1, axis=2))
        return torch.from_numpy(np.ascontiguousarray(image)), self.labels[idx]
