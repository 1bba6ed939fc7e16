"""Train a ResNet-style network on CIFAR-10.

Baseline script from the first sprint; kept as the reference for the accuracy numbers in the README.
Usage: python train.py --data-dir ./data --epochs 30 --lr 0.1
"""
import argparse
import logging
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

log = logging.getLogger("cifar")

CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2470, 0.2435, 0.2616)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1)  # expect: LOOP008[hint]:biasBeforeBatchNorm
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(planes),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, num_blocks=(2, 2, 2, 2), num_classes=10):
        super().__init__()
        self.in_planes = 64
        self.stem = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1),  # expect: LOOP008[hint]:biasBeforeBatchNorm
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
        )
        self.layer1 = self._make_layer(64, num_blocks[0], stride=1)
        self.layer2 = self._make_layer(128, num_blocks[1], stride=2)
        self.layer3 = self._make_layer(256, num_blocks[2], stride=2)
        self.layer4 = self._make_layer(512, num_blocks[3], stride=2)
        self.fc = nn.Linear(512, num_classes)

    def _make_layer(self, planes, blocks, stride):
        layers = []
        for s in [stride] + [1] * (blocks - 1):
            layers.append(BasicBlock(self.in_planes, planes, s))
            self.in_planes = planes
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.stem(x)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data-dir", default="./data")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--out", default="checkpoints")
    return p.parse_args()


def train_one_epoch(model, loader, optimizer, device, epoch):
    model.train()
    running = 0.0
    for images, labels in loader:  # expect: HW001[info]:cudaFp32Loop, LOOP009[hint]:benchmarkOff
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad(set_to_none=False)  # expect: LOOP003[info]:setToNoneFalse
        logits = model(images)
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        optimizer.step()
        running += loss.item()  # expect: LOOP001[warning]:sync
        torch.cuda.empty_cache()  # expect: LOOP007[warning]:emptyCache
    log.info("epoch %d train loss %.4f", epoch, running / len(loader))


def evaluate(model, loader, device):
    model.eval()
    correct, total = 0, 0
    for images, labels in loader:  # expect: LOOP005[warning]:evalWithAutograd
        images, labels = images.to(device), labels.to(device)
        preds = model(images).argmax(dim=1)
        correct += (preds == labels).sum().item()  # ok: LOOP001 (was a false positive, fixed: evaluate() runs once per epoch, not per training step: the epoch loop is taken for the hot loop)
        total += labels.numel()
    return correct / total


def main():
    args = parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    train_tf = transforms.Compose([
        transforms.RandomCrop(32, padding=4),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(CIFAR_MEAN, CIFAR_STD),
    ])
    test_tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(CIFAR_MEAN, CIFAR_STD)])
    train_set = datasets.CIFAR10(args.data_dir, train=True, download=True, transform=train_tf)
    test_set = datasets.CIFAR10(args.data_dir, train=False, download=True, transform=test_tf)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)  # expect: LOAD001[warning]:trainingLoader, LOAD002[info]:pinMemoryOff
    test_loader = DataLoader(test_set, batch_size=256)  # expect: LOAD001[info]:evaluationLoader, LOAD002[info]:pinMemoryOff

    model = ResNet().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

    os.makedirs(args.out, exist_ok=True)
    best = 0.0
    for epoch in range(args.epochs):  # ok: HW001 (was a false positive, fixed: second report on the epoch loop around the already-reported hot loop)
        start = time.time()
        train_one_epoch(model, train_loader, optimizer, device, epoch)
        scheduler.step()
        acc = evaluate(model, test_loader, device)  # ok: EVAL004 (evaluate() is called once per epoch, not inside the per-batch loop)
        log.info("epoch %d acc %.4f (%.1fs)", epoch, acc, time.time() - start)
        if acc > best:
            best = acc
            torch.save(model.state_dict(), os.path.join(args.out, "best.pt"))
    log.info("best accuracy %.4f", best)


if __name__ == "__main__":
    main()
