"""Distributed fine-tuning of a torchvision ResNet-50 on an in-house defect dataset.

torchrun --nproc_per_node=8 finetune_ddp.py --data /mnt/defects --epochs 12
Reproducibility matters here (audited model), so deterministic kernels are on and the cuDNN autotuner is off.
"""
import argparse
import logging
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets, models, transforms

log = logging.getLogger("ddp")


class DefectHead(nn.Module):
    """Extra conv refinement on top of the backbone's last feature map."""

    def __init__(self, in_ch=2048, num_classes=6):
        super().__init__()
        self.refine = nn.Sequential(
            nn.Conv2d(in_ch, 512, kernel_size=1, bias=False),
            nn.BatchNorm2d(512),
            nn.ReLU(inplace=True),
        )
        self.fc = nn.Linear(512, num_classes)

    def forward(self, feats):
        return self.fc(F.adaptive_avg_pool2d(self.refine(feats), 1).flatten(1))


class DefectNet(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        backbone = models.resnet50(weights=models.ResNet50_Weights.DEFAULT)
        self.features = nn.Sequential(*list(backbone.children())[:-2])
        self.head = DefectHead(num_classes=num_classes)

    def forward(self, x):
        return self.head(self.features(x))


def setup():
    dist.init_process_group("nccl")
    rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(rank)
    return rank


def loaders(root, batch_size, workers):
    train_tf = transforms.Compose([
        transforms.RandomResizedCrop(224),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    val_tf = transforms.Compose([  # miss: PREP005 (deterministic decode+resize of the validation ImageFolder repeated every epoch; only training datasets are checked)
        transforms.Resize(256),
        transforms.CenterCrop(224),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    train_ds = datasets.ImageFolder(os.path.join(root, "train"), train_tf)
    val_ds = datasets.ImageFolder(os.path.join(root, "val"), val_tf)
    train_sampler = DistributedSampler(train_ds, shuffle=True)
    train = DataLoader(train_ds, batch_size=batch_size, sampler=train_sampler, num_workers=workers, pin_memory=True, persistent_workers=True)
    val = DataLoader(val_ds, batch_size=batch_size, sampler=DistributedSampler(val_ds, shuffle=False), num_workers=workers, pin_memory=True, persistent_workers=True)
    return train, val, train_sampler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--workers", type=int, default=6)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--num-classes", type=int, default=6)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO)

    rank = setup()
    torch.manual_seed(1234)
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    torch.backends.cuda.matmul.allow_tf32 = True
    device = torch.device("cuda", rank)

    train_loader, val_loader, sampler = loaders(args.data, args.batch_size, args.workers)
    model = DDP(DefectNet(args.num_classes).to(device), device_ids=[rank])
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs * len(train_loader))

    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        for step, (x, y) in enumerate(train_loader):
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast("cuda", dtype=torch.bfloat16):
                loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
            loss.backward()
            optimizer.step()
            scheduler.step()
            if rank == 0 and step % 100 == 0:
                log.info("epoch %d step %d loss %.4f", epoch, step, loss.item())

        model.eval()
        correct = torch.zeros((), device=device)
        count = torch.zeros((), device=device)
        with torch.inference_mode(), torch.autocast("cuda", dtype=torch.bfloat16):
            for x, y in val_loader:
                x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
                correct += (model(x).argmax(1) == y).sum()
                count += y.numel()
        dist.all_reduce(correct)
        dist.all_reduce(count)
        if rank == 0:
            log.info("epoch %d val acc %.4f", epoch, (correct / count).item())
            torch.save(model.module.state_dict(), f"defectnet_e{epoch}.pt")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
