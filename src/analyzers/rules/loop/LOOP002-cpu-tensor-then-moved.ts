import { argument, callArguments } from '../../engine/calls';
import { calledMethod, dottedName, field, literalValue, methodReceiver, namedChildren, nodeRange, textOf, unwrap, type Node } from '../../engine/syntax';
import { bindingsAt } from '../../python/bindings';
import { callGraph, runsEveryStep } from '../../python/callgraph';
import { appendArguments } from '../../python/edits';
import type { PythonModule } from '../../python/module';
import { inHotRegion } from '../../python/training';
import { defineRule, type Reporter } from '../rule';
import { trainsOnAccelerator } from '../../python/accelerator';

/** Factories that fill a new tensor; creating it on the device gives the same values. */
const FILL_FACTORIES = new Set(['zeros', 'ones', 'empty', 'full', 'arange', 'tensor', 'eye', 'linspace', 'logspace', 'zeros_like', 'ones_like', 'empty_like', 'full_like', 'as_tensor']);
/** Random factories: the CUDA generator draws different numbers than the CPU one. */
const RANDOM_FACTORIES = new Set(['rand', 'randn', 'randint', 'randperm', 'rand_like', 'randn_like', 'randint_like', 'normal']);

export default defineRule({
  code: 'LOOP002',
  name: 'cpu-tensor-then-moved',
  family: 'LOOP',
  severity: 'info',
  confidence: 'high',
  fix: 'safe',
  requiresAccelerator: true,
  skipTestFiles: true,
  messages: {
    factoryThenMoved: 'torch.{{factory}}(...) fills a tensor in host memory and then copies it to the GPU{{when}}. Create it on the device: torch.{{factory}}(..., device={{device}}).',
    numpyThenMoved: '{{builder}}(...) builds the array in host memory and {{copy}}(...) copies it to the GPU on every training step. Create it on the device instead ({{torchName}}(..., device=...)). Info: the copy is small next to a training step, and torch draws different random numbers than NumPy.',
  },
  docs: `## What it does
Finds tensors created on the CPU by a factory (\`torch.zeros\`, \`ones\`, \`empty\`, \`full\`, \`arange\`, \`tensor\`,
\`rand\`, \`randn\`, …) and immediately moved with \`.cuda()\` or \`.to(device)\`, in a module that trains on an accelerator (any: CUDA, MPS,
XPU, \`torch.accelerator.current_accelerator()\`, a device ordinal such as \`local_rank\`), where the creation repeats:
a warning inside a training loop, where it happens every step; info inside any other loop, in a function a training
step calls (also from another module of the project), and in a model's \`forward\` or a method it calls (every
forward pass). A tensor created once (at start-up, with the model in \`__init__\`, or once per call of a function
run outside loops, such as a k-NN evaluation helper) is not reported: one small host fill and copy costs nothing
measurable.

Also finds the legacy idiom \`Tensor = torch.cuda.FloatTensor if cuda else torch.FloatTensor\` fed a NumPy array every
step: \`Tensor(np.random.normal(0, 1, (n, latent_dim)))\`, \`Tensor(np.ones((n, *patch)))\`, in the step loop or in a
helper the step calls (a gradient-penalty function). The array is built on the CPU and the constructor copies it to the
GPU. This is info, with no fix: such arrays are small next to a training step, and \`torch.randn(..., device=...)\` draws
different numbers than NumPy. Outside the training step (a sampling helper run now and then) it is not reported.

## Why is this bad?
The tensor is allocated and filled in host memory, then copied over PCIe. The PyTorch Performance Tuning Guide says:
"Instead of calling \`torch.rand(size).cuda()\` … produce the output directly on the target device". The PyTorch
profiler's pattern matcher reports the same thing: "Filled a CPU tensor and immediately moved it to GPU. Please
initalize it on GPU."

## Example
\`\`\`python
import torch

device = torch.device("cuda")

def train(model, loader, opt):
    for x, y in loader:
        mask = torch.zeros(x.size(0), 128).to(device)
        loss = model(x.to(device), mask).loss
        loss.backward()
        opt.step()
\`\`\`

## Use instead
\`\`\`python
import torch

device = torch.device("cuda")

def train(model, loader, opt):
    for x, y in loader:
        mask = torch.zeros(x.size(0), 128, device=device)
        loss = model(x.to(device), mask).loss
        loss.backward()
        opt.step()
\`\`\`

## Fix safety
The fix passes \`device=\` to the factory and drops the move. For fill factories (\`zeros\`, \`ones\`, \`full\`,
\`arange\`, \`tensor\`, …) the values are identical, so the fix is safe. For random factories (\`rand\`, \`randn\`,
\`randint\`, …) the CUDA generator draws different numbers than the CPU generator, which changes seeded runs, so that fix
is unsafe. No fix is offered when the move also changes the dtype or the factory may receive \`device\` through
\`**kwargs\`.

## References
- PyTorch Performance Tuning Guide, "Create tensors directly on the target device": https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html
- PyTorch profiler pattern matcher (ExtraCUDACopyPattern): https://github.com/pytorch/pytorch/blob/main/torch/profiler/_pattern_matcher.py
- Lightning, "Speed up model training": https://lightning.ai/docs/pytorch/stable/advanced/speed.html
`,

  checkPython(module, reporter) {
    if (!module.importsAny('torch') || !trainsOnAccelerator(module)) return;
    const moves = [...module.methodCalls('cuda'), ...module.methodCalls('to')].sort((a, b) => a.startIndex - b.startIndex);
    for (const move of moves) {
      const factory = methodReceiver(move);
      if (!factory || factory.type !== 'call') continue;
      const q = module.callee(factory);
      if (!q || !q.startsWith('torch.')) continue;
      const name = q.slice('torch.'.length);
      const random = RANDOM_FACTORIES.has(name);
      if (!random && !FILL_FACTORIES.has(name)) continue;
      const device = targetDevice(module, move);
      if (!device) continue;
      const hot = inHotRegion(module, move);
      // Created once (setup code, a function run once per call outside any loop): nothing to gain (LOOP002's docs).
      if (!hot && !repeats(module, move)) continue;
      const factoryArgs = callArguments(factory);
      const existing = argument(factoryArgs, 'device');
      const canFix = existing.kind === 'absent' && device.fixable;
      reporter.report({
        range: nodeRange(move),
        severity: hot ? 'warning' : undefined,
        messageId: 'factoryThenMoved',
        data: { factory: name, when: hot ? ' on every training step' : '', device: device.text },
        fixes: canFix
          ? [{
              title: `Create the tensor on the device (device=${device.text})`,
              safe: !random,
              edits: [{ range: nodeRange(move), newText: withDevice(module, factory, device.text) }],
            }]
          : [],
      });
    }
    reportNumpyCopies(module, reporter);
  },
});

