import { argument } from '../../engine/calls';
import { field, nodeRange, textOf, unwrap } from '../../engine/syntax';
import { descendantsOfType } from '../../python/bindings';
import { arg, dataLoaderUses, type DataLoaderUse } from '../../python/dataloaders';
import { cudaPlacements } from '../../python/device';
import { appendArguments } from '../../python/edits';
import type { PythonModule } from '../../python/module';
import { defineRule } from '../rule';

export default defineRule({
  code: 'LOAD002',
  name: 'pin-memory-off',
  family: 'LOAD',
  severity: 'info',
  confidence: 'medium',
  fix: 'safe',
  docs: `## What it does
Finds a PyTorch \`DataLoader\` that feeds training or evaluation without \`pin_memory\` (keyword or positional slot 7)
in a module that moves its model or batches to CUDA (\`.cuda()\`, \`.to("cuda")\`, \`.to(device)\` with
\`device = torch.device("cuda" if torch.cuda.is_available() else "cpu")\`, or a Lightning \`Trainer(accelerator="gpu")\`).

## Why is this bad?
The PyTorch Performance Tuning Guide: "\`pin_memory\` … defaults to \`False\`. When using a GPU it's better to set
\`pin_memory=True\`, this … enables faster and asynchronous memory copy from the host to the GPU." Copies from pageable
memory are staged through a pinned buffer and block the host; from pinned memory they can overlap with compute
when the batch is moved with \`.to(device, non_blocking=True)\`.

It is only a hint (\`info\`): modules that never place anything on CUDA (CPU or MPS training, where pinning buys
nothing), an explicit \`pin_memory=False\`, a \`**kwargs\` that may carry the option, datasets of tensors already on the GPU
(which cannot be pinned), tests and debug scripts are not reported. The Hugging Face \`Trainer\` builds its own
loaders with \`dataloader_pin_memory=True\` by default, so nothing is reported for it. Pinning tensors by hand
(\`t.pin_memory().to(device, non_blocking=True)\`) is a different matter, and often slower (see HW006).

## Example
\`\`\`python
import torch
from torch.utils.data import DataLoader

def train(model, dataset, opt, epochs=10):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model.to(device)
    loader = DataLoader(dataset, batch_size=64, shuffle=True, num_workers=8, persistent_workers=True)
    for epoch in range(epochs):
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            loss = model(x, y)
            loss.backward()
            opt.step()
            opt.zero_grad()
\`\`\`

## Use instead
\`\`\`python
import torch
from torch.utils.data import DataLoader

def train(model, dataset, opt, epochs=10):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model.to(device)
    loader = DataLoader(dataset, batch_size=64, shuffle=True, num_workers=8, persistent_workers=True, pin_memory=True)
    for epoch in range(epochs):
        for x, y in loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = model(x, y)
            loss.backward()
            opt.step()
            opt.zero_grad()
\`\`\`

## Fix safety
The fix adds \`pin_memory=True\`. It is safe: the loader yields the same batches in page-locked host memory, and on a
machine without CUDA PyTorch ignores the option with a warning. Change the batch moves to
\`.to(device, non_blocking=True)\` yourself to let the copy overlap with compute. Pinned memory is a limited resource:
with very large batches and many workers, watch host memory. In Lightning, do not combine \`pin_memory=True\` with
\`persistent_workers=True\` and \`reload_dataloaders_every_n_epochs\` (LOAD014).

## References
- PyTorch Performance Tuning Guide, "Enable asynchronous data loading": https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html
- "A guide on good usage of non_blocking and pin_memory() in PyTorch": https://pytorch.org/tutorials/intermediate/pinmem_nonblock.html
- DataLoader API, memory pinning: https://pytorch.org/docs/stable/data.html#memory-pinning
`,

  checkPython(module, reporter) {
    if (!module.importsAny('torch') || module.isTestOrDebugFile()) return;
    // Candidates first: device inference is the expensive part and most loaders already decide pin_memory.
    const unpinned = dataLoaderUses(module).filter((use) => use.role !== 'unknown' && arg(use, 'pin_memory').kind === 'absent');
    if (unpinned.length === 0) return;
    const cuda = cudaPlacements(module);
    if (cuda.length === 0) return;
    // Lightning reloading dataloaders with persistent workers: adding pin_memory would create LOAD014's unstable mix.
    const reloads = /reload_dataloaders_every_n_epochs\s*=\s*[1-9]/.test(module.text);
    for (const use of unpinned) {
      if (tensorsOnDevice(module, use)) continue;
      if (reloads && arg(use, 'persistent_workers').kind === 'present') continue;
      const fn = field(use.call, 'function') ?? use.call;
      reporter.report({
        range: nodeRange(fn),
        message: `${use.role === 'train' ? 'Training' : 'Evaluation'} DataLoader without pin_memory in a module that trains on CUDA: each batch is copied from pageable host memory, which blocks and cannot overlap with compute. Add pin_memory=True and move batches with .to(device, non_blocking=True).`,
        related: [{ range: nodeRange(cuda[0].call), message: 'moved to CUDA here' }],
        fixes: [{ title: 'Add pin_memory=True', safe: true, edits: [appendArguments(module, use.call, ['pin_memory=True'])] }],
      });
    }
  },
});

/**
 * Tensors already on the GPU cannot be pinned (`TensorDataset(x.cuda(), ...)`, tensors from a helper given the
 * device, a CUDA sampler generator): pin_memory=True would raise "cannot pin 'torch.cuda.FloatTensor'".
 */
function tensorsOnDevice(module: PythonModule, use: DataLoaderUse): boolean {
  const generator = argument(use.args, 'generator');
  if (generator.kind === 'present' && /cuda/.test(textOf(generator.node))) return true;
  const lookup = argument(use.args, 'dataset', 0);
  if (lookup.kind !== 'present') return false;
  let ds = unwrap(lookup.node);
  if (ds.type === 'identifier') {
    const assign = module.assignmentsTo(ds.text).find((a) => field(a, 'left')?.text === ds.text);
    const right = assign && field(assign, 'right');
    if (!right) return false;
    ds = unwrap(right);
  }
  if (ds.type !== 'call' || module.callee(ds) !== 'torch.utils.data.TensorDataset') return false;
  if (ON_DEVICE.test(textOf(ds))) return true;
  // `x, y = load_features(path, device)` … `TensorDataset(x[idx], y[idx])`: follow the tensors one hop.
  const fn = module.enclosingFunction(ds);
  for (const id of descendantsOfType(field(ds, 'arguments') ?? ds, 'identifier')) {
    for (const a of module.assignmentsTo(id.text)) {
      if (module.enclosingFunction(a)?.id !== fn?.id) continue;
      const right = field(a, 'right');
      if (right && ON_DEVICE.test(textOf(right))) return true;
    }
  }
  return false;
}

const ON_DEVICE = /\.(cuda|to)\(|\bdevice\b/;
