import type { Fix } from '../../../shared/findings';
import { argument, callArguments } from '../../engine/calls';
import { calledMethod, contains, field, methodReceiver, nodeRange, textOf, unwrap, type Node } from '../../engine/syntax';
import { descendantsOfType } from '../../python/bindings';
import { arg, collateMovesToDevice, dataLoaderUses, evaluatedOnce, type DataLoaderUse } from '../../python/dataloaders';
import { cudaPlacements, functionAcceleratorFacts, preparedByFramework } from '../../python/accelerator';
import { isAcceleratorKind, isDtype } from '../../python/device';
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
  requiresAccelerator: true,
  skipTestFiles: true,
  messages: {
    pinMemoryOff: '{{role}} DataLoader without pin_memory in a module that trains on CUDA: each batch is copied from pageable host memory, which blocks and cannot overlap with compute. Add pin_memory=True and move batches with .to(device, non_blocking=True).',
    pinMemoryOffAccelerate: '{{role}} DataLoader without pin_memory, prepared by Accelerate: Accelerate moves each batch to the device but keeps the loader\'s pin_memory (off by default), so every copy comes from pageable host memory, staged and blocking. Add pin_memory=True (with Accelerator(dataloader_config=DataLoaderConfiguration(non_blocking=True)) the copy can also overlap with compute).',
    pinMemoryOffFabric: '{{role}} DataLoader without pin_memory, prepared by Fabric: Fabric moves each batch to the device but keeps the loader\'s pin_memory (off by default), so every copy comes from pageable host memory, staged and blocking. Add pin_memory=True.',
  },
  docs: `## What it does
Finds a PyTorch \`DataLoader\` that feeds training or evaluation without \`pin_memory\` (keyword or positional slot 7)
in a module that moves its model or batches to CUDA or to the current accelerator (\`.cuda()\`, \`.to("cuda")\`,
\`.to(device)\` with \`device = torch.device("cuda" if torch.cuda.is_available() else "cpu")\` or
\`device = torch.accelerator.current_accelerator()\`, \`.to(local_rank)\`, \`accelerator.device\`, or a Lightning
\`Trainer(accelerator="gpu")\`). A loader passed to a training function that another module of the project defines
(\`train_one_epoch(model, loader_train, ...)\` imported from \`engine\`, whose loop iterates that parameter) feeds training
too, and so does one passed as \`train_dataloader=\` to a \`train()\` or \`fit()\` of a package (\`engine.train(...)\`). Since PyTorch 2.x pinned memory is pinned for the current accelerator, not only CUDA.

## Why is this bad?
The PyTorch Performance Tuning Guide: "\`pin_memory\` … defaults to \`False\`. When using a GPU it's better to set
\`pin_memory=True\`, this … enables faster and asynchronous memory copy from the host to the GPU." Copies from pageable
memory are staged through a pinned buffer and block the host; from pinned memory they can overlap with compute
when the batch is moved with \`.to(device, non_blocking=True)\`.

Loaders handed to \`accelerator.prepare()\` or \`fabric.setup_dataloaders()\` are reported too: the framework moves their
batches to the device but does not pin them. Accelerate's \`prepare_data_loader\` re-creates the loader with its own
arguments (\`pin_memory\` defaults to False) and copies each batch with \`non_blocking\` only when
\`DataLoaderConfiguration(non_blocking=True)\` asks for it, which its docs recommend together with \`pin_memory=True\`;
Fabric's loader wrapper moves each batch to the device with a plain copy.

It is only a hint (\`info\`): modules that never place anything on CUDA (CPU or MPS training, where pinning buys
nothing), loaders in a function that puts its model on MPS (or XPU, XLA) while other code of the module uses CUDA, an explicit \`pin_memory=False\`, a \`**kwargs\` that may carry the option (a dict built in the same function is read, and
a key added under an \`if\` counts as maybe there), datasets of tensors already on the GPU
(which cannot be pinned), loaders whose \`collate_fn\` moves each batch to the device (\`torch.stack(xs).to(device)\`: CUDA
tensors cannot be pinned, and setting \`pin_memory=True\` there raises), tests and debug scripts are not reported, and neither are evaluation loaders in notebooks, whose
evaluation passes are short interactive runs over small held-out sets where pinned copies save nothing measurable, nor
evaluation loaders that run once per run (a script's final test pass: its loop sits in no other loop, in code called only
outside loops; a Lightning \`test_dataloader()\` or \`predict_dataloader()\`), where pinning saves one pass's copies at most; nor are loaders no loop consumes (built and never
used, discarded by the caller, or only peeked at with \`next(iter(loader))\` to show a sample once per interval). The Hugging Face \`Trainer\` builds its own
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
The fix adds \`pin_memory=True\`, and \`non_blocking=True\` to the \`.to(device)\` / \`.cuda()\` copies of the batch in the
loops that iterate the loader, so the copy can overlap with compute. It is safe: the loader yields the same batches in
page-locked host memory, on a machine without CUDA PyTorch ignores the option with a warning, and copies are ordered on
the CUDA stream, so the model still sees the whole batch. Copies that already say \`non_blocking\`, pass \`**kwargs\` or
convert a dtype are left as they are; change batch moves made elsewhere (a helper) yourself. Pinned memory is a limited resource:
with very large batches and many workers, watch host memory. In Lightning, do not combine \`pin_memory=True\` with
\`persistent_workers=True\` and \`reload_dataloaders_every_n_epochs\` (LOAD014).

## References
- PyTorch Performance Tuning Guide, "Enable asynchronous data loading": https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html
- "A guide on good usage of non_blocking and pin_memory() in PyTorch": https://pytorch.org/tutorials/intermediate/pinmem_nonblock.html
- DataLoader API, memory pinning: https://pytorch.org/docs/stable/data.html#memory-pinning
- Accelerate, \`prepare_data_loader\` and \`DataLoaderConfiguration(non_blocking=...)\`: https://huggingface.co/docs/accelerate/package_reference/torch_wrappers
`,

  checkPython(module, reporter) {
    if (!module.importsAny('torch')) return;
    // Candidates first: device inference is the expensive part and most loaders already decide pin_memory.
    const unpinned = dataLoaderUses(module).filter((use) => use.role !== 'unknown' && arg(use, 'pin_memory').kind === 'absent');
    if (unpinned.length === 0) return;
    const cuda = cudaPlacements(module);
    if (cuda.length === 0) return;
    // Lightning reloading dataloaders with persistent workers: adding pin_memory would create LOAD014's unstable mix.
    const notebook = module.path.endsWith('.ipynb');
    const reloads = /reload_dataloaders_every_n_epochs\s*=\s*[1-9]/.test(module.text);
    for (const use of unpinned) {
      if (tensorsOnDevice(module, use)) continue;
      // A collate_fn that moves each batch to the device yields CUDA tensors, which cannot be pinned.
      if (collateMovesToDevice(module, use)) continue;
      // Accelerate and Fabric move the batches of the loaders they prepare, but keep the loader's pin_memory (LOAD002's docs).
      const scope = module.enclosingFunction(use.call);
      const framework = preparedByFramework(module).find((p) => p.name === use.name && module.enclosingFunction(p.call)?.id === scope?.id)?.framework;
      // Placements in the loader's own function that all name another device (MPS: unified memory, nothing to pin).
      if (scope && !framework && offCudaIn(module, scope)) continue;
      if (reloads && arg(use, 'persistent_workers').kind === 'present') continue;
      // A notebook's evaluation passes are short interactive runs over small held-out sets, and a script's final
      // test pass runs once (LOAD002's docs).
      if (use.role === 'eval' && (notebook || evaluatedOnce(module, use))) continue;
      const fn = field(use.call, 'function') ?? use.call;
      reporter.report({
        range: nodeRange(fn),
        messageId: framework ? (framework === 'Accelerate' ? 'pinMemoryOffAccelerate' : 'pinMemoryOffFabric') : 'pinMemoryOff',
        data: { role: use.role === 'train' ? 'Training' : 'Evaluation' },
        related: [{ range: nodeRange(cuda[0].call), message: 'moved to CUDA here' }],
        fixes: [pinFix(module, use)],
      });
    }
  },
});