/**
 * The creation runs many times: inside a loop of its own function (or of module-level code), or in a function that
 * runs every training step or every forward pass (callgraph.ts).
 */
function repeats(module: PythonModule, node: Node): boolean {
  if (module.enclosingLoop(node)) return true;
  const fn = module.enclosingFunction(node);
  return fn !== undefined && runsEveryStep(module, fn);
}

/** NumPy builders whose array a CUDA tensor constructor then copies to the GPU, with the torch factory that draws or fills it there. */
const NUMPY_BUILDERS: ReadonlyArray<[RegExp, string]> = [
  [/^numpy\.random\.(normal|randn|standard_normal)$/, 'torch.randn'],
  [/^numpy\.random\.(random|rand|uniform|random_sample)$/, 'torch.rand'],
  [/^numpy\.random\.randint$/, 'torch.randint'],
  [/^numpy\.(ones|zeros|full|empty)$/, 'torch.$1'],
];

/**
 * The PyTorch-GAN idiom `Tensor = torch.cuda.FloatTensor if cuda else torch.FloatTensor` and then, every step,
 * `Tensor(np.random.normal(0, 1, (n, latent_dim)))` or `Tensor(np.ones((n, *patch)))`: the array is built on the
 * CPU and the legacy constructor copies it to the GPU. Reported (info) where it runs per step: in the step loop or
 * a function the step calls (`compute_gradient_penalty`).
 */
