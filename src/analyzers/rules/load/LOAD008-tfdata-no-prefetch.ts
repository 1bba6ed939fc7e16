import type { Edit, RelatedLocation } from '../../../shared/findings';
import { nodeRange } from '../../engine/syntax';
import { appendToChain, autotuneExpression, methodCallRange, tfDataSinks, type TfDataSink } from '../../python/tfdata';
import { defineRule } from '../rule';

export default defineRule({
  code: 'LOAD008',
  name: 'tfdata-no-prefetch',
  family: 'LOAD',
  severity: 'warning',
  confidence: 'high',
  fix: 'safe',
  docs: `## What it does
Finds a \`tf.data\` pipeline that feeds Keras \`fit\`/\`evaluate\` or a training loop (one that uses \`GradientTape\` /
\`apply_gradients\`) and has no \`.prefetch(...)\` step. The chain is followed from a tf.data constructor
(\`from_tensor_slices\`, \`TFRecordDataset\`, \`list_files\`, \`image_dataset_from_directory\`, …) through variables and
local helper functions. Keras \`fit\` on NumPy arrays is not a tf.data chain and is not reported.

## Why is this bad?
The tf.data performance guide: "Prefetching overlaps the preprocessing and model execution of a training step …
reduces the step time to the maximum (as opposed to the sum) of the training and the time it takes to extract the
data." Without it, the accelerator idles while each batch is read and preprocessed.

## Example
\`\`\`python
import tensorflow as tf

def train(model, images, labels):
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    ds = ds.shuffle(10_000).batch(64)
    model.fit(ds, epochs=10)
\`\`\`

## Use instead
\`\`\`python
import tensorflow as tf

def train(model, images, labels):
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    ds = ds.shuffle(10_000).batch(64).prefetch(tf.data.AUTOTUNE)
    model.fit(ds, epochs=10)
\`\`\`

## Fix safety
The fix appends \`.prefetch(tf.data.AUTOTUNE)\` to the end of the chain (the last assignment before the dataset is used,
or the helper's \`return\`), reusing an existing \`AUTOTUNE\` name or \`tensorflow\` alias. It is safe: prefetching only
overlaps production and consumption; the elements and their order are unchanged.

## References
- "Better performance with the tf.data API", Prefetching: https://www.tensorflow.org/guide/data_performance#prefetching
- \`tf.data.Dataset.prefetch\`: https://www.tensorflow.org/api_docs/python/tf/data/Dataset#prefetch
`,

  checkPython(module, reporter) {
    // Several consumers (fit and evaluate, train and validation) may share one chain end: report it once.
    const byEnd = new Map<number, TfDataSink[]>();
    for (const sink of tfDataSinks(module)) {
      if (sink.chain.hasPrefetch) continue;
      const list = byEnd.get(sink.chain.end.id) ?? [];
      list.push(sink);
      byEnd.set(sink.chain.end.id, list);
    }
    for (const sinks of byEnd.values()) {
      const end = sinks[0].chain.end;
      const autotune = autotuneExpression(module);
      const edits: Edit[] = [appendToChain(module, end, `prefetch(${autotune.text})`)];
      if (autotune.importEdit) edits.push(autotune.importEdit);
      const related: RelatedLocation[] = sinks.map((s) => ({ range: nodeRange(s.consumer), message: `consumed here (${s.reason})` }));
      reporter.report({
        range: end.type === 'call' ? methodCallRange(end) : nodeRange(end),
        message: `tf.data pipeline ${sinks[0].reason} has no prefetch: reading and preprocessing the next batch waits for the training step instead of overlapping it. Append .prefetch(tf.data.AUTOTUNE) to the end of the chain.`,
        related,
        fixes: [{ title: 'Append .prefetch(tf.data.AUTOTUNE) to the pipeline', safe: true, edits }],
      });
    }
  },
});
