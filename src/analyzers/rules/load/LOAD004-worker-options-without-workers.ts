import type { Edit, Fix } from '../../../shared/findings';
import type { ConfigNode } from '../../config/document';
import { dataLoaderMaps } from '../../config/keys';
import { argument, callArguments, type ArgLookup } from '../../engine/calls';
import { field, literalValue, namedChildren, NOT_LITERAL, nodeRange, parentOf, type Node } from '../../engine/syntax';
import { argValue, DATALOADER, DATALOADER_SLOTS } from '../../python/dataloaders';
import type { PythonModule } from '../../python/module';
import { defineRule } from '../rule';

/** The DataLoader options that only mean something with worker processes, and what torch raises for each. */
const WORKER_ONLY = ['persistent_workers', 'prefetch_factor'] as const;
type WorkerOnly = (typeof WORKER_ONLY)[number];
const ERRORS: Record<WorkerOnly, string> = {
  persistent_workers: 'ValueError: persistent_workers option needs num_workers > 0',
  prefetch_factor: 'ValueError: prefetch_factor option could only be specified in multiprocessing',
};

export default defineRule({
  code: 'LOAD004',
  name: 'worker-options-without-workers',
  family: 'LOAD',
  severity: 'error',
  confidence: 'high',
  fix: 'safe',
  messages: {
    optionWithoutWorkers: '{{option}}={{value}} needs worker processes, but {{setting}}: the DataLoader raises "{{error}}" when it is created. Tie it to num_workers or remove it.',
    configOptionWithoutWorkers: '{{path}} needs worker processes, but {{count}}: the DataLoader raises "{{error}}" at startup. Set it to {{off}} or use workers.',
  },
  docs: `## What it does
Finds a PyTorch \`DataLoader\` that sets \`persistent_workers=True\` or a \`prefetch_factor\` while \`num_workers\` is 0 or
absent (the default is 0), and the same combination in Lightning CLI and Hydra data configs (\`num_workers: 0\` next to
\`persistent_workers: true\` / \`prefetch_factor: N\`) and in Hugging Face training arguments
(\`dataloader_persistent_workers\` / \`dataloader_prefetch_factor\` with \`dataloader_num_workers\` 0 or absent).

## Why is this bad?
The run fails before the first step. \`torch.utils.data.DataLoader\` validates its arguments at construction:
\`ValueError: persistent_workers option needs num_workers > 0\` and \`ValueError: prefetch_factor option could only be
specified in multiprocessing.let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None.\`
Hugging Face \`TrainingArguments\` raises "--dataloader_prefetch_factor can only be set when data is loaded in a different
process" for the same reason. It typically bites when someone sets \`num_workers=0\` to debug.

Worker counts that are not literals (a variable set from a platform check, \`**kwargs\`) are not reported.

## Example
\`\`\`python
from torch.utils.data import DataLoader

def make_loader(dataset):
    return DataLoader(dataset, batch_size=64, shuffle=True, num_workers=0, persistent_workers=True)
\`\`\`

## Use instead
\`\`\`python
from torch.utils.data import DataLoader

def make_loader(dataset, num_workers=0):
    return DataLoader(dataset, batch_size=64, shuffle=True, num_workers=num_workers, persistent_workers=num_workers > 0)
\`\`\`

## Fix safety
When the worker count is a variable that is assigned the literal 0 once, the fix ties the option to it
(\`persistent_workers=workers > 0\`, \`prefetch_factor=4 if workers > 0 else None\`), so it stays right when the count
changes. When the count is the literal 0 or absent, the fix removes the option, which has no effect without workers.
Both are safe: the loader yields the same batches, it just no longer raises. In configs the fix sets
\`persistent_workers: false\` / \`prefetch_factor: null\` and is offered as unsafe, because composed configs
(Hydra overrides, several \`--config\` files) may set \`num_workers\` elsewhere.

## References
- \`torch.utils.data.DataLoader\` argument validation: https://github.com/pytorch/pytorch/blob/main/torch/utils/data/dataloader.py
- DataLoader API: https://pytorch.org/docs/stable/data.html#torch.utils.data.DataLoader
- Hugging Face \`TrainingArguments\` (\`dataloader_prefetch_factor\`, \`dataloader_persistent_workers\`): https://huggingface.co/docs/transformers/main_classes/trainer#transformers.TrainingArguments
`,

  checkPython(module, reporter) {
    for (const call of module.callsTo(DATALOADER)) {
      if (expectsTheError(module, call)) continue;
      const args = callArguments(call);
      const workers = workerCount(module, argument(args, 'num_workers', DATALOADER_SLOTS.num_workers));
      if (workers === undefined) continue;
      for (const option of WORKER_ONLY) {
        // Both options are keyword-only in DataLoader's signature.
        const lookup = argument(args, option);
        if (lookup.kind !== 'present') continue;
        const value = argValue(lookup);
        const offending = option === 'persistent_workers' ? value === true : typeof value === 'number';
        if (!offending) continue;
        const setting = workers.kind === 'absent' ? 'num_workers is not set (default 0)' : workers.kind === 'literal' ? `num_workers is ${workers.text}` : `num_workers=${workers.text} is always 0`;
        reporter.report({
          range: nodeRange(lookup.node.parent!),
          messageId: 'optionWithoutWorkers',
          data: { option, value: lookup.node.text, setting, error: ERRORS[option] },
          fixes: [codeFix(module, call, lookup.node.parent!, option, lookup.node.text, workers)],
        });
      }
    }
  },

  checkConfig({ doc, kinds }, reporter) {
    const maps: Array<{ prefix: string; map: ConfigNode; hf: boolean }> = [];
    if (kinds.has('lightning-cli') || kinds.has('hydra')) {
      const seen = new Set<ConfigNode>();
      for (const m of dataLoaderMaps(doc, kinds)) {
        seen.add(m.map);
        maps.push({ ...m, hf: false });
      }
      // Nested loader blocks (`data.train_loader: {num_workers: 0, persistent_workers: true}`) count too.
      for (const [prefix, map] of doc.maps()) if (!seen.has(map) && map.entries!.has('num_workers')) maps.push({ prefix, map, hf: false });
    }
    if (kinds.has('hf-training-args') && doc.root?.kind === 'map') maps.push({ prefix: '', map: doc.root, hf: true });

    for (const { prefix, map, hf } of maps) {
      const key = (k: string) => (hf ? `dataloader_${k}` : k);
      const workers = map.entries!.get(key('num_workers'));
      // HF defaults dataloader_num_workers to 0; a DataModule's own default is unknown, so require the key there.
      const zero = workers ? workers.kind === 'scalar' && workers.value === 0 : hf;
      if (!zero) continue;
      for (const option of WORKER_ONLY) {
        const node = map.entries!.get(key(option));
        if (!node || node.kind !== 'scalar') continue;
        const offending = option === 'persistent_workers' ? node.value === true : typeof node.value === 'number';
        if (!offending) continue;
        const path = prefix ? `${prefix}.${key(option)}` : key(option);
        const count = workers ? `${prefix ? `${prefix}.` : ''}${key('num_workers')} is 0` : `${key('num_workers')} is not set (default 0)`;
        reporter.report({
          range: node.keyRange ?? node.range,
          messageId: 'configOptionWithoutWorkers',
          data: { path, count, error: ERRORS[option], off: option === 'persistent_workers' ? 'false' : 'null' },
          // Hydra values are often overridden by experiment files or the command line (docs/analysis.md, trap 14).
          severity: kinds.has('hydra') && !hf ? 'info' : undefined,
          fixes: [{
            title: `Set ${key(option)} to ${option === 'persistent_workers' ? 'false' : 'null'}`,
            safe: false,
            edits: [{ range: node.range, newText: option === 'persistent_workers' ? 'false' : 'null' }],
          }],
        });
      }
    }
  },
});

