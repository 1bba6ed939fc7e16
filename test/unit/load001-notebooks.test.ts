// LOAD001 in notebooks, through the real analyzer: a training loader is a warning there only when each item
// visibly costs work (a torchvision dataset decoding images, a Dataset reading a file per item) while the
// model trains on an accelerator; other notebook training loaders are info (LOAD001's docs).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeNotebookCells, type NotebookCell } from '../../src/analyzers';

const code = (source: string): NotebookCell => ({ kind: 'code', source });
const LOOP = 'for epoch in range(5):\n    for x, y in train_loader:\n        x, y = x.to(device), y.to(device)\n        opt.zero_grad()\n        loss_fn(model(x), y).backward()\n        opt.step()';

async function load001(cells: NotebookCell[]) {
  const { findings } = await analyzeNotebookCells('nb.ipynb', cells);
  return findings.filter((f) => f.code === 'LOAD001').map((f) => ({ cell: f.cell, line: f.range.start.line, severity: f.severity }));
}

describe('LOAD001 in notebooks', () => {
  it('warns for a torchvision dataset decoded per item in the main process while the model trains on CUDA', async () => {
    const found = await load001([
      code('import torch\nfrom torch.utils.data import DataLoader\nfrom torchvision import datasets, transforms\ndevice = "cuda" if torch.cuda.is_available() else "cpu"'),
      code('num_workers = 0\ntrain_data = datasets.CIFAR10("data", train=True, transform=transforms.ToTensor())'),
      code('train_loader = DataLoader(train_data, batch_size=20, num_workers=num_workers, shuffle=True)\nmodel = torch.nn.Conv2d(3, 8, 3).to(device)\nopt = torch.optim.SGD(model.parameters(), lr=0.01)\nloss_fn = torch.nn.CrossEntropyLoss()'),
      code(LOOP),
    ]);
    assert.deepEqual(found, [{ cell: 2, line: 0, severity: 'warning' }]);
  });

  it('is info when the notebook trains on the CPU, or nothing shows per-item work', async () => {
    const cpu = await load001([
      code('import torch\nfrom torch.utils.data import DataLoader\nfrom torchvision import datasets, transforms\ndevice = "cpu"'),
      code('train_data = datasets.FashionMNIST("data", train=True, transform=transforms.ToTensor())\ntrain_loader = DataLoader(train_data, batch_size=64, shuffle=True)\nmodel = torch.nn.Linear(784, 10).to(device)\nopt = torch.optim.SGD(model.parameters(), lr=0.01)\nloss_fn = torch.nn.CrossEntropyLoss()'),
      code(LOOP),
    ]);
    assert.deepEqual(cpu, [{ cell: 1, line: 1, severity: 'info' }]);
    const opaque = await load001([
      code('import torch\nfrom torch.utils.data import DataLoader\nfrom mydata import make_dataset\ndevice = "cuda"'),
      code('train_loader = DataLoader(make_dataset("train"), batch_size=64, shuffle=True)\nmodel = torch.nn.Linear(784, 10).to(device)\nopt = torch.optim.SGD(model.parameters(), lr=0.01)\nloss_fn = torch.nn.CrossEntropyLoss()'),
      code(LOOP),
    ]);
    assert.deepEqual(opaque, [{ cell: 1, line: 0, severity: 'info' }]);
  });
});
