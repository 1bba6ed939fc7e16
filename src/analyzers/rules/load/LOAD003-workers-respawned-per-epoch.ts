import { argument } from '../../engine/calls';
import { contains, field, literalValue, namedChildren, nodeRange, parentOf, textOf, unwrap, type Node } from '../../engine/syntax';
import { bindingsAt, boundInFunctionAt, descendantsOfType, parameterNames } from '../../python/bindings';
import { callSitesOf } from '../../python/callsites';
import { arg, dataLoaderUses, type DataLoaderUse } from '../../python/dataloaders';
import { appendArguments } from '../../python/edits';
import type { PythonModule } from '../../python/module';
import { epochLoops } from '../../python/training';
import { settingValue } from '../../python/resolve';
import { defineRule } from '../rule';

export default defineRule({
  code: 'LOAD003',
  name: 'workers-respawned-per-epoch',
  family: 'LOAD',
  severity: 'info',
  confidence: 'medium',
  fix: 'safe',
  skipTestFiles: true,
  messages: {
    workersRespawned: 'DataLoader with {{workers}} workers and no persistent_workers is {{why}}: its worker processes are shut down and started again every epoch, a pause at every epoch start (longest under spawn on Windows/macOS). Add persistent_workers={{fixValue}}.',
  },
  docs: `## What it does
Finds a PyTorch \`DataLoader\` with worker processes (\`num_workers\` a literal above 0, or a variable) and no
\`persistent_workers\` argument, that is iterated again every epoch: by a training loop inside an epoch loop, by an
evaluation loop that runs every epoch (also every few epochs, and also inside a local helper the epoch loop passes it to,
\`validate(val_loader, model)\` whose \`for\` iterates that parameter, or a function that iterates a module-level loader and that
a loop calls, \`for epoch in range(200): train(epoch)\`; a loader a helper builds and returns counts where
the caller binds it, \`train_loader, val_loader = make_loaders(num_workers=4)\`), or by a Lightning \`Trainer\` (returned from \`train_dataloader()\` /
\`val_dataloader()\`, also from a method bound to that hook in \`__init__\`, \`self.train_dataloader = self._train_dataloader\`
or \`partial(self._val_dataloader, ...)\`, or passed to \`fit\`), or by a method of a project class it is passed to whose epoch
loop iterates it (\`simclr.train(train_loader)\`, the class imported from another module; the fix is then unsafe, since
whether that loop changes the dataset between epochs is not checked). A variable bound to 0 (\`num_workers = 0\`, in an earlier notebook cell too)
or a command-line option defaulting to 0, or a parameter defaulting to 0 that no call in the module passes, means there
are no worker processes to keep alive: nothing is reported.

## Why is this bad?
Without \`persistent_workers=True\` the loader shuts its worker processes down at the end of every pass and starts new
ones at the next, re-importing the script (spawn) or forking the process and re-pickling the dataset into each
worker. Lightning: with many workers or short epochs "you may notice a slowdown at the beginning of every epoch due
to the time it takes for the dataloader to spawn its worker processes". Under the \`spawn\` start method (the default
on Windows and macOS) Lightning warns: "Consider setting \`persistent_workers=True\` in '{name}' to speed up the
dataloader worker initialization." The cost is largest on spawn platforms, which cannot be known statically, so the
finding is \`info\`.

A loader created inside the epoch loop is re-created anyway (hoist it first), an explicit \`persistent_workers=False\`
is respected, and a \`**kwargs\` that may carry the option is not reported.

## Example
\`\`\`python
from torch.utils.data import DataLoader

def train(model, dataset, opt, epochs=10):
    loader = DataLoader(dataset, batch_size=64, shuffle=True, num_workers=8)
    for epoch in range(epochs):
        for x, y in loader:
            loss = model(x, y)
            loss.backward()
            opt.step()
            opt.zero_grad()
\`\`\`

## Use instead
\`\`\`python
from torch.utils.data import DataLoader

def train(model, dataset, opt, epochs=10):
    loader = DataLoader(dataset, batch_size=64, shuffle=True, num_workers=8, persistent_workers=True)
    for epoch in range(epochs):
        for x, y in loader:
            loss = model(x, y)
            loss.backward()
            opt.step()
            opt.zero_grad()
\`\`\`

## Fix safety
The fix adds \`persistent_workers=True\` (or \`persistent_workers=<count> > 0\` when the worker count is a variable, so a
count of 0 does not raise "persistent_workers option needs num_workers > 0"). It is safe when the loop does not touch
the dataset between epochs; it is offered as unsafe when the epoch loop mentions the dataset (\`ds.set_epoch(e)\`,
curriculum changes), because persistent workers keep their own copy of the dataset and no longer see changes made in
the main process. Persistent workers also keep their memory between epochs.

## References
- Lightning, "Speed up model training" (persistent workers): https://lightning.ai/docs/pytorch/stable/advanced/speed.html
- Lightning \`_worker_check\`: https://github.com/Lightning-AI/pytorch-lightning/blob/master/src/lightning/pytorch/trainer/connectors/data_connector.py
- DataLoader API (\`persistent_workers\`): https://pytorch.org/docs/stable/data.html#torch.utils.data.DataLoader
`,

  checkPython(module, reporter) {
    if (!module.importsAny('torch')) return;
    const uses = dataLoaderUses(module);
    if (uses.length === 0) return;
    const lightning = module.importsAny('lightning', 'pytorch_lightning');
    for (const use of uses) {
      if (use.role === 'unknown') continue;
      if (arg(use, 'persistent_workers').kind !== 'absent') continue;
      const workers = workerCount(module, use, arg(use, 'num_workers'));
      if (!workers || platformConditional(module, workers.node)) continue;
      // Created inside the epoch loop: the loader itself is rebuilt every epoch, persistence cannot help.
      if (module.enclosingLoop(use.call)) continue;
      const repeat = repeatedBy(module, use, lightning);
      if (!repeat) continue;
      const dataset = argument(use.args, 'dataset', 0);
      const touched = dataset.kind === 'present' && repeat.loop !== undefined && datasetTouchedIn(module, repeat.loop, dataset.node);
      reporter.report({
        range: nodeRange(workers.node),
        messageId: 'workersRespawned',
        data: { workers: workers.node.text, why: repeat.why, fixValue: workers.fixValue },
        related: [{ range: nodeRange(repeat.node), message: repeat.why }],
        fixes: [{ title: `Keep the workers alive between epochs (persistent_workers=${workers.fixValue})`, safe: !touched && !repeat.elsewhere, edits: [appendArguments(module, use.call, [`persistent_workers=${workers.fixValue}`])] }],
      });
    }
  },
});

