// Facts the HW rules share: is precision decided somewhere this module cannot show (Accelerate,
// DeepSpeed, Fabric, apex; docs/analysis.md, trap 9), does the module already use reduced precision.
import { dottedName, field, namedChildren, nodeRange, textOf, unwrap, type Node } from '../../engine/syntax';
import { argument, callArguments } from '../../engine/calls';
import { sizeValues, type SizeValue } from '../../python/provenance';
import { argConstant } from '../../python/resolve';
import { ModuleFact } from '../../python/facts';
import type { PythonModule } from '../../python/module';

const precisionOutsideCache = new ModuleFact<boolean>();

/** Launchers and wrappers whose config or flags set the precision (an Accelerate config, a DeepSpeed JSON, …). */
export function precisionSetOutside(module: PythonModule): boolean {
  return precisionOutsideCache.get(module, () =>
    deepspeedBeyondAccelerator(module) ||
    module.importsAny('accelerate', 'lightning.fabric', 'lightning_fabric', 'apex', 'torch_xla', 'colossalai', 'composer', 'ignite', 'fairscale', 'horovod') ||
    (module.importsAny('lightning') && /\bFabric\s*\(/.test(module.text)),
  );
}

/** DeepSpeed is imported for more than its device abstraction (\`from deepspeed.accelerator import get_accelerator\` sets no precision). */
function deepspeedBeyondAccelerator(module: PythonModule): boolean {
  for (const [, q] of module.imports.localNames()) if ((q === 'deepspeed' || q.startsWith('deepspeed.')) && !q.startsWith('deepspeed.accelerator')) return true;
  return false;
}

/** The module mentions autocast (a context, a decorator, a helper that builds one, `torch.set_autocast_enabled`). */
export function mentionsAutocast(module: PythonModule): boolean {
  return /\bautocast\b/.test(module.text);
}

/** The model or inputs are cast to a 16-bit type on purpose (`.half()`, `.to(torch.bfloat16)`, `torch_dtype=torch.float16`). */
export function mentionsHalfPrecision(module: PythonModule): boolean {
  return /\b(bfloat16|float16|half\s*\(\s*\)|amp\.initialize|float8)/.test(module.text);
}

/** `torch` is bound under its own name, so a fix can write `torch.…`. */
export function torchBound(module: PythonModule): boolean {
  for (const [local, q] of module.imports.localNames()) if (local === 'torch' && q === 'torch') return true;
  return false;
}


/** The range of a loop's header (`for x, y in loader`), so a finding does not underline the whole body. */
export function loopHeaderRange(loop: Node) {
  const range = nodeRange(loop);
  const head = loop.type === 'for_statement' ? field(loop, 'right') : field(loop, 'condition');
  if (head) range.end = nodeRange(head).end;
  return range;
}

/** Functions whose name says they evaluate or predict: autocast there serves inference, not training. */
export function isEvalFunctionName(name: string): boolean {
  return /^_*(val|valid|validate|validation|eval|evaluate|evaluation|test|predict|inference|infer|generate|sample)(_|$)/i.test(name);
}

/**
 * The layers a module builds that carry weights, by kind: torch.nn and Keras (Keras 3 layers run on the torch
 * backend inside an nn.Module too). `attention` layers (and Transformers) never count as tiny.
 */
type LayerKind = 'dense' | 'conv1d' | 'conv' | 'recurrent' | 'embedding' | 'attention';

const TORCH_LAYERS: ReadonlyArray<[RegExp, LayerKind]> = [
  [/^torch\.nn\.(Linear|Bilinear|LazyLinear)$/, 'dense'],
  [/^torch\.nn\.(Conv1d|ConvTranspose1d|LazyConv1d)$/, 'conv1d'],
  [/^torch\.nn\.(Conv[23]d|ConvTranspose[23]d|LazyConv[23]d|LazyConvTranspose[123]d)$/, 'conv'],
  [/^torch\.nn\.(LSTM|GRU|RNN)$/, 'recurrent'],
  [/^torch\.nn\.(Embedding|EmbeddingBag)$/, 'embedding'],
  [/^torch\.nn\.(MultiheadAttention|Transformer|TransformerEncoderLayer|TransformerDecoderLayer|TransformerEncoder|TransformerDecoder)$/, 'attention'],
  [/^keras\.layers\.Dense$/, 'dense'],
  [/^keras\.layers\.(Conv1D|Conv1DTranspose|SeparableConv1D|DepthwiseConv1D)$/, 'conv1d'],
  [/^keras\.layers\.(Conv[23]D|Conv[23]DTranspose|SeparableConv2D|DepthwiseConv2D)$/, 'conv'],
  [/^keras\.layers\.(LSTM|GRU|SimpleRNN|ConvLSTM[123]D)$/, 'recurrent'],
  [/^keras\.layers\.Embedding$/, 'embedding'],
  [/^keras\.layers\.(MultiHeadAttention|Attention|AdditiveAttention)$/, 'attention'],
];

interface Layer {
  call: Node;
  kind: LayerKind;
  keras: boolean;
}

const weightedLayersCache = new ModuleFact<Layer[]>();

/** Calls that build weighted layers, each with its kind. */
function weightedLayers(module: PythonModule): Layer[] {
  return weightedLayersCache.get(module, () => {
    const out: Layer[] = [];
    for (const call of module.calls) {
      const q = module.callee(call);
      if (!q || !(q.startsWith('torch.nn.') || q.startsWith('keras.layers.'))) continue;
      const kind = TORCH_LAYERS.find(([re]) => re.test(q))?.[1];
      if (kind) out.push({ call, kind, keras: q.startsWith('keras.') });
    }
    return out;
  });
}

/**
 * Size limits of a tiny model: a step of such a network is a handful of small kernel launches, so mixed precision
 * and TF32 have nothing to speed up ("Small networks may be CPU bound, in which case mixed precision won't improve
 * performance", AMP recipe; see the HW001 docs).
 * - a fully connected layer of at most TINY_WEIGHTS weights (a 784 → 512 MNIST layer holds 0.4 M; the MNIST CNN's
 *   9216 → 128 layer 1.2 M; a 4096 → 4096 layer 16.8 M is not), a side read off the data (`len(classes)`,
 *   `opt.latent_dim`) counting as TINY_WIDTH;
 * - an embedding, recurrent layer or 1-D convolution at most TINY_WIDTH wide (an embedding's vocabulary is a table
 *   lookup, no matmul), a recurrent layer's hidden state at most TINY_RECURRENT;
 * - a 2-D or 3-D convolution of at most TINY_CHANNELS channels (LeNet, a 10-channel TinyVGG, the 32/64-channel
 *   MNIST CNN; not a 192-channel NiN).
 */
export const TINY_WEIGHTS = 4_000_000;
const TINY_WIDTH = 1024;
const TINY_RECURRENT = 256;
const TINY_CHANNELS = 64;

function positional(call: Node): Node[] {
  const args = field(call, 'arguments');
  return args ? namedChildren(args).filter((a) => a.type !== 'keyword_argument' && a.type !== 'comment' && a.type !== 'list_splat' && a.type !== 'dictionary_splat') : [];
}

/** The size argument at `slot` or keyword `name`. */
function sizeArgument(call: Node, name: string, slot: number): Node | undefined {
  const a = argument(callArguments(call), name, slot);
  return a.kind === 'present' ? a.node : undefined;
}

function size(module: PythonModule, call: Node, name: string, slot: number): SizeValue {
  const node = sizeArgument(call, name, slot);
  return node ? sizeValues(module, node, call) : { kind: 'unknown' };
}

function atMost(v: SizeValue, limit: number): boolean {
  return v.kind === 'ints' && v.values.every((x) => x <= limit);
}

/**
 * Both sides known: their product within TINY_WEIGHTS. One side read off the data (a class count, a flattened
 * small image) is taken as at most TINY_WIDTH, so the known side may be up to TINY_WEIGHTS / TINY_WIDTH.
 */
function smallDense(a: SizeValue, b: SizeValue): boolean {
  if (a.kind === 'ints' && b.kind === 'ints') return Math.max(...a.values) * Math.max(...b.values) <= TINY_WEIGHTS;
  if (a.kind === 'derived') return atMost(b, TINY_WEIGHTS / TINY_WIDTH);
  if (b.kind === 'derived') return atMost(a, TINY_WEIGHTS / TINY_WIDTH);
  return false;
}

/** `sizes` of a layer known small, `derived` ones allowed where they size the data's edge. */
function edgeOrSmall(v: SizeValue, limit: number): boolean {
  return v.kind === 'derived' || atMost(v, limit);
}

function smallLayer(module: PythonModule, layer: Layer): boolean {
  const { call, kind, keras } = layer;
  if (kind === 'attention') return false;
  if (keras) {
    if (kind === 'dense') {
      const units = size(module, call, 'units', 0);
      if (atMost(units, 256)) return true;
      const weights = sequentialDenseWeights(module, call);
      return weights !== undefined ? weights <= TINY_WEIGHTS : atMost(units, TINY_WIDTH);
    }
    if (kind === 'embedding') return edgeOrSmall(size(module, call, 'output_dim', 1), TINY_WIDTH);
    if (kind === 'recurrent') return atMost(size(module, call, 'units', 0), TINY_RECURRENT);
    if (kind === 'conv1d') return atMost(size(module, call, 'filters', 0), TINY_WIDTH / 4);
    return atMost(size(module, call, 'filters', 0), TINY_CHANNELS);
  }
  if (kind === 'dense') {
    if (/LazyLinear$/.test(module.callee(call) ?? '')) return atMost(size(module, call, 'out_features', 0), TINY_WIDTH);
    return smallDense(size(module, call, 'in_features', 0), size(module, call, 'out_features', 1));
  }
  if (kind === 'embedding') return edgeOrSmall(size(module, call, 'embedding_dim', 1), TINY_WIDTH);
  if (kind === 'recurrent') return edgeOrSmall(size(module, call, 'input_size', 0), TINY_WIDTH) && atMost(size(module, call, 'hidden_size', 1), TINY_RECURRENT);
  const lazy = /Lazy/.test(module.callee(call) ?? '');
  const out = size(module, call, 'out_channels', lazy ? 0 : 1);
  const limit = kind === 'conv1d' ? TINY_WIDTH / 4 : TINY_CHANNELS;
  return atMost(out, limit) && (lazy || edgeOrSmall(size(module, call, 'in_channels', 0), limit));
}

/** A pretrained network is loaded: a torchvision/timm/hub model, a Keras application or hub layer. */
function loadsPretrainedNetwork(module: PythonModule): boolean {
  return /\b(create_model|torchvision\.models|torch\.hub\.load|timm|applications|hub\.KerasLayer|hub\.load)\b/.test(module.text);
}

const TEST_SIZED_CHECKPOINT = /hf-internal-testing|tiny[-_]random|random[-_]tiny|(^|\/)(bert|gpt2|t5|distilbert)[-_]tiny$|\/tiny-(gpt2|bert|t5)\b/i;

/**
 * Every Hugging Face checkpoint loaded is a test-sized one (`hf-internal-testing/tiny-random-bert`,
 * `prajjwal1/bert-tiny`; not a `swin-tiny` or `TinyLlama`, which are full-size models), or, with none
 * loaded, the model is built from a config of width ≤ 256.
 * undefined when the module uses no Hugging Face model.
 */
function tinyTransformer(module: PythonModule): boolean | undefined {
  const loads = module.methodCalls('from_pretrained').filter((c) => !/Tokenizer|Processor|FeatureExtractor|Config/.test(textOf(field(c, 'function')!)));
  if (loads.length > 0) {
    return loads.every((c) => {
      const id = argConstant(module, argument(callArguments(c), 'pretrained_model_name_or_path', 0));
      return typeof id === 'string' && TEST_SIZED_CHECKPOINT.test(id);
    });
  }
  const configs = module.calls.filter((c) => /Config$/.test(module.callee(c) ?? '') && (module.callee(c) ?? '').startsWith('transformers.'));
  if (configs.length === 0) return undefined;
  return configs.some((c) => {
    const args = callArguments(c);
    return ['hidden_size', 'n_embd', 'd_model'].some((k) => {
      const v = argConstant(module, argument(args, k));
      return typeof v === 'number' && v <= 256;
    });
  });
}

const tinyModelCache = new ModuleFact<boolean>();

/**
 * A tiny model, the one notion HW001, HW003, HW004, HW005 and HW009 share: a test-sized Hugging Face checkpoint,
 * or a network the module builds from layers that are all within the limits above (an MNIST MLP or GAN, a
 * bag-of-words embedding with a linear head, LeNet, a 10-channel TinyVGG, a Dense(128) → Dense(1) forecaster),
 * and no pretrained network.
 */
export function tinyModel(module: PythonModule): boolean {
  return tinyModelCache.get(module, () => {
    const transformer = tinyTransformer(module);
    if (transformer !== undefined) return transformer;
    if (loadsPretrainedNetwork(module)) return false;
    const layers = weightedLayers(module);
    return layers.length > 0 && layers.every((l) => smallLayer(module, l));
  });
}

const knownLargeModelCache = new ModuleFact<boolean>();

/**
 * Positive evidence of a model worth mixed precision, where nothing else says the code runs on a GPU
 * (\`Trainer(accelerator="auto")\`): a pretrained network or a full-size checkpoint, an attention layer, or a layer
 * whose sizes are all known and beyond the tiny limits (a 512-channel transposed convolution). A model whose sizes
 * cannot be followed is not evidence either way.
 */
export function knownLargeModel(module: PythonModule): boolean {
  return knownLargeModelCache.get(module, () => {
    const transformer = tinyTransformer(module);
    if (transformer !== undefined) return !transformer;
    if (loadsPretrainedNetwork(module)) return true;
    return weightedLayers(module).some((l) => l.kind === 'attention' || (!smallLayer(module, l) && positional(l.call).slice(0, 2).every((a) => sizeValues(module, a, l.call).kind === 'ints')));
  });
}

const cudnnDominatedCache = new ModuleFact<boolean>();

/**
 * The network's matmuls run in cuDNN, which uses TF32 by default (`torch.backends.cudnn.allow_tf32` is True, for
 * convolutions and cuDNN RNNs alike): it builds convolution layers (or loads a torchvision CNN such as ResNet or
 * VGG), or recurrent layers whose fully connected layers are small, and no attention or Transformer layers and no
 * pretrained model that might be a transformer (see the HW003 docs). A module that builds no layers itself is judged
 * by the project modules whose network classes it constructs.
 */
export function cudnnDominated(module: PythonModule): boolean {
  return cudnnDominatedCache.get(module, () => {
    if (/\b(from_pretrained|create_model|torch\.hub\.load|timm)\b/.test(module.text)) return false;
    const layers = weightedLayers(module).filter((l) => !l.keras);
    if (layers.some((l) => l.kind === 'attention')) return false;
    const cnnModel = module.calls.some((c) => /^torchvision\.models\.(resnet|wide_resnet|resnext|vgg|alexnet|densenet|mobilenet|efficientnet_b|squeezenet|shufflenet|mnasnet|regnet|googlenet|inception)\w*$/.test(module.callee(c) ?? ''));
    if (cnnModel || layers.some((l) => l.kind === 'conv' || l.kind === 'conv1d')) return true;
    if (layers.length === 0) {
      // The network is a class of another module of the project (`net = SimpleDLA()` after `from models import *`).
      const models = projectModelModules(module);
      return models.length > 0 && models.every((m) => cudnnDominated(m));
    }
    return layers.some((l) => l.kind === 'recurrent') && layers.filter((l) => l.kind === 'dense').every((l) => smallLayer(module, l));
  });
}

/** The other project modules whose classes this module constructs and that build network layers. */
function projectModelModules(module: PythonModule): PythonModule[] {
  const out = new Map<string, PythonModule>();
  for (const call of module.calls) {
    const name = dottedName(field(call, 'function') ?? call);
    if (!name || !/^[A-Z]/.test(name.slice(name.lastIndexOf('.') + 1))) continue;
    const def = module.definitionOf(name);
    if (!def || def.module === module || def.node.type !== 'class_definition') continue;
    if (weightedLayers(def.module).length > 0) out.set(def.module.path, def.module);
  }
  return [...out.values()];
}

const SHAPE_KEEPING = /^keras\.layers\.(Dropout|BatchNormalization|LayerNormalization|Normalization|Rescaling|Activation|ReLU|LeakyReLU|Softmax|GlobalAveragePooling[123]D|GlobalMaxPooling[123]D|GaussianNoise|AlphaDropout)$/;

/**
 * The weights of the Dense layers of the `keras.Sequential([...])` list holding `layer`, following the feature
 * width from `input_shape=`/`Input(shape=...)` through Flatten, Embedding and Dense; undefined where a width is
 * unknown or the list holds other weighted layers (convolutions, recurrent layers, attention).
 */
function sequentialDenseWeights(module: PythonModule, layer: Node): number | undefined {
  const list = layer.parent;
  const ctor = list?.type === 'list' ? list.parent?.parent : undefined;
  if (!list || !ctor || ctor.type !== 'call' || !/^keras\.(models\.)?Sequential$/.test(module.callee(ctor) ?? '')) return undefined;
  let shape: Array<number | undefined> | undefined;
  let weights = 0;
  for (const item of namedChildren(list)) {
    if (item.type === 'comment') continue;
    if (item.type !== 'call') return undefined;
    const q = module.callee(item) ?? '';
    const declared = declaredShape(module, item);
    if (declared) shape = declared;
    const last = shape?.[shape.length - 1];
    if (/^keras\.(layers\.)?Input(Layer)?$/.test(q) || SHAPE_KEEPING.test(q)) continue;
    if (q === 'keras.layers.Flatten') {
      shape = shape && shape.every((d) => d !== undefined) ? [shape.reduce((a, b) => a! * b!, 1)] : undefined;
      continue;
    }
    const sizes = positional(item);
    const units = sizes[0] && constantNumber(module, sizes[0], item);
    if (q === 'keras.layers.Embedding') {
      const dim = sizes[1] && constantNumber(module, sizes[1], item);
      shape = typeof dim === 'number' ? [undefined, dim] : undefined;
      continue;
    }
    if (q !== 'keras.layers.Dense' || typeof units !== 'number' || last === undefined) return undefined;
    weights += last * units;
    shape = [...shape!.slice(0, -1), units];
  }
  return weights;
}

function constantNumber(module: PythonModule, node: Node, at: Node): number | undefined {
  const v = sizeValues(module, node, at);
  return v.kind === 'ints' && v.values.length === 1 ? v.values[0] : undefined;
}

/** `input_shape=(28, 28)`, `input_dim=8`, `Input(shape=(784,))`. */
function declaredShape(module: PythonModule, layer: Node): Array<number | undefined> | undefined {
  const args = callArguments(layer);
  const dim = args.keywords.get('input_dim');
  if (dim) return [constantNumber(module, dim, layer)];
  const shape = args.keywords.get('input_shape') ?? args.keywords.get('shape') ?? (/Input(Layer)?$/.test(module.callee(layer) ?? '') ? args.positional[0] : undefined);
  if (!shape) return undefined;
  const s = unwrap(shape);
  if (s.type !== 'tuple' && s.type !== 'list') return [undefined];
  return namedChildren(s).filter((c) => c.type !== 'comment').map((c) => constantNumber(module, c, layer));
}
