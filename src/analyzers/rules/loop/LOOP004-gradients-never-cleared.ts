import type { Fix } from '../../../shared/findings';
import { argument, callArguments } from '../../engine/calls';
import { calledMethod, contains, field, methodReceiver, namedChildren, nodeRange, parentOf, textOf, type Node } from '../../engine/syntax';
import type { PythonModule } from '../../python/module';
import { stepLoops } from '../../python/training';
import { defineRule } from '../rule';
import { isTensorBackward } from './context';

/** Anything that clears gradients: `zero_grad`, `p.grad = None`, `p.grad.zero_()`, a project helper named like it. */
const CLEARS = /zero_grad|\.grad\s*=\s*None|\.grad\.(data\.)?zero_\(|zero_grads?\b|clear_grad|grad\.detach_\(/i;

export default defineRule({
  code: 'LOOP004',
  name: 'gradients-never-cleared',
  family: 'LOOP',
  severity: 'error',
  confidence: 'medium',
  fix: 'unsafe',
  skipTestFiles: true,
  messages: {
    neverCleared: '{{step}} runs every iteration but nothing in the loop clears the gradients, so backward() keeps adding to them and every update uses the sum of all gradients so far. Call {{optimizer}}.zero_grad() at the top of the loop.',
  },
  docs: `## What it does
Finds a PyTorch training loop that calls \`loss.backward()\` and \`optimizer.step()\` but never clears the gradients
(\`optimizer.zero_grad()\`, \`model.zero_grad()\` or \`p.grad = None\`) inside the loop, and does not accumulate
gradients on purpose (\`if (step + 1) % accum == 0: optimizer.step()\`).

## Why is this bad?
\`backward()\` adds to \`.grad\`; it does not overwrite it. Without clearing, each step's gradient is the sum of every
gradient since the loop started, so every update after the first is wrong: a correctness bug, not only a slowdown.
This is smell #20 "Gradients Not Cleared before Backward Propagation" of the ML code smell catalog (dslinter W5517
\`gradient-clear-pytorch\`).

DeepSpeed engines (\`engine.backward(loss); engine.step()\`) and Lightning's automatic optimisation clear gradients
themselves and are not reported.

## Example
\`\`\`python
import torch

def train(model, loader, optimizer):
    for x, y in loader:
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
\`\`\`

## Use instead
\`\`\`python
import torch

def train(model, loader, optimizer):
    for x, y in loader:
        optimizer.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
\`\`\`

## Fix safety
The fix inserts \`optimizer.zero_grad(set_to_none=True)\` at the top of the loop body. It changes the training
results (that is the point: it fixes the updates), so it is never applied automatically; check that the loop did not
mean to accumulate gradients in some way the rule could not see.

## References
- dslinter W5517 \`gradient-clear-pytorch\`: https://github.com/Hynn01/dslinter
- "Code Smells for Machine Learning Applications", smell #20: https://hynn01.github.io/ml-smells/
- PyTorch, "Zeroing out gradients in PyTorch": https://pytorch.org/tutorials/recipes/recipes/zeroing_out_gradients.html
`,

  checkPython(module, reporter) {
    if (!module.text.includes('.backward(') || !module.importsAny('torch')) return;
    for (const loop of stepLoops(module)) {
      const body = field(loop, 'body');
      if (!body) continue;
      // Cheap text check first: most loops clear their gradients.
      if (CLEARS.test(textOf(body))) continue;
      const calls = module.callsWithin(body);
      const backward = calls.find(isTensorBackward);
      const steps = calls.filter(isOptimizerStep);
      // Backward or step in a local helper: the helper may clear gradients in ways we would have to inline.
      if (!backward || steps.length === 0) continue;
      // Gradient accumulation (`if (i + 1) % accum == 0: opt.step()`), or any conditional step we cannot reason about.
      if (steps.some((s) => conditional(s, loop))) continue;
      if (helpersClear(module, calls, loop)) continue;
      const step = steps[0];
      reporter.report({
        range: nodeRange(step),
        messageId: 'neverCleared',
        data: { step: textOf(step), optimizer: receiverText(step) },
        related: [{ range: nodeRange(backward), message: 'gradients accumulate here' }],
        fixes: zeroGradFix(module, loop, body, step),
      });
    }
  },
});

/** `opt.step()`, `self.optimizer.step()`, `scaler.step(opt)`: an optimizer update, not `scheduler.step()` or `env.step(a)`. */
function isOptimizerStep(call: Node): boolean {
  if (calledMethod(call) !== 'step') return false;
  const receiver = methodReceiver(call);
  if (!receiver) return false;
  const r = textOf(receiver);
  if (/sched|lr|env|engine|model/i.test(r)) return false;
  const args = callArguments(call);
  if (/scaler/i.test(r)) {
    const opt = argument(args, 'optimizer', 0);
    return opt.kind === 'present' && /opt/i.test(textOf(opt.node));
  }
  return /opt/i.test(r) && args.positional.length <= 1;
}

function receiverText(step: Node): string {
  const receiver = methodReceiver(step)!;
  if (/scaler/i.test(textOf(receiver))) {
    const opt = callArguments(step).positional[0];
    if (opt) return textOf(opt);
  }
  return textOf(receiver);
}

/** The step sits under an `if`/`try` inside the loop: accumulation or a guarded update. */
function conditional(step: Node, loop: Node): boolean {
  for (let p = parentOf(step); p && p.id !== loop.id; p = parentOf(p)) {
    if (p.type === 'if_statement' || p.type === 'conditional_expression' || p.type === 'try_statement') return true;
    if (p.type === 'with_statement') {
      const withBody = field(p, 'body');
      const header = withBody ? textOf(p).slice(0, withBody.startIndex - p.startIndex) : textOf(p);
      if (/accumulate|no_sync/.test(header)) return true;
    }
  }
  return false;
}

/** A local helper called from the loop (one level) that clears gradients. */
function helpersClear(module: PythonModule, calls: Node[], loop: Node): boolean {
  for (const c of calls) {
    const target = module.localCallTarget(c);
    const body = target && field(target, 'body');
    if (body && !contains(body, loop) && CLEARS.test(textOf(body))) return true;
  }
  return false;
}

function zeroGradFix(module: PythonModule, loop: Node, body: Node, step: Node): Fix[] {
  const first = namedChildren(body).find((c) => c.type !== 'comment');
  if (!first || first.startPosition.row === loop.startPosition.row) return [];
  const receiver = receiverText(step);
  if (module.enclosingFunction(step)?.id !== module.enclosingFunction(loop)?.id) return [];
  const at = { line: first.startPosition.row, character: first.startPosition.column };
  const indent = module.lines.lineText(first.startPosition.row).slice(0, first.startPosition.column);
  return [{
    title: `Clear gradients at the top of the loop (${receiver}.zero_grad(set_to_none=True))`,
    safe: false,
    edits: [{ range: { start: at, end: at }, newText: `${receiver}.zero_grad(set_to_none=True)${module.lines.eol()}${indent}` }],
  }];
}