type WorkerCount = { kind: 'absent' } | { kind: 'literal'; text: string } | { kind: 'variable'; text: string };

/** num_workers when it is provably 0: absent, the literal 0, or a name assigned the literal 0 exactly once. */
function workerCount(module: PythonModule, lookup: ArgLookup): WorkerCount | undefined {
  if (lookup.kind === 'absent') return { kind: 'absent' };
  if (lookup.kind === 'unknown') return undefined;
  const value = literalValue(lookup.node);
  if (value === 0) return { kind: 'literal', text: lookup.node.text };
  if (value !== NOT_LITERAL || lookup.node.type !== 'identifier') return undefined;
  return constantZeroName(module, lookup.node) ? { kind: 'variable', text: lookup.node.text } : undefined;
}

/** A local or module name bound once, to the literal 0, and not a parameter or loop target. */
function constantZeroName(module: PythonModule, use: Node): boolean {
  const name = use.text;
  const fn = module.enclosingFunction(use);
  const scope = fn ?? module.root;
  const params = fn ? field(fn, 'parameters') : undefined;
  if (params && namedChildren(params).some((p) => (p.type === 'identifier' ? p.text : field(p, 'name')?.text ?? p.namedChild(0)?.text) === name)) return false;
  const bindings = module.assignmentsTo(name).filter((a) => field(a, 'left')?.text === name && (fn ? module.enclosingFunction(a)?.id === fn.id : module.enclosingFunction(a) === undefined));
  if (bindings.length !== 1) return false;
  // Other ways to rebind the name: augmented assignment, loop targets, `with … as`, walrus, `global`.
  const rebinding = new RegExp(`(\\b${name}\\s*(\\+|-|\\*|/|//|%)=)|(\\bfor\\s+[^:]*\\b${name}\\b[^:]*\\bin\\b)|(\\bas\\s+${name}\\b)|(\\b${name}\\s*:=)|(\\bglobal\\s+[^\\n]*\\b${name}\\b)`);
  if (rebinding.test(scope.text)) return false;
  return literalValue(field(bindings[0], 'right')) === 0;
}

