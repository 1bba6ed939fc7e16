// python/provenance.ts on real parses: dicts built in the code, and what a call receives through **kwargs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { argument } from '../../src/analyzers/engine/calls';
import { textOf } from '../../src/analyzers/engine/syntax';
import { origin, resolvedCallArguments } from '../../src/analyzers/python/provenance';
import { moduleOf } from '../helpers/python';

async function loaderArgs(source: string) {
  const m = await moduleOf(source);
  const call = m.callsTo(['torch.utils.data.DataLoader'])[0];
  assert.ok(call, 'no DataLoader call');
  return resolvedCallArguments(m, call);
}

const show = (lookup: ReturnType<typeof argument>) =>
  lookup.kind === 'present' ? `present ${textOf(lookup.node)}${lookup.spread ? ' (spread)' : ''}` : lookup.kind === 'unknown' ? `unknown${lookup.maybe ? ` maybe ${textOf(lookup.maybe)}` : ''}` : 'absent';

describe('provenance: **kwargs built from dicts', () => {
  it('reads literals, dict(), update, subscript assignment and {**a, **b}', async () => {
    const args = await loaderArgs(`
      from torch.utils.data import DataLoader
      def make(ds, args):
          base = dict(batch_size=args.bs)
          extra = {"shuffle": True}
          kw = {**base, **extra}
          kw.update(num_workers=4)
          kw["pin_memory"] = False
          kw.pop("shuffle")
          return DataLoader(ds, **kw)
    `);
    assert.equal(show(argument(args, 'batch_size', 1)), 'present args.bs (spread)');
    assert.equal(show(argument(args, 'num_workers', 5)), 'present 4 (spread)');
    assert.equal(show(argument(args, 'pin_memory', 7)), 'present False (spread)');
    assert.equal(show(argument(args, 'shuffle', 2)), 'absent');
    assert.equal(show(argument(args, 'drop_last')), 'absent');
  });

  it('makes keys added under an if maybe-there, and keeps keys set on every path', async () => {
    const args = await loaderArgs(`
      from torch.utils.data import DataLoader
      def make(ds, use_cuda):
          train_kwargs = {"batch_size": 64}
          if use_cuda:
              cuda_kwargs = {"num_workers": 1, "pin_memory": True, "shuffle": True}
              train_kwargs.update(cuda_kwargs)
          return DataLoader(ds, **train_kwargs)
    `);
    assert.equal(show(argument(args, 'batch_size', 1)), 'present 64 (spread)');
    assert.equal(show(argument(args, 'num_workers', 5)), 'unknown maybe 1');
    assert.equal(show(argument(args, 'shuffle', 2)), 'unknown maybe True');
    assert.equal(show(argument(args, 'drop_last')), 'absent');
  });

  it('reads conditional dicts and a self attribute set in __init__', async () => {
    const either = await loaderArgs(`
      from torch.utils.data import DataLoader
      def make(ds, use_cuda):
          kw = {"batch_size": 64, "num_workers": 4} if use_cuda else {"batch_size": 64}
          return DataLoader(ds, **kw)
    `);
    assert.equal(show(argument(either, 'batch_size', 1)), 'present 64 (spread)');
    assert.equal(show(argument(either, 'num_workers', 5)), 'unknown maybe 4');
    const self = await loaderArgs(`
      from torch.utils.data import DataLoader
      class Data:
          def __init__(self, bs, fast):
              self.loader_kwargs = {"batch_size": bs, "shuffle": True}
              if fast:
                  self.loader_kwargs["num_workers"] = 8
          def train_dataloader(self):
              return DataLoader(self.ds, **self.loader_kwargs)
    `);
    assert.equal(show(argument(self, 'shuffle', 2)), 'present True (spread)');
    assert.equal(show(argument(self, 'num_workers', 5)), 'unknown maybe 8');
    assert.equal(show(argument(self, 'pin_memory', 7)), 'absent');
  });

  it('stays unknown when the dict escapes into a call, is a parameter, or is changed after the read', async () => {
    const escaped = await loaderArgs(`
      from torch.utils.data import DataLoader
      def make(ds, configure):
          kw = {"batch_size": 64}
          configure(kw)
          return DataLoader(ds, **kw)
    `);
    assert.equal(show(argument(escaped, 'num_workers', 5)), 'unknown');
    const param = await loaderArgs(`
      from torch.utils.data import DataLoader
      def make(ds, **kw):
          return DataLoader(ds, **kw)
    `);
    assert.equal(show(argument(param, 'num_workers', 5)), 'unknown');
    const later = await loaderArgs(`
      from torch.utils.data import DataLoader
      kw = {"batch_size": 64}
      loader = DataLoader(ds, **kw)
      kw["num_workers"] = 8
    `);
    assert.equal(show(argument(later, 'num_workers', 5)), 'absent');
  });

  it('says what a name holds: a call result, a literal, a parameter', async () => {
    const m = await moduleOf(`
      import torch
      class Trainer:
          def __init__(self, lr):
              self.opt = torch.optim.SGD(params, lr=lr)
              self.steps = 10
          def run(self):
              return self.opt, self.steps, lr
    `);
    const ret = m.returns[0].namedChild(0)!;
    const [opt, steps] = ret.namedChildren.filter((n) => n !== null);
    const o = origin(m, opt!);
    assert.equal(o.kind === 'call' ? o.callee : o.kind, 'torch.optim.SGD');
    assert.equal(origin(m, steps!).kind, 'literal');
    const init = m.functions[0];
    const lrUse = m.referencesTo('lr').find((r) => r.parent?.type === 'keyword_argument')!;
    const p = origin(m, lrUse);
    assert.equal(p.kind === 'parameter' ? p.fn.id : p.kind, init.id);
  });
});
