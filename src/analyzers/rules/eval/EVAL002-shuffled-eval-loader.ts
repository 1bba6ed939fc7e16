import { argument } from '../../engine/calls';
import { field, literalValue, nodeRange, parentOf, type Node } from '../../engine/syntax';
import { arg, dataLoaderUses } from '../../python/dataloaders';
import { replaceNode } from '../../python/edits';
import type { PythonModule } from '../../python/module';
import { defineRule } from '../rule';

/** `val_loader`, `test_dl`, `eval_dataloader`, `self.valid_loader`: names that say evaluation (names starting with val, test or eval). */
const EVAL_NAME = /^(val|valid|validation|test|testing|eval|evaluation|dev|holdout)(_|$|loader|dl|dataloader|data)/i;

export default defineRule({
  code: 'EVAL002',
  name: 'shuffled-eval-loader',
  family: 'EVAL',
  severity: 'info',
  confidence: 'high',
  fix: 'safe',
  skipTestFiles: true,
  messages: {
    shuffledEvalLoader: 'Evaluation DataLoader ({{why}}) has shuffle=True: the metric over the whole set does not change, but batch order, saved predictions and any subsampled validation differ between runs (Lightning warns about this). Set shuffle=False.',
  },
  docs: `## What it does
Finds a PyTorch \`DataLoader(..., shuffle=True)\` that serves validation or testing: returned from a Lightning
\`val_dataloader\`/\`test_dataloader\`/\`predict_dataloader\` hook, passed to \`validate\`/\`test\`/\`evaluate\` or as
\`val_dataloaders=\`, or bound to a name such as \`val_loader\`, \`test_dl\` or \`eval_dataloader\`.

A loader named for evaluation that is only ever read as \`next(iter(loader))\` is not reported: GAN and diffusion
scripts draw one random batch of test images every N steps to save a sample grid, nothing is averaged over the set,
and the shuffling is what makes each grid show different images.

## Why is this bad?
Shuffling does not change an evaluation metric averaged over the whole set; it only costs random index generation and
makes per-batch logs, saved predictions and any subsampled validation (\`limit_val_batches\`) differ from run to run.
Lightning warns: *"Your \`val_dataloader\`'s sampler has shuffling enabled, it is strongly recommended that you turn
shuffling off for val/test dataloaders."*

## Example
\`\`\`python
from torch.utils.data import DataLoader

val_loader = DataLoader(val_ds, batch_size=256, shuffle=True, num_workers=4)
\`\`\`

## Use instead
\`\`\`python
from torch.utils.data import DataLoader

val_loader = DataLoader(val_ds, batch_size=256, shuffle=False, num_workers=4)
\`\`\`

## Fix safety
The fix sets \`shuffle=False\`. It is safe when the loader keeps every sample (\`drop_last\` not True) and the module does
not subsample validation (\`limit_val_batches\`/\`limit_test_batches\`): averaged metrics are then unchanged. Otherwise
it is offered as unsafe, since the subset that gets evaluated changes. When \`shuffle=True\` comes from a \`**kwargs\`
dict (\`test_kwargs.update(shuffle=True)\`) the finding points into the dict and there is no fix: the dict may be shared
with the training loader. A \`shuffle\` added only under an \`if\` (\`if use_cuda: kwargs.update(cuda_kwargs)\`) is not
reported.

## References
- Lightning \`data_connector.py\` (\`_process_dataloader\` warning): https://github.com/Lightning-AI/pytorch-lightning/blob/master/src/lightning/pytorch/trainer/connectors/data_connector.py
- PyTorch \`DataLoader\` API: https://pytorch.org/docs/stable/data.html#torch.utils.data.DataLoader
`,

  checkPython(module, reporter) {
    if (!module.importsAny('torch')) return;
    const subsamples = /\blimit_(val|test)_batches\s*=/.test(module.text);
    for (const use of dataLoaderUses(module)) {
      const shuffle = arg(use, 'shuffle');
      if (shuffle.kind !== 'present' || literalValue(shuffle.node) !== true) continue;
      const fromHook = use.role === 'eval' && use.reason !== undefined && use.reason !== 'named as an evaluation loader';
      const named = use.role !== 'train' && use.name !== undefined && EVAL_NAME.test(use.name.slice(use.name.lastIndexOf('.') + 1));
      if (!fromHook && !named) continue;
      // A loader only ever drawn from with `next(iter(loader))` picks random samples (a GAN's sample grid): no metric.
      if (!fromHook && onlySampled(module, use.name!, use.call)) continue;
      const drop = argument(use.args, 'drop_last', 8);
      const dropsSamples = drop.kind === 'unknown' || (drop.kind === 'present' && literalValue(drop.node) !== false);
      const why = fromHook ? use.reason! : `bound to ${use.name}`;
      reporter.report({
        range: nodeRange(shuffle.keyword ? parentOf(shuffle.node) ?? shuffle.node : shuffle.node),
        messageId: 'shuffledEvalLoader',
        data: { why },
        // A value read from a `**kwargs` dict may be shared with the training loader: no fix edits it there.
        fixes: shuffle.spread ? [] : [{ title: 'Set shuffle=False', safe: !dropsSamples && !subsamples, edits: [replaceNode(shuffle.node, 'False')] }],
      });
    }
  },
});

/** Every read of the loader is `next(iter(loader))`: it serves single random batches (sample images), never a full pass. */
function onlySampled(module: PythonModule, name: string, call: Node): boolean {
  const reads = module.referencesTo(name).filter((ref) => {
    const p = parentOf(ref);
    return !(p?.type === 'assignment' && field(p, 'left')?.id === ref.id && field(p, 'right')?.id === call.id);
  });
  return reads.length > 0 && reads.every((ref) => {
    const iterCall = parentOf(parentOf(ref)!);
    if (iterCall?.type !== 'call' || field(iterCall, 'function')?.text !== 'iter') return false;
    const nextCall = parentOf(parentOf(iterCall)!);
    return nextCall?.type === 'call' && field(nextCall, 'function')?.text === 'next';
  });
}