/** A worker count that is known to be positive (a literal), or a plain name or attribute (tied to it in the fix). */
function workerCount(module: PythonModule, use: DataLoaderUse, lookup: ReturnType<typeof arg>): { node: Node; fixValue: string } | undefined {
  if (lookup.kind !== 'present') return undefined;
  const v = literalValue(lookup.node);
  if (typeof v === 'number') return v > 0 ? { node: lookup.node, fixValue: 'True' } : undefined;
  // A name bound to 0 (in an earlier notebook cell too) or an option defaulting to 0: no worker processes exist.
  if (settingValue(module, lookup.node, use.call) === 0) return undefined;
  const n = unwrap(lookup.node);
  if (n.type === 'identifier' || n.type === 'attribute') return { node: lookup.node, fixValue: `${n.text} > 0` };
  return undefined;
}

interface Repeat {
  node: Node;
  why: string;
  /** The epoch loop, when the repetition is a hand-written loop. */
  loop?: Node;
  /** The epoch loop is in a method the loader is passed to: whether it changes the dataset is not checked here. */
  elsewhere?: boolean;
}

const LIGHTNING_REASONS = /^(returned from (train|val)_dataloader\(\)|passed to fit\(\)|passed as val_dataloaders?)$/;

function repeatedBy(module: PythonModule, use: DataLoaderUse, lightning: boolean): Repeat | undefined {
  if (lightning && use.consumer && use.reason && LIGHTNING_REASONS.test(use.reason)) return { node: use.consumer, why: `used by the Lightning Trainer (${use.reason})` };
  if (lightning && use.reason && /^returned from (train|val)_dataloader\(\)$/.test(use.reason)) return { node: use.call, why: `used by the Lightning Trainer (${use.reason})` };
  // Loaders are matched to loops by name across the module: a local `loader` must be consumed in its own function.
  const builder = module.enclosingFunction(use.call);
  const sameFunction = (node: Node) =>
    (use.name ?? '').startsWith('self.') || module.enclosingFunction(node)?.id === builder?.id || (!!builder && builtByCallTo(module, use.name, node, builder));
  if (use.role === 'train' && use.consumer && sameFunction(use.consumer)) {
    const outer = module.enclosingLoop(use.consumer);
    if (outer) return { node: use.consumer, why: 'iterated again in every epoch', loop: outer };
    // `simclr.train(train_loader)`, whose method runs the epoch loop around the loop over its parameter.
    const epochs = use.calleeLoop && use.calleeLoop.module.enclosingLoop(use.calleeLoop.loop);
    if (epochs) return { node: use.consumer, why: `iterated again in every epoch by ${textOf(field(use.consumer, 'function') ?? use.consumer)}()`, elsewhere: true };
  }
  // An evaluation loop over the loader inside the epoch loop.
  if (use.name) {
    for (const ref of module.referencesTo(use.name)) {
      for (const loop of epochLoops(module)) {
        if (!contains(loop, ref)) continue;
        const iterating = iteratingLoop(ref);
        if (iterating && contains(loop, iterating) && iterating.id !== loop.id && sameFunction(iterating)) return { node: iterating, why: 'iterated again in every epoch', loop };
        // `validate(val_loader, model)` in the epoch loop, where validate() iterates that parameter.
        const helper = sameFunction(ref) ? helperIterating(module, ref) : undefined;
        if (helper) return { node: parentOf(parentOf(ref)!)!, why: `iterated again in every epoch by ${helper}()`, loop };
      }
    }
    // A module-level loader iterated inside a function that a loop calls: `for epoch in ...: train(epoch)`.
    if (!builder) {
      for (const ref of module.referencesTo(use.name)) {
        const fn = module.enclosingFunction(ref);
        if (!fn || !iteratingLoop(ref) || module.enclosingLoop(iteratingLoop(ref)!) || boundInFunctionAt(module, use.name, ref)) continue;
        const site = callSitesOf(module, fn).find((c) => module.enclosingLoop(c));
        if (site) return { node: site, why: `iterated again in every epoch by ${module.functionName(fn)}()`, loop: module.enclosingLoop(site) };
      }
    }
  }
  return undefined;
}

