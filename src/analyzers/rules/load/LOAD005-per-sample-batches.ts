import type { Fix } from '../../../shared/findings';
import { calledMethod, contains, field, nodeRange, unwrap, type Node } from '../../engine/syntax';
import { arg, argValue, dataLoaderUses, isIterableDataset, type DataLoaderUse } from '../../python/dataloaders';
import { appendArguments, replaceNode } from '../../python/edits';
import type { PythonModule } from '../../python/module';
import { hotLoops } from '../../python/training';
import { defineRule } from '../rule';

const SUGGESTED = 32;
/** Gradient accumulation configured for Lightning, HF Trainer or Accelerate. */
const ACCUMULATION_SETTING = /accumulate_grad_batches\s*=\s*(?!1\b)|gradient_accumulation_steps\s*=\s*(?!1\b)|\.accumulate\(/;

export default defineRule({
  code: 'LOAD005',
  name: 'per-sample-batches',
  family: 'LOAD',
  severity: 'warning',
  confidence: 'medium',
  fix: 'unsafe',
  skipTestFiles: true,
  messages: {
    perSampleBatches: 'Training DataLoader has {{setting}}: every step processes a single sample, so the GPU idles on per-batch overhead. Use a batch of 32-64 (and retune the learning rate).',
  },
  docs: `## What it does
Finds a PyTorch \`DataLoader\` that feeds training with \`batch_size\` absent (the default is 1) or the literal 1.
Evaluation and inference loaders, \`batch_size=None\` (pre-batched datasets), loaders with a \`batch_sampler=\` or a
\`BatchSampler\` as sampler, loaders whose collate function unwraps single samples, and training loops that
accumulate gradients over several steps are left alone: there one sample per step is a deliberate choice. So is a
loader only peeked at (\`next(iter(loader))\` to display one sample) and never trained on.

## Why is this bad?
The DataLoader default is \`batch_size=1\`, so every optimizer step sees one sample, the GPU runs tiny kernels, and the
per-batch overhead (collation, host-to-device copies, Python in the loop) dominates. Hugging Face: "Batch size is one
of the most important hyperparameters for efficient GPU training … use batch sizes … of size 2^N … a multiple of 8 …
unless it's an A100 GPU, in which case use multiples of 64."

## Example
\`\`\`python
from torch.utils.data import DataLoader

def train(model, dataset, opt):
    loader = DataLoader(dataset, shuffle=True, num_workers=4)
    for x, y in loader:
        loss = model(x, y)
        loss.backward()
        opt.step()
        opt.zero_grad()
\`\`\`

## Use instead
\`\`\`python
from torch.utils.data import DataLoader

def train(model, dataset, opt, batch_size=32):
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=4)
    for x, y in loader:
        loss = model(x, y)
        loss.backward()
        opt.step()
        opt.zero_grad()
\`\`\`

## Fix safety
The fix sets \`batch_size=${SUGGESTED}\`. It is unsafe: the batch size changes the optimisation (the learning rate usually
needs retuning, batch-norm statistics change, and memory use grows), so prefer making it a CLI or config parameter.

## References
- DataLoader API (\`batch_size\` defaults to 1): https://pytorch.org/docs/stable/data.html#torch.utils.data.DataLoader
- Hugging Face, "Methods and tools for efficient training on a single GPU": https://huggingface.co/docs/transformers/perf_train_gpu_one
`,

  checkPython(module, reporter) {
    for (const found of dataLoaderUses(module)) {
      const use = inScope(module, found);
      if (!use || use.role !== 'train') continue;
      const size = arg(use, 'batch_size');
      const value = argValue(size);
      if (!(value === 'absent' || value === 1)) continue;
      const batchSampler = arg(use, 'batch_sampler');
      if (batchSampler.kind !== 'absent' && argValue(batchSampler) !== null) continue;
      if (samplesBatches(module, use)) continue;
      if (value === 'absent' && isIterableDataset(module, use) !== false) continue;
      if (value === 1 && arg(use, 'collate_fn').kind !== 'absent') continue;
      if (unwrapsSingleSample(use)) continue;
      if (accumulatesGradients(module, use) || ACCUMULATION_SETTING.test(module.text)) continue;
      const setting = value === 'absent' ? 'no batch_size (default 1)' : 'batch_size=1';
      reporter.report({
        range: nodeRange(size.kind === 'present' ? size.node : use.call.childForFieldName('function') ?? use.call),
        messageId: 'perSampleBatches',
        data: { setting },
        related: use.consumer ? [{ range: nodeRange(use.consumer), message: `consumed here (${use.reason})` }] : [],
        fixes: size.kind === 'present' && size.spread ? [] : [batchFix(module, use, size)],
      });
    }
  },
});

/**
 * dataLoaderUses matches consumers by name across the module; a `loader` in one function is not the `loader`
 * a training loop in another function iterates. Re-anchor the consumer in the loader's own function.
 */
function inScope(module: PythonModule, use: DataLoaderUse): DataLoaderUse | undefined {
  const fn = module.enclosingFunction(use.call);
  const bound = module.boundName(use.call);
  if (!fn || !use.name || use.name !== bound || use.name.includes('.') || !use.consumer) return use;
  if (contains(fn, use.consumer)) return use;
  const local = hotLoops(module).find((l) => contains(fn, l) && l.type === 'for_statement' && module.mentions(field(l, 'right')!, use.name!));
  return local ? { ...use, consumer: local, reason: 'iterated by the training loop' } : undefined;
}

function batchFix(module: PythonModule, use: DataLoaderUse, size: ReturnType<typeof arg>): Fix {
  const edit = size.kind === 'present' ? replaceNode(size.node, String(SUGGESTED)) : appendArguments(module, use.call, [`batch_size=${SUGGESTED}`]);
  return { title: `Use batch_size=${SUGGESTED} (retune the learning rate)`, safe: false, edits: [edit] };
}

/** `sampler=BatchSampler(...)`: each index the dataset receives is already a whole batch. */
function samplesBatches(module: PythonModule, use: DataLoaderUse): boolean {
  const sampler = arg(use, 'sampler');
  if (sampler.kind !== 'present') return false;
  const node = unwrap(sampler.node);
  const fn = node.type === 'call' ? field(node, 'function') : undefined;
  const name = fn ? module.imports.resolve(fn) ?? fn.text : node.text;
  return /BatchSampler/.test(name);
}

/** `collate_fn=lambda batch: batch[0]`: the author handles one (variable-size) sample at a time on purpose. */
function unwrapsSingleSample(use: DataLoaderUse): boolean {
  const collate = arg(use, 'collate_fn');
  if (collate.kind !== 'present') return false;
  const node = unwrap(collate.node);
  if (node.type !== 'lambda') return false;
  const body = field(node, 'body');
  return !!body && /\[\s*0\s*\]\s*$/.test(body.text);
}

/**
 * Gradient accumulation (`if (i + 1) % accum == 0: opt.step()`) with one sample per step is memory-bound on
 * purpose (docs/analysis.md, trap 2).
 */
function accumulatesGradients(module: PythonModule, use: DataLoaderUse): boolean {
  const loops = hotLoops(module).filter((l) => use.consumer && (l.id === use.consumer.id || contains(l, use.consumer) || contains(use.consumer, l)));
  const scopes: Node[] = loops.length > 0 ? loops : use.consumer ? [use.consumer] : [];
  const local = (scope: Node) => module.callsWithin(scope).flatMap((c) => {
    const target = module.localCallTarget(c);
    return target ? [scope, target] : [scope];
  });
  return scopes.flatMap(local).some((scope) =>
    module.callsWithin(scope).some((c) => calledMethod(c) === 'step' && guardedByModulo(c, scope)),
  );
}

function guardedByModulo(call: Node, scope: Node): boolean {
  for (let p = call.parent; p && p.id !== scope.id; p = p.parent) {
    if (p.type === 'if_statement' && /%/.test(field(p, 'condition')?.text ?? '')) return true;
  }
  return false;
}
