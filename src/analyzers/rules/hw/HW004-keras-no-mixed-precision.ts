import { callArguments } from '../../engine/calls';
import { field, namedChildren, nodeRange, unwrap, type Node } from '../../engine/syntax';
import { kerasFitCalls } from '../../python/keras';
import type { PythonModule } from '../../python/module';
import { defineRule } from '../rule';
import { insertAfterImports } from '../../python/edits';
import { constantValue } from '../../python/resolve';
import { smallSize, TINY_WEIGHTS } from './precision';

const KERAS_LAYER = /^keras\.layers\.(Dense|Conv[123]D|Conv[123]DTranspose|SeparableConv[12]D|LSTM|GRU|SimpleRNN|Embedding|MultiHeadAttention)$/;

export default defineRule({
  code: 'HW004',
  name: 'keras-no-mixed-precision',
  family: 'HW',
  severity: 'hint',
  confidence: 'low',
  fix: 'unsafe',
  requiresAccelerator: true,
  skipTestFiles: true,
  docs: `## What it does
Finds Keras training (\`model.fit(...)\` on a Keras model) in a module that never sets a mixed-precision policy
(\`keras.mixed_precision.set_global_policy("mixed_float16")\`, \`"mixed_bfloat16"\`, or Keras 3's
\`keras.config.set_dtype_policy\`).

## Why is this bad?
Keras computes in float32 by default. "Using mixed precision can improve performance by more than 3 times on modern
GPUs and 60% on TPUs" (TensorFlow mixed precision guide). The policy is one line before the model is built.

Whether it helps depends on the hardware: \`mixed_float16\` needs a GPU of compute capability 7.0 (Volta) or newer,
\`mixed_bfloat16\` suits TPUs and Ampere+ GPUs, and CPUs gain nothing. Keras picks the device at run time, so this is
only a hint. Modules that hide the GPU (\`tf.config.set_visible_devices([], "GPU")\`, \`CUDA_VISIBLE_DEVICES=-1\`) and tiny
networks are not reported. A network is tiny when every Dense/Conv/recurrent layer has a literal size of at most 256
(an \`Embedding\` by its output width: its vocabulary is a lookup table, not matmul work), or when its wider Dense
layers sit in a \`Sequential\` MLP whose widths can be followed from \`input_shape=\`/\`Input(shape=...)\` and which
holds at most 1 M Dense weights in all: a \`Dense(1)\` regressor, a Fashion-MNIST MLP (784 → 512 → 10, 0.4 M weights).
A step of such a model is a few small kernel launches; mixed precision has nothing to speed up.

## Example
\`\`\`python
from tensorflow import keras

model = keras.applications.ResNet50(weights=None, classes=10)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(train_ds, epochs=10)
\`\`\`

## Use instead
\`\`\`python
from tensorflow import keras
keras.mixed_precision.set_global_policy("mixed_float16")

model = keras.applications.ResNet50(weights=None, classes=10)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(train_ds, epochs=10)
\`\`\`

## Fix safety
The fix inserts \`set_global_policy("mixed_float16")\` after the imports. It changes numerical results, needs a
Volta-or-newer GPU to pay off, and the model's last layer should stay float32 (\`dtype="float32"\` on the output layer or
a final \`Activation("linear", dtype="float32")\`) for numeric stability, so it is unsafe.

## References
- Keras mixed precision API: https://keras.io/api/mixed_precision/
- TensorFlow mixed precision guide: https://www.tensorflow.org/guide/mixed_precision
`,

  checkPython(module, reporter) {
    if (!module.importsAny('keras', 'tensorflow') || !/\.fit\s*\(/.test(module.text)) return;
    if (/\b(mixed_precision|set_dtype_policy|dtype_policy|mixed_float16|mixed_bfloat16)\b/.test(module.text)) return;
    if (/set_visible_devices\(\s*\[\s*\]|CUDA_VISIBLE_DEVICES["']\s*\]\s*=\s*["'](-1)?["']|\.device\(\s*["']\/?(device:)?cpu/i.test(module.text)) return;
    const fits = kerasFitCalls(module);
    if (fits.length === 0 || tinyKerasNetwork(module)) return;
    const prefix = kerasPrefix(module);
    reporter.report({
      range: nodeRange(field(field(fits[0], 'function')!, 'attribute') ?? fits[0]),
      message:
        'Keras trains in float32 (no mixed-precision policy in this module); on Volta-or-newer GPUs mixed precision is often over 3x faster. ' +
        'If this runs on a GPU, call keras.mixed_precision.set_global_policy("mixed_float16") before building the model ("mixed_bfloat16" on TPUs) and keep the output layer float32.',
      fixes: prefix
        ? [{ title: 'Set the mixed_float16 policy', safe: false, edits: [insertAfterImports(module, `${prefix}.mixed_precision.set_global_policy("mixed_float16")`)] }]
        : [],
    });
  },
});

/** How the module reaches Keras through a bound name: `keras`, `tf.keras`, or not at all. */
function kerasPrefix(module: PythonModule): string | undefined {
  let viaTf: string | undefined;
  for (const [local, q] of module.imports.localNames()) {
    if (q === 'keras') return local;
    if (q === 'tensorflow') viaTf = `${local}.keras`;
  }
  return viaTf;
}

/**
 * Every layer has a literal size of at most 256 units/filters (an embedding: its width, not its vocabulary),
 * or is a Dense layer of a `Sequential` MLP holding at most TINY_WEIGHTS weights in all; no pretrained application.
 */
function tinyKerasNetwork(module: PythonModule): boolean {
  if (/\bapplications\b|hub\.KerasLayer/.test(module.text)) return false;
  let layers = 0;
  for (const c of module.calls) {
    const q = module.callee(c);
    if (!q || !q.startsWith('keras.layers.') || !KERAS_LAYER.test(q)) continue;
    layers++;
    const sizes = positionalArguments(c);
    const width = /\.Embedding$/.test(q) ? sizes[1] : sizes[0];
    if (!width || smallSize(module, width, c)) continue;
    if (/\.Dense$/.test(q) && (sequentialDenseWeights(module, c) ?? Infinity) <= TINY_WEIGHTS) continue;
    return false;
  }
  return layers > 0;
}

function positionalArguments(call: Node): Node[] {
  const args = field(call, 'arguments');
  return args ? namedChildren(args).filter((a) => a.type !== 'keyword_argument' && a.type !== 'comment') : [];
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
    const sizes = positionalArguments(item);
    const units = sizes[0] && constantValue(module, sizes[0], item);
    if (q === 'keras.layers.Embedding') {
      const dim = sizes[1] && constantValue(module, sizes[1], item);
      shape = typeof dim === 'number' ? [undefined, dim] : undefined;
      continue;
    }
    if (q !== 'keras.layers.Dense' || typeof units !== 'number' || last === undefined) return undefined;
    weights += last * units;
    shape = [...shape!.slice(0, -1), units];
  }
  return weights;
}

/** `input_shape=(28, 28)`, `input_dim=8`, `Input(shape=(784,))`. */
function declaredShape(module: PythonModule, layer: Node): Array<number | undefined> | undefined {
  const args = callArguments(layer);
  const dim = args.keywords.get('input_dim');
  if (dim) {
    const v = constantValue(module, dim, layer);
    return typeof v === 'number' ? [v] : [undefined];
  }
  const shape = args.keywords.get('input_shape') ?? args.keywords.get('shape') ?? (/Input(Layer)?$/.test(module.callee(layer) ?? '') ? args.positional[0] : undefined);
  if (!shape) return undefined;
  const s = unwrap(shape);
  if (s.type !== 'tuple' && s.type !== 'list') return [undefined];
  return namedChildren(s).filter((c) => c.type !== 'comment').map((c) => {
    const v = constantValue(module, c, layer);
    return typeof v === 'number' ? v : undefined;
  });
}
