import type { Edit, Fix, Range } from '../../../shared/findings';
import { argument, callArguments } from '../../engine/calls';
import { field, literalValue, namedChildren, nodeRange, type Node } from '../../engine/syntax';
import { appendArguments } from '../../python/edits';
import { LIGHTNING_TRAINER } from '../../python/lightning';
import type { PythonModule } from '../../python/module';
import { hotLoops } from '../../python/training';
import { defineRule } from '../rule';
import { cudaPlacements, trainsBeforeAccelerator } from '../../python/accelerator';
import { lightningAcceleratorKind } from '../../python/device';
import { stopsAfterFewSteps } from '../../python/short-loops';
import { torchModuleName } from './context';

const CONVS = [
  'torch.nn.Conv1d', 'torch.nn.Conv2d', 'torch.nn.Conv3d', 'torch.nn.ConvTranspose2d', 'torch.nn.ConvTranspose3d',
  'torch.nn.modules.conv.Conv2d', 'torch.nn.modules.conv.Conv3d',
];
const TORCHVISION_CNN = /^torchvision\.models\.(resnet|wide_resnet|resnext|vgg|alexnet|densenet|mobilenet|efficientnet|squeezenet|shufflenet|mnasnet|regnet|googlenet|inception|convnext)\w*$/;
/** The autotuner is already decided (either way), or determinism was asked for (docs/analysis.md, trap 10). */
const DECIDED = /cudnn\.benchmark|use_deterministic_algorithms|cudnn\.deterministic|\bdeterministic\s*=\s*True|\bbenchmark\s*=/;

export default defineRule({
  code: 'LOOP009',
  name: 'cudnn-autotuner-off',
  family: 'LOOP',
  severity: 'hint',
  confidence: 'medium',
  fix: 'unsafe',
  requiresAccelerator: true,
  skipTestFiles: true,
  messages: {
    lightningBenchmarkOff: 'This CNN trains on CUDA with the cuDNN autotuner off (the default), so cuDNN picks convolution kernels by heuristics instead of timing them. Pass benchmark=True when input sizes are fixed.',
    benchmarkOff: 'This CNN trains on CUDA with the cuDNN autotuner off (the default), so cuDNN picks convolution kernels by heuristics instead of timing them. Set torch.backends.cudnn.benchmark = True at start-up when input sizes are fixed.',
  },
  docs: `## What it does
Finds a training script that builds convolution layers (\`nn.Conv*d\`), trains on CUDA (or on the current accelerator,
\`torch.accelerator.current_accelerator()\`, which is CUDA on a machine with an NVIDIA GPU; MPS-only code is not
reported), and never sets
\`torch.backends.cudnn.benchmark = True\` (or Lightning's \`Trainer(benchmark=True)\`).

The convolutions may come from a torchvision CNN (\`torchvision.models.resnet18()\`) or from a model class another
module of the project defines (\`from models import *\` then \`GeneratorResNet()\`). A Lightning \`Trainer\` counts as
training on CUDA with \`accelerator="gpu"\` or \`"auto"\` (which picks the GPU when there is one). A module-level loop that
trains before anything is put on CUDA (a notebook's CPU baseline, run before a later cell defines the device) runs no
cuDNN convolution and is not reported; the finding goes to the first loop that trains on CUDA. Nor is a loop that stops
after a few steps on purpose (\`if i == 3: break\` on its step counter, at most 10 steps: a demo that times a few batches
on the CPU and the GPU): the autotuner benchmarks each new convolution shape on its first batches, so on a run that short
it only adds time; the finding goes to the next loop that trains on CUDA, if any.

## Why is this bad?
cuDNN has several algorithms for each convolution shape. With the autotuner on, it "runs a short benchmark and selects
the kernel with the best performance on a given hardware for a given input size" (PyTorch Performance Tuning Guide,
"Enable cuDNN auto-tuner"); by default (\`False\`) it picks one by heuristics. For CNNs with fixed input sizes the tuned
kernels are usually faster.

Not reported when the file asks for determinism (\`torch.use_deterministic_algorithms(True)\`,
\`torch.backends.cudnn.deterministic = True\`, \`Trainer(deterministic=True)\`): the autotuner's choice "may be
non-deterministic", so the two settings conflict. Nor when the file already sets \`cudnn.benchmark\` either way, nor in
CPU-only code.

## Example
\`\`\`python
import torch
import torch.nn as nn

model = nn.Sequential(nn.Conv2d(3, 16, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(10)).cuda()
opt = torch.optim.SGD(model.parameters(), lr=0.1)

def train(loader):
    for x, y in loader:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x.cuda()), y.cuda())
        loss.backward()
        opt.step()
\`\`\`

## Use instead
\`\`\`python
import torch
import torch.nn as nn
torch.backends.cudnn.benchmark = True

model = nn.Sequential(nn.Conv2d(3, 16, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(10)).cuda()
opt = torch.optim.SGD(model.parameters(), lr=0.1)

def train(loader):
    for x, y in loader:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x.cuda()), y.cuda())
        loss.backward()
        opt.step()
\`\`\`

## Fix safety
The fix inserts \`torch.backends.cudnn.benchmark = True\` after the imports (for a Lightning \`Trainer\`, it adds
\`benchmark=True\`). It is unsafe: the selected algorithms may differ between runs, so results are no longer bitwise
reproducible, and with input sizes that change every batch (variable-length sequences, multi-scale training) the
autotuner benchmarks each new shape and can make training slower.

## References
- PyTorch Performance Tuning Guide, "Enable cuDNN auto-tuner": https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html
- PyTorch reproducibility notes: https://pytorch.org/docs/stable/notes/randomness.html
- Lightning Trainer \`benchmark\`: https://lightning.ai/docs/pytorch/stable/common/trainer.html#benchmark
`,

  checkPython(module, reporter) {
    if (!module.importsAny('torch', 'torchvision', 'lightning') || DECIDED.test(module.text)) return;
    const conv = convolutionEvidence(module);
    if (!conv) return;
    const onCuda = cudaPlacements(module).length > 0;
    // A Trainer on the GPU: `accelerator="gpu"`, or `"auto"`, which picks the GPU when there is one.
    const trainers = module.callsTo([LIGHTNING_TRAINER]).filter((t) => {
      const args = callArguments(t);
      if (argument(args, 'benchmark').kind !== 'absent') return false;
      const acc = argument(args, 'accelerator');
      return onCuda || lightningAcceleratorKind(module, t) === 'cuda' || (acc.kind === 'present' && literalValue(acc.node) === 'auto');
    });
    const related = [{ range: nodeRange(conv), message: 'convolution layer' }];
    if (trainers.length > 0) {
      for (const trainer of trainers) {
        reporter.report({
          range: nodeRange(field(trainer, 'function') ?? trainer),
          messageId: 'lightningBenchmarkOff',
          related,
          fixes: [{ title: 'Enable the cuDNN autotuner (benchmark=True)', safe: false, edits: [appendArguments(module, trainer, ['benchmark=True'])] }],
        });
      }
      return;
    }
    if (!onCuda) return;
    // A loop that trains before anything is put on CUDA (a CPU baseline in a notebook) runs no cuDNN convolution.
    // A loop that stops after a few steps (a CPU-vs-GPU timing demo) would only pay the autotuner's benchmarking.
    const loop = hotLoops(module).find((l) => !trainsBeforeAccelerator(module, l) && !stopsAfterFewSteps(l));
    if (!loop) return;
    reporter.report({
      range: headerRange(loop),
      messageId: 'benchmarkOff',
      related,
      fixes: [insertBenchmark(module)],
    });
  },
});

