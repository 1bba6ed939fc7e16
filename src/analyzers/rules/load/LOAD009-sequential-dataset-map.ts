import { argument, callArguments } from '../../engine/calls';
import { textOf, unwrap, type Node } from '../../engine/syntax';
import type { Edit } from '../../../shared/findings';
import { appendArguments } from '../../python/edits';
import type { PythonModule } from '../../python/module';
import { autotuneExpression, insideParallelInterleave, isDemoPipeline, methodCallRange, tfDataDefaultsOff, tfDataMapCalls } from '../../python/tfdata';
import { drawsRandom, isCheapFunction, isProjection, mapFeedsTraining, mapsBatches, tfMapFunction } from '../prep/tfdata-maps';
import { defineRule } from '../rule';

export default defineRule({
  code: 'LOAD009',
  name: 'sequential-dataset-map',
  family: 'LOAD',
  severity: 'warning',
  confidence: 'high',
  fix: 'safe',
  messages: {
    autoParallelMap: 'tf.data map() without num_parallel_calls. TensorFlow 2.12 and later parallelise a stateless map function like this one by default (tf.data map_parallelization), so this matters on older TensorFlow; passing num_parallel_calls=tf.data.AUTOTUNE makes it parallel on every version.',
    sequentialMap: 'tf.data map() without num_parallel_calls runs the map function on one element at a time on one CPU core{{stateful}}. Pass num_parallel_calls=tf.data.AUTOTUNE.',
  },
  docs: `## What it does
Finds \`.map(fn)\` on a \`tf.data.Dataset\` without \`num_parallel_calls\`, so the map function runs on one element at
a time. Only chains that start from a tf.data constructor (\`tf.data.Dataset.from_tensor_slices\`, \`TFRecordDataset\`,
\`list_files\`, \`keras.utils.image_dataset_from_directory\`, …) are checked, directly or through variables and local
helper functions; Hugging Face \`datasets\` and pandas \`.map\` calls are not tf.data and are left alone.

Severity follows TensorFlow's defaults. TensorFlow parallelises a *stateless* map function by itself: the
\`map_parallelization\` optimisation of \`tf.data.experimental.OptimizationOptions\` is documented as on by default in
TensorFlow 2.12 and later (and \`keras.utils.image_dataset_from_directory\` and its siblings already decode with
\`num_parallel_calls=AUTOTUNE\`). So a map whose function is visibly stateless is reported as **info** (it matters on
older TensorFlow, or where the default optimisations are off). It stays a **warning** when the function draws random
numbers, calls \`py_function\`/\`numpy_function\`, or is named or built like an augmentation (\`data_augmentation\`,
\`RandomFlip\` layers): TensorFlow leaves those sequential. It is also a warning when the module turns the
optimisation off (\`map_parallelization = False\`, \`apply_default_optimizations = False\`, \`autotune.enabled = False\`).

Not reported:
- a map inside the function given to \`interleave(..., num_parallel_calls=...)\`: the interleave already runs several
  of those inner pipelines at once;
- a projection that only selects or regroups parts of the element (\`lambda x, y: x\`, \`lambda x: x["text"]\`), as
  built once to \`adapt()\` a \`TextVectorization\` or \`Normalization\` layer: there is no work to parallelise;
- a demo pipeline that is only looked at (\`.take(3)\` of it is printed or plotted): it never feeds training. Likewise,
  in a file that trains on tf.data pipelines (\`fit\`, \`evaluate\`, a \`GradientTape\` loop) whose chains can all be
  followed, a top-level map on a pipeline none of them consumes (the demo cells of a tutorial notebook); and any
  top-level map in a notebook that never trains (no \`fit\`, \`GradientTape\` or \`backward\`: a guide that parses
  records only to print them), since nothing imports a notebook's pipelines;
- a map whose dataset does no repeated work. tf.data is lazy, so the map runs only when something reads its dataset,
  and the readers are followed forward through names, chained steps and local functions: nothing reads it (a name
  never used, in a function or a notebook), only a few elements are looked at, it is read in one pass (\`evaluate\`,
  \`predict\`, \`adapt\`, a loop that does not train: a test set), or every reader reads it through a \`.cache()\` that
  follows the map (the map runs in the first epoch only);
- a map that only applies elementwise and shape ops (\`lambda x, y: (x, tf.expand_dims(y, -1))\`) to whole batches (after
  \`batch\`): a few vectorised ops per batch leave nothing to spread over cores.

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
- \`tf.data.experimental.OptimizationOptions\` (\`map_parallelization\`: "Whether to parallelize stateless map transformations. If None, defaults to True"): https://www.tensorflow.org/versions/r2.12/api_docs/python/tf/data/experimental/OptimizationOptions
`,

  checkPython(module, reporter) {
    for (const call of tfDataMapCalls(module)) {
      // Dataset.map(map_func, num_parallel_calls=None, deterministic=None, name=None)
      const parallel = argument(callArguments(call), 'num_parallel_calls', 1);
      if (parallel.kind !== 'absent') continue;
      const fn = tfMapFunction(module, call);
      if ((fn && isProjection(fn)) || insideParallelInterleave(module, call) || isDemoPipeline(module, call) || mapFeedsTraining(module, call) === false) continue;
      // Elementwise or shape ops on whole batches: a few vectorised ops per batch, nothing to spread over cores.
      if (fn && isCheapFunction(module, fn) && mapsBatches(module, call)) continue;
      const stateful = statefulMap(module, call, fn);
      const autoParallel = !stateful && !tfDataDefaultsOff(module).mapParallelization;
      const autotune = autotuneExpression(module);
      const edits: Edit[] = [appendArguments(module, call, [`num_parallel_calls=${autotune.text}`])];
      if (autotune.importEdit) edits.push(autotune.importEdit);
      reporter.report({
        range: methodCallRange(call),
        ...(autoParallel ? { severity: 'info' as const } : {}),
        messageId: autoParallel ? 'autoParallelMap' : 'sequentialMap',
        data: { stateful: stateful ? ` (TensorFlow does not parallelise it for you: ${stateful})` : '' },
        fixes: [{ title: 'Parallelize the map with num_parallel_calls=tf.data.AUTOTUNE', safe: true, edits }],
      });
    }
  },
});

/**
 * Why TensorFlow's automatic map parallelisation does not apply to this map, or undefined: it only rewrites
 * stateless functions, so random ops, `py_function`/`numpy_function` and Keras random layers keep it sequential.
 */
function statefulMap(module: PythonModule, call: Node, fn: Node | undefined): string | undefined {
  if (fn) return drawsRandom(module, fn) ? 'the function draws random numbers or runs Python code' : undefined;
  // An opaque function (an imported helper, a Keras layer or model): judge by what it is named or built from.
  const arg = callArguments(call).positional[0] ?? callArguments(call).keywords.get('map_func');
  if (!arg) return undefined;
  const n = unwrap(arg);
  const value = n.type === 'identifier' ? module.assignmentsTo(textOf(n)).map((a) => textOf(a)).join('\n') : '';
  return /random|augment|py_function|numpy_function/i.test(`${textOf(n)}\n${value}`) ? 'it looks like random augmentation or Python code' : undefined;
}
