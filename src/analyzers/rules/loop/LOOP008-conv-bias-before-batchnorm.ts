import type { Fix } from '../../../shared/findings';
import { argument, callArguments } from '../../engine/calls';
import { dottedName, field, literalValue, namedChildren, nodeRange, parentOf, unwrap, type Node } from '../../engine/syntax';
import { appendArguments, replaceNode } from '../../python/edits';
import { ModuleFact } from '../../python/facts';
import type { PythonModule } from '../../python/module';
import { defineRule } from '../rule';

const CONVS = ['torch.nn.Conv1d', 'torch.nn.Conv2d', 'torch.nn.Conv3d', 'torch.nn.modules.conv.Conv1d', 'torch.nn.modules.conv.Conv2d', 'torch.nn.modules.conv.Conv3d'];
/** Lazy convolutions infer `in_channels`, so every later parameter sits one slot earlier. */
const LAZY_CONVS = ['torch.nn.LazyConv1d', 'torch.nn.LazyConv2d', 'torch.nn.LazyConv3d', 'torch.nn.modules.conv.LazyConv1d', 'torch.nn.modules.conv.LazyConv2d', 'torch.nn.modules.conv.LazyConv3d'];
const NORMS = new Set([
  'torch.nn.BatchNorm1d', 'torch.nn.BatchNorm2d', 'torch.nn.BatchNorm3d', 'torch.nn.SyncBatchNorm',
  'torch.nn.modules.batchnorm.BatchNorm1d', 'torch.nn.modules.batchnorm.BatchNorm2d', 'torch.nn.modules.batchnorm.BatchNorm3d',
  'torch.nn.LazyBatchNorm1d', 'torch.nn.LazyBatchNorm2d', 'torch.nn.LazyBatchNorm3d',
  'torch.nn.modules.batchnorm.LazyBatchNorm1d', 'torch.nn.modules.batchnorm.LazyBatchNorm2d', 'torch.nn.modules.batchnorm.LazyBatchNorm3d',
]);
/** `bias` is the 8th parameter of Conv1d/2d/3d: (in, out, kernel_size, stride, padding, dilation, groups, bias). */
const BIAS_SLOT = 7;
/** LazyConv1d/2d/3d: (out, kernel_size, stride, padding, dilation, groups, bias). */
const LAZY_BIAS_SLOT = 6;

const normAttrsCache = new ModuleFact<Set<string>>();

export default defineRule({
  code: 'LOOP008',
  name: 'conv-bias-before-batchnorm',
  family: 'LOOP',
  severity: 'hint',
  confidence: 'high',
  fix: 'unsafe',
  messages: {
    biasBeforeBatchNorm: 'This convolution has a bias but feeds straight into BatchNorm, which subtracts the mean and cancels the bias: it costs compute and optimizer state for nothing. Pass bias=False (existing checkpoints then have an extra bias key).',
  },
  docs: `## What it does
Finds \`nn.Conv1d/2d/3d\` (and \`nn.LazyConv1d/2d/3d\`) layers with a bias (the default) that feed straight into \`nn.BatchNorm1d/2d/3d\`: the next
element of an \`nn.Sequential\` or a layer list, or the next call in \`forward\` (\`self.bn(self.conv(x))\`, or
\`x = self.conv(x)\` followed by \`x = self.bn(x)\`).

## Why is this bad?
The PyTorch Performance Tuning Guide, "Disable bias for convolutions directly followed by a batch norm": "the bias in
the convolution is not needed … \`BatchNorm\` subtracts the mean, which effectively cancels out the effect of bias."
The bias costs a kernel (or an epilogue), its gradient and optimizer state, and learns nothing. The PyTorch profiler
reports the same pattern (Conv2dBiasFollowedByBatchNorm2dPattern). It is a small saving: an optional optimisation.

torchvision's models "already implement this optimization"; only your own layers are reported.

## Example
\`\`\`python
import torch.nn as nn

block = nn.Sequential(
    nn.Conv2d(64, 128, kernel_size=3, padding=1),
    nn.BatchNorm2d(128),
    nn.ReLU(inplace=True),
)
\`\`\`

## Use instead
\`\`\`python
import torch.nn as nn

block = nn.Sequential(
    nn.Conv2d(64, 128, kernel_size=3, padding=1, bias=False),
    nn.BatchNorm2d(128),
    nn.ReLU(inplace=True),
)
\`\`\`

## Fix safety
The fix adds \`bias=False\`. It is unsafe: the layer loses its \`bias\` parameter, so \`load_state_dict\` of existing
checkpoints fails with unexpected keys (load with \`strict=False\` or drop the \`*.bias\` keys), and the initial outputs
change slightly until batch norm re-centres them.

## References
- PyTorch Performance Tuning Guide: https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html
- PyTorch profiler pattern matcher (Conv2dBiasFollowedByBatchNorm2dPattern): https://github.com/pytorch/pytorch/blob/main/torch/profiler/_pattern_matcher.py
`,

  checkPython(module, reporter) {
    if (!module.text.includes('BatchNorm') || !module.importsAny('torch')) return;
    const convs = module.callsTo([...CONVS, ...LAZY_CONVS]);
    if (convs.length === 0) return;
    const lazy = new Set(LAZY_CONVS);
    const isNorm = (n: Node | undefined): n is Node => {
      if (!n) return false;
      const u = unwrap(n);
      if (u.type !== 'call') return false;
      const q = module.callee(u);
      return q !== undefined && NORMS.has(q);
    };
    const normAttrs = normAttrsCache.get(module, () => {
      const out = new Set<string>();
      for (const bn of module.callsTo([...NORMS])) {
        const name = module.boundName(bn);
        const cls = module.enclosingClass(bn);
        if (name?.startsWith('self.') && cls) out.add(`${cls.id}:${name}`);
      }
      return out;
    });
    for (const conv of convs) {
      const bias = argument(callArguments(conv), 'bias', lazy.has(module.callee(conv) ?? '') ? LAZY_BIAS_SLOT : BIAS_SLOT);
      if (bias.kind === 'unknown') continue;
      if (bias.kind === 'present' && literalValue(bias.node) !== true) continue;
      const norm = nextInSequence(conv, isNorm) ?? nextInForward(module, conv, normAttrs);
      if (!norm) continue;
      reporter.report({
        range: nodeRange(field(conv, 'function') ?? conv),
        messageId: 'biasBeforeBatchNorm',
        related: [{ range: nodeRange(norm), message: 'batch norm applied here' }],
        fixes: [biasFix(module, conv, bias)],
      });
    }
  },
});

