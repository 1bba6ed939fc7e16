"""Batch inference for the document classifier: reads a JSONL of documents, writes predictions.

Documents have very different lengths and the service scores them one at a time to match the online path,
so the loader deliberately uses batch_size=1 (no padding collate).
"""
import argparse
import json
import logging
import os
import sys

import torch
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "text_cls"))
from train import TextClassifier  # noqa: E402

log = logging.getLogger("predict")


class JsonlDocuments(Dataset):
    def __init__(self, path, vocab, max_len=512):
        with open(path) as fh:
            self.docs = [json.loads(line) for line in fh]
        self.vocab = vocab
        self.max_len = max_len

    def __len__(self):
        return len(self.docs)

    def __getitem__(self, idx):
        words = self.docs[idx]["text"].lower().split()[: self.max_len]
        ids = [self.vocab.get(w, 1) for w in words] or [1]
        return self.docs[idx]["id"], torch.tensor(ids, dtype=torch.long)


def collate_single(batch):
    (doc_id, ids), = batch
    return doc_id, ids.unsqueeze(0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--meta", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO)

    with open(args.meta) as fh:
        meta = json.load(fh)
    vocab = {w: i for i, w in enumerate(meta["vocab"])}
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    model = TextClassifier(len(vocab), meta["num_classes"], pad_id=meta["pad_id"])
    state = torch.load(args.checkpoint, map_location="cpu")
    model.load_state_dict(state["model"])
    model.to(device).eval()

    ds = JsonlDocuments(args.input, vocab)
    loader = DataLoader(ds, batch_size=1, shuffle=False, num_workers=2, collate_fn=collate_single)

    written = 0
    with open(args.output, "w") as out, torch.inference_mode():
        for doc_id, ids in loader:
            ids = ids.to(device)
            mask = torch.ones_like(ids, dtype=torch.bool)
            probs = model(ids, mask).softmax(-1).squeeze(0).cpu().tolist()
            out.write(json.dumps({"id": doc_id, "probs": probs}) + "\n")
            written += 1
    log.info("wrote %d predictions to %s", written, args.output)


if __name__ == "__main__":
    main()
