"""Pre-tokenized text classification data.

Token ids are produced once by `scripts/tokenize_corpus.py` and stored as a flat int32 array plus offsets,
so the Dataset only slices memory-mapped arrays.
"""
import json
import os

import numpy as np
import torch
from torch.utils.data import Dataset


class TokenizedTextDataset(Dataset):
    def __init__(self, root, split, max_len=256):
        self.max_len = max_len
        self.tokens = np.load(os.path.join(root, f"{split}.tokens.npy"), mmap_mode="r")
        self.offsets = np.load(os.path.join(root, f"{split}.offsets.npy"))
        self.labels = np.load(os.path.join(root, f"{split}.labels.npy"))
        with open(os.path.join(root, "meta.json")) as fh:
            self.meta = json.load(fh)

    @property
    def num_classes(self):
        return int(self.meta["num_classes"])

    @property
    def pad_id(self):
        return int(self.meta["pad_id"])

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        start, end = self.offsets[idx], self.offsets[idx + 1]
        ids = np.asarray(self.tokens[start:min(end, start + self.max_len)], dtype=np.int64)
        return torch.from_numpy(ids), int(self.labels[idx])


class PadCollate:
    """Pads a batch to its longest sequence (dynamic padding)."""

    def __init__(self, pad_id):
        self.pad_id = pad_id

    def __call__(self, batch):
        seqs, labels = zip(*batch)
        longest = max(s.numel() for s in seqs)
        out = torch.full((len(seqs), longest), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(seqs), longest), dtype=torch.bool)
        for i, s in enumerate(seqs):
            out[i, : s.numel()] = s
            mask[i, : s.numel()] = True
        return out, mask, torch.tensor(labels, dtype=torch.long)