/** `train_loader, val_loader = make_loaders(num_workers=4)` binds `name` where `at` reads it to what `builder` returns. */
function builtByCallTo(module: PythonModule, name: string | undefined, at: Node, builder: Node): boolean {
  if (!name) return false;
  return bindingsAt(module, name, at).some((b) => {
    if (b.kind === 'parameter') return false;
    const right = field(b.assignment, 'right');
    const call = right && unwrap(right);
    return call?.type === 'call' && module.localCallTarget(call)?.id === builder.id;
  });
}

/** The name of a local function that `ref` is passed to positionally and whose `for` loop iterates that parameter. */
function helperIterating(module: PythonModule, ref: Node): string | undefined {
  const args = parentOf(ref);
  const call = args?.type === 'argument_list' ? parentOf(args) : undefined;
  const target = call?.type === 'call' ? module.localCallTarget(call) : undefined;
  if (!call || !target) return undefined;
  const positional = namedChildren(args!).filter((n) => n.type !== 'keyword_argument' && n.type !== 'comment');
  const param = parameterNames(target)[positional.findIndex((p) => p.id === ref.id)];
  if (!param) return undefined;
  const loops = descendantsOfType(target, 'for_statement');
  return loops.some((l) => module.enclosingFunction(l)?.id === target.id && module.referencesTo(param).some((r) => contains(l, r) && iteratingLoop(r)?.id === l.id))
    ? module.functionName(target)
    : undefined;
}

/** The `for` statement whose iterable is this reference (also through `enumerate`/`tqdm`). */
function iteratingLoop(ref: Node): Node | undefined {
  let n: Node = ref;
  for (let i = 0; i < 4; i++) {
    const p = n.parent;
    if (!p) return undefined;
    if (p.type === 'for_statement') return field(p, 'right')?.id === n.id ? p : undefined;
    if (p.type !== 'argument_list' && p.type !== 'call' && p.type !== 'parenthesized_expression') return undefined;
    n = p;
  }
  return undefined;
}

/** Does the epoch loop mention the dataset (`ds.set_epoch(e)`, `ds.difficulty = …`)? Persistent workers would miss it. */
function datasetTouchedIn(module: PythonModule, loop: Node, dataset: Node): boolean {
  const n = unwrap(dataset);
  if (n.type !== 'identifier' && n.type !== 'attribute') return n.type !== 'call';
  return module.mentions(loop, n.text);
}

/**
 * `NUM_WORKERS = 0 if platform.system() == "Windows" else 4`: the author chose the worker count per platform
 * (docs/analysis.md, trap 1); on the spawn platforms, where re-spawning costs most, it is 0 anyway.
 */
function platformConditional(module: PythonModule, count: Node): boolean {
  const n = unwrap(count);
  if (n.type !== 'identifier' && n.type !== 'attribute') return false;
  return module.assignmentsTo(n.text).some((a) => PLATFORM.test(field(a, 'right')?.text ?? ''));
}

const PLATFORM = /\bplatform\.|sys\.platform|os\.name\b/;
