import type { Fix } from '../../../shared/findings';
import { argument, callArguments } from '../../engine/calls';
import { field, literalValue, namedChildren, nodeRange, unwrap, type Node } from '../../engine/syntax';
import { parameterNames } from '../../python/bindings';
import { appendArguments, replaceNode } from '../../python/edits';
import { datasetMaps, preprocessingCallsOf, resolveMapFunction, type DatasetMap, type TokenizerCall } from '../../python/huggingface';
import type { PythonModule } from '../../python/module';
import { defineRule } from '../rule';

export default defineRule({
  code: 'PREP003',
  name: 'unbatched-dataset-map',
  family: 'PREP',
  severity: 'info',
  confidence: 'high',
  fix: 'safe',
  skipTestFiles: true,
  messages: {
    unbatchedMap: 'This map {{what}} one example at a time ({{setting}}); pass batched=True (and num_proc=) so the fast tokenizer processes whole batches.',
  },
  docs: `## What it does
Finds \`datasets\` \`Dataset.map(fn)\` / \`DatasetDict.map(fn)\` calls without \`batched=True\` where \`fn\` calls a
Hugging Face tokenizer, feature extractor or processor. The receiver must come from \`load_dataset\`,
\`load_from_disk\`, \`Dataset.from_*\` or a \`map\`/\`filter\`/\`select\`/\`train_test_split\` of one, however long the
chain (\`data["train"].train_test_split(...)["train"].shuffle().map(fn)\` through a variable is still a Dataset).

## Why is this bad?
Without \`batched=True\`, \`map\` calls the function once per example, and the tokenizer runs on one string at a time.
Hugging Face: "The map() function supports processing batches of examples at once which speeds up tokenization",
because "the 🤗 Tokenizers library works faster with batches because it parallelizes the tokenization of all the
examples in a batch". For a large corpus this is the difference between minutes and hours of preprocessing before
the first training step (and again whenever the cache is invalidated).

## Example
\`\`\`python
from datasets import load_dataset
from transformers import AutoTokenizer

tok = AutoTokenizer.from_pretrained("bert-base-uncased")
raw = load_dataset("imdb")
encoded = raw.map(lambda ex: tok(ex["text"], truncation=True))
\`\`\`

## Use instead
\`\`\`python
from datasets import load_dataset
from transformers import AutoTokenizer

tok = AutoTokenizer.from_pretrained("bert-base-uncased")
raw = load_dataset("imdb")
encoded = raw.map(lambda ex: tok(ex["text"], truncation=True), batched=True)
\`\`\`

## Fix safety
The fix adds \`batched=True\` (or turns \`batched=False\` into \`True\`). It is offered, and safe, only when the function
is a lambda of the form \`lambda x: tok(x["col"], ...)\` whose other arguments do not read the example and do not
ask for \`return_tensors\`: tokenizers accept a list of strings and return one list per output column, so the mapped
columns are the same. Any other function has to be rewritten to take and return lists, so no fix is offered; add
\`num_proc=\` by hand to use several processes as well.

## References
- Hugging Face Datasets, "Process text data": https://huggingface.co/docs/datasets/nlp_process
- Hugging Face Datasets, "Batch mapping": https://huggingface.co/docs/datasets/about_map_batch
`,

  checkPython(module, reporter) {
    if (!module.importsAny('datasets')) return;
    for (const map of datasetMaps(module)) {
      if (map.batched === true || map.batched === 'unknown' || !map.fn) continue;
      const args = callArguments(map.call);
      const fnKwargs = argument(args, 'fn_kwargs');
      const fn = resolveMapFunction(module, map.fn, map.call, fnKwargs.kind === 'present' ? fnKwargs.node : undefined);
      if (!fn) continue;
      const calls = preprocessingCallsOf(module, fn);
      if (calls.length === 0) continue;
      const what = calls[0].kind === 'tokenizer' ? 'tokenizes' : calls[0].kind === 'processor' ? 'runs a processor on' : 'extracts features from';
      const fix = batchedFix(module, map, fn.node, calls, args.keywords.has('input_columns'));
      reporter.report({
        range: nodeRange(field(map.call, 'function')!),
        messageId: 'unbatchedMap',
        data: { what, setting: map.batched === false ? 'batched=False' : 'no batched=True' },
        related: [{ range: nodeRange(calls[0].call), message: 'per-example preprocessing call' }],
        fixes: fix ? [fix] : [],
      });
    }
  },
});

/** Adds `batched=True` when the function is `lambda x: tok(x["col"], ...)`: the tokenizer then gets a list of strings. */
function batchedFix(module: PythonModule, map: DatasetMap, fn: Node, calls: TokenizerCall[], inputColumns: boolean): Fix | undefined {
  if (fn.type !== 'lambda' || inputColumns) return undefined;
  const params = parameterNames(fn);
  const lambdaParams = field(fn, 'parameters');
  if (params.length !== 1 || !lambdaParams || namedChildren(lambdaParams).length !== 1 || lambdaParams.namedChild(0)?.type !== 'identifier') return undefined;
  const body = field(fn, 'body');
  const call = calls[0];
  if (!body || unwrap(body).id !== call.call.id || call.kind !== 'tokenizer' || call.form !== 'call') return undefined;
  const x = params[0];
  const args = callArguments(call.call);
  if (args.hasKwargs || args.starIndex >= 0 || args.positional.length === 0 || args.positional.length > 2) return undefined;
  if (!args.positional.every((p) => isColumnOf(p, x))) return undefined;
  for (const [name, value] of args.keywords) {
    if (name === 'return_tensors') return undefined;
    if (['text', 'text_pair', 'text_target', 'text_pair_target'].includes(name) ? !isColumnOf(value, x) : mentionsName(value, x)) return undefined;
  }
  const edit = map.batched === false && map.batchedNode ? replaceNode(map.batchedNode, 'True') : appendArguments(module, map.call, ['batched=True']);
  return { title: 'Tokenize in batches (batched=True)', safe: true, edits: [edit] };
}

/** `x["col"]`: one column of the example dict (a list of values once batched). */
function isColumnOf(node: Node, x: string): boolean {
  const n = unwrap(node);
  if (n.type !== 'subscript') return false;
  const value = field(n, 'value');
  const index = field(n, 'subscript');
  return value?.type === 'identifier' && value.text === x && typeof literalValue(index) === 'string';
}

function mentionsName(node: Node, name: string): boolean {
  if (node.type === 'identifier' && node.text === name) return true;
  return namedChildren(node).some((c) => mentionsName(c, name));
}
