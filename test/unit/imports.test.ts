import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalName } from '../../src/analyzers/engine/imports';
import { field } from '../../src/analyzers/engine/syntax';
import { moduleOf } from '../helpers/python';

async function callees(source: string): Promise<Array<string | undefined>> {
  const m = await moduleOf(source);
  return m.calls.filter((c) => field(c, 'function')?.text !== 'print').map((c) => m.callee(c));
}

describe('import and alias resolution', () => {
  it('resolves module aliases, from-imports with aliases and attribute chains', async () => {
    assert.deepEqual(
      await callees(`
        import torch.utils.data as tud
        from torch.utils.data import DataLoader as DL
        import torch
        from torch.utils import data
        tud.DataLoader(ds)
        DL(ds)
        torch.utils.data.DataLoader(ds)
        data.DataLoader(ds)
      `),
      Array(4).fill('torch.utils.data.DataLoader'),
    );
  });

  it('maps renamed packages and re-exports to one canonical name', async () => {
    assert.deepEqual(
      await callees(`
        import pytorch_lightning as pl
        import lightning as L
        from lightning.pytorch import Trainer
        import tensorflow as tf
        pl.Trainer()
        L.Trainer()
        Trainer()
        tf.keras.callbacks.EarlyStopping()
      `),
      ['lightning.pytorch.Trainer', 'lightning.pytorch.Trainer', 'lightning.pytorch.Trainer', 'keras.callbacks.EarlyStopping'],
    );
    assert.equal(canonicalName('torch.utils.data.dataloader.DataLoader'), 'torch.utils.data.DataLoader');
    assert.equal(canonicalName('keras.layers.core.Dense'), 'keras.layers.Dense');
    assert.equal(canonicalName('tensorflow.keras.layers.convolutional.Conv2D'), 'keras.layers.Conv2D');
  });

  it('follows module-level aliases and leaves unknown names unresolved', async () => {
    assert.deepEqual(
      await callees(`
        from torch.utils.data import DataLoader
        Loader = DataLoader
        Loader(ds)
        DataLoaderX(ds)
        def f():
            from transformers import Trainer as T
            T()
      `),
      ['torch.utils.data.DataLoader', undefined, 'transformers.Trainer'],
    );
  });

  it('keeps relative imports apart from library names and resolves star imports to their module', async () => {
    assert.deepEqual(
      await callees(`
        from torch.utils.data import *
        from .data import DataLoader
        DataLoader(ds)
      `),
      ['.data.DataLoader'],
    );
    assert.deepEqual(await callees(`
      from torch.utils.data import *
      TensorDataset(x)
    `), ['torch.utils.data.TensorDataset']);
  });
});
