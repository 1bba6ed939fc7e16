import type { Fix, RelatedLocation } from '../../../shared/findings';
import { argument, callArguments } from '../../engine/calls';
import { calledMethod, contains, dottedName, field, namedChildren, nodeRange, textOf, unwrap, type Node } from '../../engine/syntax';
import { parameterNames } from '../../python/bindings';
import { arg, dataLoaderUses } from '../../python/dataloaders';
import { KERAS_FIT_SLOTS } from '../../python/keras';
import { lightningTrainers } from '../../python/lightning';
import type { PythonModule } from '../../python/module';
import { epochLoops } from '../../python/training';
import { bindingValue, constantValue, localClass } from '../../python/resolve';
import { methodCallRange, tfDataSinks, type TfDataSink } from '../../python/tfdata';
import { defineRule, type Reporter } from '../rule';
import { drawsRandomness } from './loop-invariance';
import { chainSteps, drawsRandom, expensiveCall, tfMapFunction } from './tfdata-maps';

const COMPOSE = new Set(['torchvision.transforms.Compose', 'torchvision.transforms.v2.Compose']);
const DETERMINISTIC_OP = /^torchvision\.transforms(\.v2)?\.(Resize|CenterCrop|ToTensor|PILToTensor|ToImage|ToDtype|ConvertImageDtype|Normalize|Grayscale|Pad)$/;
const FILE_DATASETS = new Set(['torchvision.datasets.ImageFolder', 'torchvision.datasets.DatasetFolder']);
/** Resizing written by hand in `__getitem__`: PIL's `img.resize`, OpenCV, `F.interpolate`, torchvision's functional resize. */
const RESIZERS = /^(cv2\.resize|torch\.nn\.functional\.interpolate|torchvision\.transforms(\.v2)?\.functional\.resize|skimage\.transform\.resize|PIL\.ImageOps\.(fit|pad|contain))$/;
const DECODERS = /^(PIL\.Image\.open|cv2\.imread|imageio\.(v2\.|v3\.)?imread|skimage\.io\.imread|torchvision\.io\.(read_image|decode_image|decode_jpeg|decode_png)|torchvision\.datasets\.folder\.(default_loader|pil_loader))$/;