/**
 * pin_memory=True, and non_blocking=True on the host-to-device copies of the batches in the loops that
 * iterate this loader (`x.to(device)`, `batch["x"].cuda()`): pinned memory only lets the copy overlap
 * with compute when the copy does not block. Copies are ordered on the CUDA stream, so the model still
 * sees the whole batch; a copy that already says non_blocking, passes **kwargs or converts a dtype is
 * left alone.
 */
function pinFix(module: PythonModule, use: DataLoaderUse): Fix {
  const edits = [appendArguments(module, use.call, ['pin_memory=True'])];
  const scope = module.enclosingFunction(use.call) ?? module.root;
  const loops = use.name ? module.loops.filter((l) => {
    const right = l.type === 'for_statement' ? field(l, 'right') : undefined;
    return right !== undefined && contains(scope, l) && module.mentions(right, use.name!);
  }) : [];
  for (const loop of loops) {
    const left = field(loop, 'left');
    const body = field(loop, 'body');
    if (!left || !body) continue;
    const batchNames = new Set(descendantsOfType(left, 'identifier').map(textOf));
    for (const copy of module.callsInside(body)) {
      const method = calledMethod(copy);
      const receiver = methodReceiver(copy);
      if ((method !== 'to' && method !== 'cuda') || !receiver || !batchNames.has(rootName(receiver) ?? '')) continue;
      const args = callArguments(copy);
      if (args.keywords.has('non_blocking') || args.hasKwargs || args.starIndex >= 0) continue;
      const first = args.keywords.get('device') ?? args.positional[0];
      if (method === 'to' && (!first || isDtype(module, first) || args.positional.length > 1)) continue;
      if (method === 'cuda' && args.positional.length > 1) continue;
      edits.push(appendArguments(module, copy, ['non_blocking=True']));
    }
  }
  const title = edits.length > 1 ? 'Add pin_memory=True and non_blocking=True on the batch copies' : 'Add pin_memory=True';
  return { title, safe: true, edits };
}

/** The function puts things on another accelerator (MPS, XPU, XLA) and nothing on CUDA or the current accelerator. */
function offCudaIn(module: PythonModule, fn: Node): boolean {
  const facts = functionAcceleratorFacts(module, fn);
  return facts.mayBeCuda.length === 0 && facts.placements.some((p) => isAcceleratorKind(p.kind));
}

/** `x` for `x`, `x.a`, `x[0]`, `x["k"].a`: the name a batch expression starts from. */
function rootName(expr: Node): string | undefined {
  let n = unwrap(expr);
  while (n.type === 'attribute' || n.type === 'subscript') {
    const inner = field(n, n.type === 'attribute' ? 'object' : 'value');
    if (!inner) return undefined;
    n = unwrap(inner);
  }
  return n.type === 'identifier' ? textOf(n) : undefined;
}

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
