"""Semantic segmentation on a folder of images + masks described by an index CSV.

index.csv columns: image,mask,split
"""
import argparse
import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms
from torchvision.models.segmentation import deeplabv3_resnet50

logger = logging.getLogger("seg")

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


class SegmentationFolder(Dataset):
    def __init__(self, root, index_csv, split, size=512):
        self.root = Path(root)
        self.index_csv = index_csv
        self.split = split
        self.size = size
        self.length = int((pd.read_csv(index_csv)["split"] == split).sum())
        self.transform = transforms.Compose([  # expect: PREP005[info]:deterministicCompose
            transforms.Resize((size, size)),
            transforms.ToTensor(),
            transforms.Normalize(MEAN, STD),
        ])

    def __len__(self):
        return self.length

    def __getitem__(self, idx):
        index = pd.read_csv(self.index_csv)  # expect: LOAD006[warning]:wholeFilePerItem
        rows = index[index["split"] == self.split].reset_index(drop=True)
        row = rows.iloc[idx]
        image = Image.open(self.root / row["image"]).convert("RGB")  # expect: LOAD007[warning]:itemReadsInMainProcess
        mask = Image.open(self.root / row["mask"]).resize((self.size, self.size), Image.NEAREST)
        target = torch.from_numpy(np.array(mask, dtype=np.int64))
        return self.transform(image), target


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--index", default="index.csv")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--num-classes", type=int, default=21)
    ap.add_argument("--log-interval", type=int, default=20)
    ap.add_argument("--ckpt", default="checkpoints/seg.pt")
    return ap.parse_args()


def mean_iou(pred, target, num_classes):
    ious = []
    for c in range(num_classes):
        inter = ((pred == c) & (target == c)).sum()
        union = ((pred == c) | (target == c)).sum()
        if union > 0:
            ious.append(inter / union)
    return torch.stack(ious).mean()


def main():
    args = parse_args()
    logging.basicConfig(level=logging.INFO)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    index_csv = os.path.join(args.root, args.index)

    train_ds = SegmentationFolder(args.root, index_csv, "train")
    val_ds = SegmentationFolder(args.root, index_csv, "val")
    train_loader = DataLoader(train_ds, shuffle=True, num_workers=0, pin_memory=True)  # expect: LOAD001[warning]:trainingLoader, LOAD005[warning]:perSampleBatches
    val_loader = DataLoader(val_ds, batch_size=8, num_workers=4, pin_memory=True)  # expect: LOAD003[info]:workersRespawned

    model = deeplabv3_resnet50(weights=None, weights_backbone=None, num_classes=args.num_classes).to(device)  # expect: HW010[hint]:randomWeights
    class_weights = [0.5] + [1.0] * (args.num_classes - 1)
    weight = torch.tensor(class_weights).cuda()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
    scaler = torch.amp.GradScaler("cuda")

    step = 0
    for epoch in range(args.epochs):
        model.train()
        for images, masks in train_loader:
            images = images.to(device, non_blocking=True)
            masks = masks.to(device, non_blocking=True)
            optimizer.zero_grad()
            with torch.autocast(device_type="cuda", dtype=torch.float16):
                out = model(images)["out"]
                loss = F.cross_entropy(out, masks, weight=weight)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            step += 1
            if step % args.log_interval == 0:
                logger.info("epoch %d step %d loss %.4f", epoch, step, loss.item())

        model.eval()
        scores = []
        with torch.no_grad():
            for images, masks in val_loader:
                images, masks = images.to(device), masks.to(device)
                pred = model(images)["out"].argmax(1)
                scores.append(mean_iou(pred, masks, args.num_classes))
        logger.info("epoch %d mIoU %.4f", epoch, torch.stack(scores).mean().item())
        torch.save(model.state_dict(), args.ckpt)


if __name__ == "__main__":
    main()
