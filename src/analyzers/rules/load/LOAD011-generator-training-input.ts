import { field, nodeRange } from '../../engine/syntax';
import { tfDataSinks } from '../../python/tfdata';
import { tfDataSources } from '../../python/tfdata-sources';
import { defineRule } from '../rule';

const FROM_GENERATOR = 'tensorflow.data.Dataset.from_generator';

export default defineRule({
  code: 'LOAD011',
  name: 'generator-training-input',
  family: 'LOAD',
  severity: 'info',
  confidence: 'medium',
  fix: 'none',
  skipTestFiles: true,
  messages: {
    generatorInput: 'The training input comes from Dataset.from_generator: every element is produced by Python code under the GIL, on one core, in this process. Fine for prototypes and small data; for real runs read files with tf.data ops (from_tensor_slices(paths).map(load, num_parallel_calls=AUTOTUNE)) or TFRecords.',
  },
  docs: `## What it does
Finds a \`tf.data.Dataset.from_generator(...)\` whose dataset feeds Keras \`fit\` or a custom training loop (a loop with
\`tf.GradientTape\`/\`apply_gradients\` or a \`train_step\`), through method chains, variables and local helper functions.

## Why is this bad?
The TensorFlow guide's "Caution" on \`from_generator\`: it "has limited portability and scalability. It must run in the
same python process that created the generator, and is still subject to the Python GIL." Every element is produced
by Python code under the GIL, one at a time, so the input pipeline cannot use more than one core however many
\`map\`s with \`num_parallel_calls\` follow, and the model cannot be exported or distributed with its input pipeline.

A generator is fine for prototypes and small data (docs/analysis.md, trap 13), so this is \`info\`. Evaluation-only
datasets, tests and debug scripts are not reported.

## Example
\`\`\`python
import tensorflow as tf

def rows(path):
    with open(path) as f:
        for line in f:
            a, b, y = line.split(",")
            yield float(a), float(b), float(y)

def train(model, path):
    ds = tf.data.Dataset.from_generator(
        lambda: rows(path),
        output_signature=(tf.TensorSpec((), tf.float32), tf.TensorSpec((), tf.float32), tf.TensorSpec((), tf.float32)),
    )
    ds = ds.map(lambda a, b, y: ((a, b), y)).batch(256).prefetch(tf.data.AUTOTUNE)
    model.fit(ds, epochs=5)
\`\`\`

## Use instead
\`\`\`python
import tensorflow as tf

def parse(line):
    a, b, y = tf.io.decode_csv(line, record_defaults=[0.0, 0.0, 0.0])
    return (a, b), y

def train(model, path):
    ds = tf.data.TextLineDataset(path)
    ds = ds.map(parse, num_parallel_calls=tf.data.AUTOTUNE).batch(256).prefetch(tf.data.AUTOTUNE)
    model.fit(ds, epochs=5)
\`\`\`

## Fix safety
There is no automatic fix: replacing a Python generator needs its logic rewritten as tf ops. Use
\`tf.data.Dataset.from_tensor_slices(paths).map(load_fn, num_parallel_calls=tf.data.AUTOTUNE)\` for per-file loading,
a reader such as \`TextLineDataset\`/\`make_csv_dataset\` for text, or serialise the data to TFRecord once and read it
with \`TFRecordDataset\`.

## References
- TensorFlow guide, "Consuming Python generators": https://www.tensorflow.org/guide/data#consuming_python_generators
- "Better performance with the tf.data API": https://www.tensorflow.org/guide/data_performance
`,

  checkPython(module, reporter) {
    if (!module.importsAny('tensorflow')) return;
    if (module.callsTo([FROM_GENERATOR]).length === 0) return;
    const reported = new Set<number>();
    for (const sink of tfDataSinks(module)) {
      if (sink.reason !== 'passed to fit()' && sink.reason !== 'iterated by the training loop') continue;
      for (const source of tfDataSources(module, sink.expr)) {
        if (module.callee(source) !== FROM_GENERATOR || reported.has(source.id)) continue;
        reported.add(source.id);
        const fn = field(source, 'function') ?? source;
        reporter.report({
          range: nodeRange(fn),
          messageId: 'generatorInput',
          related: [{ range: nodeRange(sink.consumer), message: sink.reason }],
        });
      }
    }
  },
});