function reportNumpyCopies(module: PythonModule, reporter: Reporter): void {
  if (!module.importsAny('numpy')) return;
  const perStep = callGraph(module).perStep;
  for (const call of module.calls) {
    if (!cudaTensorConstructor(module, call)) continue;
    const arg = callArguments(call).positional[0];
    const builder = arg && unwrap(arg);
    if (!builder || builder.type !== 'call') continue;
    const q = module.callee(builder) ?? '';
    const match = NUMPY_BUILDERS.find(([re]) => re.test(q));
    if (!match) continue;
    const fn = module.enclosingFunction(call);
    if (!inHotRegion(module, call) && !(fn && perStep.has(fn.id))) continue;
    const torchName = q.replace(match[0], match[1]);
    reporter.report({
      range: nodeRange(call),
      messageId: 'numpyThenMoved',
      data: { builder: textOf(field(builder, 'function')!), copy: textOf(field(call, 'function')!), torchName },
    });
  }
}

/** `torch.cuda.FloatTensor(...)`, or a name bound to it (`Tensor = torch.cuda.FloatTensor if cuda else torch.FloatTensor`). */
function cudaTensorConstructor(module: PythonModule, call: Node): boolean {
  const cudaType = (n: Node) => /^torch\.cuda\.\w*Tensor$/.test(module.imports.resolveDotted(dottedName(unwrap(n)) ?? '') ?? '');
  const fn = field(call, 'function');
  if (!fn) return false;
  if (cudaType(fn)) return true;
  if (fn.type !== 'identifier') return false;
  const bindings = bindingsAt(module, textOf(fn), call);
  if (bindings.length !== 1 || bindings[0].kind !== 'value') return false;
  const value = unwrap(bindings[0].value);
  if (value.type === 'conditional_expression') return cudaType(namedChildren(value)[0]);
  return cudaType(value);
}

/** The device a move targets, when it is a device (not a dtype): `.cuda()`, `.to("cuda")`, `.to(device)`, `.to(x.device)`. */
function targetDevice(module: PythonModule, move: Node): { text: string; fixable: boolean } | undefined {
  const args = callArguments(move);
  if (args.hasKwargs || args.starIndex >= 0) return undefined;
  if (calledMethod(move) === 'cuda') {
    if (args.positional.length > 0 || args.keywords.size > 0) {
      const only = args.keywords.size === 0 && args.positional.length === 1 ? literalValue(args.positional[0]) : undefined;
      return typeof only === 'number' ? { text: `"cuda:${only}"`, fixable: true } : { text: '"cuda"', fixable: false };
    }
    return { text: '"cuda"', fixable: true };
  }
  const extra = [...args.keywords.keys()].filter((k) => k !== 'device' && k !== 'non_blocking');
  const dev = argument(args, 'device', 0);
  if (dev.kind !== 'present') return undefined;
  const fixable = extra.length === 0 && args.positional.length <= 1;
  const v = literalValue(dev.node);
  if (typeof v === 'string') return /^cuda(:\d+)?$/.test(v) ? { text: textOf(dev.node), fixable } : undefined;
  const n = unwrap(dev.node);
  if (n.type === 'call') {
    const q = module.callee(n);
    return q === 'torch.device' ? { text: textOf(n), fixable } : undefined;
  }
  const name = dottedName(n);
  // `device`, `self.device`, `args.device`, `x.device`: a device by name; `torch.float16` is a dtype.
  if (!name || !/(^|\.|_)device$/.test(name) || module.imports.resolveDotted(name)?.startsWith('torch.') === true) return undefined;
  return { text: name, fixable };
}

function withDevice(module: PythonModule, factory: Node, device: string): string {
  const edit = appendArguments(module, factory, [`device=${device}`]);
  const text = textOf(factory);
  const start = module.lines.offset(edit.range.start) - factory.startIndex;
  const end = module.lines.offset(edit.range.end) - factory.startIndex;
  return text.slice(0, start) + edit.newText + text.slice(end);
}