/** `with pytest.raises(ValueError):` / `self.assertRaises(...)`: a test that wants the error. */
function expectsTheError(module: PythonModule, call: Node): boolean {
  for (let p = parentOf(call); p; p = parentOf(p)) {
    if (p.type === 'with_statement' && /\b(raises|assertRaises|assertRaisesRegex)\s*\(/.test(p.text.split('\n')[0])) return true;
  }
  return module.isTestOrDebugFile() && /assertRaises|pytest\.raises/.test(module.enclosingFunction(call)?.text ?? '');
}

function codeFix(module: PythonModule, call: Node, keyword: Node, option: WorkerOnly, valueText: string, workers: WorkerCount): Fix {
  if (workers.kind === 'variable') {
    const value = field(keyword, 'value')!;
    const newText = option === 'persistent_workers' ? `${workers.text} > 0` : `${valueText} if ${workers.text} > 0 else None`;
    return { title: `Tie ${option} to ${workers.text}`, safe: true, edits: [{ range: nodeRange(value), newText }] };
  }
  return { title: `Remove ${option}, which has no effect without workers`, safe: true, edits: [removeArgument(module, call, keyword)] };
}

/** Deletes one argument with its separating comma, keeping the layout of single- and multi-line calls. */
function removeArgument(module: PythonModule, call: Node, target: Node): Edit {
  const list = field(call, 'arguments')!;
  const items = namedChildren(list).filter((n) => n.type !== 'comment');
  const i = items.findIndex((n) => n.id === target.id);
  const line = module.lines.lineText(target.startPosition.row);
  const rest = module.lines.lineText(target.endPosition.row).slice(target.endPosition.column);
  const tail = /^(\s*,?\s*)(#.*)?$/.exec(rest);
  const alone = /^[ \t]*$/.test(line.slice(0, target.startPosition.column)) && tail !== null &&
    target.startPosition.row !== list.startPosition.row && target.endPosition.row !== list.endPosition.row;
  if (alone && tail[2] !== undefined) {
    // Keep the user's trailing comment on its own line; a comment-only line inside the call is valid Python.
    const end = { line: target.endPosition.row, character: target.endPosition.column + tail[1].length };
    return { range: { start: nodeRange(target).start, end }, newText: '' };
  }
  if (alone) {
    // The argument has its own line(s): delete them whole.
    return {
      range: { start: { line: target.startPosition.row, character: 0 }, end: { line: target.endPosition.row + 1, character: 0 } },
      newText: '',
    };
  }
  if (i > 0) {
    const prev = items[i - 1];
    return { range: { start: { line: prev.endPosition.row, character: prev.endPosition.column }, end: nodeRange(target).end }, newText: '' };
  }
  const next = items[i + 1];
  const end = next ? { line: next.startPosition.row, character: next.startPosition.column } : nodeRange(target).end;
  return { range: { start: nodeRange(target).start, end }, newText: '' };
}
