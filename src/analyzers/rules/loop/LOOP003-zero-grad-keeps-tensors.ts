import { argument, callArguments } from '../../engine/calls';
import { endIndexOf, literalValue, nodeRange } from '../../engine/syntax';
import { replaceNode } from '../../python/edits';
import { defineRule } from '../rule';

/** Reading a gradient after zeroing (`p.grad.add_`, `p.grad.norm()`, `x = p.grad`), not assigning it. */
const GRAD_READ = /\.grad\b(?!\s*=[^=])/;
/** Updating a gradient in place (`p.grad += g`, `p.grad.add_(g)`, `p.grad.data.mul_(s)`): fails when it is None. */
const GRAD_IN_PLACE = /\.grad\s*(\+|-|\*|\/)=|\.grad(\.data)?\.(add_|sub_|mul_|div_|copy_|zero_|clamp_|addcmul_|addcdiv_|lerp_)\(/;

export default defineRule({
  code: 'LOOP003',
  name: 'zero-grad-keeps-tensors',
  family: 'LOOP',
  severity: 'info',
  confidence: 'high',
  fix: 'unsafe',
  messages: {
    setToNoneFalse: 'zero_grad(set_to_none=False) runs a memset per parameter every step and keeps the gradient memory allocated. Use set_to_none=True (the default since PyTorch 2.0).',
  },
  docs: `## What it does
Finds \`zero_grad(set_to_none=False)\` on an optimizer or a model. A plain \`zero_grad()\` is not reported: since
PyTorch 2.0 it sets gradients to \`None\` by default.

## Why is this bad?
With \`set_to_none=False\` every step runs a memset kernel per parameter and keeps the gradient tensors allocated
between steps. The PyTorch docs say setting grads to \`None\` "will in general have lower memory footprint, and can
modestly improve performance"; the backward pass then writes fresh gradients instead of adding to zeros. The default
is \`set_to_none=True\` in PyTorch 2.0 and later (TorchFix TOR402 flags the explicit \`False\`).

Code that reads \`.grad\` after zeroing (gradient statistics, custom clipping, \`p.grad.add_(...)\`) may need the zero
tensors; such calls are not reported. Nor is a module that updates \`.grad\` in place anywhere (\`p.grad += g\`,
\`p.grad.add_(g)\`, often in a helper the loop calls): with \`set_to_none=True\` that update would raise on \`None\`.

## Example
\`\`\`python
import torch

def train(model, loader, opt):
    for x, y in loader:
        opt.zero_grad(set_to_none=False)
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
\`\`\`

## Use instead
\`\`\`python
import torch

def train(model, loader, opt):
    for x, y in loader:
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
\`\`\`

## Fix safety
The fix sets \`set_to_none=True\` (explicit, so it means the same on PyTorch 1.x, where the default was \`False\`).
It is unsafe: optimizers skip a parameter whose gradient is \`None\` but still apply momentum and weight decay to one
whose gradient is zero, so parameters that get no gradient in a step (frozen branches, unused embeddings) are updated
differently; and code that reads \`p.grad\` before the next backward gets \`None\`.

## References
- \`torch.optim.Optimizer.zero_grad\`: https://pytorch.org/docs/stable/generated/torch.optim.Optimizer.zero_grad.html
- PyTorch Performance Tuning Guide, "Use parameter.grad = None instead of model.zero_grad()": https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html
- TorchFix TOR402: https://github.com/pytorch-labs/torchfix
`,

  checkPython(module, reporter) {
    if (!/zero_grad\([^)]*False/.test(module.text) || !module.importsAny('torch', 'lightning', 'pytorch_lightning')) return;
    for (const call of module.methodCalls('zero_grad')) {
      const arg = argument(callArguments(call), 'set_to_none', 0);
      if (arg.kind !== 'present' || literalValue(arg.node) !== false) continue;
      // `.grad` read later in the same function (or file, at top level): the zeros may be deliberate.
      const scope = module.enclosingFunction(call) ?? module.root;
      if (GRAD_READ.test(module.text.slice(endIndexOf(call), endIndexOf(scope)))) continue;
      // An in-place update anywhere in the module (a helper the loop calls) needs the zero tensors: with
      // set_to_none=True it would raise on None, so the fix would crash the run.
      if (GRAD_IN_PLACE.test(module.text)) continue;
      reporter.report({
        range: nodeRange(arg.node),
        messageId: 'setToNoneFalse',
        fixes: [{ title: 'Set gradients to None (set_to_none=True)', safe: false, edits: [replaceNode(arg.node, 'True')] }],
      });
    }
  },
});
