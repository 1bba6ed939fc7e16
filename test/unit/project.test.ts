// Cross-file facts: rules follow imports into the project's own modules and Hydra defaults into
// config groups, and stay as silent as before when the other file cannot be read.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { analyzeFile } from '../../src/analyzers';
import { ProjectIndex } from '../../src/analyzers/workspace/project';

function project(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-project-'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

const TRAIN = `from torch.utils.data import DataLoader
from pkg import Stream
from pkg.maps import Frames


def train(model, opt):
    stream = DataLoader(Stream(), batch_size=8)
    frames = DataLoader(Frames(), batch_size=8)
    for x in stream:
        opt.zero_grad()
        model(x).backward()
        opt.step()
    for y in frames:
        opt.zero_grad()
        model(y).backward()
        opt.step()
`;

describe('cross-file facts', () => {
  it('follows a dataset class into another module (through a package re-export) before promising a safe fix', async () => {
    const root = project({
      'train.py': TRAIN,
      'pkg/__init__.py': 'from .streams import Stream\n',
      'pkg/streams.py': 'from torch.utils.data import IterableDataset\n\nclass Base(IterableDataset):\n    pass\n\nclass Stream(Base):\n    def __iter__(self):\n        yield from range(10)\n',
      'pkg/maps.py': 'from torch.utils.data import Dataset\n\nclass Frames(Dataset):\n    def __len__(self):\n        return 10\n    def __getitem__(self, i):\n        return i\n',
    });
    const { findings } = await analyzeFile(path.join(root, 'train.py'), { root, select: ['LOAD001'] });
    const byLine = new Map(findings.map((f) => [f.range.start.line, f.fixes[0]?.safe]));
    assert.deepEqual([...byLine], [[6, false], [7, true]], 'IterableDataset (via a base class in the other module) is not safe to give workers');
  });

  it('treats a project class it cannot read as unknown', async () => {
    const root = project({ 'train.py': TRAIN, 'pkg/__init__.py': 'from .missing import Stream\n', 'pkg/maps.py': 'class Frames:\n    def __getitem__(self, i):\n        return i\n' });
    const { findings } = await analyzeFile(path.join(root, 'train.py'), { root, select: ['LOAD001'] });
    assert.deepEqual(findings.map((f) => [f.range.start.line, f.fixes[0]?.safe]), [[6, false], [7, true]]);
  });

  it('follows a Hydra defaults entry into the callbacks group', async () => {
    const trainYaml = 'defaults:\n  - callbacks: default\n  - _self_\n\ntrainer:\n  _target_: lightning.pytorch.Trainer\n  max_epochs: 200\n';
    const without = project({ 'configs/train.yaml': trainYaml, 'configs/callbacks/default.yaml': 'model_checkpoint:\n  _target_: lightning.pytorch.callbacks.ModelCheckpoint\n  monitor: val/loss\n' });
    const withEs = project({ 'configs/train.yaml': trainYaml, 'configs/callbacks/default.yaml': 'early_stopping:\n  _target_: lightning.pytorch.callbacks.EarlyStopping\n  monitor: val/loss\n  patience: 3\n' });
    const reported = await analyzeFile(path.join(without, 'configs/train.yaml'), { root: without, select: ['STOP003'] });
    assert.deepEqual(reported.findings.map((f) => [f.code, f.severity, f.range.start.line]), [['STOP003', 'info', 6]]);
    assert.deepEqual((await analyzeFile(path.join(withEs, 'configs/train.yaml'), { root: withEs, select: ['STOP003'] })).findings, []);
    // Without a project folder the group cannot be read: silent, as before.
    assert.deepEqual((await analyzeFile(path.join(without, 'configs/train.yaml'), { select: ['STOP003'] })).findings, []);
  });

  it('finds a Hydra group file for a config, from its folder or a folder above, inside the project only', () => {
    const root = project({ 'configs/train.yaml': 'defaults:\n  - callbacks: default\n', 'configs/experiment/long.yaml': 'trainer:\n  max_epochs: 300\n', 'configs/callbacks/default.yml': 'early_stopping: {}\n' });
    const index = new ProjectIndex(root);
    const expected = path.join(root, 'configs/callbacks/default.yml');
    assert.equal(index.hydraGroupFile('configs/train.yaml', 'callbacks', 'default'), expected);
    assert.equal(index.hydraGroupFile('configs/experiment/long.yaml', 'callbacks', 'default'), expected, 'one folder up, as experiment files sit below the primary config');
    assert.equal(index.hydraGroupFile('configs/train.yaml', 'callbacks', 'missing'), undefined);
    // The project root bounds the search: a group beside the project is not the project's.
    const nested = project({ 'app/train.yaml': 'defaults:\n  - callbacks: default\n', 'callbacks/default.yaml': 'early_stopping: {}\n' });
    assert.equal(new ProjectIndex(path.join(nested, 'app')).hydraGroupFile('train.yaml', 'callbacks', 'default'), undefined);
  });

  it('reads a callbacks list built by a factory in another module', async () => {
    const train = `import lightning as L
from torch import nn
from helpers.callbacks import make_callbacks


class Model(L.LightningModule):
    def training_step(self, batch, i):
        return self.net(batch).sum()

    def validation_step(self, batch, i):
        self.log("val_loss", self.net(batch).sum())


def main():
    trainer = L.Trainer(max_epochs=200, callbacks=make_callbacks())
    trainer.fit(Model())
`;
    const factory = (extra: string) => `from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint


def make_callbacks():
    return [ModelCheckpoint(monitor="val_loss")${extra}]
`;
    const without = project({ 'train.py': train, 'helpers/__init__.py': '', 'helpers/callbacks.py': factory('') });
    const withEs = project({ 'train.py': train, 'helpers/__init__.py': '', 'helpers/callbacks.py': factory(', EarlyStopping(monitor="val_loss")') });
    const reported = await analyzeFile(path.join(without, 'train.py'), { root: without, select: ['STOP003'] });
    assert.deepEqual(reported.findings.map((f) => [f.code, f.range.start.line]), [['STOP003', 14]]);
    assert.deepEqual((await analyzeFile(path.join(withEs, 'train.py'), { root: withEs, select: ['STOP003'] })).findings, []);
    assert.deepEqual((await analyzeFile(path.join(without, 'train.py'), { select: ['STOP003'] })).findings, [], 'unreadable without the project: silent');
  });
  it('finds the convolutions of a model class another module defines (a star import) for LOOP009', async () => {
    const files = {
      'models.py': `import torch.nn as nn


class ResidualBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.block = nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.InstanceNorm2d(channels), nn.ReLU())

    def forward(self, x):
        return x + self.block(x)


class GeneratorResNet(nn.Module):
    def __init__(self, channels=64, blocks=9):
        super().__init__()
        self.model = nn.Sequential(*[ResidualBlock(channels) for _ in range(blocks)])

    def forward(self, x):
        return self.model(x)
`,
      'train.py': `"""The generator's convolutions live in the project's models.py, imported with a star import."""
import torch

from models import *

cuda = torch.cuda.is_available()
G = GeneratorResNet()
if cuda:
    G = G.cuda()
optimizer = torch.optim.Adam(G.parameters(), lr=2e-4)
for epoch in range(200):
    for i, batch in enumerate(dataloader):
        real = batch["A"].cuda()
        loss = (G(real) - real).abs().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
`,
    };
    const root = project(files);
    const reported = await analyzeFile(path.join(root, 'train.py'), { root, select: ['LOOP009'] });
    assert.deepEqual(reported.findings.map((f) => [f.code, f.range.start.line]), [['LOOP009', 11]]);
    const alone = project({ 'train.py': files['train.py'] });
    assert.deepEqual((await analyzeFile(path.join(alone, 'train.py'), { root: alone, select: ['LOOP009'] })).findings, [], 'no models.py: no convolution seen');
  });

  it('takes a loader passed to a training function another module defines for a training loader (LOAD002)', async () => {
    const files = {
      'main.py': `import argparse

import torch
from torch.utils.data import DataLoader

from data import build_dataset
from engine import train_one_epoch


def main(args):
    device = torch.device(args.device)
    model = torch.nn.Linear(4, 2).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loader_train = DataLoader(build_dataset(), batch_size=8, num_workers=2)
    for epoch in range(args.epochs):
        train_one_epoch(model, loader_train, opt, device)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--epochs", type=int, default=50)
    main(parser.parse_args())
`,
      'engine.py': `def train_one_epoch(model, data_loader, opt, device):
    for x, y in data_loader:
        loss = model(x.to(device)).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
`,
    };
    const root = project(files);
    const { findings } = await analyzeFile(path.join(root, 'main.py'), { root, select: ['LOAD002'] });
    assert.deepEqual(findings.map((f) => [f.code, f.range.start.line, f.severity]), [['LOAD002', 13, 'info']]);
    const alone = project({ 'main.py': files['main.py'] });
    assert.deepEqual((await analyzeFile(path.join(alone, 'main.py'), { root: alone, select: ['LOAD002'] })).findings, [], 'no engine.py: the loader\'s role is unknown');
  });
});
