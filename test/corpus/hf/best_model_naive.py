"""Token classification (NER) on the internal contracts corpus.

Saves every 750 steps and evaluates every 500; keeps the best model by entity F1.
"""
import argparse
import logging

import evaluate
import numpy as np
from datasets import load_from_disk
from transformers import (
    AutoModelForTokenClassification,
    AutoTokenizer,
    DataCollatorForTokenClassification,
    EarlyStoppingCallback,
    Trainer,
    TrainingArguments,
)

logger = logging.getLogger("ner")
seqeval = evaluate.load("seqeval")


def make_metrics(id2label):
    def compute_metrics(p):
        preds = np.argmax(p.predictions, axis=2)
        true_preds, true_labels = [], []
        for pred, lab in zip(preds, p.label_ids):
            true_preds.append([id2label[x] for x, y in zip(pred, lab) if y != -100])
            true_labels.append([id2label[y] for x, y in zip(pred, lab) if y != -100])
        res = seqeval.compute(predictions=true_preds, references=true_labels)
        return {"f1": res["overall_f1"], "precision": res["overall_precision"], "recall": res["overall_recall"]}

    return compute_metrics


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/contracts_ner")
    ap.add_argument("--model", default="microsoft/deberta-v3-base")
    ap.add_argument("--output-dir", default="out/ner")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO)

    ds = load_from_disk(args.data)
    label_list = ds["train"].features["ner_tags"].feature.names
    id2label = dict(enumerate(label_list))
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForTokenClassification.from_pretrained(args.model, num_labels=len(label_list), id2label=id2label)

    training_args = TrainingArguments(
        output_dir=args.output_dir,
        num_train_epochs=6,
        per_device_train_batch_size=16,
        learning_rate=3e-5,
        fp16=True,
        eval_strategy="steps",
        eval_steps=500,
        save_strategy="steps",
        save_steps=750,  # expect: STOP005[error]:stepsMismatch
        load_best_model_at_end=True,
        metric_for_best_model="f1",
        dataloader_num_workers=4,
        logging_steps=100,
    )
    trainer = Trainer(
        model=model,
        args=training_args,
        train_dataset=ds["train"],
        eval_dataset=ds["validation"],
        data_collator=DataCollatorForTokenClassification(tokenizer),
        compute_metrics=make_metrics(id2label),
        callbacks=[EarlyStoppingCallback(early_stopping_patience=4)],
    )
    trainer.train()
    trainer.save_model(f"{args.output_dir}/best")

    # Second stage: continue on the silver-labelled data without evaluation, same early-stopping callback.
    silver_args = TrainingArguments(
        output_dir=f"{args.output_dir}/silver",
        num_train_epochs=2,
        per_device_train_batch_size=16,
        learning_rate=1e-5,
        fp16=True,
        eval_strategy="no",
        save_strategy="epoch",
        dataloader_num_workers=4,
    )
    silver = Trainer(
        model=trainer.model,
        args=silver_args,
        train_dataset=ds["silver"],
        data_collator=DataCollatorForTokenClassification(tokenizer),
        callbacks=[EarlyStoppingCallback(early_stopping_patience=2)],  # expect: STOP004[error]:noEvaluation
    )
    silver.train()
    silver.save_model(f"{args.output_dir}/final")


if __name__ == "__main__":
    main()
