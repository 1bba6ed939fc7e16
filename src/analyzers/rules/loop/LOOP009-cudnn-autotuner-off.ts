import type { Edit, Fix, Range } from '../../../shared/findings';
import { argument, callArguments } from '../../engine/calls';
import { field, namedChildren, nodeRange, type Node } from '../../engine/syntax';
import { appendArguments } from '../../python/edits';
import { LIGHTNING_TRAINER } from '../../python/lightning';
import type { PythonModule } from '../../python/module';
import { defineRule } from '../rule';
import { cudaPlacements } from '../../python/accelerator';
import { torchModuleName } from './context';

const CONVS = [
  'torch.nn.Conv1d', 'torch.nn.Conv2d', 'torch.nn.Conv3d', 'torch.nn.ConvTranspose2d', 'torch.nn.ConvTranspose3d',
  'torch.nn.modules.conv.Conv2d', 'torch.nn.modules.conv.Conv3d',
];
/** The autotuner is already decided (either way), or determinism was asked for (RULES.md section 7, trap 10). */
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
  docs: `## What it does
Finds a training script that builds convolution layers (\`nn.Conv*d\`), trains on CUDA (or on the current accelerator,
\`torch.accelerator.current_accelerator()\`, which is CUDA on a machine with an NVIDIA GPU; MPS-only code is not
reported), and never sets
\`torch.backends.cudnn.benchmark = True\` (or Lightning's \`Trainer(benchmark=True)\`).

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
    if (!module.importsAny('torch') || DECIDED.test(module.text) || cudaPlacements(module).length === 0) return;
    const convs = module.callsTo(CONVS);
    if (convs.length === 0) return;
    const trainers = module.callsTo([LIGHTNING_TRAINER]).filter((t) => argument(callArguments(t), 'benchmark').kind === 'absent');
    const loops = module.hotLoops();
    const related = [{ range: nodeRange(convs[0]), message: 'convolution layer' }];
    if (trainers.length > 0) {
      for (const trainer of trainers) {
        reporter.report({
          range: nodeRange(field(trainer, 'function') ?? trainer),
          message: 'This CNN trains on CUDA with the cuDNN autotuner off (the default), so cuDNN picks convolution kernels by heuristics instead of timing them. Pass benchmark=True when input sizes are fixed.',
          related,
          fixes: [{ title: 'Enable the cuDNN autotuner (benchmark=True)', safe: false, edits: [appendArguments(module, trainer, ['benchmark=True'])] }],
        });
      }
      return;
    }
    if (loops.length === 0) return;
    const loop = loops[0];
    reporter.report({
      range: headerRange(loop),
      message: 'This CNN trains on CUDA with the cuDNN autotuner off (the default), so cuDNN picks convolution kernels by heuristics instead of timing them. Set torch.backends.cudnn.benchmark = True at start-up when input sizes are fixed.',
      related,
      fixes: [insertBenchmark(module)],
    });
  },
});

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
