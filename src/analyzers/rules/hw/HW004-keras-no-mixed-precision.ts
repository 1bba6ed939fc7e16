import { field, nodeRange } from '../../engine/syntax';
import { kerasFitCalls } from '../../python/keras';
import type { PythonModule } from '../../python/module';
import { defineRule } from '../rule';
import { insertAfterImports } from '../../python/edits';
import { tinyModel } from './precision';


export default defineRule({
  code: 'HW004',
  name: 'keras-no-mixed-precision',
  family: 'HW',
  severity: 'hint',
  confidence: 'low',
  fix: 'unsafe',
  requiresAccelerator: true,
  skipTestFiles: true,
  messages: {
    kerasFloat32: 'Keras trains in float32 (no mixed-precision policy in this module); on Volta-or-newer GPUs mixed precision is often over 3x faster. If this runs on a GPU, call keras.mixed_precision.set_global_policy("mixed_float16") before building the model ("mixed_bfloat16" on TPUs) and keep the output layer float32.',
  },
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
networks are not reported, by the notion of a tiny model HW001 documents (shared by HW001, HW003, HW005, HW009):
every Dense layer at most 1024 units (or, in a \`Sequential\` MLP whose widths can be followed from
\`input_shape=\`/\`Input(shape=...)\`, at most 4 M weights), an \`Embedding\` at most 1024 wide (its vocabulary is a
lookup table, not matmul work), recurrent layers of at most 256 units, 1-D convolutions of at most 256 filters and 2-D
ones of at most 64, sizes followed through names (\`Dense(HORIZON)\`), keywords (\`Conv1D(filters=32)\`) and local
callers; no Keras application or hub layer. So a \`Dense(1)\` regressor, a Dense(128) → Dense(1) forecaster, a small
text model and a Fashion-MNIST MLP (784 → 512 → 10, 0.4 M weights) are not reported; a 12288 → 1024 MLP is.
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
    if (fits.length === 0 || tinyModel(module)) return;
    const prefix = kerasPrefix(module);
    reporter.report({
      range: nodeRange(field(field(fits[0], 'function')!, 'attribute') ?? fits[0]),
      messageId: 'kerasFloat32',
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
