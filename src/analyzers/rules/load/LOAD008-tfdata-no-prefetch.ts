import type { Edit, RelatedLocation } from '../../../shared/findings';
import { nodeRange } from '../../engine/syntax';
import { appendToChain, autotuneExpression, methodCallRange, tfDataDefaultsOff, tfDataSinks, type TfDataSink } from '../../python/tfdata';
import { replaysFromMemory } from '../prep/tfdata-maps';
import { defineRule } from '../rule';

export default defineRule({
  code: 'LOAD008',
  name: 'tfdata-no-prefetch',
  family: 'LOAD',
  severity: 'warning',
  confidence: 'high',
  fix: 'safe',
  messages: {
    prefetchInjected: 'tf.data pipeline {{sink}} has no explicit prefetch. {{builtin}}TensorFlow 2.12 and later inject prefetch(AUTOTUNE) after a synchronous last step by default (tf.data inject_prefetch), so this costs overlap only on older TensorFlow or with that optimisation off; append .prefetch(tf.data.AUTOTUNE) to make the overlap explicit on every version.',
    noPrefetch: "tf.data pipeline {{sink}} has no prefetch, and this module turns off TensorFlow's automatic prefetch injection: reading and preprocessing the next batch waits for the training step instead of overlapping it. Append .prefetch(tf.data.AUTOTUNE) to the end of the chain.",
  },
  docs: `## What it does
Finds a \`tf.data\` pipeline that feeds Keras \`fit\`/\`evaluate\` or a training loop (one that uses \`GradientTape\` /
\`apply_gradients\`) and has no \`.prefetch(...)\` step. The chain is followed from a tf.data constructor
(\`from_tensor_slices\`, \`TFRecordDataset\`, \`list_files\`, \`image_dataset_from_directory\`, …) through variables and
local helper functions. Keras \`fit\` on NumPy arrays is not a tf.data chain and is not reported.

Severity follows TensorFlow's defaults. Since TensorFlow 2.12 the \`inject_prefetch\` optimisation of
\`tf.data.experimental.OptimizationOptions\` is documented as on by default ("Whether to inject prefetch transformation as
the last transformation when the last transformation is a synchronous transformation"; the TF 2.10 docs still say it
defaults to False). Which TensorFlow runs the code is not in the code, so the finding is **info**, with that reason in
the message. It is a **warning** when the module turns the optimisation off (\`inject_prefetch = False\`,
\`apply_default_optimizations = False\` or \`autotune.enabled = False\` on the dataset options).

Not reported:
- the dataset returned by \`keras.utils.image_dataset_from_directory\` / \`text_dataset_from_directory\` (Keras 2.6 and
  later) or \`timeseries_dataset_from_array\` / \`audio_dataset_from_directory\` (Keras 2.10 and later), used as returned
  (or after \`with_options\`): those utilities end in \`prefetch(tf.data.AUTOTUNE)\` themselves. A \`map\`/\`batch\`/\`cache\`
  added after the utility is reported (info), since those later steps are not covered by the utility's prefetch;
- a dataset built only to look at a few elements (\`for x in ds.take(3): print(x)\`): it is not passed to training;
- a dataset only passed to \`evaluate\`/\`predict\`: it is read in one pass, not every epoch, so there is no recurring
  wait to hide (a test set);
- a dataset replayed from an in-memory \`.cache()\` (no file name) whose later steps only shuffle, batch, repeat or apply
  elementwise and shape ops (\`lambda x, y: (x, tf.expand_dims(y, -1))\`): from the second epoch on its elements come
  from memory and there is nothing slow left to overlap. A \`cache(path)\` on disk, or an augmentation or decode after
  the cache, is still reported.

\`tfds.load(..., split=[...])\` unpacked into several datasets (\`train, test = tfds.load(...)\`, also with
\`with_info=True\` and \`as_supervised=True\`) and \`tfds.load(name)["train"]\` are tf.data sources like any other.

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
- \`tf.data.experimental.OptimizationOptions\` (\`inject_prefetch\`), TF 2.12: https://www.tensorflow.org/versions/r2.12/api_docs/python/tf/data/experimental/OptimizationOptions
- Keras utilities end in prefetch: keras-team/keras commit 72c161e "Add prefetching to datasets generated via Keras utility functions" (Keras 2.6)
`,

  checkPython(module, reporter) {
    // Several consumers (fit and evaluate, train and validation) may share one chain end: report it once.
    const byEnd = new Map<number, TfDataSink[]>();
    for (const sink of tfDataSinks(module)) {
      if (sink.chain.hasPrefetch || sink.chain.endsPrefetched) continue;
      const list = byEnd.get(sink.chain.end.id) ?? [];
      list.push(sink);
      byEnd.set(sink.chain.end.id, list);
    }
    const injected = !tfDataDefaultsOff(module).injectPrefetch;
    for (const sinks of byEnd.values()) {
      const end = sinks[0].chain.end;
      const chain = sinks[0].chain;
      // Read once by evaluate()/predict(), or replayed from an in-memory cache: nothing slow recurs to overlap.
      if (sinks.every((s) => s.use === 'evaluate') || replaysFromMemory(module, chain)) continue;
      const builtin = chain.builtinPrefetch ? 'The Keras dataset utility prefetches internally, but the steps added after it run in turn with the training step. ' : '';
      const autotune = autotuneExpression(module);
      const edits: Edit[] = [appendToChain(module, end, `prefetch(${autotune.text})`)];
      if (autotune.importEdit) edits.push(autotune.importEdit);
      const related: RelatedLocation[] = sinks.map((s) => ({ range: nodeRange(s.consumer), message: `consumed here (${s.reason})` }));
      reporter.report({
        range: end.type === 'call' ? methodCallRange(end) : nodeRange(end),
        ...(injected ? { severity: 'info' as const } : {}),
        messageId: injected ? 'prefetchInjected' : 'noPrefetch',
        data: { sink: sinks[0].reason, builtin },
        related,
        fixes: [{ title: 'Append .prefetch(tf.data.AUTOTUNE) to the pipeline', safe: true, edits }],
      });
    }
  },
});
