// Facts the HW rules share: is precision decided somewhere this module cannot show (Accelerate,
// DeepSpeed, Fabric, apex; RULES.md section 7, trap 9), does the module already use reduced precision.
import { field, namedChildren, nodeRange, parentOf, textOf, unwrap, type Node } from '../../engine/syntax';
import { callArguments } from '../../engine/calls';
import { bindingsAt, parameterNames } from '../../python/bindings';
import type { PythonModule } from '../../python/module';

/** Launchers and wrappers whose config or flags set the precision (an Accelerate config, a DeepSpeed JSON, …). */
export function precisionSetOutside(module: PythonModule): boolean {
  return module.memo('hw:precisionOutside', () =>
    module.importsAny('accelerate', 'deepspeed', 'lightning.fabric', 'lightning_fabric', 'apex', 'torch_xla', 'colossalai', 'composer', 'ignite', 'fairscale', 'horovod') ||
    (module.importsAny('lightning') && /\bFabric\s*\(/.test(module.text)),
  );
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

const LAYER = /^torch\.nn\.(Linear|Bilinear|Conv[123]d|ConvTranspose[123]d|LSTM|GRU|RNN|Embedding|MultiheadAttention|TransformerEncoderLayer|TransformerDecoderLayer|Transformer)$/;

const LAYER_NAMES = ['Linear', 'Bilinear', 'Conv1d', 'Conv2d', 'Conv3d', 'ConvTranspose1d', 'ConvTranspose2d', 'ConvTranspose3d', 'LSTM', 'GRU', 'RNN', 'Embedding', 'MultiheadAttention', 'TransformerEncoderLayer', 'TransformerDecoderLayer', 'Transformer'];

/** Calls that build torch.nn layers: `nn.Linear(...)` through the method-call index, `Linear(...)` through its import. */
function layerCalls(module: PythonModule): Node[] {
  const out: Node[] = [];
  for (const name of LAYER_NAMES) {
    for (const c of module.methodCalls(name)) {
      const q = module.callee(c);
      if (q && LAYER.test(q)) out.push(c);
    }
  }
  for (const [local, q] of module.imports.localNames()) {
    if (local.includes('.') || !LAYER.test(q)) continue;
    for (const ref of module.referencesTo(local)) {
      const call = parentOf(ref);
      if (call?.type === 'call' && field(call, 'function')?.id === ref.id) out.push(call);
    }
  }
  return out;
}

/**
 * A toy network: every layer the module builds has literal sizes of at most 256 and nothing loads a
 * pretrained model. The AMP recipe: "Small networks may be CPU bound, in which case mixed precision
 * won't improve performance" (trap 9).
 */
export function tinyNetwork(module: PythonModule): boolean {
  return module.memo('hw:tinyNetwork', () => {
    if (/\b(from_pretrained|create_model|torchvision\.models|torch\.hub\.load)\b/.test(module.text)) return false;
    let layers = 0;
    // Fully connected weights written with literal sizes: `nn.Linear(784, 512)` holds 784 × 512 of them.
    let linearWeights = 0;
    for (const c of layerCalls(module)) {
      layers++;
      const q = module.callee(c) ?? '';
      const args = field(c, 'arguments');
      const sizes = (args ? namedChildren(args) : []).filter((a) => a.type !== 'keyword_argument' && a.type !== 'comment');
      // An embedding's first size is its vocabulary: a table lookup, no matmul. Only its width counts.
      const checked = /\.Embedding$/.test(q) ? sizes.slice(1, 2) : sizes;
      if (checked.every((a) => smallSize(module, a, c))) continue;
      const weights = /\.Linear$/.test(q) ? literalProduct(module, sizes.slice(0, 2), c) : undefined;
      if (weights === undefined) return false;
      linearWeights += weights;
    }
    return layers > 0 && linearWeights <= TINY_WEIGHTS;
  });
}

/**
 * The most weights a network of fully connected layers may hold and still count as tiny: a Fashion-MNIST MLP
 * (784 → 512 → 10) holds about 0.4 M. At this size a training step is a few small kernel launches, so mixed
 * precision and TF32 have nothing to speed up (see the HW001 docs).
 */
export const TINY_WEIGHTS = 1_000_000;

/** The product of literal sizes (integers, or names bound once to integers), or undefined. */
function literalProduct(module: PythonModule, sizes: Node[], at: Node): number | undefined {
  if (sizes.length === 0) return undefined;
  let product = 1;
  for (const s of sizes) {
    const v = integerValue(module, s, at);
    if (v === undefined) return undefined;
    product *= v;
  }
  return product;
}

function integerValue(module: PythonModule, node: Node, at: Node): number | undefined {
  const n = unwrap(node);
  if (n.type === 'integer') return Number(textOf(n).replace(/_/g, ''));
  if (n.type === 'binary_operator' && textOf(field(n, 'operator') ?? n) === '*') {
    const l = integerValue(module, field(n, 'left')!, at);
    const r = integerValue(module, field(n, 'right')!, at);
    return l !== undefined && r !== undefined ? l * r : undefined;
  }
  if (n.type !== 'identifier') return undefined;
  const bindings = bindingsAt(module, textOf(n), at);
  if (bindings.length !== 1 || bindings[0].kind !== 'value') return undefined;
  const v = unwrap(bindings[0].value);
  return v.type === 'integer' ? Number(textOf(v).replace(/_/g, '')) : undefined;
}

const HEAVY_MATMUL_LAYERS = /^(torch\.nn\.(LSTM|GRU|RNN|MultiheadAttention|TransformerEncoderLayer|TransformerDecoderLayer|Transformer|TransformerEncoder|TransformerDecoder)|keras\.layers\.(LSTM|GRU|SimpleRNN|MultiHeadAttention))$/;
// Keras 3 layers run on the torch backend inside an nn.Module too.
const CONV_LAYERS = /^(torch\.nn\.(Conv[123]d|ConvTranspose[123]d|LazyConv[123]d)|keras\.layers\.(Conv[123]D|Conv[123]DTranspose|SeparableConv[12]D|DepthwiseConv[12]D))$/;

/**
 * Convolutions do the network's work: it builds convolution layers and no recurrent or attention layers, and
 * loads no pretrained model that might be a transformer. cuDNN convolutions already use TF32 by default
 * (`torch.backends.cudnn.allow_tf32` is True); only matmuls need the switch (see the HW003 docs).
 */
export function convolutionDominated(module: PythonModule): boolean {
  return module.memo('hw:convolutionDominated', () => {
    if (/\b(from_pretrained|create_model|torch\.hub\.load|timm)\b/.test(module.text)) return false;
    let convs = 0;
    for (const q of module.calls.map((c) => module.callee(c))) {
      if (!q) continue;
      if (HEAVY_MATMUL_LAYERS.test(q)) return false;
      if (CONV_LAYERS.test(q) || /^torchvision\.models\.(resnet|wide_resnet|resnext|vgg|alexnet|densenet|mobilenet|efficientnet_b|squeezenet|shufflenet|mnasnet|regnet|googlenet|inception)\w*$/.test(q)) convs++;
    }
    return convs > 0;
  });
}

/** The largest layer width still counted as tiny. */
const TINY_WIDTH = 256;

/**
 * A layer size that is a small literal, directly or through a name: `nn.Linear(64, num_classes)` with
 * `def build(num_classes=10)`, or `HIDDEN = 32` at module level.
 */
export function smallSize(module: PythonModule, node: Node, at: Node): boolean {
  const n = unwrap(node);
  if (n.type === 'integer') return Number(textOf(n).replace(/_/g, '')) <= TINY_WIDTH;
  if (n.type !== 'identifier') return false;
  const bindings = bindingsAt(module, textOf(n), at);
  if (bindings.length !== 1) return false;
  const b = bindings[0];
  if (b.kind === 'value') return unwrap(b.value).type === 'integer' && Number(textOf(unwrap(b.value)).replace(/_/g, '')) <= TINY_WIDTH;
  if (b.kind === 'parameter') {
    const dflt = b.parameter.type === 'default_parameter' || b.parameter.type === 'typed_default_parameter' ? field(b.parameter, 'value') : undefined;
    if (dflt === undefined || unwrap(dflt).type !== 'integer' || Number(textOf(unwrap(dflt)).replace(/_/g, '')) > TINY_WIDTH) return false;
    return !overriddenByCaller(module, b.fn, textOf(n));
  }
  return false;
}

/**
 * Does a call in this module pass `param` to `fn` (by keyword, by position, or possibly through
 * `*args`/`**kwargs`)? For `__init__` the calls are those of the class. Unknown callers elsewhere cannot
 * be seen; the default is what this module's own callers use.
 */
function overriddenByCaller(module: PythonModule, fn: Node, param: string): boolean {
  const cls = module.functionName(fn) === '__init__' ? module.enclosingClass(fn) : undefined;
  const nameNode = field(cls ?? fn, 'name');
  if (!nameNode) return true;
  const name = textOf(nameNode);
  const index = parameterNames(fn).indexOf(param);
  for (const ref of module.referencesTo(name)) {
    const call = parentOf(ref);
    if (call?.type !== 'call' || field(call, 'function')?.id !== ref.id) continue;
    const args = callArguments(call);
    if (args.keywords.has(param) || args.hasKwargs || args.starIndex >= 0 || args.positional.length > index) return true;
  }
  return false;
}
