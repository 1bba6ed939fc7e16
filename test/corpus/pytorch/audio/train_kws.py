"""Keyword spotting on 1-second clips (Speech Commands layout: <root>/<label>/<clip>.wav)."""
import argparse
import glob
import logging
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchaudio
from torch.utils.data import DataLoader, Dataset

logging.basicConfig(level=logging.INFO)
logger = logging.getLogger(__name__)

SAMPLE_RATE = 16000


class SpeechCommands(Dataset):
    def __init__(self, root, labels, split_file=None):
        self.labels = labels
        self.label_to_idx = {l: i for i, l in enumerate(labels)}
        if split_file:
            with open(split_file) as fh:
                rel = [line.strip() for line in fh if line.strip()]
            self.files = [os.path.join(root, r) for r in rel]
        else:
            self.files = sorted(glob.glob(os.path.join(root, "*", "*.wav")))  # expect: LOAD012[info]:datasetFilePerSample
        self.files = [f for f in self.files if os.path.basename(os.path.dirname(f)) in self.label_to_idx]
        self.melspec = torchaudio.transforms.MelSpectrogram(SAMPLE_RATE, n_fft=480, hop_length=160, n_mels=40)

    def __len__(self):
        return len(self.files)

    def __getitem__(self, idx):
        path = self.files[idx]
        wav, sr = torchaudio.load(path)
        if wav.size(1) < SAMPLE_RATE:
            wav = F.pad(wav, (0, SAMPLE_RATE - wav.size(1)))
        feats = self.melspec(wav[:, :SAMPLE_RATE]).clamp(min=1e-6).log()
        label = self.label_to_idx[os.path.basename(os.path.dirname(path))]
        return feats.squeeze(0), label


class KWSNet(nn.Module):
    def __init__(self, n_mels=40, n_classes=12, width=64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(n_mels, width, kernel_size=3, padding=1),  # expect: LOOP008[hint]:biasBeforeBatchNorm
            nn.BatchNorm1d(width),
            nn.ReLU(),
            nn.Conv1d(width, width, kernel_size=3, padding=2, dilation=2),  # expect: LOOP008[hint]:biasBeforeBatchNorm
            nn.BatchNorm1d(width),
            nn.ReLU(),
            nn.AdaptiveAvgPool1d(1),
        )
        self.fc = nn.Linear(width, n_classes)

    def forward(self, x):
        return self.fc(self.net(x).squeeze(-1))


def spec_augment(batch, max_width=8):
    """Masks a random band of mel channels per example."""
    out = batch.clone()
    for i in range(batch.shape[0]):  # miss: PREP008 (element-wise write out[i, ...] in a range(x.shape[0]) loop not recognised)
        width = int(torch.randint(0, max_width, (1,)))
        start = int(torch.randint(0, batch.shape[1] - width, (1,)))
        out[i, start:start + width, :] = 0.0
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--labels", default="yes,no,up,down,left,right,on,off,stop,go,silence,unknown")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=256)
    args = ap.parse_args()

    labels = args.labels.split(",")
    device = torch.device("cuda")
    train_ds = SpeechCommands(args.root, labels)
    val_ds = SpeechCommands(args.root, labels, os.path.join(args.root, "validation_list.txt"))
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, num_workers=4)  # expect: LOAD002[info]:pinMemoryOff, LOAD003[info]:workersRespawned
    val_loader = DataLoader(val_ds, batch_size=512, num_workers=4, pin_memory=True, persistent_workers=True)

    model = KWSNet(n_classes=len(labels)).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)

    for epoch in range(args.epochs):
        model.train()
        for feats, target in train_loader:  # expect: LOOP009[hint]:benchmarkOff (no HW001: a 64-channel 1-D CNN on 40 mel bins is a tiny model, AMP gains nothing)
            feats, target = feats.to(device), target.to(device)
            feats = spec_augment(feats)
            loss = F.cross_entropy(model(feats), target)
            loss.backward()
            opt.step()  # expect: LOOP004[error]:neverCleared

        model.eval()
        hits = 0
        with torch.no_grad():
            for feats, target in val_loader:
                pred = model(feats.to(device)).argmax(1)
                hits += (pred.cpu() == target).sum().item()
        logger.info("epoch %d val acc %.4f", epoch, hits / len(val_ds))
    torch.save(model.state_dict(), "kws.pt")


if __name__ == "__main__":
    main()
