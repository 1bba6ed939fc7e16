import { callArguments } from '../../engine/calls';
import { calledMethod, field, literalValue, methodReceiver, nodeRange, parentOf, textOf } from '../../engine/syntax';
import { inHotRegion } from '../../python/training';
import { defineRule } from '../rule';

export default defineRule({
  code: 'HW006',
  name: 'manual-pin-memory',
  family: 'HW',
  severity: 'info',
  confidence: 'high',
  fix: 'safe',
  requiresAccelerator: true,
  skipTestFiles: true,
  messages: {
    manualPin: 'Pinning each tensor by hand before a non_blocking copy costs an extra synchronous host copy: it can be up to twice as slow as a plain .to(device). Drop .pin_memory() here and let the DataLoader pin batches (pin_memory=True).',
  },
  docs: `## What it does
Finds \`t.pin_memory().to(device, non_blocking=True)\` (or \`.cuda(non_blocking=True)\`) inside a loop: pinning a
tensor by hand on the main thread right before copying it to the GPU.

## Why is this bad?
Pinning is itself a host-side copy into page-locked memory, done synchronously. The PyTorch tutorial measured that
"using \`tensor.pin_memory().to(device, non_blocking=True)\` can be up to twice as slow as a straightforward
\`tensor.to(device)\`". The win from pinned memory comes when the DataLoader pins batches in its background thread
(\`DataLoader(pin_memory=True)\`), overlapping with compute.

A \`.pin_memory()\` call on its own (a custom batch's \`pin_memory()\` method, a buffer pinned once before the loop) is
not reported.

## Example
\`\`\`python
import torch

def train(model, loader, opt, device):
    for x, y in loader:
        x = x.pin_memory().to(device, non_blocking=True)
        y = y.pin_memory().to(device, non_blocking=True)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
\`\`\`

## Use instead
\`\`\`python
import torch

def train(model, loader, opt, device):
    # loader = DataLoader(..., pin_memory=True) pins batches in a background thread
    for x, y in loader:
        x = x.to(device, non_blocking=True)
        y = y.to(device, non_blocking=True)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
\`\`\`

## Fix safety
The fix deletes the \`.pin_memory()\` call and keeps the copy. The copied values are the same and PyTorch orders the
copy before any use on the device's stream, so the fix is safe. Enable \`pin_memory=True\` on the DataLoader (LOAD002)
to get asynchronous copies back.

## References
- "A guide on good usage of non_blocking and pin_memory() in PyTorch": https://pytorch.org/tutorials/intermediate/pinmem_nonblock.html
- PyTorch Performance Tuning Guide: https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html
`,

  checkPython(module, reporter) {
    if (!module.importsAny('torch')) return;
    const pins = module.methodCalls('pin_memory');
    if (pins.length === 0) return;
    for (const pin of pins) {
      const receiver = methodReceiver(pin);
      if (!receiver) continue;
      // `<pin>.to` / `<pin>.cuda` and then the call of that attribute.
      const attr = parentOf(pin);
      const copy = attr && parentOf(attr);
      if (attr?.type !== 'attribute' || copy?.type !== 'call' || field(copy, 'function')?.id !== attr.id) continue;
      const method = calledMethod(copy);
      if (method !== 'to' && method !== 'cuda') continue;
      const nonBlocking = callArguments(copy).keywords.get('non_blocking');
      if (!nonBlocking || literalValue(nonBlocking) !== true) continue;
      if (!module.enclosingLoop(pin) && !inHotRegion(module, pin)) continue;
      reporter.report({
        range: nodeRange(field(pin, 'function') ?? pin),
        messageId: 'manualPin',
        fixes: [{ title: 'Remove the manual .pin_memory()', safe: true, edits: [{ range: nodeRange(pin), newText: textOf(receiver) }] }],
      });
    }
  },
});
