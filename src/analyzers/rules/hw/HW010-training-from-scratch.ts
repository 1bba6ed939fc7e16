import type { Edit, Fix } from '../../../shared/findings';
import { argument, callArguments, type ArgLookup } from '../../engine/calls';
import { field, literalValue, nodeRange, parentOf, textOf, unwrap, type Node } from '../../engine/syntax';
import { bindingsAt } from '../../python/bindings';
import { hfTrainers } from '../../python/hf-trainer';
import { kerasFitCalls } from '../../python/keras';
import { lightningTrainers } from '../../python/lightning';
import type { PythonModule } from '../../python/module';
import { hotLoops, stepFunctions } from '../../python/training';
import { defineRule } from '../rule';

/** torchvision classification builders that ship ImageNet weights. */
const TORCHVISION_ARCH = /^torchvision\.models\.(resnet\d+|resnext\w+|wide_resnet\w+|vgg\d+(_bn)?|densenet\d+|efficientnet_\w+|mobilenet_v[23]\w*|convnext_\w+|vit_\w+|swin_\w+|regnet_\w+|shufflenet_\w+|squeezenet\w+|mnasnet\w+|googlenet|inception_v3|alexnet|maxvit_t)$/;
/** torchvision detection/segmentation/video builders, whose backbone has its own pretrained weights. */
const TORCHVISION_TASK = /^torchvision\.models\.(segmentation|detection|video)\.\w+$/;
/** keras.applications builders (their default is weights="imagenet"). */
const KERAS_APP = /^keras\.applications\.(\w+\.)?[A-Z]\w+$/;
const AUTO_MODEL = /^transformers\.(Auto\w*Model\w*|\w+For\w+|\w+Model)\.from_config$/;

export default defineRule({
  code: 'HW010',
  name: 'training-from-scratch',
  family: 'HW',
  severity: 'hint',
  confidence: 'low',
  fix: 'unsafe',
  skipTestFiles: true,
  messages: {
    randomWeights: '{{what}} starts from random weights although pretrained weights exist for it; fine-tuning them usually reaches the same accuracy for a fraction of the compute. {{advice}}',
  },
  docs: `## What it does
Finds a standard architecture built without its pretrained weights in a module that trains it:
\`torchvision.models.<arch>(weights=None)\` / \`pretrained=False\` / no arguments, \`timm.create_model(name)\` without
\`pretrained=True\`, \`keras.applications.<Model>(weights=None)\`, and Hugging Face \`AutoModel*.from_config(config)\`
where the config itself comes from a pretrained checkpoint (\`AutoConfig.from_pretrained(name)\`).

## Why is this bad?
For standard architectures, transfer learning reaches the same accuracy for a fraction of the compute: fine-tuning
from pretrained weights usually converges in a few epochs, where training from random initialisation takes the full
schedule (torchvision's ImageNet recipes run 90-600 epochs).

Training from scratch is deliberate in research on training itself, for new input domains, and when the architecture
is changed (\`num_classes\`, \`in_chans\`, a custom config): those calls are not reported, and the rest is only a
\`hint\`.

## Example
\`\`\`python
import torch
import torchvision

model = torchvision.models.resnet50(weights=None)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for x, y in loader:
    loss = torch.nn.functional.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
\`\`\`

## Use instead
\`\`\`python
import torch
import torchvision

model = torchvision.models.resnet50(weights="DEFAULT")
opt = torch.optim.SGD(model.parameters(), lr=0.01)
for x, y in loader:
    loss = torch.nn.functional.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
\`\`\`

## Fix safety
The fix loads the pretrained weights (\`weights="DEFAULT"\`, \`pretrained=True\`, \`weights="imagenet"\`,
\`from_pretrained(name, config=config)\`). That downloads weights, changes the model's starting point and usually calls
for a smaller learning rate, so it is unsafe. torchvision's \`pretrained=\` flag is deprecated since torchvision 0.13, so the
fix writes \`weights="DEFAULT"\` in its place.

## References
- torchvision models and pretrained weights: https://pytorch.org/vision/stable/models.html
- Transfer learning tutorial: https://pytorch.org/tutorials/beginner/transfer_learning_tutorial.html
- Hugging Face, fine-tuning a pretrained model: https://huggingface.co/docs/transformers/training
- Keras transfer learning guide: https://keras.io/guides/transfer_learning/
`,

  checkPython(module, reporter) {
    if (!module.importsAny('torchvision', 'timm', 'transformers', 'keras', 'tensorflow')) return;
    if (!/\b(torchvision|timm|from_config|applications)\b/.test(module.text)) return;
    let trains: boolean | undefined;
    const trainsHere = () => (trains ??= hotLoops(module).length > 0 || stepFunctions(module).length > 0 || hfTrainers(module).length > 0 ||
      lightningTrainers(module).some((t) => t.fits.length > 0) || kerasFitCalls(module).length > 0);
    for (const call of module.calls) {
      const q = module.callee(call);
      if (!q) continue;
      const finding = TORCHVISION_ARCH.test(q) ? torchvision(call) : TORCHVISION_TASK.test(q) ? torchvisionBackbone(call) : q === 'timm.create_model' ? timm(call) : KERAS_APP.test(q) ? kerasApp(call) : AUTO_MODEL.test(q) ? fromConfig(module, call) : undefined;
      if (!finding || !trainsHere()) continue;
      reporter.report({
        range: nodeRange(field(call, 'function') ?? call),
        messageId: 'randomWeights',
        data: { what: finding.what, advice: finding.advice },
        fixes: finding.edit ? [{ title: finding.title, safe: false, edits: [finding.edit] } satisfies Fix] : [],
      });
    }
  },
});

