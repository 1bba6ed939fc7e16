"""Language-model pre-training from sharded token files with an IterableDataset.

Each worker reads a disjoint subset of shards (get_worker_info), and each shard yields ready-made batches,
so the DataLoader runs with batch_size=None. Training runs to a fixed token budget (max_steps).
"""
import argparse
import glob
import logging
import math
import os
import random

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

log = logging.getLogger("pretrain")


class ShardedTokenStream(IterableDataset):
    def __init__(self, pattern, seq_len, batch_size, seed=0):
        self.shards = sorted(glob.glob(pattern))
        self.seq_len = seq_len
        self.batch_size = batch_size
        self.seed = seed

    def __iter__(self):
        info = get_worker_info()
        shards = self.shards if info is None else self.shards[info.id :: info.num_workers]
        rng = random.Random(self.seed + (info.id if info else 0))
        while True:
            rng.shuffle(shards)
            for path in shards:
                tokens = np.load(path, mmap_mode="r")
                n = (len(tokens) - 1) // (self.seq_len * self.batch_size)
                for b in range(n):
                    start = b * self.seq_len * self.batch_size
                    chunk = np.asarray(tokens[start : start + self.seq_len * self.batch_size + 1], dtype=np.int64)
                    x = torch.from_numpy(chunk[:-1]).view(self.batch_size, self.seq_len)
                    y = torch.from_numpy(chunk[1:]).view(self.batch_size, self.seq_len)
                    yield x, y


class TinyGPT(nn.Module):
    def __init__(self, vocab, d_model=512, n_layers=8, n_heads=8, seq_len=1024):
        super().__init__()
        self.tok = nn.Embedding(vocab, d_model)
        self.pos = nn.Parameter(torch.zeros(1, seq_len, d_model))
        layer = nn.TransformerEncoderLayer(d_model, n_heads, 4 * d_model, batch_first=True, norm_first=True, activation="gelu")
        self.blocks = nn.TransformerEncoder(layer, n_layers)
        self.ln = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab, bias=False)

    def forward(self, x):
        T = x.size(1)
        mask = nn.Transformer.generate_square_subsequent_mask(T, device=x.device)
        h = self.blocks(self.tok(x) + self.pos[:, :T], mask=mask, is_causal=True)
        return self.head(self.ln(h))


def lr_at(step, max_steps, warmup, base_lr):
    if step < warmup:
        return base_lr * step / warmup
    progress = (step - warmup) / max(1, max_steps - warmup)
    return 0.5 * base_lr * (1 + math.cos(math.pi * progress))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--shards", default="/data/tokens/train-*.npy")
    p.add_argument("--vocab", type=int, default=50304)
    p.add_argument("--seq-len", type=int, default=1024)
    p.add_argument("--micro-batch", type=int, default=16)
    p.add_argument("--max-steps", type=int, default=20000)
    p.add_argument("--warmup", type=int, default=500)
    p.add_argument("--lr", type=float, default=6e-4)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--ckpt-dir", default="ckpt")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO)

    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    device = torch.device("cuda")

    stream = ShardedTokenStream(args.shards, args.seq_len, args.micro_batch)
    loader = DataLoader(stream, batch_size=None, num_workers=args.workers, pin_memory=True, persistent_workers=True, prefetch_factor=4)

    model = TinyGPT(args.vocab, seq_len=args.seq_len).to(device)
    model = torch.compile(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.1)

    os.makedirs(args.ckpt_dir, exist_ok=True)
    model.train()
    loss_sum = torch.zeros((), device=device)
    for step, (x, y) in enumerate(loader):
        if step >= args.max_steps:
            break
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, args.max_steps, args.warmup, args.lr)
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits = model(x)
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss_sum += loss.detach()
        if (step + 1) % 100 == 0:
            log.info("step %d loss %.4f", step + 1, (loss_sum / 100).item())
            loss_sum.zero_()
        if (step + 1) % 5000 == 0:
            torch.save({"model": model.state_dict(), "step": step + 1}, os.path.join(args.ckpt_dir, f"step{step + 1}.pt"))


if __name__ == "__main__":
    main()
