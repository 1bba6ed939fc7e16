"""Fine-tune DistilBERT for review sentiment with Lightning (prototype that became the production job)."""
import argparse

import lightning.pytorch as pl
import pandas as pd
import torch
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
from torch.utils.data import DataLoader, Dataset
from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

MODEL_NAME = "distilbert-base-uncased"


class ReviewFrame(Dataset):
    def __init__(self, frame):
        self.texts = frame["review"].tolist()
        self.labels = frame["label"].astype(int).tolist()

    def __len__(self):
        return len(self.texts)

    def __getitem__(self, idx):
        return self.texts[idx], self.labels[idx]


class SentimentModel(pl.LightningModule):
    def __init__(self, lr=2e-5, max_length=256, warmup_ratio=0.06):
        super().__init__()
        self.save_hyperparameters()
        self.tokenizer = AutoTokenizer.from_pretrained(MODEL_NAME)
        self.model = AutoModelForSequenceClassification.from_pretrained(MODEL_NAME, num_labels=2)

    def _encode(self, texts):
        enc = self.tokenizer(list(texts), padding=True, truncation=True, max_length=self.hparams.max_length, return_tensors="pt")
        return {k: v.to(self.device) for k, v in enc.items()}

    def training_step(self, batch, batch_idx):
        texts, labels = batch
        enc = self.tokenizer(list(texts), padding=True, truncation=True, max_length=self.hparams.max_length, return_tensors="pt")  # expect: PREP002[warning]:tokenizesPerStep
        enc = {k: v.to(self.device) for k, v in enc.items()}
        out = self.model(**enc, labels=labels)
        self.log("train_loss", out.loss)
        return out.loss

    def validation_step(self, batch, batch_idx):
        texts, labels = batch
        out = self.model(**self._encode(texts), labels=labels)
        acc = (out.logits.argmax(-1) == labels).float().mean()
        self.log("val_loss", out.loss, prog_bar=True)
        self.log("val_acc", acc, prog_bar=True)

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=0.01)
        total = self.trainer.estimated_stepping_batches
        sched = get_linear_schedule_with_warmup(opt, int(self.hparams.warmup_ratio * total), total)
        return [opt], [{"scheduler": sched, "interval": "step"}]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train-csv", default="data/reviews_train.csv")
    ap.add_argument("--val-csv", default="data/reviews_val.csv")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--workers", type=int, default=4)
    args = ap.parse_args()

    pl.seed_everything(7)
    train = ReviewFrame(pd.read_csv(args.train_csv))
    val = ReviewFrame(pd.read_csv(args.val_csv))
    train_loader = DataLoader(train, batch_size=args.batch_size, shuffle=True, num_workers=args.workers, persistent_workers=True)  # expect: LOAD002[info]:pinMemoryOff
    val_loader = DataLoader(val, batch_size=64, num_workers=args.workers, persistent_workers=True)  # expect: LOAD002[info]:pinMemoryOff

    trainer = pl.Trainer(
        max_epochs=args.epochs,
        accelerator="gpu",
        precision="16-mixed",
        detect_anomaly=True,  # expect: LOOP006[warning]:trainerDetectAnomaly
        callbacks=[
            EarlyStopping(monitor="val_accuracy", mode="max", patience=2),  # expect: STOP002[error]:lightningNeverLogged
            ModelCheckpoint(monitor="val_loss"),
        ],
    )
    trainer.fit(SentimentModel(), train_loader, val_loader)


if __name__ == "__main__":
    main()
