import type { Fix } from '../../../shared/findings';
import { argument, callArguments } from '../../engine/calls';
import { field, literalValue, nodeRange, parentOf, type Node } from '../../engine/syntax';
import { bindingsAt } from '../../python/bindings';
import { deviceKindOf, type DeviceKind } from '../../python/device';
import { appendArguments, replaceNode } from '../../python/edits';
import type { PythonModule } from '../../python/module';
import { hotLoops } from '../../python/training';
import { defineRule } from '../rule';
import { isEvalFunctionName, precisionSetOutside, torchBound } from './precision';

/** `torch.autocast(device_type, dtype, enabled, cache_enabled)`; torch.amp.autocast has the same slots. */
const GENERIC_AUTOCAST = new Set(['torch.autocast', 'torch.amp.autocast', 'torch.amp.autocast_mode.autocast']);
/** `torch.cuda.amp.autocast(enabled, dtype, cache_enabled)`: deprecated since PyTorch 2.4, still common. */
const CUDA_AUTOCAST = new Set(['torch.cuda.amp.autocast', 'torch.cuda.amp.autocast_mode.autocast']);

type Dtype = 'fp16' | 'bf16' | 'other' | 'unknown';

export default defineRule({
  code: 'HW002',
  name: 'fp16-without-grad-scaler',
  family: 'HW',
  severity: 'warning',
  confidence: 'high',
  fix: 'unsafe',
  requiresAccelerator: true,
  skipTestFiles: true,
  messages: {
    fp16WithoutScaler: 'autocast runs in float16{{default}} but this module never creates a GradScaler: small gradients underflow to zero in fp16. Scale the loss with torch.amp.GradScaler("cuda") (scaler.scale(loss).backward(); scaler.step(opt); scaler.update()), or use dtype=torch.bfloat16 on Ampere or newer GPUs.',
  },
  docs: `## What it does
Finds \`torch.autocast\` (also \`torch.amp.autocast\` and the older \`torch.cuda.amp.autocast\`) running in float16 (given
as \`dtype=torch.float16\`, or by default on CUDA) in a module that trains with \`loss.backward()\` but never creates a
\`GradScaler\`.

## Why is this bad?
float16 has a narrow range (its largest value is 65504, its smallest normal about 6e-5), so small gradients flush to
zero. Gradient scaling "helps prevent gradients with small magnitudes from flushing to zero ('underflowing') when
training with mixed precision" (AMP recipe). Without it, training in fp16 can silently stall or diverge.

\`torch.cuda.amp.autocast\` and \`torch.cuda.amp.GradScaler\` are deprecated since PyTorch 2.4 in favour of
\`torch.amp.autocast("cuda")\` and \`torch.amp.GradScaler("cuda")\`; both spellings are recognised.

bfloat16 has the range of FP32 and needs no scaler, so \`dtype=torch.bfloat16\` is not reported; neither is autocast in
evaluation code (no backward pass), nor code whose precision is handled by Accelerate, DeepSpeed or Lightning.

## Example
\`\`\`python
import torch

def train(model, loader, opt, loss_fn):
    for x, y in loader:
        opt.zero_grad()
        with torch.autocast("cuda", dtype=torch.float16):
            loss = loss_fn(model(x.cuda()), y.cuda())
        loss.backward()
        opt.step()
\`\`\`

## Use instead
\`\`\`python
import torch

def train(model, loader, opt, loss_fn):
    scaler = torch.amp.GradScaler("cuda")
    for x, y in loader:
        opt.zero_grad()
        with torch.autocast("cuda", dtype=torch.float16):
            loss = loss_fn(model(x.cuda()), y.cuda())
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
\`\`\`

## Fix safety
The offered fix switches autocast to \`dtype=torch.bfloat16\`, which needs no scaler but only runs fast on Ampere or
newer GPUs (and changes numerical results slightly), so it is unsafe. On Volta/Turing GPUs add a
\`torch.amp.GradScaler("cuda")\` instead: \`scaler.scale(loss).backward(); scaler.step(opt); scaler.update()\`.

## References
- AMP recipe, "Adding GradScaler": https://pytorch.org/tutorials/recipes/recipes/amp_recipe.html
- torch.amp gradient scaling: https://pytorch.org/docs/stable/amp.html#gradient-scaling
`,

  checkPython(module, reporter) {
    if (!module.importsAny('torch')) return;
    if (/\b(GradScaler|manual_backward)\b/.test(module.text) || precisionSetOutside(module) || module.importsAny('lightning')) return;
    const autocasts = module.callsTo(new Set([...GENERIC_AUTOCAST, ...CUDA_AUTOCAST]));
    if (autocasts.length === 0 || module.methodCalls('backward').length === 0 || hotLoops(module).length === 0) return;
    for (const call of autocasts) {
      const q = module.callee(call)!;
      const generic = GENERIC_AUTOCAST.has(q);
      const args = callArguments(call);
      const enabled = argument(args, 'enabled', generic ? 2 : 0);
      if (enabled.kind === 'unknown' || (enabled.kind === 'present' && literalValue(enabled.node) === false)) continue;
      let device: DeviceKind = 'cuda';
      if (generic) {
        const d = argument(args, 'device_type', 0);
        device = d.kind === 'present' ? deviceKindOf(module, d.node, call) : 'unknown';
      }
      const dtypeArg = argument(args, 'dtype', 1);
      if (dtypeArg.kind === 'unknown') continue;
      const dtype: Dtype = dtypeArg.kind === 'absent' ? (device === 'cuda' ? 'fp16' : 'unknown') : dtypeOf(module, dtypeArg.node, call);
      if (dtype !== 'fp16') continue;
      if (servesInference(module, call)) continue;
      reporter.report({
        range: nodeRange(field(call, 'function') ?? call),
        messageId: 'fp16WithoutScaler',
        data: { default: dtypeArg.kind === 'absent' ? ' (the CUDA default)' : '' },
        fixes: bf16Fix(module, call, dtypeArg),
      });
    }
  },
});