export default defineRule({
  code: 'PREP005',
  name: 'deterministic-transforms-every-epoch',
  family: 'PREP',
  severity: 'info',
  confidence: 'medium',
  fix: 'unsafe',
  skipTestFiles: true,
  messages: {
    tfdataMapWithoutCache: 'This map ({{function}}) is deterministic but reruns every epoch ({{epochs}}) because the pipeline has no .cache(). If the decoded data fits in memory or on local disk, add .cache() (or .cache(filename)) right after it, before any shuffle or random augmentation.',
    deterministicCompose: 'These transforms are all deterministic, yet every epoch decodes and transforms each image again in __getitem__. If the data fits, decode and transform once (pre-resize to disk, or cache the tensors in __init__) and keep only random augmentation per item.',
    deterministicResize: 'This resize is deterministic, yet every epoch decodes and resizes each image again in __getitem__. If the data fits, resize once (pre-resize the files on disk, or cache the resized tensors in __init__) and keep only random augmentation per item.',
  },
  docs: `## What it does
Finds deterministic preprocessing that is recomputed in every epoch although its result never changes:
- **tf.data**: an expensive deterministic \`.map(f)\` (\`f\` decodes, resizes or parses: \`tf.io.decode_*\`,
  \`tf.image.decode_*\`, \`tf.image.resize\`, \`tf.io.parse_example\`, …, and draws no random numbers) in a pipeline that
  runs more than one epoch (\`.repeat()\`, or Keras \`fit(..., epochs>1)\`, or a loop over epochs) with no \`.cache()\`
  or \`.snapshot()\` anywhere in the chain. Keras \`fit\` on NumPy arrays is not a tf.data chain and is not reported.
- **PyTorch**: a \`torchvision.transforms.Compose([...])\` made only of deterministic ops (\`Resize\`, \`CenterCrop\`,
  \`ToTensor\`, \`Normalize\`, …; no \`Random*\`/\`AutoAugment\`) applied to images decoded per item (\`ImageFolder\`, or a
  Dataset whose \`__getitem__\` opens the image) that feed a training \`DataLoader\` used for more than one epoch.
  Also resizing written by hand in such a \`__getitem__\` (\`img.resize((224, 224))\`, \`cv2.resize\`, \`F.interpolate\`,
  \`transforms.functional.resize\`) when nothing in it is random and it applies no \`self.transform\` of unknown content.

## Why is this bad?
Decoding and resizing the same image gives the same tensor every epoch, so the work of every epoch after the first is
wasted CPU time that often bounds the step time. The tf.data guide: "If the user-defined function passed into the map
transformation is expensive, apply the cache transformation after the map transformation as long as the resulting
dataset can still fit into memory or local storage."

This is \`info\`: caching only pays when the decoded data fits in memory or on local disk (docs/analysis.md, trap
13), and it must sit *before* any random augmentation, or the augmentation is frozen.

## Example
\`\`\`python
import tensorflow as tf

def decode(path, label):
    image = tf.io.decode_jpeg(tf.io.read_file(path), channels=3)
    return tf.image.resize(image, (224, 224)), label

def train(model, paths, labels):
    ds = tf.data.Dataset.from_tensor_slices((paths, labels))
    ds = ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE).batch(64).prefetch(tf.data.AUTOTUNE)
    model.fit(ds, epochs=30)
\`\`\`

## Use instead
\`\`\`python
import tensorflow as tf

def decode(path, label):
    image = tf.io.decode_jpeg(tf.io.read_file(path), channels=3)
    return tf.image.resize(image, (224, 224)), label

def train(model, paths, labels):
    ds = tf.data.Dataset.from_tensor_slices((paths, labels))
    ds = ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE).cache().shuffle(10_000).batch(64).prefetch(tf.data.AUTOTUNE)
    model.fit(ds, epochs=30)
\`\`\`

## Fix safety
For tf.data the fix inserts \`.cache()\` right after the deterministic map. It is offered only when no shuffle and no
random map comes before that map, and it is unsafe: an in-memory cache of a dataset larger than RAM exhausts memory
(use \`.cache("/local/disk/file")\` instead), and a pipeline that reads files which change between epochs would no
longer see the changes. Put \`shuffle\` after \`cache\`, or every epoch replays the first epoch's order. For PyTorch no
edit is offered: pre-resize the images to disk once, or decode them into tensors in \`__init__\` when they fit in memory.

## References
- "Better performance with the tf.data API", Caching: https://www.tensorflow.org/guide/data_performance#caching
- tf.data guide, "Caching partial computations": https://www.tensorflow.org/guide/data_performance#caching_partial_computations
- \`torchvision.transforms\`: https://pytorch.org/vision/stable/transforms.html
`,

  checkPython(module, reporter) {
    if (module.importsAny('tensorflow', 'keras', 'tensorflow_datasets')) checkTfData(module, reporter);
    if (module.importsAny('torchvision')) checkTorchvision(module, reporter);
    if (module.importsAny('torch')) checkHandwrittenResize(module, reporter);
  },
});

function checkTfData(module: PythonModule, reporter: Reporter): void {
  const reported = new Set<number>();
  for (const sink of tfDataSinks(module)) {
    const steps = chainSteps(module, sink.expr);
    if (!steps || steps.some((s) => /^(cache|snapshot)$/.test(calledMethod(s) ?? '') || (calledMethod(s) === 'apply' && /snapshot/.test(textOf(s))))) continue;
    const epochs = multiEpoch(module, sink, steps);
    if (!epochs) continue;
    for (const [i, step] of steps.entries()) {
      if (calledMethod(step) !== 'map' || reported.has(step.id)) continue;
      const fn = tfMapFunction(module, step);
      if (!fn) continue;
      const expensive = expensiveCall(module, fn);
      if (!expensive) continue;
      // A random map (or this one being random) makes the output differ per epoch: caching would freeze it.
      const before = steps.slice(0, i + 1);
      if (before.some((s) => calledMethod(s) === 'map' && (() => { const f = tfMapFunction(module, s); return !f || drawsRandom(module, f); })())) break;
      const profile = { expensive };
      reported.add(step.id);
      const shuffledBefore = before.some((s) => calledMethod(s) === 'shuffle');
      const fixes: Fix[] = shuffledBefore ? [] : [{
        title: 'Cache the decoded elements after this map (.cache())',
        safe: false,
        edits: [{ range: { start: nodeRange(step).end, end: nodeRange(step).end }, newText: '.cache()' }],
      }];
      const related: RelatedLocation[] = [
        { range: nodeRange(profile.expensive), message: 'deterministic, expensive work done per element' },
        { range: nodeRange(sink.consumer), message: `${sink.reason}; ${epochs}` },
      ];
      reporter.report({
        range: methodCallRange(step),
        messageId: 'tfdataMapWithoutCache',
        data: { function: textOf(field(profile.expensive, 'function')!), epochs },
        related,
        fixes,
      });
      break;
    }
  }
}

