import type { Edit } from '../../../shared/findings';
import { argument, callArguments } from '../../engine/calls';
import { calledMethod, field, literalValue, methodReceiver, namedChildren, nodeRange, unwrap, type Node } from '../../engine/syntax';
import { parameterNames } from '../../python/bindings';
import { appendArguments } from '../../python/edits';
import type { PythonModule } from '../../python/module';
import { autotuneExpression, isTfDataset, methodCallRange, tfDataWork } from '../../python/tfdata';
import { defineRule } from '../rule';

const TFRECORD = 'tensorflow.data.TFRecordDataset';
/** Calls that return several file names. */
const FILE_LISTS = new Set(['glob.glob', 'tensorflow.io.gfile.glob', 'tensorflow.io.gfile.listdir', 'os.listdir', 'tensorflow.data.Dataset.list_files', 'tensorflow.io.matching_files']);

export default defineRule({
  code: 'LOAD010',
  name: 'sequential-file-reads',
  family: 'LOAD',
  severity: 'info',
  confidence: 'medium',
  fix: 'unsafe',
  skipTestFiles: true,
  messages: {
    sequentialFiles: "TFRecordDataset reads its {{files}} files one after another on one thread: each file's time-to-first-byte and read bandwidth add up. Pass num_parallel_reads=tf.data.AUTOTUNE.",
    sequentialInterleave: 'tf.data interleave() without num_parallel_calls opens and reads its inputs one at a time on one thread. Pass num_parallel_calls=tf.data.AUTOTUNE.',
  },
  docs: `## What it does
Finds \`tf.data.TFRecordDataset(files)\` over several files (a list, a \`glob\`/\`tf.io.gfile.glob\` result or a
\`Dataset.list_files\` dataset, also through variables and the callers of a local helper) without
\`num_parallel_reads\`, and \`<tf.data.Dataset>.interleave(f)\` without \`num_parallel_calls\`.

Not reported: a dataset whose files are read once or never (tf.data reads only when something iterates the dataset):
nothing reads it, only a few elements are looked at (\`for row in rows.take(10): print(row)\`), it is read in one pass
(\`evaluate\`, a loop that does not train), or through a \`.cache()\`.

## Why is this bad?
Without them the files are read one after another by one thread. The tf.data performance guide: remote storage has a
long "time-to-first-byte", and "reading a single file might only be able to utilize a small fraction of [the]
bandwidth"; \`interleave\` with \`num_parallel_calls\` parallelises the extraction. On local SSDs with few large shards
the gain is smaller, so this is \`info\`.

## Example
\`\`\`python
import glob
import tensorflow as tf

def make_dataset(pattern):
    files = sorted(glob.glob(pattern))
    ds = tf.data.TFRecordDataset(files)
    return ds.batch(128).prefetch(tf.data.AUTOTUNE)
\`\`\`

## Use instead
\`\`\`python
import glob
import tensorflow as tf

def make_dataset(pattern):
    files = sorted(glob.glob(pattern))
    ds = tf.data.TFRecordDataset(files, num_parallel_reads=tf.data.AUTOTUNE)
    return ds.batch(128).prefetch(tf.data.AUTOTUNE)
\`\`\`

## Fix safety
For \`interleave\`, adding \`num_parallel_calls=tf.data.AUTOTUNE\` is safe: with the default \`deterministic=True\` the
elements come out in the same order as before. For \`TFRecordDataset\`, \`num_parallel_reads\` makes records of files read
in parallel come out interleaved instead of file after file (the docs: "the records of files read in parallel are
outputted in an interleaved order"), so that fix is offered as unsafe; it is harmless when the dataset is shuffled
afterwards.

## References
- tf.data performance guide, "Parallelizing data extraction": https://www.tensorflow.org/guide/data_performance#parallelizing_data_extraction
- \`tf.data.TFRecordDataset\`: https://www.tensorflow.org/api_docs/python/tf/data/TFRecordDataset
- \`tf.data.Dataset.interleave\`: https://www.tensorflow.org/api_docs/python/tf/data/Dataset#interleave
`,

  checkPython(module, reporter) {
    if (!module.importsAny('tensorflow')) return;
    const tfrecords = module.callsTo([TFRECORD]);
    const interleaves = module.methodCalls('interleave');
    if (tfrecords.length === 0 && interleaves.length === 0) return;
    for (const call of tfrecords) {
      const args = callArguments(call);
      // TFRecordDataset(filenames, compression_type=None, buffer_size=None, num_parallel_reads=None, name=None)
      if (argument(args, 'num_parallel_reads', 3).kind !== 'absent') continue;
      const files = argument(args, 'filenames', 0);
      if (files.kind !== 'present' || fileCount(module, files.node, call, 0) !== 'many' || readsOnce(module, call)) continue;
      reporter.report({
        range: nodeRange(field(call, 'function') ?? call),
        messageId: 'sequentialFiles',
        data: { files: files.node.text },
        fixes: [parallelFix(module, call, 'num_parallel_reads', false, 'Read the files in parallel (num_parallel_reads=tf.data.AUTOTUNE)')],
      });
    }
    for (const call of interleaves) {
      const receiver = methodReceiver(call);
      if (!receiver || !isTfDataset(module, receiver)) continue;
      // interleave(map_func, cycle_length=None, block_length=None, num_parallel_calls=None, deterministic=None, name=None)
      if (argument(callArguments(call), 'num_parallel_calls', 3).kind !== 'absent' || readsOnce(module, call)) continue;
      reporter.report({
        range: methodCallRange(call),
        messageId: 'sequentialInterleave',
        fixes: [parallelFix(module, call, 'num_parallel_calls', true, 'Interleave in parallel (num_parallel_calls=tf.data.AUTOTUNE)')],
      });
    }
  },
});

