import { endIndexOf, enclosingStatement, field, nodeRange, parentOf, textOf, type Node } from '../../engine/syntax';
import type { PythonModule } from '../../python/module';
import { epochLoops, stepFunctions, stepLoops } from '../../python/training';
import { defineRule } from '../rule';
import { deleteStatement, perStepHelpers, underIntervalGuard } from './context';

/** Loops that iterate batches (`for x in loader`, `for batch in tqdm(train_dl)`), also evaluation loops. */
const BATCH_ITERABLE = /loader|batch|_dl\b|\bdl\b|dataset|data_iter/i;

export default defineRule({
  code: 'LOOP007',
  name: 'empty-cache-in-loop',
  family: 'LOOP',
  severity: 'warning',
  confidence: 'high',
  fix: 'safe',
  requiresAccelerator: true,
  skipTestFiles: true,
  messages: {
    emptyCache: 'torch.cuda.empty_cache() runs {{where}}: every call synchronises the GPU and returns the cached blocks to the driver, so the next allocations pay for cudaMalloc again. Delete it; the allocator reuses freed memory by itself.',
  },
  docs: `## What it does
Finds \`torch.cuda.empty_cache()\` called inside a training or evaluation loop: per step, per batch or per epoch.

## Why is this bad?
\`empty_cache\` hands the caching allocator's free blocks back to the driver, so the next allocations go through
\`cudaMalloc\` again, and it synchronises the device. Lightning's speed guide, "Things to avoid": "Don't call
\`torch.cuda.empty_cache\` unnecessarily! Every time you call this, ALL your GPUs have to wait to sync." It does not
make more memory available to PyTorch itself: freed blocks are already reused by the allocator.

Calls in an out-of-memory handler (\`except torch.cuda.OutOfMemoryError:\`), under an interval guard
(\`if step % 1000 == 0:\`), and in loops over experiments or models (where releasing memory between runs is the point)
are not reported.

## Example
\`\`\`python
import torch

def train(model, loader, opt):
    for x, y in loader:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x.cuda()), y.cuda())
        loss.backward()
        opt.step()
        torch.cuda.empty_cache()
\`\`\`

## Use instead
\`\`\`python
import torch

def train(model, loader, opt):
    for x, y in loader:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x.cuda()), y.cuda())
        loss.backward()
        opt.step()
\`\`\`

## Fix safety
The fix deletes the call (or replaces it with \`pass\` when it is the only statement of a block). It changes neither
results nor the memory PyTorch can use; only the memory that other processes on the same GPU see as free (and that
\`nvidia-smi\` reports) stays reserved by the caching allocator. The fix is safe.

## References
- Lightning, "Speed up model training", Things to avoid: https://lightning.ai/docs/pytorch/stable/advanced/speed.html
- PyTorch CUDA semantics, memory management: https://pytorch.org/docs/stable/notes/cuda.html#memory-management
`,

  checkPython(module, reporter) {
    if (!module.text.includes('empty_cache') || !module.importsAny('torch')) return;
    const calls = module.callsTo(['torch.cuda.empty_cache', 'torch.cuda.memory.empty_cache']);
    if (calls.length === 0) return;
    const steps = new Set(stepLoops(module).map((l) => l.id));
    const epochs = new Set(epochLoops(module).map((l) => l.id));
    const helpers = perStepHelpers(module);
    for (const call of calls) {
      if (inExceptHandler(call)) continue;
      const where = perIteration(module, call, steps, epochs, helpers);
      if (!where) continue;
      if (underIntervalGuard(call, where.loop)) continue;
      const stmt = enclosingStatement(call);
      const alone = stmt.type === 'expression_statement' && stmt.namedChildCount === 1 && stmt.namedChild(0)?.id === call.id;
      reporter.report({
        range: nodeRange(call),
        messageId: 'emptyCache',
        data: { where: where.label },
        related: where.callSite ? [{ range: nodeRange(where.callSite), message: 'called from the training loop here' }] : [],
        fixes: alone ? [{ title: 'Delete torch.cuda.empty_cache()', safe: true, edits: [deleteStatement(module, stmt)] }] : [],
      });
    }
  },
});

function inExceptHandler(call: Node): boolean {
  for (let p = parentOf(call); p; p = parentOf(p)) {
    if (p.type === 'except_clause' || p.type === 'finally_clause') return true;
    if (p.type === 'function_definition') return false;
  }
  return false;
}

/** How often the call runs: per step, per epoch, per batch of an evaluation loop; undefined for other loops. */
function perIteration(
  module: PythonModule, call: Node, steps: Set<number>, epochs: Set<number>, helpers: ReturnType<typeof perStepHelpers>,
): { label: string; loop?: Node; callSite?: Node } | undefined {
  if (stepFunctions(module).some((f) => f.startIndex <= call.startIndex && endIndexOf(call) <= endIndexOf(f))) return { label: 'on every training step' };
  for (let p = parentOf(call); p; p = parentOf(p)) {
    if (p.type === 'for_statement' || p.type === 'while_statement') {
      if (steps.has(p.id)) return { label: 'on every training step', loop: p };
      if (epochs.has(p.id)) return { label: 'every epoch', loop: p };
      const iterable = p.type === 'for_statement' ? field(p, 'right') : undefined;
      if (iterable && BATCH_ITERABLE.test(textOf(iterable))) return { label: 'for every batch', loop: p };
    }
    if (p.type === 'function_definition') {
      const h = helpers.get(p.id);
      return h ? { label: `in ${module.functionName(p)}(), on every training step`, callSite: h.callSite } : undefined;
    }
  }
  return undefined;
}