/** Why the pipeline runs more than one epoch, or undefined. */
function multiEpoch(module: PythonModule, sink: TfDataSink, steps: readonly Node[]): string | undefined {
  for (const r of steps.filter((s) => calledMethod(s) === 'repeat')) {
    const count = callArguments(r).positional[0] ?? callArguments(r).keywords.get('count');
    const v = count ? constantValue(module, count, r) : null;
    if (v === null || v === -1 || (typeof v === 'number' && v > 1)) return 'the pipeline repeats';
  }
  const consumer = sink.consumer;
  if (consumer.type === 'call' && calledMethod(consumer) === 'fit') {
    const epochs = argument(callArguments(consumer), 'epochs', KERAS_FIT_SLOTS.epochs);
    if (epochs.kind === 'present') {
      const v = constantValue(module, epochs.node, consumer);
      if (typeof v === 'number' && v > 1) return `fit() runs ${v} epochs`;
    }
    return undefined;
  }
  if (consumer.type === 'for_statement') {
    const outer = module.enclosingLoop(consumer);
    const right = outer && outer.type === 'for_statement' ? field(outer, 'right') : undefined;
    if (right && unwrap(right).type === 'call' && textOf(field(unwrap(right), 'function')!) === 'range') {
      const args = callArguments(unwrap(right)).positional;
      const n = args.length === 1 ? constantValue(module, args[0], outer!) : undefined;
      if (n === undefined || (typeof n === 'number' && n > 1) || typeof n !== 'number') return 'the training loop runs inside an epoch loop';
    }
  }
  return undefined;
}

function checkTorchvision(module: PythonModule, reporter: Reporter): void {
  const compose = module.callsTo(COMPOSE);
  if (compose.length === 0 || !runsSeveralEpochs(module)) return;
  const reported = new Set<number>();
  for (const use of dataLoaderUses(module)) {
    if (use.role !== 'train') continue;
    const ds = arg(use, 'dataset');
    if (ds.kind !== 'present') continue;
    const dsCall = callValue(module, ds.node, use.call);
    if (!dsCall) continue;
    const applied = appliedCompose(module, dsCall);
    if (!applied || reported.has(applied.compose.id) || !deterministicCompose(module, applied.compose)) continue;
    reported.add(applied.compose.id);
    const related: RelatedLocation[] = [
      { range: nodeRange(applied.decode), message: 'image decoded per item' },
      { range: nodeRange(use.call), message: 'training DataLoader, iterated every epoch' },
    ];
    reporter.report({
      range: nodeRange(field(applied.compose, 'function')!),
      messageId: 'deterministicCompose',
      related,
    });
  }
}

/**
 * A Dataset whose `__getitem__` decodes an image and resizes it by hand with nothing random (no augmentation and no
 * `self.transform` whose content is unknown), feeding a training DataLoader used for several epochs.
 */
function checkHandwrittenResize(module: PythonModule, reporter: Reporter): void {
  if (!/__getitem__/.test(module.text) || !/\b(resize|interpolate|ImageOps)\b/.test(module.text) || !runsSeveralEpochs(module)) return;
  const reported = new Set<number>();
  for (const use of dataLoaderUses(module)) {
    if (use.role !== 'train') continue;
    const ds = arg(use, 'dataset');
    if (ds.kind !== 'present') continue;
    const dsCall = callValue(module, ds.node, use.call);
    const fnNode = dsCall && field(dsCall, 'function');
    const cls = fnNode?.type === 'identifier' ? localClass(module, textOf(fnNode)) : undefined;
    if (!cls || reported.has(cls.id)) continue;
    const getitem = module.functions.find((f) => module.enclosingClass(f)?.id === cls.id && module.functionName(f) === '__getitem__');
    const body = getitem && field(getitem, 'body');
    if (!body) continue;
    const calls = module.callsInside(body);
    const decode = calls.find((c) => DECODERS.test(module.callee(c) ?? ''));
    if (!decode) continue;
    // `self.transform(img)`: an unknown (possibly random) transform; the Compose check above judges known ones.
    if (calls.some((c) => /^self\.\w*(transform|augment|aug)\w*$/i.test(dottedName(field(c, 'function')!) ?? ''))) continue;
    const resize = calls.find((c) => c.startIndex > decode.startIndex && (RESIZERS.test(module.callee(c) ?? '') || (calledMethod(c) === 'resize' && !module.callee(c) && callArguments(c).positional.length >= 1)));
    if (!resize || drawsRandomness(module, body)) continue;
    reported.add(cls.id);
    reporter.report({
      range: nodeRange(field(resize, 'function') ?? resize),
      messageId: 'deterministicResize',
      related: [
        { range: nodeRange(decode), message: 'image decoded per item' },
        { range: nodeRange(use.call), message: 'training DataLoader, iterated every epoch' },
      ],
    });
  }
}

