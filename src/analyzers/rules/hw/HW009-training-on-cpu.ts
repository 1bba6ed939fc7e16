import type { Fix } from '../../../shared/findings';
import { callArguments } from '../../engine/calls';
import { nodeRange, textOf, unwrap, type Node } from '../../engine/syntax';
import { deviceManagedByFramework, devicePlacements, hardCodedCpuPlacements, mentionsAccelerator } from '../../python/accelerator';
import { readsNoData } from '../../python/data-sources';
import type { PythonModule } from '../../python/module';
import { origin } from '../../python/provenance';
import { hotLoops } from '../../python/training';
import { classDerivesFrom } from '../../python/resolve';
import { defineRule } from '../rule';
import { loopHeaderRange, tinyModel, torchBound } from './precision';

export default defineRule({
  code: 'HW009',
  name: 'training-on-cpu',
  family: 'HW',
  severity: 'info',
  confidence: 'low',
  fix: 'unsafe',
  skipTestFiles: true,
  messages: {
    noDevice: 'This training loop runs on the CPU: the module never moves the model or batches to a device. If a GPU is available it idles. Create device = torch.device("cuda" if torch.cuda.is_available() else "cpu") and move the model and each batch with .to(device).',
    hardCodedCpu: 'The training device is hard-coded to the CPU, so a GPU on the machine stays idle. Use "cuda" if torch.cuda.is_available() else "cpu" unless CPU training is intended.',
  },
  docs: `## What it does
Finds a PyTorch training loop (backward + step) that can only run on the CPU: the module builds its model and optimizer
but never moves anything to a device (no \`.to(...)\`, \`.cuda()\` or \`device=\`), or its device is hard-coded as
\`device = "cpu"\` / \`torch.device("cpu")\`.

## Why is this bad?
On a machine with a GPU, the GPU idles while the CPU does all the work: PyTorch creates tensors and modules on the
CPU, and nothing moves to a GPU unless the code asks for it (\`.to(device)\`, \`.cuda()\`, \`device=\`). The Pipeline
Doctor runner confirms it at run time: GPU utilization stays at 0% while the script trains.

Training on the CPU is right for toy networks ("Small networks may be CPU bound", AMP recipe), for machines without a
GPU, and for debugging, and the analyzer cannot see the machine: this is advice (\`info\`). Modules whose device is
chosen by a framework (Accelerate, Lightning, DeepSpeed, Ignite, …), modules whose code (comments aside) names an
accelerator anywhere (CUDA, MPS, XPU, XLA/TPU, \`torch.accelerator\`), tests and
tiny networks (as HW001 defines them: an 8 → 4 → 1 MLP built in a loop over its hidden sizes is one) are not reported,
and neither are modules that read no data at all (no loader, dataset, file or download anywhere): their loops train
on numbers written in the code (a line fitted to a dozen points, a tagger on two sentences), toy demonstrations where
a GPU has nothing to gain.

## Example
\`\`\`python
import torch
from torch import nn

class Net(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3 * 64 * 64, hidden), nn.ReLU(), nn.Linear(hidden, 10))

    def forward(self, x):
        return self.body(x)

device = torch.device("cpu")
model = Net(4096).to(device)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for x, y in loader:
    x, y = x.to(device), y.to(device)
    loss = nn.functional.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
\`\`\`

## Use instead
\`\`\`python
import torch
from torch import nn

class Net(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 10))

    def forward(self, x):
        return self.body(x)

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
model = Net(1024).to(device)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for x, y in loader:
    x, y = x.to(device), y.to(device)
    loss = nn.functional.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
\`\`\`

## Fix safety
For a hard-coded \`"cpu"\` the fix writes \`"cuda" if torch.cuda.is_available() else "cpu"\`. GPU kernels give slightly
different floating-point results and the run may then need more GPU memory than there is, so the fix is unsafe. A
module with no device handling at all gets no automatic fix: the model and every batch must be moved.

## References
- PyTorch CUDA semantics: https://pytorch.org/docs/stable/notes/cuda.html
- PyTorch Performance Tuning Guide: https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html
- AMP recipe (small networks may be CPU bound): https://pytorch.org/tutorials/recipes/recipes/amp_recipe.html
`,

  checkPython(module, reporter) {
    if (!module.importsAny('torch')) return;
    const loops = hotLoops(module);
    if (loops.length === 0 || deviceManagedByFramework(module)) return;
    if (!buildsModelAndOptimizer(module) || tinyModel(module) || readsNoData(module)) return;
    if (devicePlacements(module).length === 0) {
      if (mentionsAccelerator(module) || /\bdevice\b/.test(module.text)) return;
      for (const loop of loops) {
        reporter.report({
          range: loopHeaderRange(loop),
          messageId: 'noDevice',
        });
      }
      return;
    }
    const seen = new Set<number>();
    for (const p of hardCodedCpuPlacements(module)) {
      if (!p.device || unwrap(p.device).type === 'string') continue;
      const literal = cpuLiteral(module, p.device, p.call);
      if (!literal || seen.has(literal.id)) continue;
      seen.add(literal.id);
      reporter.report({
        range: nodeRange(literal),
        messageId: 'hardCodedCpu',
        related: [{ range: nodeRange(p.call), message: 'placed on this device here' }],
        fixes: cudaFix(module, literal),
      });
    }
  },
});

/** The module defines or loads a network and builds a torch optimizer: it sets up training here, not in a caller. */
function buildsModelAndOptimizer(module: PythonModule): boolean {
  const optimizer = module.calls.some((c) => {
    const q = module.callee(c);
    return q !== undefined && /^torch\.optim\.[A-Z]\w*$/.test(q);
  });
  if (!optimizer) return false;
  if (module.classes.some((c) => classDerivesFrom(module, c, (b) => b === 'torch.nn.Module'))) return true;
  return module.calls.some((c) => {
    const q = module.callee(c);
    return q !== undefined && (q === 'torch.nn.Sequential' || q.startsWith('torchvision.models.') || q === 'timm.create_model' || /^transformers\.\w+\.from_pretrained$/.test(q));
  });
}

/** The `"cpu"` string a device expression comes from (its origin, python/provenance.ts), also inside `torch.device(...)`. */
function cpuLiteral(module: PythonModule, expr: Node, at: Node): Node | undefined {
  let from = origin(module, expr, at);
  if (from.kind === 'call' && from.callee === 'torch.device') {
    const first = callArguments(from.call).positional[0];
    from = first ? origin(module, first, from.call) : { kind: 'unknown' };
  }
  return from.kind === 'literal' && from.node.type === 'string' && /^["']cpu["']$/.test(textOf(from.node)) ? from.node : undefined;
}

function cudaFix(module: PythonModule, literal: Node): Fix[] {
  if (!torchBound(module)) return [];
  const q = textOf(literal).charAt(0);
  return [{
    title: 'Use CUDA when it is available',
    safe: false,
    edits: [{ range: nodeRange(literal), newText: `${q}cuda${q} if torch.cuda.is_available() else ${q}cpu${q}` }],
  }];
}
