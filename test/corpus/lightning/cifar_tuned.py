"""CIFAR-100 with Lightning: the tuned configuration used for the benchmark table."""
import os
from argparse import ArgumentParser

import lightning as L
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchmetrics
from lightning.pytorch.callbacks import EarlyStopping, LearningRateMonitor, ModelCheckpoint
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

MEAN, STD = (0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)


def conv_bn(cin, cout, pool=False):
    layers = [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class ResNet9(nn.Module):
    def __init__(self, num_classes=100):
        super().__init__()
        self.prep = conv_bn(3, 64)
        self.layer1 = nn.Sequential(conv_bn(64, 128, pool=True))
        self.res1 = nn.Sequential(conv_bn(128, 128), conv_bn(128, 128))
        self.layer2 = conv_bn(128, 256, pool=True)
        self.layer3 = conv_bn(256, 512, pool=True)
        self.res3 = nn.Sequential(conv_bn(512, 512), conv_bn(512, 512))
        self.head = nn.Sequential(nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(512, num_classes))

    def forward(self, x):
        x = self.layer1(self.prep(x))
        x = x + self.res1(x)
        x = self.layer3(self.layer2(x))
        return self.head(x + self.res3(x))


class CIFARData(L.LightningDataModule):
    def __init__(self, root="data", batch_size=256, num_workers=None):
        super().__init__()
        self.root = root
        self.batch_size = batch_size
        self.num_workers = num_workers if num_workers is not None else min(8, os.cpu_count() or 1)

    def prepare_data(self):
        datasets.CIFAR100(self.root, train=True, download=True)
        datasets.CIFAR100(self.root, train=False, download=True)

    def setup(self, stage=None):
        aug = transforms.Compose([
            transforms.RandomCrop(32, padding=4, padding_mode="reflect"),
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
            transforms.Normalize(MEAN, STD),
        ])
        plain = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
        self.train_set = datasets.CIFAR100(self.root, train=True, transform=aug)
        self.val_set = datasets.CIFAR100(self.root, train=False, transform=plain)

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=self.batch_size, shuffle=True, num_workers=self.num_workers, pin_memory=True, persistent_workers=True)

    def val_dataloader(self):
        return DataLoader(self.val_set, batch_size=2 * self.batch_size, num_workers=self.num_workers, pin_memory=True, persistent_workers=True)


class LitResNet(L.LightningModule):
    def __init__(self, lr=0.01, weight_decay=5e-4):
        super().__init__()
        self.save_hyperparameters()
        self.net = ResNet9()
        self.train_acc = torchmetrics.Accuracy(task="multiclass", num_classes=100)
        self.val_acc = torchmetrics.Accuracy(task="multiclass", num_classes=100)

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y, label_smoothing=0.1)
        self.train_acc(logits, y)
        self.log("train/loss", loss, on_step=True, on_epoch=True)
        self.log("train/acc", self.train_acc, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.val_acc(logits, y)
        self.log("val/loss", F.cross_entropy(logits, y), prog_bar=True)
        self.log("val/acc", self.val_acc, prog_bar=True)

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=self.hparams.lr, momentum=0.9, nesterov=True, weight_decay=self.hparams.weight_decay)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=self.hparams.lr * 10, total_steps=self.trainer.estimated_stepping_batches)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


def main():
    ap = ArgumentParser()
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--batch-size", type=int, default=256)
    args = ap.parse_args()

    torch.set_float32_matmul_precision("high")
    trainer = L.Trainer(
        max_epochs=args.epochs,
        accelerator="gpu",
        devices=1,
        precision="bf16-mixed",
        benchmark=True,
        callbacks=[
            EarlyStopping(monitor="val/acc", mode="max", patience=5),
            ModelCheckpoint(monitor="val/acc", mode="max", save_top_k=1),
            LearningRateMonitor(logging_interval="step"),
        ],
    )
    trainer.fit(LitResNet(), datamodule=CIFARData(batch_size=args.batch_size))


if __name__ == "__main__":
    main()
