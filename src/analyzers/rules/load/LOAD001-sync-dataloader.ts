import type { Edit, Fix } from '../../../shared/findings';
import { methodReceiver, nodeRange, unwrap, type Node as SyntaxNode } from '../../engine/syntax';
import { arg, argValue, collateMovesToDevice, dataLoaderUses, decodesPerItem, isMapStyleDataset } from '../../python/dataloaders';
import { trainsOnAccelerator } from '../../python/accelerator';
import { settingValue } from '../../python/resolve';
import { editCallArguments, ensureImport } from '../../python/edits';
import type { PythonModule } from '../../python/module';
import { bindingsAt } from '../../python/bindings';
import { argumentsForParameter } from '../../python/callsites';
import { defineRule } from '../rule';
import { hfTrainers, onTheFlyTransform } from '../../python/hf-trainer';
import { argument, callArguments } from '../../engine/calls';
import { isTrlTextTrainerConfig, zeroWorkerConfigKeys } from '../../config/keys';

const WORKERS = 'min(8, os.cpu_count() or 1)';

export default defineRule({
  code: 'LOAD001',
  name: 'sync-dataloader',
  family: 'LOAD',
  severity: 'warning',
  confidence: 'high',
  fix: 'safe',
  skipTestFiles: true,
  messages: {
    inMemoryData: 'Training DataLoader has {{setting}}: {{where}}. Info only: {{inMemory}}, so each item is an index into memory and workers gain little unless collate_fn does heavy work. Use worker processes (num_workers={{workers}}) if profiling shows the step waiting for data.',
    perItemWork: 'Training DataLoader has {{setting}}: {{where}} while the model waits on the accelerator ({{perItem}}). Use worker processes (num_workers={{workers}}).',
    notebookLoader: 'Training DataLoader has {{setting}}: {{where}}. Info only in a notebook, where no per-item decoding feeding an accelerator is visible: use worker processes (num_workers={{workers}}) if profiling shows the step waiting for data.',
    trainingLoader: 'Training DataLoader has {{setting}}: {{where}} while the model waits. Use worker processes (num_workers={{workers}}).',
    evaluationLoader: 'Evaluation DataLoader has {{setting}}: {{where}} while evaluation waits.',
    trainerArguments: 'TrainingArguments have {{setting}}: the Trainer loads every training batch in the main process while {{perItem}}. Set dataloader_num_workers (4-8).',
    configWorkers: '{{path}} is {{value}}: {{who}} every batch of the training DataLoader while the model waits. Use 4-8 workers.',
    configWorkersUnset: '{{path}} is not set (Hugging Face defaults to 0 workers): the training DataLoader loads every batch in the main process. Info only: the config does not show the dataset; workers matter when items are decoded or augmented as they are read (images, audio), little for text tokenized up front.',
  },
  docs: `## What it does
Finds a PyTorch \`DataLoader\` that feeds training with \`num_workers\` absent (the default is 0) or set to 0 or 1,
and the same setting in Lightning CLI, Hydra and Hugging Face training configs.

## Why is this bad?
With \`num_workers=0\` data loads "synchronous[ly] … in the main process. As a result the main training process
has to wait for the data" (PyTorch Performance Tuning Guide). Lightning warns at runtime that such a loader "does
not have many workers which may be a bottleneck". Measured on an H100: a loop loading one \`.npy\` per sample with
\`num_workers=0\` waited for data 74% of every step; with 8 workers it waited 5% and ran 3.9x faster.

Validation and test loaders are reported as \`info\`, and so are training loaders over data that is already
tokenized in memory: a Hugging Face dataset tokenized up front (\`.map(tokenize)\`, \`set_format("torch")\`, also when
stored on \`self\` in \`setup()\` or renamed afterwards), a dataset built on tokenizer output. There each item is an
Arrow read and a dict, so workers gain little unless \`collate_fn\` does heavy work; the message says so. Loaders over
tensors held in memory (a \`TensorDataset\`, Lightning's demo \`WikiText2\` corpus, splits of them) are not reported:
an item is a slice of a tensor, and worker processes would only add start-up and inter-process copies.
A loader that no loop consumes is not a training or evaluation loader and is not reported: one built and never used,
returned to a caller that discards it (\`_\`), or only peeked at (\`next(iter(loader))\` draws one batch from a fresh
iterator to show a sample). A function parameter that shadows a module-level loader's name (\`def train(model,
train_dataloader)\` in a notebook) is a different object. A worker count read from a name bound to 0 or 1 (\`num_workers = 0\`, in an earlier notebook cell too) or from a
command-line option whose \`default=\` is 0 (\`args.dataloader_num_workers\`) or from a parameter whose default is 0 and that
no call in the module passes (a DataModule's \`__init__(self, num_workers: int = 0)\` stored as \`self._num_workers\`) is
reported like the literal, without a fix: the setting is changed where it is made. A loader built by a helper that
\`train_dataloader()\` returns (\`return self._loader(train=True)\`) is a training loader.
In notebooks, which often run interactively on small data, a training loader is a warning only when each item visibly
costs work — a \`torchvision.datasets\` class decoding every image through its transform, or a Dataset whose
\`__getitem__\` reads a file — while the model trains on an accelerator; otherwise it is info.
A loader whose \`collate_fn\` moves each batch to the device (\`torch.stack(xs).to(device)\`, \`.to(self.device)\` in a
collator class) is not reported: CUDA cannot be initialised in forked worker processes, so 0 workers is the author's
choice there (moving the batch in the training loop instead is the refactor that would allow workers).
Loaders in tests, debug configs and benchmarks, loaders whose
worker count comes from any other variable or a platform check, and datasets not known to be map-style (an \`IterableDataset\`'s
extra workers each replay the whole unsharded stream) are left alone or only offered an unsafe fix.
Arguments passed as \`**kwargs\` are read from the dict when it is
built in the module (\`{...}\`, \`dict(...)\`, \`.update(...)\`, \`kw["num_workers"] = 0\`); a worker count added only under
an \`if\` may be there and is not reported, and no fix edits a value inside such a dict (other loaders may share it).
In a Hugging Face training-arguments file (JSON/YAML) an absent \`dataloader_num_workers\` is \`info\`: the file does not
show the dataset, and workers gain little for text tokenized up front. It is not reported at all in a file for one of
TRL's text trainers (keys such as \`max_seq_length\`, \`packing\`, \`max_prompt_length\`, \`num_generations\`), which
tokenize the whole dataset before training.
A Hugging Face \`Trainer\` builds its DataLoader from \`TrainingArguments\`, whose \`dataloader_num_workers\` defaults to 0: the
arguments are a warning when the training set decodes and augments every image as it is read
(\`train_ds.set_transform(f)\` or \`with_transform(f)\` where \`f\` calls torchvision transforms), and not reported
otherwise (a tokenizing transform, a dataset prepared up front).
A loader counts as training when the training loop consumes it directly, in a function of this module or of another module
of the project it is passed to (\`train_one_epoch(model, loader)\` imported from \`engine\`), or a training function
of a package it cannot read that names the role in its keyword (\`engine.train(model=m, train_dataloader=loader)\`), or through a generator
(\`for x, y in batches():\` with \`def batches(): for b in loader: yield b\`, or \`yield from loader\`) or an iterator it
reads with \`next()\` (\`iter(loader)\`, \`itertools.cycle(loader)\`), or an iterator class of the project that keeps the
loader and reads it in \`__iter__\`/\`__next__\` (\`return InfiniteIterator(loader)\` from the function that builds it).
A dataset whose source was only cleaned with \`.map\` (no tokenizer in that call) while a project Dataset tokenizes or
masks each item in \`__getitem__\` is per-item work, not data tokenized up front.

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
      let value = argValue(workers);
      // `num_workers=num_workers` set to 0 in an earlier cell, `args.dataloader_num_workers` defaulting to 0.
      const named = value === 'unknown' && workers.kind === 'present' && !workers.spread ? settingValue(module, workers.node, use.call) : undefined;
      if (named === 0 || named === 1) value = named;
      if (!(value === 'absent' || value === 0 || value === 1)) continue;
      if (tensorsOnDevice(module, use.call)) continue;
      // A collate_fn that moves batches to the accelerator needs the main process: CUDA cannot start in forked workers.
      if (collateMovesToDevice(module, use)) continue;
      const setting = value === 'absent' ? 'no num_workers (default 0)' : `num_workers=${value}`;
      const where = value === 1 ? 'a single worker process loads batches one after another' : 'every batch is loaded in the main process';
      const training = use.role === 'train';
      const memory = inMemoryData(module, use);
      // Slices of tensors in memory: a worker would only add start-up and IPC (LOAD001's docs).
      if (memory?.kind === 'tensors') continue;
      const inMemory = training ? memory?.reason : undefined;
      // A notebook often runs interactively on small data; its training loader is a warning only when each item
      // visibly costs work (decode, file read) while the model trains on an accelerator (LOAD001's docs).
      const perItem = training && !inMemory && module.path.endsWith('.ipynb') ? decodesPerItem(module, use) : undefined;
      const notebookQuiet = module.path.endsWith('.ipynb') && !(perItem && trainsOnAccelerator(module));
      reporter.report({
        // A count read from a setting made elsewhere is reported at the loader, not at the name that carries it.
        range: nodeRange(workers.kind === 'present' && named === undefined ? workers.node : use.call.childForFieldName('function') ?? use.call),
        severity: training && !inMemory && !notebookQuiet ? 'warning' : 'info',
        messageId: inMemory ? 'inMemoryData' : training && perItem && !notebookQuiet ? 'perItemWork' : training && notebookQuiet ? 'notebookLoader' : training ? 'trainingLoader' : 'evaluationLoader',
        data: { setting, where, workers: WORKERS, inMemory: inMemory ?? '', perItem: perItem ?? '' },
        related: use.consumer ? [{ range: nodeRange(use.consumer), message: `consumed here (${use.reason})` }] : [],
        // A value read from a `**kwargs` dict may be shared with other loaders: no fix edits it there.
        // A value read from a variable or an option: the fix would leave that setting behind; change it there.
        fixes: workers.kind === 'present' && (workers.spread || named !== undefined) ? [] : [workersFix(module, use, value !== 'absent')],
      });
    }
    // The Hugging Face Trainer builds its own DataLoader from TrainingArguments (dataloader_num_workers, default 0).
    for (const trainer of hfTrainers(module)) {
      if (!trainer.trainingArgs) continue;
      const workers = argument(callArguments(trainer.trainingArgs), 'dataloader_num_workers');
      const value = workers.kind === 'absent' ? 'absent' : workers.kind === 'present' ? settingValue(module, workers.node, trainer.trainingArgs) : undefined;
      if (!(value === 'absent' || value === 0)) continue;
      const perItem = onTheFlyTransform(module, trainer);
      if (!perItem) continue;
      const setting = value === 'absent' ? 'no dataloader_num_workers (default 0)' : 'dataloader_num_workers=0';
      reporter.report({
        range: nodeRange(trainer.trainingArgs.childForFieldName('function') ?? trainer.trainingArgs),
        severity: 'warning',
        messageId: 'trainerArguments',
        data: { setting, perItem },
        related: [{ range: nodeRange(trainer.call), message: 'the Trainer that uses these arguments' }],
      });
    }
  },

  checkConfig({ doc, kinds, isDebugOrTest }, reporter) {
    if (isDebugOrTest) return;
    for (const key of zeroWorkerConfigKeys(doc, kinds)) {
      // TRL's text trainers tokenize the whole dataset up front: the Trainer's loader serves token ids from memory.
      if (!key.node && isTrlTextTrainerConfig(doc)) continue;
      reporter.report({
        range: key.node ? key.node.range : key.anchor.keyRange ?? key.anchor.range,
        messageId: key.node ? 'configWorkers' : 'configWorkersUnset',
        data: { path: key.path, value: String(key.node?.value), who: key.node?.value === 1 ? 'a single worker loads' : 'the main process loads' },
        fixes: key.node && key.node.value !== null
          ? [{ title: `Set ${key.path.split('.').pop()} to 8`, safe: false, edits: [{ range: key.node.range, newText: '8' }] }]
          : [],
        // Hydra values are often overridden by experiment files or the command line (docs/analysis.md, trap 14);
        // an absent Hugging Face key says nothing about how costly an item is.
        severity: kinds.has('hydra') || !key.node ? 'info' : undefined,
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
 * Why a loader's dataset is already in memory, if it is. `tensors`: a \`TensorDataset\` or a library demo dataset
 * held as one token tensor (Lightning's \`WikiText2\`), where an item is a slice of a tensor and workers only add
 * process start-up and IPC. `tokenized`: a Hugging Face dataset tokenized up front (\`.map(tokenize)\`,
 * \`set_format("torch")\`) or a dataset built on tokenizer output, where an item is still an Arrow read and a dict
 * (LOAD001's docs). The dataset expression is followed through subscripts (\`tokenized["train"]\`), method
 * receivers, constructor arguments and every binding in scope (\`self.dataset\` set in \`setup()\` included); on-the-fly
 * transforms (\`set_transform\`, \`with_transform\`) mean per-item work after all.
 */
function inMemoryData(module: PythonModule, use: ReturnType<typeof dataLoaderUses>[number]): { kind: 'tensors' | 'tokenized'; reason: string } | undefined {
  const ds = arg(use, 'dataset');
  if (ds.kind !== 'present') return undefined;
  const texts: string[] = [];
  const names = new Set<string>();
  const seen = new Set<string>();
  let qualifiedTensors = false;
  const follow = (node: SyntaxNode, at: SyntaxNode, depth: number): void => {
    const n = unwrap(node);
    if (depth > 4) return;
    if (n.type === 'subscript') return follow(n.childForFieldName('value') ?? n, at, depth);
    if (n.type === 'call') {
      texts.push(n.text);
      if (IN_MEMORY_DATASETS.has(module.callee(n) ?? '')) qualifiedTensors = true;
      const receiver = methodReceiver(n);
      if (receiver) follow(receiver, n, depth);
      // `Encoded(encodings, labels)`, `random_split(dataset, ...)`: the names a dataset is built from.
      for (const a of n.childForFieldName('arguments')?.namedChildren ?? []) {
        const value = a?.type === 'keyword_argument' ? a.childForFieldName('value') : a;
        if (value && (value.type === 'identifier' || isSelfAttribute(value))) follow(value, n, depth + 1);
      }
      return;
    }
    // The same name in another function (a parameter and its caller's variable) is another binding.
    const key = `${n.text}@${module.enclosingFunction(at)?.id ?? 'module'}`;
    if ((n.type === 'identifier' || isSelfAttribute(n)) && !seen.has(key)) {
      seen.add(key);
      names.add(n.text);
      for (const b of bindingsAt(module, n.text, at)) {
        if (b.kind === 'value') follow(b.value, b.assignment, depth + 1);
        else if (b.kind === 'opaque') {
          const right = b.assignment.childForFieldName('right');
          if (right) follow(right, b.assignment, depth + 1);
        } else for (const a of argumentsForParameter(module, b.fn, n.text) ?? []) follow(a, a, depth + 1);
      }
    }
  };
  follow(ds.node, use.call, 0);
  const all = texts.join('\n');
  const onNames = (methods: string) => [...names].some((n) => new RegExp(`(^|[^\\w.])${n.replace(/\./g, '\\.')}(\\[[^\\]\\n]*\\])*\\.(${methods})\\(`, 'm').test(module.text));
  if (/\b(set_transform|with_transform)\(/.test(all) || onNames('set_transform|with_transform')) return undefined;
  if (/\bTensorDataset\(/.test(all)) return { kind: 'tensors', reason: 'the dataset is a TensorDataset of tensors already in memory' };
  if (qualifiedTensors) return { kind: 'tensors', reason: 'the dataset is a demo corpus held in memory as one token tensor' };
  // A `.map` that tokenizes (`raw.map(tokenize, batched=True)`), not a `.map` that cleans text beside a tokenizer that a
  // project Dataset applies per item (`partial(mask_tokens, tokenizer=tokenizer)` called in `__getitem__`).
  if (/\b(set_format|with_format)\(/.test(all) || onNames('set_format|with_format') || texts.some((t) => /\.map\(/.test(t) && /token/i.test(t))) {
    return { kind: 'tokenized', reason: 'the dataset is tokenized up front (datasets .map / set_format) and held in memory' };
  }
  if (/\b(tokenizer|batch_encode_plus|encode_plus)\(/.test(all)) return { kind: 'tokenized', reason: 'the dataset wraps tokenizer output computed up front' };
  return undefined;
}

/** Library datasets that hold their whole corpus as one tensor in memory (Lightning's demo language-model data). */
const IN_MEMORY_DATASETS = new Set(['lightning.pytorch.demos.WikiText2', 'pytorch_lightning.demos.WikiText2', 'lightning.pytorch.demos.transformer.WikiText2', 'pytorch_lightning.demos.transformer.WikiText2']);

function isSelfAttribute(n: SyntaxNode): boolean {
  return n.type === 'attribute' && n.childForFieldName('object')?.text === 'self' && n.childForFieldName('attribute')?.type === 'identifier';
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