/** Nothing reads the dataset, or only a few elements of it, or one pass, or through a cache: the files are read once. */
function readsOnce(module: PythonModule, call: Node): boolean {
  const work = tfDataWork(module, call);
  return work === 'never' || work === 'once';
}

function parallelFix(module: PythonModule, call: Node, keyword: string, safe: boolean, title: string) {
  const autotune = autotuneExpression(module);
  const edits: Edit[] = [appendArguments(module, call, [`${keyword}=${autotune.text}`])];
  if (autotune.importEdit) edits.push(autotune.importEdit);
  return { title, safe, edits };
}

type Count = 'one' | 'many' | 'unknown';

/** How many files an expression names: a literal list, a glob or `list_files` result, through names and local callers. */
function fileCount(module: PythonModule, expr: Node, at: Node, depth: number): Count {
  if (depth > 4) return 'unknown';
  const n = unwrap(expr);
  switch (n.type) {
    case 'string':
      return 'one';
    case 'list':
    case 'tuple': {
      const items = namedChildren(n).filter((c) => c.type !== 'comment');
      if (items.some((c) => c.type === 'list_splat')) return 'many';
      return items.length > 1 ? 'many' : items.length === 1 ? 'one' : 'unknown';
    }
    case 'list_comprehension':
      return 'many';
    case 'call': {
      const callee = module.callee(n);
      if (callee !== undefined && FILE_LISTS.has(callee)) {
        // A glob of one literal file name without wildcards names one file.
        const first = callArguments(n).positional[0];
        const v = first ? literalValue(first) : undefined;
        return typeof v === 'string' && !/[*?[]/.test(v) ? 'one' : 'many';
      }
      const fnText = field(n, 'function')?.text;
      if (fnText === 'sorted' || fnText === 'list') {
        const first = callArguments(n).positional[0];
        return first ? fileCount(module, first, at, depth + 1) : 'unknown';
      }
      // `tf.data.Dataset.list_files(...).shuffle(...)` and friends keep the file list.
      const method = calledMethod(n);
      const receiver = methodReceiver(n);
      if (method && receiver && ['shuffle', 'repeat', 'shard', 'take', 'skip', 'filter', 'cache'].includes(method)) return fileCount(module, receiver, at, depth + 1);
      return 'unknown';
    }
    case 'identifier': {
      const fn = module.enclosingFunction(at);
      const local = module.assignmentsTo(n.text).filter((a) => field(a, 'left')?.text === n.text && module.enclosingFunction(a)?.id === fn?.id);
      if (local.length > 0) return combine(local.map((a) => fileCount(module, field(a, 'right')!, a, depth + 1)));
      if (fn && parameterNames(fn).includes(n.text)) return fromCallers(module, fn, n.text, depth);
      return 'unknown';
    }
    default:
      return 'unknown';
  }
}

function combine(counts: Count[]): Count {
  if (counts.length === 0 || counts.some((c) => c === 'unknown')) return 'unknown';
  return counts.every((c) => c === 'many') ? 'many' : counts.every((c) => c === 'one') ? 'one' : 'unknown';
}

/** A parameter's value at the local call sites of its function: every caller must pass several files. */
function fromCallers(module: PythonModule, fn: Node, param: string, depth: number): Count {
  const name = module.functionName(fn);
  const index = parameterNames(fn).indexOf(param);
  const counts: Count[] = [];
  for (const ref of module.referencesTo(name)) {
    const call = ref.parent;
    if (call?.type !== 'call' || field(call, 'function')?.id !== ref.id || module.localCallTarget(call)?.id !== fn.id) continue;
    const arg = argument(callArguments(call), param, index);
    if (arg.kind !== 'present') return 'unknown';
    counts.push(fileCount(module, arg.node, call, depth + 1));
  }
  return combine(counts);
}
