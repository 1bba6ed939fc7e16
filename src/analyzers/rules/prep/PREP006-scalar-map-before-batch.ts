import { calledMethod, field, methodReceiver, nodeRange, parentOf, textOf, type Node } from '../../engine/syntax';
import type { PythonModule } from '../../python/module';
import { isDemoPipeline, methodCallRange, tfDataMapCalls } from '../../python/tfdata';
import { defineRule } from '../rule';
import { isElementwiseFunction, isProjection, mapFeedsTraining, tfMapFunction } from './tfdata-maps';

export default defineRule({
  code: 'PREP006',
  name: 'scalar-map-before-batch',
  family: 'PREP',
  severity: 'hint',
  confidence: 'medium',
  fix: 'unsafe',
  skipTestFiles: true,
  messages: {
    mapBeforeBatch: 'This map runs an elementwise function once per element before .{{batch}}(); each call costs scheduling overhead. Batch first (.batch(n).map(f)) so it runs once per batch, after checking that f works on batches.',
  },
  docs: `## What it does
Finds a \`tf.data\` chain \`.map(f).batch(n)\` where \`f\` (a lambda or a function of the module) only does arithmetic and
elementwise TensorFlow ops on its arguments (\`tf.cast\`, \`tf.image.convert_image_dtype\`, \`tf.clip_by_value\`,
\`tf.math.*\` elementwise functions, \`x / 255.0\`, dict features by name). Such a function gives the same result when it
runs once on a whole batch, so it can run after \`batch\`.

Not reported: a projection that only selects or regroups parts of the element (\`lambda x, y: x\`,
\`lambda x: x["text"]\`, typically built once to \`adapt()\` a preprocessing layer), which does no work to save; and a
demo pipeline whose result is only looked at (\`.take(3)\`, printed), which never feeds training. Nor a map whose
dataset is never read, read in one pass (\`evaluate\`, \`adapt\`), or read through a later \`.cache()\`: it runs once,
not every epoch (the readers are followed as the LOAD009 docs describe).

## Why is this bad?
The tf.data guide, "Vectorizing mapping": "Invoking a user-defined function passed into the map transformation has
overhead related to scheduling and executing the user-defined function. We recommend vectorizing the user-defined
function (that is, have it operate over a batch of inputs at once) and apply the batch transformation before the map
transformation." The per-call scheduling delay is "around 10 microseconds", paid once per element instead of once per
batch. For cheap functions this overhead dominates the map's cost.

## Example
\`\`\`python
import tensorflow as tf

def scale(image, label):
    return tf.cast(image, tf.float32) / 255.0, label

def make_dataset(images, labels):
    ds = tf.data.Dataset.from_tensor_slices((images, labels)).shuffle(10_000)
    return ds.map(scale, num_parallel_calls=tf.data.AUTOTUNE).batch(256).prefetch(tf.data.AUTOTUNE)
\`\`\`

## Use instead
\`\`\`python
import tensorflow as tf

def scale(image, label):
    return tf.cast(image, tf.float32) / 255.0, label

def make_dataset(images, labels):
    ds = tf.data.Dataset.from_tensor_slices((images, labels)).shuffle(10_000)
    return ds.batch(256).map(scale, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
\`\`\`

## Fix safety
The fix swaps the two steps to \`.batch(n).map(f)\`. It is unsafe because vectorizability cannot be proven statically:
the function is only checked to use elementwise operations, and broadcasting against a captured tensor, a parameter
whose shape the function inspects elsewhere, or numerically different results of batched kernels can still change the
output. It is offered as a suggestion; check the result on a batch.

## References
- "Better performance with the tf.data API", Vectorizing mapping: https://www.tensorflow.org/guide/data_performance#vectorizing_mapping
- \`tf.data.Dataset.map\`: https://www.tensorflow.org/api_docs/python/tf/data/Dataset#map
`,

  checkPython(module, reporter) {
    if (!module.importsAny('tensorflow', 'keras', 'tensorflow_datasets')) return;
    for (const map of tfDataMapCalls(module)) {
      const batch = batchAfter(map);
      if (!batch) continue;
      const fn = tfMapFunction(module, map);
      // A projection (`lambda x, y: x`) costs nothing to run per element; a demo pipeline never feeds training.
      if (!fn || isProjection(fn) || !isElementwiseFunction(module, fn) || isDemoPipeline(module, map) || mapFeedsTraining(module, map) === false) continue;
      reporter.report({
        range: methodCallRange(map),
        messageId: 'mapBeforeBatch',
        data: { batch: textOf(field(field(batch, 'function')!, 'attribute')!) },
        related: [{ range: nodeRange(fn), message: 'function made only of elementwise operations' }],
        fixes: [swapFix(module, map, batch)],
      });
    }
  },
});

/**
 * The `.batch(...)` call applied to the result of `map`: chained directly (`.map(f).batch(n)`), or in the next
 * statement through the variable (`ds = ds.map(f)` then `ds = ds.batch(n)` / `return ds.batch(n)`).
 */
function batchAfter(map: Node): Node | undefined {
  const attr = parentOf(map);
  if (attr?.type === 'attribute' && field(attr, 'object')?.id === map.id) {
    const call = parentOf(attr);
    return call?.type === 'call' && field(call, 'function')?.id === attr.id && calledMethod(call) === 'batch' ? call : undefined;
  }
  const assignment = attr?.type === 'assignment' && field(attr, 'right')?.id === map.id ? attr : undefined;
  const target = assignment && field(assignment, 'left');
  const statement = assignment && parentOf(assignment);
  if (target?.type !== 'identifier' || statement?.type !== 'expression_statement') return undefined;
  let next = statement.nextNamedSibling;
  while (next && next.type === 'comment') next = next.nextNamedSibling;
  if (!next) return undefined;
  const expr = next.type === 'return_statement' ? next.namedChild(0)
    : next.type === 'expression_statement' && next.namedChild(0)?.type === 'assignment' ? field(next.namedChild(0)!, 'right') : undefined;
  // The first step of the next statement's chain: `ds.batch(n)` with `ds` itself as the receiver.
  let call: Node | undefined;
  for (let n = expr ?? undefined; n && n.type === 'call'; n = methodReceiver(n)) call = n;
  if (!call || calledMethod(call) !== 'batch' || textOf(methodReceiver(call)!) !== textOf(target)) return undefined;
  return call;
}

/** `map(f).batch(n)` -> `batch(n).map(f)`, keeping whatever sits between the steps (a line break in a chain). */
function swapFix(module: PythonModule, map: Node, batch: Node) {
  const mapRange = methodCallRange(map);
  const batchRange = methodCallRange(batch);
  const mapText = module.text.slice(module.lines.offset(mapRange.start), map.endIndex);
  if (methodReceiver(batch)?.id !== map.id) {
    // Two statements: swap the two steps in place.
    const batchOnly = module.text.slice(module.lines.offset(batchRange.start), batch.endIndex);
    return {
      title: 'Batch before mapping (.batch(n).map(f))',
      safe: false,
      edits: [{ range: mapRange, newText: batchOnly }, { range: batchRange, newText: mapText }],
    };
  }
  const between = module.text.slice(map.endIndex, module.lines.offset(batchRange.start));
  const batchText = module.text.slice(module.lines.offset(batchRange.start), batch.endIndex);
  return {
    title: 'Batch before mapping (.batch(n).map(f))',
    safe: false,
    edits: [{ range: { start: mapRange.start, end: batchRange.end }, newText: `${batchText}${between}${mapText}` }],
  };
}