/** The element after `conv` in an `nn.Sequential(...)`, a layer list/tuple, or an `OrderedDict([(name, layer), ...])`. */
function nextInSequence(conv: Node, isNorm: (n: Node | undefined) => n is Node): Node | undefined {
  let element = conv;
  let container = parentOf(conv);
  let pairs = false;
  // `("conv", nn.Conv2d(...))` inside a list of named layers.
  if (container?.type === 'tuple' && namedChildren(container).length === 2 && namedChildren(container)[1].id === conv.id) {
    element = container;
    container = parentOf(container);
    pairs = true;
  }
  if (!container || !(container.type === 'argument_list' || container.type === 'list' || container.type === 'tuple')) return undefined;
  const items = namedChildren(container).filter((c) => c.type !== 'comment');
  const i = items.findIndex((c) => c.id === element.id);
  const next = items[i + 1];
  if (!next) return undefined;
  const candidate = pairs ? (next.type === 'tuple' ? namedChildren(next)[1] : undefined) : next;
  return isNorm(candidate) ? candidate : undefined;
}

/** In the class's `forward`: `self.bn(self.conv(x))`, or `x = self.conv(x)` followed by `x = self.bn(x)`. */
function nextInForward(module: PythonModule, conv: Node, normAttrs: Set<string>): Node | undefined {
  const name = module.boundName(conv);
  const cls = module.enclosingClass(conv);
  if (!name?.startsWith('self.') || !cls) return undefined;
  const forward = module.findFunction('forward', conv);
  if (!forward || module.enclosingClass(forward)?.id !== cls.id) return undefined;
  const isNormCall = (n: Node | undefined): n is Node => {
    if (!n || n.type !== 'call') return false;
    const fn = field(n, 'function');
    const attr = fn && dottedName(fn);
    return attr !== undefined && normAttrs.has(`${cls.id}:${attr}`);
  };
  for (const call of module.callsWithin(forward)) {
    const fn = field(call, 'function');
    if (!fn || dottedName(fn) !== name) continue;
    // self.bn(self.conv(x))
    const args = parentOf(call);
    const outer = args?.type === 'argument_list' ? parentOf(args) : undefined;
    if (isNormCall(outer) && namedChildren(args!)[0]?.id === call.id) return outer;
    // x = self.conv(x); x = self.bn(x)
    const assign = parentOf(call);
    if (assign?.type !== 'assignment' || field(assign, 'right')?.id !== call.id) continue;
    const target = field(assign, 'left');
    const stmt = parentOf(assign);
    const next = stmt?.nextNamedSibling;
    const nextAssign = next?.type === 'expression_statement' ? next.namedChild(0) : undefined;
    const right = nextAssign?.type === 'assignment' ? field(nextAssign, 'right') : undefined;
    if (target && isNormCall(right)) {
      const first = callArguments(right).positional[0];
      if (first && dottedName(first) === dottedName(target)) return right;
    }
  }
  return undefined;
}

function biasFix(module: PythonModule, conv: Node, bias: ReturnType<typeof argument>): Fix {
  return {
    title: 'Drop the convolution bias (bias=False)',
    safe: false,
    edits: [bias.kind === 'present' ? replaceNode(bias.node, 'False') : appendArguments(module, conv, ['bias=False'])],
  };
}
