import type { Edit, Fix } from '../../../shared/findings';
import { methodReceiver, nodeRange, unwrap, type Node as SyntaxNode } from '../../engine/syntax';
import { arg, argValue, dataLoaderUses, isMapStyleDataset } from '../../python/dataloaders';
import { editCallArguments, ensureImport } from '../../python/edits';
import type { PythonModule } from '../../python/module';
import { bindingValue } from '../../python/resolve';
import { defineRule } from '../rule';
import { zeroWorkerConfigKeys } from '../../config/keys';

const WORKERS = 'min(8, os.cpu_count() or 1)';

export default defineRule({
  code: 'LOAD001',
  name: 'sync-dataloader',
  family: 'LOAD',
  severity: 'warning',
  confidence: 'high',
  fix: 'safe',
  skipTestFiles: true,
  docs: `## What it does
Finds a PyTorch \`DataLoader\` that feeds training with \`num_workers\` absent (the default is 0) or set to 0 or 1,
and the same setting in Lightning CLI, Hydra and Hugging Face training configs.

## Why is this bad?
With \`num_workers=0\` data loads "synchronous[ly] … in the main process. As a result the main training process
has to wait for the data" (PyTorch Performance Tuning Guide). Lightning warns at runtime that such a loader "does
not have many workers which may be a bottleneck". Measured on an H100: a loop loading one \`.npy\` per sample with
\`num_workers=0\` waited for data 74% of every step; with 8 workers it waited 5% and ran 3.9x faster.

Validation and test loaders are reported as \`info\`, and so are training loaders over data that is already tensors in
memory: a \`TensorDataset\`, a Hugging Face dataset tokenized up front (\`.map(tokenize)\`, \`set_format("torch")\`), a
dataset built on tokenizer output. There each item is an index into memory, so workers gain little unless
\`collate_fn\` does heavy work; the message says so. Loaders in tests, debug configs and benchmarks, loaders whose
worker count comes from a variable or a platform check, and datasets not known to be map-style (an \`IterableDataset\`'s
extra workers each replay the whole unsharded stream) are left alone or only offered an unsafe fix.
Arguments passed as \`**kwargs\` are read from the dict when it is
built in the module (\`{...}\`, \`dict(...)\`, \`.update(...)\`, \`kw["num_workers"] = 0\`); a worker count added only under
an \`if\` may be there and is not reported, and no fix edits a value inside such a dict (other loaders may share it).
A loader counts as training when the training loop consumes it directly or through a generator
(\`for x, y in batches():\` with \`def batches(): for b in loader: yield b\`, or \`yield from loader\`) or an iterator it
reads with \`next()\` (\`iter(loader)\`, \`itertools.cycle(loader)\`).

## Example
\`\`\`python
from torch.utils.data import DataLoader

def train(model, dataset, opt):
    loader = DataLoader(dataset, batch_size=64, shuffle=True)
    for x, y in loader:
        loss = model(x, y)
        loss.backward()
        opt.step()
\`\`\`

## Use instead
\`\`\`python
import os
from torch.utils.data import DataLoader

def train(model, dataset, opt):
    loader = DataLoader(dataset, batch_size=64, shuffle=True, num_workers=min(8, os.cpu_count() or 1), persistent_workers=True)
    for x, y in loader:
        loss = model(x, y)
        loss.backward()
        opt.step()
\`\`\`

## Fix safety
The fix sets \`num_workers=min(8, os.cpu_count() or 1), persistent_workers=True\` and adds \`import os\`. It is safe
when the loader is created inside a function or under \`if __name__ == "__main__":\` (spawn-based platforms re-import
the script in every worker) and the dataset is known to be map-style: built right there (or bound, in every
assignment the loader sees, to a call) from a class of \`torch.utils.data\`, \`torchvision.datasets\` or
\`torchaudio.datasets\` that indexes samples, or from a project class that derives from one or defines
\`__getitem__\`, with no \`IterableDataset\` among its bases. A dataset passed in as a parameter or returned by a
factory function (\`load_dataset\`, a datapipe) may be an \`IterableDataset\`, whose every worker replays the whole
stream (each sample seen once per worker): the fix is then offered as unsafe.
In configs the fix sets \`num_workers: 8\` and is always offered as unsafe, since composed configs may override it.

## References
- PyTorch Performance Tuning Guide, "Enable asynchronous data loading": https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html
- Lightning \`_worker_check\`: https://github.com/Lightning-AI/pytorch-lightning/blob/master/src/lightning/pytorch/trainer/connectors/data_connector.py
- TorchFix TOR401: https://github.com/pytorch-labs/torchfix
- Hugging Face, efficient training on one GPU ("dataloader_num_workers defaults to 0"): https://huggingface.co/docs/transformers/perf_train_gpu_one
`,

  checkPython(module, reporter) {
    if (silencedWorkerWarning(module)) return;
    for (const use of dataLoaderUses(module)) {
      if (use.role === 'unknown') continue;
      const workers = arg(use, 'num_workers');
      const value = argValue(workers);
      if (!(value === 'absent' || value === 0 || value === 1)) continue;
      if (tensorsOnDevice(module, use.call)) continue;
      const setting = value === 'absent' ? 'no num_workers (default 0)' : `num_workers=${value}`;
      const where = value === 1 ? 'a single worker process loads batches one after another' : 'every batch is loaded in the main process';
      const training = use.role === 'train';
      const inMemory = training ? tensorsInMemory(module, use) : undefined;
      reporter.report({
        range: nodeRange(workers.kind === 'present' ? workers.node : use.call.childForFieldName('function') ?? use.call),
        severity: training && !inMemory ? 'warning' : 'info',
        message: inMemory
          ? `Training DataLoader has ${setting}: ${where}. Info only: ${inMemory}, so each item is an index into memory and workers gain little unless collate_fn does heavy work. Use worker processes (num_workers=${WORKERS}) if profiling shows the step waiting for data.`
          : training
          ? `Training DataLoader has ${setting}: ${where} while the model waits. Use worker processes (num_workers=${WORKERS}).`
          : `Evaluation DataLoader has ${setting}: ${where} while evaluation waits.`,
        related: use.consumer ? [{ range: nodeRange(use.consumer), message: `consumed here (${use.reason})` }] : [],
        // A value read from a `**kwargs` dict may be shared with other loaders: no fix edits it there.
        fixes: workers.kind === 'present' && workers.spread ? [] : [workersFix(module, use, value !== 'absent')],
      });
    }
  },

  checkConfig({ doc, kinds, isDebugOrTest }, reporter) {
    if (isDebugOrTest) return;
    for (const key of zeroWorkerConfigKeys(doc, kinds)) {
      reporter.report({
        range: key.node ? key.node.range : key.anchor.keyRange ?? key.anchor.range,
        message: key.node
          ? `${key.path} is ${String(key.node.value)}: ${key.node.value === 1 ? 'a single worker loads' : 'the main process loads'} every batch of the training DataLoader while the model waits. Use 4-8 workers.`
          : `${key.path} is not set (Hugging Face defaults to 0 workers): the training DataLoader loads every batch in the main process.`,
        fixes: key.node && key.node.value !== null
          ? [{ title: `Set ${key.path.split('.').pop()} to 8`, safe: false, edits: [{ range: key.node.range, newText: '8' }] }]
          : [],
        // Hydra values are often overridden by experiment files or the command line (RULES.md section 7, trap 14).
        severity: kinds.has('hydra') ? 'info' : undefined,
      });
    }
  },
});

