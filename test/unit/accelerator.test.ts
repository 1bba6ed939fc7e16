// The accelerator fact (python/accelerator.ts) on real parses: which placements it finds, on which
// device, per module and per function, and what is not accelerator training.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acceleratorFacts, cudaPlacements, functionAcceleratorFacts, trainsOnAccelerator } from '../../src/analyzers/python/accelerator';
import { moduleOf } from '../helpers/python';

const lineOf = (n: { startPosition: { row: number } }) => n.startPosition.row + 1;

describe('accelerator fact', () => {
  it('reads the torch.accelerator idiom as the current accelerator, which may be CUDA', async () => {
    const m = await moduleOf(`
      import torch
      device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
      model.to(device)
    `);
    const facts = acceleratorFacts(m);
    assert.deepEqual(facts.placements.map((p) => [lineOf(p.call), p.kind, p.how]), [[3, 'accelerator', 'to()']]);
    assert.equal(facts.onAccelerator, true);
    assert.equal(cudaPlacements(m).length, 1);
  });

  it('takes device ordinals, rank f-strings, args.device and DDP device_ids for CUDA, with where they are', async () => {
    const m = await moduleOf(`
      import os
      import torch
      from torch.nn.parallel import DistributedDataParallel as DDP

      def main(args):
          local_rank = int(os.environ["LOCAL_RANK"])
          torch.cuda.set_device(local_rank)
          model = DDP(model.to(local_rank), device_ids=[local_rank])
          args.device = torch.device("cuda", args.local_rank)
          x.to(args.device)

      def worker(rank):
          y.to(f"cuda:{rank}")
    `);
    const facts = acceleratorFacts(m);
    assert.deepEqual(facts.placements.map((p) => [lineOf(p.call), p.kind, p.how]), [
      [7, 'cuda', 'set_device'],
      [8, 'cuda', 'device_ids'],
      [8, 'cuda', 'to()'],
      [10, 'cuda', 'to()'],
      [13, 'cuda', 'to()'],
    ]);
    // Moves come before the calls that only choose a device.
    assert.deepEqual(cudaPlacements(m).map((p) => p.how), ['to()', 'to()', 'to()', 'set_device', 'device_ids']);
    const [main, worker] = m.functions;
    assert.equal(functionAcceleratorFacts(m, main).placements.length, 4);
    assert.deepEqual(functionAcceleratorFacts(m, worker).placements.map((p) => lineOf(p.call)), [13]);
  });

  it('reads argparse defaults, Accelerate and Fabric devices, and MPS as an accelerator that is not CUDA', async () => {
    const m = await moduleOf(`
      import argparse
      import torch
      import lightning as L
      from accelerate import Accelerator
      parser = argparse.ArgumentParser()
      parser.add_argument("--device", default="cuda")
      args = parser.parse_args()
      accelerator = Accelerator()
      fabric = L.Fabric(accelerator="mps")
      a.to(args.device)
      b.to(accelerator.device)
      c.to(fabric.device)
      model, opt = fabric.setup(model, opt)
    `);
    assert.deepEqual(acceleratorFacts(m).placements.map((p) => [lineOf(p.call), p.kind, p.how]), [
      [9, 'mps', 'accelerator'],
      [10, 'cuda', 'to()'],
      [11, 'accelerator', 'to()'],
      [12, 'mps', 'to()'],
      [13, 'mps', 'framework'],
    ]);
  });

  it('does not call printing torch.cuda.is_available(), or moving to the CPU, accelerator training', async () => {
    const printing = await moduleOf(`
      import torch
      print("CUDA:", torch.cuda.is_available())
      model = torch.nn.Linear(4, 1)
    `);
    assert.equal(trainsOnAccelerator(printing), false);
    const cpu = await moduleOf(`
      import torch
      device = torch.device("cpu")
      model.to(device)
    `);
    assert.equal(trainsOnAccelerator(cpu), false);
    assert.deepEqual(acceleratorFacts(cpu).placements.map((p) => p.kind), ['cpu']);
  });

  it('takes a device it cannot follow for an accelerator only when the module also uses a torch accelerator API', async () => {
    const unknown = await moduleOf(`
      import torch
      def step(model, x, device):
          return model(x.to(device))
    `);
    assert.equal(trainsOnAccelerator(unknown), false);
    const withApi = await moduleOf(`
      import torch
      def step(model, x, device):
          torch.cuda.synchronize()
          return model(x.to(device))
    `);
    assert.equal(trainsOnAccelerator(withApi), true);
  });
});
