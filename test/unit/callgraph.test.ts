import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { callGraph, isEvaluationFunction } from '../../src/analyzers/python/callgraph';
import type { PythonModule } from '../../src/analyzers/python/module';
import { moduleOf } from '../helpers/python';

const names = (m: PythonModule, fns: Iterable<{ fn: Parameters<PythonModule['functionName']>[0] }>) => [...fns].map((f) => m.functionName(f.fn)).sort();

describe('call graph of the training step', () => {
  it('follows a step split across methods (run_loop -> run_step -> forward_backward)', async () => {
    const m = await moduleOf(`
      class Loop:
          def run_loop(self):
              for batch in self.loader:
                  self.run_step(batch)

          def run_step(self, batch):
              self.forward_backward(batch)
              self.opt.step()
              if self.step % 100 == 0:
                  self.log_summary()

          def forward_backward(self, batch):
              self.model(batch).sum().backward()

          def log_summary(self):
              print(self.step)
    `);
    const g = callGraph(m);
    assert.deepEqual(g.stepLoops.map((l) => l.startPosition.row + 1), [3]);
    assert.deepEqual(names(m, g.perStep.values()), ['forward_backward', 'run_step']);
    assert.deepEqual(names(m, g.guardedOnly.values()), ['log_summary']);
    const fb = [...g.perStep.values()].find((p) => m.functionName(p.fn) === 'forward_backward')!;
    assert.equal(fb.depth, 2);
    assert.equal(fb.callSite.text, 'self.run_step(batch)', 'the related location is the call in the loop');
  });

  it('resolves methods of objects built from local classes, and leaves evaluation out', async () => {
    const m = await moduleOf(`
      import torch

      class Meter:
          def add(self, *values):
              self.values = values

      @torch.no_grad()
      def score(net, batch):
          net.eval()
          return net(batch).argmax(1)

      def train(net, loader, opt):
          meter = Meter()
          for x, y in loader:
              loss = net(x).sum()
              loss.backward()
              opt.step()
              meter.add(loss)
              score(net, x)
    `);
    const g = callGraph(m);
    assert.deepEqual(names(m, g.perStep.values()), ['add']);
    const score = m.functions.find((f) => m.functionName(f) === 'score')!;
    assert.equal(isEvaluationFunction(m, score), true);
    const train = m.functions.find((f) => m.functionName(f) === 'train')!;
    assert.equal(isEvaluationFunction(m, train), false);
  });
});