function workersFix(module: PythonModule, use: ReturnType<typeof dataLoaderUses>[number], present: boolean): Fix {
  const workers = arg(use, 'num_workers');
  const persistent = arg(use, 'persistent_workers');
  const setWorkers = present && workers.kind === 'present';
  const edits: Edit[] = editCallArguments(
    module,
    use.call,
    [...(setWorkers ? [] : [`num_workers=${WORKERS}`]), ...(persistent.kind === 'absent' ? ['persistent_workers=True'] : [])],
    setWorkers ? [{ node: workers.node, newText: WORKERS }] : [],
  );
  const importOs = ensureImport(module, 'import os', 'os');
  if (importOs) edits.push(importOs);
  const guarded = module.enclosingFunction(use.call) !== undefined || underMainGuard(use.call);
  // The title names every change the fix makes.
  const changes = [`num_workers=${WORKERS}`, ...(persistent.kind === 'absent' ? ['persistent_workers=True'] : []), ...(importOs ? ['import os'] : [])];
  return {
    title: `Load batches in worker processes: ${changes.join(', ')}`,
    safe: guarded && isMapStyleDataset(module, use),
    edits,
  };
}

function underMainGuard(node: import('web-tree-sitter').Node): boolean {
  for (let p = node.parent; p; p = p.parent) {
    if (p.type === 'if_statement' && /__name__\s*==\s*['"]__main__['"]/.test(p.childForFieldName('condition')?.text ?? '')) return true;
  }
  return false;
}

/** Lightning's docs show how to silence the worker warning; code that does so chose 0 workers on purpose. */
function silencedWorkerWarning(module: PythonModule): boolean {
  return /filterwarnings\([^)]*num_workers/.test(module.text);
}

/**
 * Why a loader's dataset is already tensors in memory, if it is: a \`TensorDataset\`, a Hugging Face dataset
 * tokenized up front (\`.map(tokenize)\`, \`set_format("torch")\`), or a dataset built on tokenizer output. The
 * dataset expression is followed through subscripts (\`tokenized["train"]\`), method receivers and local
 * bindings; on-the-fly transforms (\`set_transform\`, \`with_transform\`) mean per-item work after all.
 */
function tensorsInMemory(module: PythonModule, use: ReturnType<typeof dataLoaderUses>[number]): string | undefined {
  const ds = arg(use, 'dataset');
  if (ds.kind !== 'present') return undefined;
  const texts: string[] = [];
  const names = new Set<string>();
  const follow = (node: SyntaxNode, depth: number): void => {
    const n = unwrap(node);
    if (depth > 4) return;
    if (n.type === 'subscript') return follow(n.childForFieldName('value') ?? n, depth);
    if (n.type === 'call') {
      texts.push(n.text);
      const receiver = methodReceiver(n);
      if (receiver) follow(receiver, depth);
      // `Encoded(encodings, labels)`: the names a dataset class is built from.
      for (const a of n.childForFieldName('arguments')?.namedChildren ?? []) {
        const value = a?.type === 'keyword_argument' ? a.childForFieldName('value') : a;
        if (value?.type === 'identifier') follow(value, depth + 1);
      }
      return;
    }
    if (n.type === 'identifier' && !names.has(n.text)) {
      names.add(n.text);
      const value = bindingValue(module, n.text, n);
      if (value) follow(value, depth + 1);
    }
  };
  follow(ds.node, 0);
  const all = texts.join('\n');
  const onNames = (methods: string) => [...names].some((n) => new RegExp(`\\b${n}\\.(${methods})\\(`).test(module.text));
  if (/\b(set_transform|with_transform)\(/.test(all) || onNames('set_transform|with_transform')) return undefined;
  if (/\bTensorDataset\(/.test(all)) return 'the dataset is a TensorDataset of tensors already in memory';
  if (/\b(set_format|with_format)\(/.test(all) || onNames('set_format|with_format') || (/\.map\(/.test(all) && /token/i.test(all))) {
    return 'the dataset is tokenized up front (datasets .map / set_format) and held in memory';
  }
  if (/\b(tokenizer|batch_encode_plus|encode_plus)\(/.test(all)) return 'the dataset wraps tokenizer output computed up front';
  return undefined;
}

/** A TensorDataset of tensors already on the GPU cannot use workers. */
function tensorsOnDevice(module: PythonModule, call: import('web-tree-sitter').Node): boolean {
  const ds = call.childForFieldName('arguments')?.namedChild(0);
  if (!ds) return false;
  const text = ds.type === 'identifier'
    ? module.assignmentsTo(ds.text).find((a) => a.childForFieldName('left')?.text === ds.text)?.childForFieldName('right')?.text ?? ''
    : ds.text;
  return /TensorDataset\(/.test(text) && /\.(cuda|to)\(/.test(text);
}
