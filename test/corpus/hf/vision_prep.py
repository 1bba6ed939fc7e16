"""Preprocessing + training for the product-photo classifier (ViT) with datasets and the HF Trainer."""
import argparse
import logging
import threading

import torch
from datasets import load_dataset
from transformers import (
    AutoImageProcessor,
    AutoModelForImageClassification,
    DefaultDataCollator,
    Trainer,
    TrainingArguments,
)

log = logging.getLogger("vit")


class PhotoPreprocessor:
    """Wraps the image processor and a cache of label ids; shared by the training and the export script."""

    def __init__(self, checkpoint, labels):
        self.processor = AutoImageProcessor.from_pretrained(checkpoint)
        self.label2id = {l: i for i, l in enumerate(labels)}
        self._lock = threading.Lock()

    def prepare(self, ds):
        ds = ds.map(lambda ex: {"label": self.label2id[ex["category"]]}, remove_columns=["category"])  # expect: PREP004[info]:unhashableMapFunction
        return ds.map(lambda ex: self.processor(ex["image"].convert("RGB"), return_tensors="np"), remove_columns=["image"])  # miss: PREP003 (self.processor from AutoImageProcessor not resolved)  # expect: PREP004[info]:unhashableMapFunction


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default="data/photos")
    ap.add_argument("--checkpoint", default="google/vit-base-patch16-224-in21k")
    ap.add_argument("--output-dir", default="out/vit-photos")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO)

    raw = load_dataset("imagefolder", data_dir=args.data_dir)
    raw = raw.rename_column("label", "category")
    labels = raw["train"].features["category"].names
    prep = PhotoPreprocessor(args.checkpoint, labels)
    train_ds = prep.prepare(raw["train"])
    val_ds = prep.prepare(raw["validation"])

    model = AutoModelForImageClassification.from_pretrained(args.checkpoint, num_labels=len(labels), ignore_mismatched_sizes=True)
    training_args = TrainingArguments(
        output_dir=args.output_dir,
        num_train_epochs=5,
        per_device_train_batch_size=64,
        learning_rate=5e-5,
        fp16=torch.cuda.is_available(),
        eval_strategy="epoch",
        save_strategy="epoch",
        dataloader_num_workers=8,
        remove_unused_columns=False,
        report_to="none",
    )
    trainer = Trainer(model=model, args=training_args, train_dataset=train_ds, eval_dataset=val_ds, data_collator=DefaultDataCollator())
    trainer.train()
    trainer.save_model(args.output_dir)
    prep.processor.save_pretrained(args.output_dir)


if __name__ == "__main__":
    main()
