"""DCGAN on 64x64 face crops with fp16 autocast.

python train_dcgan.py --dataroot /data/celeba --epochs 25
"""
import argparse
import os
import random

import torch
import torch.nn as nn
import torchvision.utils as vutils
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

NZ = 100


class Generator(nn.Module):
    def __init__(self, ngf=64):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(NZ, ngf * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf, 3, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, z):
        return self.main(z)


class Discriminator(nn.Module):
    def __init__(self, ndf=64):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(3, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 4, 1, 4, 1, 0, bias=False),
        )

    def forward(self, x):
        return self.main(x).view(-1)


def weights_init(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataroot", required=True)
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--outf", default="samples")
    ap.add_argument("--sample-every", type=int, default=500)
    args = ap.parse_args()

    random.seed(999)
    torch.manual_seed(999)
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.autograd.set_detect_anomaly(True)  # expect: LOOP006[warning]:setDetectAnomaly
    device = torch.device("cuda:0")

    dataset = datasets.ImageFolder(
        root=args.dataroot,
        transform=transforms.Compose([  # expect: PREP005[info]:deterministicCompose
            transforms.Resize(64),
            transforms.CenterCrop(64),
            transforms.ToTensor(),
            transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
        ]),
    )
    loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=True, num_workers=args.workers, pin_memory=True, persistent_workers=True, drop_last=True)

    netG = Generator().to(device)
    netD = Discriminator().to(device)
    netG.apply(weights_init)
    netD.apply(weights_init)
    criterion = nn.BCEWithLogitsLoss()
    fixed_noise = torch.randn(64, NZ, 1, 1, device=device)
    optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))

    os.makedirs(args.outf, exist_ok=True)
    iters = 0
    for epoch in range(args.epochs):
        for i, (real, _) in enumerate(loader):
            real = real.to(device, non_blocking=True)
            b = real.size(0)
            noise = torch.randn(b, NZ, 1, 1, device=device)

            optD.zero_grad()
            with torch.autocast("cuda", dtype=torch.float16):  # expect: HW002[warning]:fp16WithoutScaler
                fake = netG(noise)
                d_real = netD(real)
                d_fake = netD(fake.detach())
                loss_d = criterion(d_real, torch.ones_like(d_real)) + criterion(d_fake, torch.zeros_like(d_fake))
            loss_d.backward()
            optD.step()

            optG.zero_grad()
            with torch.autocast("cuda", dtype=torch.float16):  # expect: HW002[warning]:fp16WithoutScaler
                d_fake = netD(fake)
                loss_g = criterion(d_fake, torch.ones_like(d_fake))
            loss_g.backward()
            optG.step()

            d_x = torch.sigmoid(d_real).mean().item()  # expect: LOOP001[warning]:sync
            if i % 50 == 0:
                print(f"[{epoch}/{args.epochs}][{i}/{len(loader)}] D(x)={d_x:.3f} loss_D={loss_d.item():.4f} loss_G={loss_g.item():.4f}")
            if iters % args.sample_every == 0:
                with torch.no_grad():
                    sample = netG(fixed_noise).float().cpu()
                vutils.save_image(sample, os.path.join(args.outf, f"fake_{iters:06d}.png"), normalize=True)
            iters += 1
        torch.save({"G": netG.state_dict(), "D": netD.state_dict()}, os.path.join(args.outf, "dcgan.pt"))


if __name__ == "__main__":
    main()
