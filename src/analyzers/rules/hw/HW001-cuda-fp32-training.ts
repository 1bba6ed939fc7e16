import type { Edit, Fix } from '../../../shared/findings';
import { calledMethod, dottedName, field, namedChildren, nodeRange, textOf, unwrap, type Node } from '../../engine/syntax';
import { cudaPlacements, trainsBeforeAccelerator, type DevicePlacement } from '../../python/accelerator';
import type { PythonModule } from '../../python/module';
import { hotLoops } from '../../python/training';
import { defineRule } from '../rule';
import { loopHeaderRange, mentionsAutocast, mentionsHalfPrecision, precisionSetOutside, tinyModel, torchBound } from './precision';

export default defineRule({
  code: 'HW001',
  name: 'cuda-fp32-training',
  family: 'HW',
  severity: 'info',
  confidence: 'medium',
  fix: 'unsafe',
  requiresAccelerator: true,
  skipTestFiles: true,
  messages: {
    cudaFp32Loop: "This training loop runs on CUDA in full FP32 (no torch.autocast in this module), leaving the Tensor Cores mostly idle; mixed precision is up to 3x faster on Volta and newer GPUs. Wrap the forward pass and loss in `with torch.autocast({{deviceType}}, dtype=torch.bfloat16):` (bf16 needs Ampere+; on older GPUs use float16 with a GradScaler).",
  },
  docs: `## What it does
Finds a hand-written PyTorch training loop (a loop that calls \`backward()\` and \`step()\`) in a module that moves its
model or batches to CUDA (\`.cuda()\`, \`.to("cuda")\`, \`.to(device)\` with \`device = torch.device("cuda" if
torch.cuda.is_available() else "cpu")\`, a device ordinal such as \`local_rank\`, or the current accelerator,
\`torch.accelerator.current_accelerator()\`) and never uses \`torch.autocast\`, so every matmul and convolution runs in FP32.

## Why is this bad?
Mixed precision "offers up to 3x overall speedup on Volta and newer GPU architectures" (PyTorch Performance Tuning
Guide), and the AMP recipe expects a "significant (2-3X) speedup" on GPUs with Tensor Cores. In FP32 the Tensor Cores
sit mostly idle and activations take twice the memory.

The gain depends on the GPU: bfloat16 needs Ampere (A100, RTX 30xx) or newer; on Volta and Turing use float16 with a
\`GradScaler\`; pre-Volta GPUs see "a modest speedup" at best. So this is advice (\`info\`). The rule stays silent when
precision is decided elsewhere (Accelerate, DeepSpeed, Lightning Fabric, apex; importing only DeepSpeed's device
abstraction, \`from deepspeed.accelerator import get_accelerator\`, decides nothing, and its \`device_name()\` counts as
the current accelerator), when the model is already cast to 16
bits, for CPU/MPS code, for a module-level loop that trains before anything is put on CUDA (a notebook's CPU
baseline, timed before a later cell defines \`device = "cuda"\`), and for tiny networks ("Small networks may be CPU bound, in which case mixed precision won't
improve performance", AMP recipe). A network is tiny when every weighted layer the module builds is within these
limits, its sizes followed through names, arithmetic, parameter defaults and what local callers pass
(\`TinyVGG(hidden_units=10)\`): a fully connected layer of at most 4 M weights (a side read off the data, such as
\`len(classes)\` or \`opt.latent_dim\`, counts as 1024); an embedding at most 1024 wide (its vocabulary is a lookup, no
matmul); a recurrent layer with a hidden state of at most 256; a 2-D convolution of at most 64 channels. So an MNIST MLP
or MLP GAN, a bag-of-words classifier, LeNet, a 10-channel TinyVGG and the 32/64-channel MNIST CNN are not reported; a
192-channel Network-in-Network or a 4096-wide MLP is. The same notion of a tiny model serves HW003, HW004, HW005 and HW009.

## Example
\`\`\`python
import torch

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

def train(model, loader, opt, loss_fn):
    model.to(device)
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
\`\`\`

## Use instead
\`\`\`python
import torch

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

def train(model, loader, opt, loss_fn):
    model.to(device)
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        opt.zero_grad()
        with torch.autocast("cuda", dtype=torch.bfloat16):  # Ampere+; float16 + GradScaler on older GPUs
            loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
\`\`\`

## Fix safety
When the statements right before \`loss.backward()\` in the loop body compute the forward pass and the loss, the fix
wraps them in \`with torch.autocast("cuda", dtype=torch.bfloat16):\`. Code that trains on the current
accelerator (\`torch.accelerator.current_accelerator()\`, which may be CUDA, MPS, XPU or, as a fallback, the CPU) gets
that device's type instead of \`"cuda"\`: the device name itself when it holds a type string
(\`device = torch.accelerator.current_accelerator().type if ... else "cpu"\`), \`device.type\` for a \`torch.device\`,
\`torch.device(x).type\` otherwise; when no device name can be read at the loop there is no fix. bf16 needs an Ampere or newer GPU, mixed
precision changes numerical results (within the tolerances AMP is designed for), and a loss that is numerically
sensitive may need to stay in FP32, so the fix is unsafe. Otherwise there is no automatic fix.

## References
- PyTorch Performance Tuning Guide, "Use mixed precision and AMP": https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html
- Automatic Mixed Precision recipe: https://pytorch.org/tutorials/recipes/recipes/amp_recipe.html
- torch.amp documentation: https://pytorch.org/docs/stable/amp.html
`,

  checkPython(module, reporter) {
    if (!module.importsAny('torch')) return;
    if (mentionsAutocast(module) || mentionsHalfPrecision(module)) return;
    const loops = hotLoops(module);
    if (loops.length === 0) return;
    const cuda = cudaPlacements(module);
    if (cuda.length === 0 || precisionSetOutside(module) || tinyModel(module)) return;
    for (const loop of loops) {
      // A CPU baseline trained before anything is put on CUDA (a notebook that defines the device later).
      if (trainsBeforeAccelerator(module, loop)) continue;
      const deviceType = autocastDeviceType(module, cuda, loop);
      const shown = deviceType ?? 'torch.accelerator.current_accelerator().type';
      reporter.report({
        range: loopHeaderRange(loop),
        messageId: 'cudaFp32Loop',
        data: { deviceType: shown },
        related: [{ range: nodeRange(cuda[0].call), message: 'moved to CUDA here' }],
        fixes: deviceType ? autocastFix(module, loop, deviceType) : [],
      });
    }
  },
});