/** More than one epoch: a hand-written epoch loop, or a Lightning Trainer not limited to one epoch. */
function runsSeveralEpochs(module: PythonModule): boolean {
  if (epochLoops(module).length > 0) return true;
  return lightningTrainers(module).some((t) => {
    const maxEpochs = argument(t.args, 'max_epochs');
    if (maxEpochs.kind !== 'present') return maxEpochs.kind === 'absent' && argument(t.args, 'max_steps').kind === 'absent';
    const v = constantValue(module, maxEpochs.node, t.call);
    return typeof v === 'number' && v > 1;
  });
}

function callValue(module: PythonModule, expr: Node, at: Node): Node | undefined {
  const n = unwrap(expr);
  if (n.type === 'call') return n;
  if (n.type === 'identifier') {
    const v = bindingValue(module, textOf(n), at);
    return v && unwrap(v).type === 'call' ? unwrap(v) : undefined;
  }
  return undefined;
}

/** The Compose a dataset construction applies per item to a decoded image, with the decode call. */
function appliedCompose(module: PythonModule, dsCall: Node): { compose: Node; decode: Node } | undefined {
  const args = callArguments(dsCall);
  const q = module.callee(dsCall);
  if (q && FILE_DATASETS.has(q)) {
    const t = argument(args, 'transform', 1);
    const compose = t.kind === 'present' ? callValue(module, t.node, dsCall) : undefined;
    return compose && COMPOSE.has(module.callee(compose) ?? '') ? { compose, decode: dsCall } : undefined;
  }
  const fnNode = field(dsCall, 'function');
  const cls = fnNode?.type === 'identifier' ? localClass(module, textOf(fnNode)) : undefined;
  if (!cls) return undefined;
  const methods = new Map<string, Node>();
  for (const f of module.functions) if (module.enclosingClass(f)?.id === cls.id && !module.enclosingFunction(f)) methods.set(module.functionName(f), f);
  const getitem = methods.get('__getitem__');
  const init = methods.get('__init__');
  const getitemBody = getitem && field(getitem, 'body');
  const initBody = init && field(init, 'body');
  if (!getitemBody || !initBody || drawsRandomness(module, getitemBody)) return undefined;
  const decode = module.callsInside(getitemBody).find((c) => DECODERS.test(module.callee(c) ?? ''));
  if (!decode) return undefined;
  // `self.transform(img)` in __getitem__, after the decode.
  for (const c of module.callsInside(getitemBody)) {
    const callee = dottedName(field(c, 'function')!);
    if (!callee?.startsWith('self.') || callee.split('.').length !== 2 || c.startIndex < decode.startIndex) continue;
    const value = attributeValue(module, initBody, callee);
    if (!value) continue;
    const v = unwrap(value);
    if (v.type === 'call' && COMPOSE.has(module.callee(v) ?? '')) return { compose: v, decode };
    if (v.type !== 'identifier') continue;
    // `self.transform = transform`: the argument given at construction.
    const params = parameterNames(init as Node);
    const i = params.indexOf(textOf(v));
    if (i < 0) continue;
    const passed = argument(args, textOf(v), i);
    const compose = passed.kind === 'present' ? callValue(module, passed.node, dsCall) : undefined;
    if (compose && COMPOSE.has(module.callee(compose) ?? '')) return { compose, decode };
  }
  return undefined;
}

/** The single value `self.attr` is assigned in __init__. */
function attributeValue(module: PythonModule, initBody: Node, attr: string): Node | undefined {
  const values = module.assignments.filter((a) => contains(initBody, a) && dottedName(field(a, 'left')!) === attr).map((a) => field(a, 'right'));
  return values.length === 1 ? values[0] : undefined;
}

/** Every element of the Compose list is a deterministic torchvision op. */
function deterministicCompose(module: PythonModule, compose: Node): boolean {
  const list = callArguments(compose).positional[0];
  if (!list || unwrap(list).type !== 'list') return false;
  const items = namedChildren(unwrap(list)).filter((c) => c.type !== 'comment');
  return items.length > 0 && items.every((item) => item.type === 'call' && DETERMINISTIC_OP.test(module.callee(item) ?? ''));
}