interface Scratch {
  what: string;
  advice: string;
  title: string;
  edit?: Edit;
}

function absentOrFalsy(lookup: ArgLookup, falsy: unknown): boolean | 'unknown' {
  if (lookup.kind === 'unknown') return 'unknown';
  if (lookup.kind === 'absent') return true;
  return literalValue(lookup.node) === falsy;
}

function architectureChanged(args: ReturnType<typeof callArguments>, keys: string[]): boolean {
  return args.hasKwargs || keys.some((k) => args.keywords.has(k));
}

function torchvision(call: Node): Scratch | undefined {
  const args = callArguments(call);
  if (args.positional.length > 0 || architectureChanged(args, ['num_classes', 'aux_logits', 'init_weights'])) return undefined;
  const weights = argument(args, 'weights');
  const pretrained = argument(args, 'pretrained');
  if (weights.kind === 'present') {
    if (literalValue(weights.node) !== null) return undefined;
  } else if (pretrained.kind === 'present' && literalValue(pretrained.node) !== false) return undefined;
  const name = textOf(field(call, 'function')!).split('.').pop()!;
  const edit = weights.kind === 'present' ? { range: nodeRange(weights.node), newText: '"DEFAULT"' }
    // `pretrained=` is deprecated since torchvision 0.13: write the weights API instead.
    : pretrained.kind === 'present' ? { range: nodeRange(parentOf(pretrained.node) ?? pretrained.node), newText: 'weights="DEFAULT"' }
    : { range: nodeRange(field(call, 'arguments')!), newText: '(weights="DEFAULT")' };
  return { what: `torchvision ${name}`, advice: 'Load them with weights="DEFAULT" and fine-tune.', title: 'Load the pretrained weights (weights="DEFAULT")', edit };
}

/**
 * `deeplabv3_resnet50(weights=None, weights_backbone=None, num_classes=N)`: with a custom head the full
 * weights cannot load, but the backbone's can (its default), so only an explicit `None` backbone is reported.
 */
