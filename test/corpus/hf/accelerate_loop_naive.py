"""T5 summarisation with a hand-written Accelerate loop.

accelerate launch --config_file ../configs/accelerate/bf16_single_node.yaml accelerate_loop_naive.py
(mixed precision comes from the Accelerate config)
"""
import argparse
import json
import logging
import math

import torch
from accelerate import Accelerator
from torch.utils.data import DataLoader, Dataset
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, get_cosine_schedule_with_warmup

logger = logging.getLogger(__name__)


class ArticleDataset(Dataset):
    def __init__(self, path):
        with open(path) as fh:
            self.rows = [json.loads(line) for line in fh]

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, idx):
        row = self.rows[idx]
        return row["article"], row["summary"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--model", default="t5-base")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--lr", type=float, default=3e-4)
    args = ap.parse_args()

    accelerator = Accelerator(gradient_accumulation_steps=2, log_with="tensorboard", project_dir="runs")
    logging.basicConfig(level=logging.INFO)
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForSeq2SeqLM.from_pretrained(args.model)

    train_ds = ArticleDataset(args.train)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True)  # expect: LOAD001[warning]:trainingLoader, LOAD002[info]:pinMemoryOffAccelerate
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
    steps = args.epochs * math.ceil(len(train_loader) / 2)
    scheduler = get_cosine_schedule_with_warmup(optimizer, 200, steps)
    model, optimizer, train_loader, scheduler = accelerator.prepare(model, optimizer, train_loader, scheduler)
    accelerator.init_trackers("t5-summ")

    global_step = 0
    for epoch in range(args.epochs):
        model.train()
        for articles, summaries in train_loader:
            with accelerator.accumulate(model):
                inputs = tokenizer(["summarize: " + a for a in articles], max_length=512, truncation=True, padding=True, return_tensors="pt").to(accelerator.device)  # expect: PREP002[warning]:tokenizesPerStep
                targets = tokenizer(list(summaries), max_length=128, truncation=True, padding=True, return_tensors="pt").input_ids.to(accelerator.device)  # expect: PREP002[warning]:tokenizesPerStep
                targets[targets == tokenizer.pad_token_id] = -100
                loss = model(**inputs, labels=targets).loss
                accelerator.backward(loss)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
            accelerator.log({"train_loss": loss.item()}, step=global_step)  # expect: LOOP001[warning]:sync
            global_step += 1
        accelerator.wait_for_everyone()
        unwrapped = accelerator.unwrap_model(model)
        unwrapped.save_pretrained(f"out/t5-epoch{epoch}", save_function=accelerator.save)
    accelerator.end_training()


if __name__ == "__main__":
    main()