/** Statements that only move data, zero gradients or log: they stay outside the autocast region. */
function isForwardStatement(stmt: Node): boolean {
  if (stmt.type !== 'expression_statement') return false;
  const expr = stmt.namedChild(0);
  if (!expr || (expr.type !== 'assignment' && expr.type !== 'augmented_assignment')) return false;
  const right = field(expr, 'right');
  if (!right) return false;
  const text = textOf(right);
  // `x, y = x.to(device), y.to(device)`: a batch move, not compute.
  const values = right.type === 'expression_list' || right.type === 'tuple' ? namedChildren(right) : [right];
  if (values.every((v) => v.type === 'call' && ['to', 'cuda', 'float', 'long'].includes(calledMethod(v) ?? ''))) return false;
  return !/\b(zero_grad|item|cpu|numpy|tolist)\s*\(/.test(text) && text.includes('(');
}

function isZeroGrad(stmt: Node): boolean {
  const call = stmt.type === 'expression_statement' ? stmt.namedChild(0) : null;
  return call?.type === 'call' && calledMethod(call) === 'zero_grad';
}

/**
 * Wraps the run of assignment statements just before the `*.backward()` statement of the loop body
 * (the forward pass and the loss) in an autocast block.
 */
function autocastFix(module: PythonModule, loop: Node, deviceType: string): Fix[] {
  if (!torchBound(module)) return [];
  const body = field(loop, 'body');
  if (!body) return [];
  const stmts = namedChildren(body).filter((n) => n.type !== 'comment');
  const b = stmts.findIndex((st) => st.type === 'expression_statement' && st.namedChild(0)?.type === 'call' && calledMethod(st.namedChild(0)!) === 'backward');
  if (b <= 0) return [];
  // `loss = ...; opt.zero_grad(); loss.backward()`: the forward run ends before the zero_grad.
  let end = b;
  while (end > 0 && isZeroGrad(stmts[end - 1])) end--;
  let first = end;
  while (first > 0 && isForwardStatement(stmts[first - 1])) first--;
  if (first === end) return [];
  const startLine = stmts[first].startPosition.row;
  const endLine = stmts[end - 1].endPosition.row;
  // A comment or blank line inside the run would be re-indented too; only plain runs are rewritten.
  for (let line = startLine; line <= endLine; line++) if (module.lines.lineText(line).trim() === '') return [];
  const indent = /^[ \t]*/.exec(module.lines.lineText(startLine))![0];
  const unit = indent.includes('\t') ? '\t' : '    ';
  const eol = module.lines.eol();
  const lines: string[] = [`${indent}with torch.autocast(${deviceType}, dtype=torch.bfloat16):`];
  for (let line = startLine; line <= endLine; line++) lines.push(unit + module.lines.lineText(line));
  const edit: Edit = {
    range: { start: { line: startLine, character: 0 }, end: { line: endLine, character: module.lines.lineText(endLine).length } },
    newText: lines.join(eol),
  };
  return [{ title: 'Run the forward pass and loss under torch.autocast (bfloat16, Ampere+)', safe: false, edits: [edit] }];
}

/**
 * The device type autocast needs, as code valid at the loop: `"cuda"` when the module places things on CUDA; for the
 * current accelerator (`torch.accelerator.current_accelerator()`, DeepSpeed's `device_name()`), whatever device
 * the loop's own device name holds (`device` when it is a type string, `device.type` for a `torch.device`,
 * `torch.device(x).type` otherwise), since the same code may run on MPS, XPU or the CPU. Undefined when that
 * device cannot be named at the loop: then no fix, rather than one that writes the wrong device.
 */
function autocastDeviceType(module: PythonModule, placements: readonly DevicePlacement[], loop: Node): string | undefined {
  if (placements.some((p) => p.kind === 'cuda')) return '"cuda"';
  const fn = module.enclosingFunction(loop);
  for (const p of placements) {
    const name = p.device && dottedName(p.device);
    if (!name || !visibleAt(module, name, fn)) continue;
    const bound = module.assignmentsTo(name).map((a) => field(a, 'right')).filter((r): r is Node => r !== undefined);
    if (bound.length > 0 && bound.every((r) => isDeviceTypeString(r))) return name;
    if (bound.length > 0 && bound.every((r) => unwrap(r).type === 'call' && textOf(field(unwrap(r), 'function')!) === 'torch.device')) return `${name}.type`;
    return `torch.device(${name}).type`;
  }
  return undefined;
}

/** `torch.accelerator.current_accelerator().type if ... else "cpu"`: a device type string. */
function isDeviceTypeString(value: Node): boolean {
  const v = unwrap(value);
  if (v.type === 'conditional_expression') return namedChildren(v).filter((_, i) => i !== 1).every(isDeviceTypeString);
  if (v.type === 'string') return /^["'](cuda|cpu|mps|xpu)["']$/.test(textOf(v));
  return v.type === 'attribute' && textOf(field(v, 'attribute')!) === 'type';
}

/** `name` can be read where `fn` (undefined: module level) runs: a module-level binding, a binding or parameter of `fn`, or `self.x` in a method. */
function visibleAt(module: PythonModule, name: string, fn: Node | undefined): boolean {
  if (name.startsWith('self.')) return fn !== undefined && module.enclosingClass(fn) !== undefined;
  if (name.includes('.')) return false;
  const bindings = module.assignmentsTo(name);
  if (bindings.some((a) => module.enclosingFunction(a) === undefined)) return true;
  if (!fn) return false;
  if (bindings.some((a) => module.enclosingFunction(a)?.id === fn.id)) return true;
  const params = field(fn, 'parameters');
  return params !== undefined && namedChildren(params).some((p) => textOf(p.type === 'identifier' ? p : (field(p, 'name') ?? p.namedChild(0) ?? p)) === name);
}
