// Fixes marked safe are applied by `lint --fix` without a look: they must keep behaviour (issue 10,
// items 5 and 6). LOAD001's worker fix replays an IterableDataset once per worker; PREP001's hoist runs a
// statement once that the loop may need to run each time.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers';

async function safety(code: string, text: string): Promise<boolean[]> {
  const { findings, tree } = await analyze('train.py', text, { select: [code] });
  tree?.delete();
  return findings.filter((f) => f.code === code).map((f) => f.fixes[0]?.safe ?? false);
}

const LOOP = ['    for batch in loader:', '        opt.zero_grad()', '        model(batch).backward()', '        opt.step()', ''];

describe('LOAD001: workers only for a dataset known to be map-style (item 5)', () => {
  const train = (head: string[], dataset: string) => [...head, 'def train(model, opt):', `    loader = DataLoader(${dataset}, batch_size=8)`, ...LOOP].join('\n');

  it('is unsafe for a datapipe, a factory function\'s dataset, load_dataset, and a dataset passed in', async () => {
    const head = ['from torch.utils.data import DataLoader', 'from torchdata.datapipes.iter import IterableWrapper', 'from datasets import load_dataset', 'from mypkg import make_dataset'];
    assert.deepEqual(await safety('LOAD001', train(head, 'IterableWrapper(range(16))')), [false]);
    assert.deepEqual(await safety('LOAD001', train(head, 'make_dataset("train")')), [false]);
    assert.deepEqual(await safety('LOAD001', train(head, 'load_dataset("imdb", split="train", streaming=True)')), [false]);
    const passedIn = ['from torch.utils.data import DataLoader', 'def train(model, opt, dataset):', '    loader = DataLoader(dataset, batch_size=8)', ...LOOP].join('\n');
    assert.deepEqual(await safety('LOAD001', passedIn), [false]);
    const fromFactory = ['from torch.utils.data import DataLoader', 'from mypkg import make_dataset', 'def train(model, opt):', '    ds = make_dataset()', '    loader = DataLoader(ds, batch_size=8)', ...LOOP].join('\n');
    assert.deepEqual(await safety('LOAD001', fromFactory), [false]);
  });

  it('is safe for torch, torchvision and local map-style datasets', async () => {
    const head = ['from torch.utils.data import ConcatDataset, DataLoader, Dataset', 'from torchvision import datasets', 'class Frames(Dataset):', '    def __len__(self):', '        return 4', '    def __getitem__(self, i):', '        return i', ''];
    assert.deepEqual(await safety('LOAD001', train(head, 'ConcatDataset([Frames(), Frames()])')), [true]);
    assert.deepEqual(await safety('LOAD001', train(head, 'datasets.MNIST("data", download=True)')), [true]);
    assert.deepEqual(await safety('LOAD001', train(head, 'Frames()')), [true]);
    const bound = [...head, 'def train(model, opt):', '    ds = Frames()', '    loader = DataLoader(ds, batch_size=8)', ...LOOP].join('\n');
    assert.deepEqual(await safety('LOAD001', bound), [true]);
  });
});

describe('PREP001: hoisting is safe only when the loop cannot change what the statement computes (item 6)', () => {
  const epochs = (before: string[], body: string[], after: string[] = []) => [
    'import subprocess', 'import numpy as np', ...before, 'def train(model, opt, epochs):', '    features = None', '    for epoch in range(epochs):',
    ...body.map((l) => '        ' + l), '        features = np.load("features.npy")', ...after.map((l) => '        ' + l),
    '        for x in features:', '            model.loss(x).backward()', '            opt.step()', '',
  ].join('\n');

  it('is safe for a plain read (the control case)', async () => {
    assert.deepEqual(await safety('PREP001', epochs([], ['print("epoch")'])), [true]);
  });

  it('is not safe when a subprocess earlier in the iteration may rewrite the file', async () => {
    assert.deepEqual(await safety('PREP001', epochs([], ['subprocess.run(["python", "make_features.py"])'])), [false]);
  });

  it('is not safe when a later statement of the loop may rewrite files before the next iteration (os.system, open for writing)', async () => {
    assert.deepEqual(await safety('PREP001', epochs(['import os'], [], ['os.system("python make_features.py")'])), [false]);
    assert.deepEqual(await safety('PREP001', epochs([], [], ['with open(out_path, "wb") as f:', '    f.write(b"")'])), [false]);
    assert.deepEqual(await safety('PREP001', epochs([], [], ['np.save(cache_file, features)'])), [false]);
  });

  it('stays safe beside writes that name another literal file (a checkpoint, a log)', async () => {
    assert.deepEqual(await safety('PREP001', epochs(['import torch'], [], ['torch.save(model.state_dict(), "ckpt.pt")', 'with open("log.txt", "a") as f:', '    f.write("done")'])), [true]);
  });

  it('is not safe when the value is read before its assignment in the same iteration', async () => {
    assert.deepEqual(await safety('PREP001', epochs([], ['if features is not None:', '    print(features.shape)'])), [false]);
  });

  it('is not offered safe when a function the loop calls rebinds a name the statement reads', async () => {
    const text = [
      'import numpy as np', 'PATH = "a.npy"', 'def next_shard():', '    global PATH', '    PATH = "b.npy"',
      'def train(model, opt, epochs):', '    for epoch in range(epochs):', '        data = np.load(PATH)',
      '        for x in data:', '            model.loss(x).backward()', '            opt.step()', '        next_shard()', '',
    ].join('\n');
    assert.deepEqual(await safety('PREP001', text), []);
  });

  it('is not safe when the loop hands a name the statement reads to an unknown function', async () => {
    const text = [
      'import numpy as np', 'from helpers import shuffle_paths', 'def train(model, opt, epochs, paths):', '    for epoch in range(epochs):',
      '        shuffle_paths(paths)', '        data = np.load(paths[0])', '        for x in data:', '            model.loss(x).backward()', '            opt.step()', '',
    ].join('\n');
    assert.deepEqual(await safety('PREP001', text), [false]);
  });
});
