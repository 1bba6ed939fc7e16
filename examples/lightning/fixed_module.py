"""The same Lightning training with worker processes, real batches, and early stopping."""
import os

import lightning as L
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint

WORKERS = min(8, os.cpu_count() or 1)


class Regressor(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 1))

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = nn.functional.mse_loss(self.net(x), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_loss", nn.functional.mse_loss(self.net(x), y))

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=1e-3)


class Data(L.LightningDataModule):
    def setup(self, stage=None):
        self.train_set = TensorDataset(torch.randn(4096, 16), torch.randn(4096, 1))
        self.val_set = TensorDataset(torch.randn(512, 16), torch.randn(512, 1))

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=64, shuffle=True, num_workers=WORKERS, persistent_workers=True)

    def val_dataloader(self):
        return DataLoader(self.val_set, batch_size=256, num_workers=WORKERS, persistent_workers=True)


if __name__ == "__main__":
    trainer = L.Trainer(
        accelerator="auto",
        max_epochs=50,
        callbacks=[EarlyStopping(monitor="val_loss", mode="min", patience=3), ModelCheckpoint(monitor="val_loss")],
    )
    trainer.fit(Regressor(), datamodule=Data())
