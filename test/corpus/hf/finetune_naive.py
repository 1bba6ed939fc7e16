"""Fine-tune BERT on the support-ticket intent dataset (first working version).

python finetune_naive.py --train data/tickets_train.jsonl --valid data/tickets_valid.jsonl
"""
import argparse
import logging

import numpy as np
from datasets import load_dataset
from sklearn.metrics import accuracy_score, f1_score
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    Trainer,
    TrainingArguments,
)

logger = logging.getLogger(__name__)


def compute_metrics(eval_pred):
    logits, labels = eval_pred
    preds = np.argmax(logits, axis=-1)
    return {"accuracy": accuracy_score(labels, preds), "macro_f1": f1_score(labels, preds, average="macro")}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", required=True)
    parser.add_argument("--valid", required=True)
    parser.add_argument("--model", default="bert-base-uncased")
    parser.add_argument("--output-dir", default="out/intent-bert")
    parser.add_argument("--max-length", type=int, default=128)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)

    raw = load_dataset("json", data_files={"train": args.train, "validation": args.valid})
    labels = sorted(set(raw["train"]["intent"]))
    label2id = {l: i for i, l in enumerate(labels)}

    tokenizer = AutoTokenizer.from_pretrained(args.model)
    encoded = raw.map(lambda ex: tokenizer(ex["text"], truncation=True, max_length=args.max_length))  # expect: PREP003[info]:unbatchedMap
    encoded = encoded.map(lambda ex: {"labels": label2id[ex["intent"]]}, remove_columns=["text", "intent"])

    model = AutoModelForSequenceClassification.from_pretrained(
        args.model, num_labels=len(labels), id2label=dict(enumerate(labels)), label2id=label2id
    )

    training_args = TrainingArguments(  # expect: HW005[info]:trainerFp32
        output_dir=args.output_dir,
        num_train_epochs=20,
        per_device_train_batch_size=32,
        per_device_eval_batch_size=64,
        learning_rate=3e-5,
        weight_decay=0.01,
        eval_strategy="epoch",
        save_strategy="epoch",
        logging_steps=50,
        report_to="none",
    )
    trainer = Trainer(  # expect: STOP006[info]:noEarlyStoppingCallback
        model=model,
        args=training_args,
        train_dataset=encoded["train"],
        eval_dataset=encoded["validation"],
        tokenizer=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=compute_metrics,
    )
    trainer.train()
    metrics = trainer.evaluate()
    logger.info("final metrics: %s", metrics)
    trainer.save_model(args.output_dir)


if __name__ == "__main__":
    main()
