"""LightningModule + DataModule for Fashion-MNIST (first version, from the onboarding tutorial)."""
import argparse

import lightning.pytorch as pl
import torch
import torch.nn as nn
import torch.nn.functional as F
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger
from torch.utils.data import DataLoader, random_split
from torchvision import transforms
from torchvision.datasets import FashionMNIST


class FashionDataModule(pl.LightningDataModule):
    def __init__(self, data_dir="./data", batch_size=64):
        super().__init__()
        self.save_hyperparameters()
        self.transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.2860,), (0.3530,))])

    def prepare_data(self):
        FashionMNIST(self.hparams.data_dir, train=True, download=True)
        FashionMNIST(self.hparams.data_dir, train=False, download=True)

    def setup(self, stage=None):
        full = FashionMNIST(self.hparams.data_dir, train=True, transform=self.transform)
        self.train_set, self.val_set = random_split(full, [55000, 5000], generator=torch.Generator().manual_seed(42))
        self.test_set = FashionMNIST(self.hparams.data_dir, train=False, transform=self.transform)

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=self.hparams.batch_size, shuffle=True)  # expect: LOAD001[warning]:trainingLoader, LOAD002[info]:pinMemoryOff

    def val_dataloader(self):
        return DataLoader(self.val_set, batch_size=256, shuffle=True)  # expect: LOAD001[info]:evaluationLoader, LOAD002[info]:pinMemoryOff, EVAL002[info]:shuffledEvalLoader

    def test_dataloader(self):
        return DataLoader(self.test_set, batch_size=256, num_workers=4)


class FashionClassifier(pl.LightningModule):
    def __init__(self, lr=1e-3, hidden=256):
        super().__init__()
        self.save_hyperparameters()
        self.model = nn.Sequential(
            nn.Flatten(),
            nn.Linear(28 * 28, hidden),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(hidden, 10),
        )

    def forward(self, x):
        return self.model(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y)
        acc = (logits.argmax(1) == y).float().mean().item()  # expect: LOOP001[warning]:sync
        self.log("train_loss", loss)
        self.log("train_acc", acc, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val_loss", F.cross_entropy(logits, y), prog_bar=True)
        self.log("val_acc", (logits.argmax(1) == y).float().mean(), prog_bar=True)

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.log("test_acc", (self(x).argmax(1) == y).float().mean())

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", default="./data")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    args = parser.parse_args()

    dm = FashionDataModule(args.data_dir, args.batch_size)
    model = FashionClassifier(lr=args.lr)
    trainer = pl.Trainer(  # expect: HW008[info]:lightningFp32
        max_epochs=200,  # expect: STOP003[warning]:maxEpochsNoEarlyStopping
        accelerator="gpu",
        devices=1,
        logger=CSVLogger("logs", name="fashion"),
        callbacks=[ModelCheckpoint(monitor="val_loss", mode="min")],
    )
    trainer.fit(model, datamodule=dm)
    trainer.test(model, datamodule=dm)


if __name__ == "__main__":
    main()