function dtypeOf(module: PythonModule, node: Node, at: Node, depth = 0): Dtype {
  const q = module.imports.resolve(node);
  if (q === 'torch.float16' || q === 'torch.half') return 'fp16';
  if (q === 'torch.bfloat16') return 'bf16';
  if (q?.startsWith('torch.')) return 'other';
  if (node.type === 'identifier' && depth < 3) {
    const bindings = bindingsAt(module, node.text, at);
    if (bindings.length === 1 && bindings[0].kind === 'value') return dtypeOf(module, bindings[0].value, bindings[0].assignment, depth + 1);
  }
  return 'unknown';
}

/** Autocast inside an evaluation function or under `torch.no_grad()` has no backward pass to protect. */
function servesInference(module: PythonModule, call: Node): boolean {
  for (let fn = module.enclosingFunction(call); fn; fn = module.enclosingFunction(fn)) {
    if (isEvalFunctionName(module.functionName(fn))) return true;
  }
  for (let p = parentOf(call); p; p = parentOf(p)) {
    if (p.type === 'with_statement' && /\b(no_grad|inference_mode)\b/.test(field(p, 'body') ? p.text.slice(0, (field(p, 'body')!.startIndex - p.startIndex)) : '')) return true;
    if (p.type === 'function_definition') {
      const dec = parentOf(p);
      if (dec?.type === 'decorated_definition' && /@\s*torch\.(no_grad|inference_mode)\b/.test(dec.text.slice(0, p.startIndex - dec.startIndex))) return true;
    }
  }
  return false;
}

function bf16Fix(module: PythonModule, call: Node, dtypeArg: ReturnType<typeof argument>): Fix[] {
  if (!torchBound(module)) return [];
  const edit = dtypeArg.kind === 'present' ? replaceNode(dtypeArg.node, 'torch.bfloat16') : appendArguments(module, call, ['dtype=torch.bfloat16']);
  return [{ title: 'Autocast to bfloat16 (needs an Ampere or newer GPU)', safe: false, edits: [edit] }];
}
