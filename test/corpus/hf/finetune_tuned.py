"""Fine-tune RoBERTa for the support-ticket intents: tuned version.

Tokenization happens once (batched, multi-process, cached by datasets); padding is dynamic; training stops
early on macro-F1 and keeps the best checkpoint.
"""
import argparse
import logging
import os

import numpy as np
from datasets import load_dataset
from sklearn.metrics import f1_score
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    EarlyStoppingCallback,
    Trainer,
    TrainingArguments,
    set_seed,
)

logger = logging.getLogger("intent")
MAX_LENGTH = 128


def tokenize_batch(batch, tokenizer):
    return tokenizer(batch["text"], truncation=True, max_length=MAX_LENGTH)


def compute_metrics(eval_pred):
    logits, labels = eval_pred
    return {"macro_f1": f1_score(labels, np.argmax(logits, -1), average="macro")}


def build_args(output_dir, epochs, batch_size):
    return TrainingArguments(
        output_dir=output_dir,
        num_train_epochs=epochs,
        per_device_train_batch_size=batch_size,
        per_device_eval_batch_size=2 * batch_size,
        learning_rate=2e-5,
        warmup_ratio=0.06,
        weight_decay=0.01,
        bf16=True,
        tf32=True,
        eval_strategy="epoch",
        save_strategy="epoch",
        load_best_model_at_end=True,
        metric_for_best_model="macro_f1",
        greater_is_better=True,
        save_total_limit=2,
        dataloader_num_workers=4,
        logging_steps=50,
        report_to=["tensorboard"],
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--valid", required=True)
    ap.add_argument("--model", default="roberta-base")
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--output-dir", default="out/intent-roberta")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO)
    set_seed(42)

    raw = load_dataset("json", data_files={"train": args.train, "validation": args.valid})
    labels = sorted(set(raw["train"]["intent"]))
    label2id = {l: i for i, l in enumerate(labels)}
    tokenizer = AutoTokenizer.from_pretrained(args.model)

    encoded = raw.map(
        tokenize_batch,
        batched=True,
        num_proc=os.cpu_count(),
        fn_kwargs={"tokenizer": tokenizer},
        remove_columns=["text"],
    )
    encoded = encoded.map(lambda b: {"labels": [label2id[i] for i in b["intent"]]}, batched=True, remove_columns=["intent"])

    model = AutoModelForSequenceClassification.from_pretrained(args.model, num_labels=len(labels))
    trainer = Trainer(
        model=model,
        args=build_args(args.output_dir, args.epochs, args.batch_size),
        train_dataset=encoded["train"],
        eval_dataset=encoded["validation"],
        data_collator=DataCollatorWithPadding(tokenizer, pad_to_multiple_of=8),
        compute_metrics=compute_metrics,
        callbacks=[EarlyStoppingCallback(early_stopping_patience=3)],
    )
    trainer.train()
    trainer.save_model(os.path.join(args.output_dir, "best"))
    tokenizer.save_pretrained(os.path.join(args.output_dir, "best"))
    logger.info("best checkpoint: %s", trainer.state.best_model_checkpoint)


if __name__ == "__main__":
    main()
