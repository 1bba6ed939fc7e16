import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { moduleOf } from '../helpers/python';
import { epochLoops, hotLoops, inHotRegion } from '../../src/analyzers/python/training';

const lineOf = (n: { startPosition: { row: number } }) => n.startPosition.row + 1;

describe('loop structure', () => {
  it('finds the innermost training loop and its epoch loop', async () => {
    const m = await moduleOf(`
      for epoch in range(10):
          for x, y in loader:
              loss = model(x).sum()
              loss.backward()
              opt.step()
          evaluate()
    `);
    assert.deepEqual(hotLoops(m).map(lineOf), [2]);
    assert.deepEqual(epochLoops(m).map(lineOf), [1]);
  });

  it('inlines one level of local calls, for the hot loop and the epoch loop', async () => {
    const m = await moduleOf(`
      def step(model, batch, opt):
          model(batch).backward()
          opt.step()

      def train_epoch(model, loader, opt):
          for batch in loader:
              step(model, batch, opt)

      for epoch in range(3):
          train_epoch(model, loader, opt)
    `);
    assert.deepEqual(hotLoops(m).map(lineOf), [6]);
    assert.deepEqual(epochLoops(m).map(lineOf), [9]);
  });

  it('does not call a loop hot without both backward and step, or when they sit in a nested def', async () => {
    const m = await moduleOf(`
      for batch in loader:
          loss = model(batch)
          loss.backward()
      for batch in loader:
          def later():
              loss.backward()
              opt.step()
    `);
    assert.deepEqual(hotLoops(m), []);
  });

  it('treats Lightning training_step as a per-step region', async () => {
    const m = await moduleOf(`
      import lightning as L
      class Model(L.LightningModule):
          def training_step(self, batch, idx):
              x = tok(batch)
              return x
          def helper(self):
              y = tok(z)
    `);
    const calls = m.calls.filter((c) => c.text.startsWith('tok('));
    assert.deepEqual(calls.map((c) => inHotRegion(m, c)), [true, false]);
  });

  it('sees a Keras fit(epochs=1) inside a loop as an epoch loop', async () => {
    const m = await moduleOf(`
      for epoch in range(50):
          model.fit(x, y, epochs=1)
    `);
    assert.deepEqual(epochLoops(m).map(lineOf), [1]);
  });
});

describe('loop structure with epoch helpers', () => {
  it('does not call an epoch loop hot because its helper trains and a scheduler steps', async () => {
    const m = await moduleOf(`
      def train_one_epoch(model, loader, opt):
          for batch in loader:
              model(batch).backward()
              opt.step()

      for epoch in range(10):
          train_one_epoch(model, loader, opt)
          scheduler.step()
    `);
    assert.deepEqual(hotLoops(m).map(lineOf), [2]);
    assert.deepEqual(epochLoops(m).map(lineOf), [6]);
  });
});