/**
 * Where the module's network gets its convolutions: a convolution layer built here, a torchvision CNN
 * (`torchvision.models.resnet18()`), or a model class this module builds that another module of the project
 * defines in a module that builds convolution layers (`from models import *` then `GeneratorResNet(...)`;
 * the class may compose blocks of that module).
 */
function convolutionEvidence(module: PythonModule): Node | undefined {
  const local = module.callsTo(CONVS)[0];
  if (local) return local;
  for (const call of module.calls) {
    const q = module.callee(call) ?? '';
    if (TORCHVISION_CNN.test(q)) return call;
    const fn = field(call, 'function');
    if (fn?.type !== 'identifier' || !/^[A-Z]/.test(fn.text)) continue;
    const def = module.definitionOf(fn.text);
    if (def && def.module !== module && def.node.type === 'class_definition' && def.module.callsTo(CONVS).length > 0) return call;
  }
  return undefined;
}

function headerRange(loop: Node): Range {
  const head = field(loop, loop.type === 'for_statement' ? 'right' : 'condition') ?? loop;
  return {
    start: { line: loop.startPosition.row, character: loop.startPosition.column },
    end: { line: head.endPosition.row, character: head.endPosition.column },
  };
}

/** `torch.backends.cudnn.benchmark = True` after the top-level imports (adding `import torch` when it is not bound). */
function insertBenchmark(module: PythonModule): Fix {
  const torch = torchModuleName(module);
  const statement = `${torch ?? 'torch'}.backends.cudnn.benchmark = True`;
  const edits: Edit[] = [];
  const eol = module.lines.eol();
  let anchor: Node | undefined;
  const top = namedChildren(module.root);
  for (const stmt of top) {
    const docstring = stmt === top[0] && stmt.type === 'expression_statement' && stmt.namedChild(0)?.type === 'string';
    if (stmt.type === 'import_statement' || stmt.type === 'import_from_statement' || stmt.type === 'future_import_statement' || docstring) anchor = stmt;
    else if (stmt.type !== 'comment') break;
  }
  const lines = torch ? [statement] : ['import torch', statement];
  if (!anchor) {
    edits.push({ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: lines.map((l) => l + eol).join('') });
  } else {
    const at = { line: anchor.endPosition.row, character: module.lines.lineText(anchor.endPosition.row).length };
    edits.push({ range: { start: at, end: at }, newText: lines.map((l) => eol + l).join('') });
  }
  return { title: 'Enable the cuDNN autotuner (torch.backends.cudnn.benchmark = True)', safe: false, edits };
}