function torchvisionBackbone(call: Node): Scratch | undefined {
  const args = callArguments(call);
  if (args.hasKwargs || args.positional.length > 0) return undefined;
  const weights = argument(args, 'weights');
  if (weights.kind === 'present' && literalValue(weights.node) !== null) return undefined;
  const backbone = argument(args, 'weights_backbone');
  const legacy = argument(args, 'pretrained_backbone');
  const name = textOf(field(call, 'function')!).split('.').pop()!;
  const advice = 'Load the backbone weights with weights_backbone="DEFAULT" and fine-tune.';
  const title = 'Load the pretrained backbone (weights_backbone="DEFAULT")';
  if (backbone.kind === 'present' && literalValue(backbone.node) === null) {
    return { what: `torchvision ${name} (backbone included)`, advice, title, edit: { range: nodeRange(backbone.node), newText: '"DEFAULT"' } };
  }
  if (backbone.kind === 'absent' && legacy.kind === 'present' && literalValue(legacy.node) === false) {
    return { what: `torchvision ${name} (backbone included)`, advice, title, edit: { range: nodeRange(parentOf(legacy.node) ?? legacy.node), newText: 'weights_backbone="DEFAULT"' } };
  }
  return undefined;
}

function timm(call: Node): Scratch | undefined {
  const args = callArguments(call);
  if (architectureChanged(args, ['num_classes', 'in_chans', 'pretrained_cfg', 'pretrained_cfg_overlay'])) return undefined;
  const name = argument(args, 'model_name', 0);
  if (name.kind !== 'present' || typeof literalValue(name.node) !== 'string') return undefined;
  const pretrained = argument(args, 'pretrained', 1);
  if (absentOrFalsy(pretrained, false) !== true) return undefined;
  const edit = pretrained.kind === 'present' ? { range: nodeRange(pretrained.node), newText: 'True' }
    : { range: { start: nodeRange(name.node).end, end: nodeRange(name.node).end }, newText: ', pretrained=True' };
  return { what: `timm ${String(literalValue(name.node))}`, advice: 'Pass pretrained=True and fine-tune.', title: 'Load the pretrained weights (pretrained=True)', edit };
}

function kerasApp(call: Node): Scratch | undefined {
  const args = callArguments(call);
  // `classes` other than 1000 with include_top requires weights=None: an architecture change.
  if (architectureChanged(args, ['classes', 'input_tensor'])) return undefined;
  const weights = argument(args, 'weights', 1);
  if (weights.kind !== 'present' || literalValue(weights.node) !== null) return undefined;
  const name = textOf(field(call, 'function')!).split('.').pop()!;
  return { what: `keras.applications ${name}`, advice: 'Use weights="imagenet" and fine-tune.', title: 'Load the ImageNet weights', edit: { range: nodeRange(weights.node), newText: '"imagenet"' } };
}

/** `AutoModelX.from_config(cfg)` where `cfg = AutoConfig.from_pretrained("name")` (a checkpoint that has weights). */
function fromConfig(module: PythonModule, call: Node): Scratch | undefined {
  const args = callArguments(call);
  const cfg = argument(args, 'config', 0);
  if (cfg.kind !== 'present' || args.positional.length + args.keywords.size !== 1) return undefined;
  let value: Node | undefined = unwrap(cfg.node);
  if (value.type === 'identifier') {
    const b = bindingsAt(module, value.text, call);
    value = b.length === 1 && b[0].kind === 'value' ? unwrap(b[0].value) : undefined;
  }
  if (value?.type !== 'call') return undefined;
  const q = module.callee(value);
  if (!q || !/^transformers\.\w*Config\.from_pretrained$/.test(q)) return undefined;
  const cargs = callArguments(value);
  // Config overrides (`num_hidden_layers=4`) change the architecture: then there are no matching weights.
  if (cargs.keywords.size > 0 || cargs.hasKwargs || cargs.positional.length !== 1) return undefined;
  const checkpoint = cargs.positional[0];
  const fn = field(call, 'function')!;
  const attr = field(fn, 'attribute')!;
  return {
    what: `${textOf(field(fn, 'object')!)} built from the ${textOf(checkpoint)} config`,
    advice: `Load it with from_pretrained(${textOf(checkpoint)}) and fine-tune.`,
    title: 'Load the pretrained checkpoint (from_pretrained)',
    edit: { range: { start: nodeRange(attr).start, end: nodeRange(field(call, 'arguments')!).end }, newText: `from_pretrained(${textOf(checkpoint)}, config=${textOf(cfg.node)})` },
  };
}
