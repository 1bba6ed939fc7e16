"""LightningCLI entry point for the image-retrieval project.

python cli_main.py fit --config ../configs/lightning/retrieval_tuned.yaml
Every knob (workers, precision, callbacks) lives in the YAML config, not in this file.
"""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from lightning.pytorch import LightningDataModule, LightningModule
from lightning.pytorch.cli import LightningCLI
from torch.utils.data import DataLoader
from torchvision import datasets, models, transforms


class RetrievalData(LightningDataModule):
    def __init__(self, root: str, batch_size: int = 128, num_workers: int = 8, pin_memory: bool = True, persistent_workers: bool = True):
        super().__init__()
        self.save_hyperparameters()

    def setup(self, stage=None):
        tf_train = transforms.Compose([transforms.RandomResizedCrop(224, scale=(0.3, 1.0)), transforms.RandomHorizontalFlip(), transforms.ToTensor()])
        tf_eval = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor()])  # miss: PREP005 (deterministic decode+resize of the validation ImageFolder repeated every epoch; only training datasets are checked)
        self.train_set = datasets.ImageFolder(os.path.join(self.hparams.root, "train"), tf_train)
        self.val_set = datasets.ImageFolder(os.path.join(self.hparams.root, "val"), tf_eval)

    def _loader(self, ds, shuffle):
        return DataLoader(
            ds,
            batch_size=self.hparams.batch_size,
            shuffle=shuffle,
            num_workers=self.hparams.num_workers,
            pin_memory=self.hparams.pin_memory,
            persistent_workers=self.hparams.persistent_workers,
            drop_last=shuffle,
        )

    def train_dataloader(self):
        return self._loader(self.train_set, True)

    def val_dataloader(self):
        return self._loader(self.val_set, False)


class EmbeddingModel(LightningModule):
    def __init__(self, embed_dim: int = 256, lr: float = 3e-4, temperature: float = 0.07, num_classes: int = 1000):
        super().__init__()
        self.save_hyperparameters()
        backbone = models.resnet50(weights="DEFAULT")
        backbone.fc = nn.Identity()
        self.backbone = backbone
        self.proj = nn.Linear(2048, embed_dim)
        self.classifier = nn.Linear(embed_dim, num_classes)

    def embed(self, x):
        return F.normalize(self.proj(self.backbone(x)), dim=-1)

    def training_step(self, batch, batch_idx):
        x, y = batch
        z = self.embed(x)
        loss = F.cross_entropy(self.classifier(z) / self.hparams.temperature, y)
        self.log("train/loss", loss, on_step=True, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        z = self.embed(x)
        loss = F.cross_entropy(self.classifier(z) / self.hparams.temperature, y)
        self.log("val/loss", loss, prog_bar=True, sync_dist=True)

    def configure_optimizers(self):
        return torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=0.05)


def cli_main():
    torch.set_float32_matmul_precision("high")
    LightningCLI(EmbeddingModel, RetrievalData, save_config_kwargs={"overwrite": True})


if __name__ == "__main__":
    cli_main()
