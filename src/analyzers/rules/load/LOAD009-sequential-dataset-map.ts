import { argument, callArguments } from '../../engine/calls';
import type { Edit } from '../../../shared/findings';
import { appendArguments } from '../../python/edits';
import { autotuneExpression, methodCallRange, tfDataMapCalls } from '../../python/tfdata';
import { defineRule } from '../rule';

export default defineRule({
  code: 'LOAD009',
  name: 'sequential-dataset-map',
  family: 'LOAD',
  severity: 'warning',
  confidence: 'high',
  fix: 'safe',
  docs: `## What it does
Finds \`.map(fn)\` on a \`tf.data.Dataset\` without \`num_parallel_calls\`, so the map function runs on one element at
a time. Only chains that start from a tf.data constructor (\`tf.data.Dataset.from_tensor_slices\`, \`TFRecordDataset\`,
\`list_files\`, \`keras.utils.image_dataset_from_directory\`, …) are checked, directly or through variables and local
helper functions; Hugging Face \`datasets\` and pandas \`.map\` calls are not tf.data and are left alone.

## Why is this bad?
The tf.data performance guide: "the pre-processing can be parallelized across multiple CPU cores … the \`map\`
transformation provides the \`num_parallel_calls\` argument". Without it, decoding and augmentation run serially on a
single core while the accelerator waits for the next batch.

## Example
\`\`\`python
import tensorflow as tf

def make_dataset(paths, labels):
    ds = tf.data.Dataset.from_tensor_slices((paths, labels))
    ds = ds.map(load_and_resize)
    return ds.batch(64).prefetch(tf.data.AUTOTUNE)
\`\`\`

## Use instead
\`\`\`python
import tensorflow as tf

def make_dataset(paths, labels):
    ds = tf.data.Dataset.from_tensor_slices((paths, labels))
    ds = ds.map(load_and_resize, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(64).prefetch(tf.data.AUTOTUNE)
\`\`\`

## Fix safety
The fix adds \`num_parallel_calls=tf.data.AUTOTUNE\` (reusing an existing \`AUTOTUNE\` name or \`tensorflow\` alias, and
adding \`import tensorflow as tf\` when there is none). It is safe: \`deterministic\` stays at its default, so tf.data
still yields elements in the original order. For training input you may also pass \`deterministic=False\` to trade the
order for throughput; the fix does not do that for you.

## References
- "Better performance with the tf.data API", Parallelizing data transformation: https://www.tensorflow.org/guide/data_performance#parallelizing_data_transformation
- \`tf.data.Dataset.map\`: https://www.tensorflow.org/api_docs/python/tf/data/Dataset#map
`,

  checkPython(module, reporter) {
    for (const call of tfDataMapCalls(module)) {
      // Dataset.map(map_func, num_parallel_calls=None, deterministic=None, name=None)
      const parallel = argument(callArguments(call), 'num_parallel_calls', 1);
      if (parallel.kind !== 'absent') continue;
      const autotune = autotuneExpression(module);
      const edits: Edit[] = [appendArguments(module, call, [`num_parallel_calls=${autotune.text}`])];
      if (autotune.importEdit) edits.push(autotune.importEdit);
      reporter.report({
        range: methodCallRange(call),
        message: 'tf.data map() without num_parallel_calls runs the map function on one element at a time on one CPU core. Pass num_parallel_calls=tf.data.AUTOTUNE.',
        fixes: [{ title: 'Parallelize the map with num_parallel_calls=tf.data.AUTOTUNE', safe: true, edits }],
      });
    }
  },
});
