"""Domain-adaptive MLM pre-training of RoBERTa on clinical notes.

Dynamic masking (DataCollatorForLanguageModeling) must stay per batch: it is random augmentation, not a
cacheable preprocessing step. The run is budgeted in steps; the held-out perplexity is only logged.
"""
import argparse
import logging
import math
import os
from itertools import chain

from datasets import load_dataset
from transformers import (
    AutoModelForMaskedLM,
    AutoTokenizer,
    DataCollatorForLanguageModeling,
    Trainer,
    TrainingArguments,
)

logger = logging.getLogger("mlm")
BLOCK = 512


def tokenize(batch, tokenizer):
    return tokenizer(batch["text"], return_special_tokens_mask=True)


def group_texts(batch):
    joined = {k: list(chain.from_iterable(batch[k])) for k in batch.keys()}
    total = (len(joined["input_ids"]) // BLOCK) * BLOCK
    return {k: [v[i : i + BLOCK] for i in range(0, total, BLOCK)] for k, v in joined.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", nargs="+", required=True)
    ap.add_argument("--model", default="roberta-base")
    ap.add_argument("--max-steps", type=int, default=100_000)
    ap.add_argument("--output-dir", default="out/clinical-roberta")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO)

    tokenizer = AutoTokenizer.from_pretrained(args.model)
    raw = load_dataset("text", data_files={"train": args.files})["train"].train_test_split(test_size=0.01, seed=0)
    workers = os.cpu_count() or 1
    tokenized = raw.map(tokenize, batched=True, num_proc=workers, remove_columns=["text"], fn_kwargs={"tokenizer": tokenizer})
    blocks = tokenized.map(group_texts, batched=True, num_proc=workers)

    model = AutoModelForMaskedLM.from_pretrained(args.model)
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.15, pad_to_multiple_of=8)
    training_args = TrainingArguments(
        output_dir=args.output_dir,
        max_steps=args.max_steps,
        per_device_train_batch_size=32,
        gradient_accumulation_steps=4,
        learning_rate=1e-4,
        lr_scheduler_type="linear",
        warmup_ratio=0.06,
        weight_decay=0.01,
        bf16=True,
        tf32=True,
        eval_strategy="steps",
        eval_steps=5000,
        save_steps=5000,
        save_total_limit=5,
        dataloader_num_workers=4,
        dataloader_persistent_workers=True,
        logging_steps=100,
    )
    trainer = Trainer(
        model=model,
        args=training_args,
        train_dataset=blocks["train"],
        eval_dataset=blocks["test"],
        data_collator=collator,
    )
    trainer.train()
    metrics = trainer.evaluate()
    logger.info("held-out perplexity %.2f", math.exp(metrics["eval_loss"]))
    trainer.save_model(args.output_dir)
    tokenizer.save_pretrained(args.output_dir)


if __name__ == "__main__":
    main()
