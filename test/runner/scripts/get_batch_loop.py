"""A nanoGPT-style loop without a DataLoader: random slices of one token tensor, a tiny model, AdamW.

--sleep-ms makes get_batch slow on purpose; --timing FILE writes this script's own timer (each get_batch
call, mostly the sleep, and each step from one optimizer.step() end to the next) so a test can check the
harness's share against an independent measurement of the same steps.
"""
import argparse
import json
import time

import torch
from torch import nn

p = argparse.ArgumentParser()
p.add_argument("--sleep-ms", type=float, default=0.0)
p.add_argument("--iters", type=int, default=100000)
p.add_argument("--timing", default=None)
opt_ = p.parse_args()

torch.manual_seed(0)
torch.set_num_threads(1)
data = torch.randint(0, 64, (20000,))
block, batch = 16, 8


def get_batch():
    ix = torch.randint(len(data) - block - 1, (batch,))
    x = torch.stack([data[i:i + block] for i in ix])
    y = torch.stack([data[i + 1:i + 1 + block] for i in ix])
    if opt_.sleep_ms:
        time.sleep(opt_.sleep_ms / 1000.0)
    return x, y


class TinyLM(nn.Module):
    def __init__(self, vocab=64, dim=32):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
        self.head = nn.Linear(dim, vocab)

    def forward(self, idx, targets):
        logits = self.head(self.mlp(self.emb(idx)))
        return logits, nn.functional.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


fetches, steps = [], []
model = TinyLM()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
last = None
try:
    for it in range(opt_.iters):
        t0 = time.perf_counter()
        xb, yb = get_batch()
        fetches.append(time.perf_counter() - t0)
        logits, loss = model(xb, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        now = time.perf_counter()
        if last is not None:
            steps.append(now - last)
        last = now
finally:
    if opt_.timing:
        with open(opt_.timing, "w") as fh:
            json.dump({"fetches": fetches, "steps": steps}, fh)
print("done")
