"""Transformer encoder text classifier, tuned training loop.

python train.py --data /datasets/agnews-tok --epochs 5 --batch-size 64
"""
import argparse
import logging
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from data import PadCollate, TokenizedTextDataset

log = logging.getLogger(__name__)


class TextClassifier(nn.Module):
    def __init__(self, vocab_size, num_classes, d_model=256, n_heads=4, n_layers=4, pad_id=0):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, d_model, padding_idx=pad_id)
        layer = nn.TransformerEncoderLayer(d_model, n_heads, dim_feedforward=4 * d_model, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, n_layers)
        self.head = nn.Linear(d_model, num_classes)

    def forward(self, ids, mask):
        h = self.encoder(self.embed(ids), src_key_padding_mask=~mask)
        h = (h * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
        return self.head(h)


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--workers", type=int, default=min(8, os.cpu_count() or 1))
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--out", default="runs/textcls")
    return p.parse_args()


def make_loader(ds, batch_size, workers, train):
    return DataLoader(
        ds,
        batch_size=batch_size,
        shuffle=train,
        num_workers=workers,
        pin_memory=True,
        persistent_workers=workers > 0,
        collate_fn=PadCollate(ds.pad_id),
        drop_last=train,
    )


@torch.inference_mode()
def evaluate(model, loader, device):
    model.eval()
    correct = torch.zeros((), device=device)
    seen = 0
    for ids, mask, labels in loader:
        ids, mask, labels = ids.to(device, non_blocking=True), mask.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits = model(ids, mask)
        correct += (logits.argmax(-1) == labels).sum()
        seen += labels.numel()
    return correct.item() / max(seen, 1)


def main():
    args = parse_args()
    logging.basicConfig(level=logging.INFO)
    torch.set_float32_matmul_precision("high")
    device = torch.device("cuda")

    train_ds = TokenizedTextDataset(args.data, "train")
    val_ds = TokenizedTextDataset(args.data, "validation")
    train_loader = make_loader(train_ds, args.batch_size, args.workers, train=True)
    val_loader = make_loader(val_ds, 2 * args.batch_size, args.workers, train=False)

    model = TextClassifier(len(train_ds.meta["vocab"]), train_ds.num_classes, pad_id=train_ds.pad_id).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01, fused=True)
    total_steps = args.epochs * len(train_loader)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=total_steps, pct_start=0.1)

    os.makedirs(args.out, exist_ok=True)
    step = 0
    for epoch in range(args.epochs):
        model.train()
        running = torch.zeros((), device=device)
        t0 = time.time()
        for ids, mask, labels in train_loader:
            ids = ids.to(device, non_blocking=True)
            mask = mask.to(device, non_blocking=True)
            labels = labels.to(device, non_blocking=True)
            optimizer.zero_grad()
            with torch.autocast("cuda", dtype=torch.bfloat16):
                loss = F.cross_entropy(model(ids, mask), labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            running += loss.detach()
            step += 1
            if step % args.log_every == 0:
                avg = running.item() / args.log_every
                log.info("epoch %d step %d loss %.4f ppl %.2f", epoch, step, avg, math.exp(min(avg, 20)))
                running.zero_()
        acc = evaluate(model, val_loader, device)
        log.info("epoch %d done in %.1fs, val acc %.4f", epoch, time.time() - t0, acc)
        torch.save({"model": model.state_dict(), "epoch": epoch}, os.path.join(args.out, f"epoch{epoch}.pt"))


if __name__ == "__main__":
    main()
