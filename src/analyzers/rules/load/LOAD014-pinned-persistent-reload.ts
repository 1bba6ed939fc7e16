import type { ConfigDocument, ConfigNode } from '../../config/document';
import { dataLoaderMaps } from '../../config/keys';
import { argument } from '../../engine/calls';
import { literalValue, nodeRange } from '../../engine/syntax';
import { arg, dataLoaderUses } from '../../python/dataloaders';
import { replaceNode } from '../../python/edits';
import { lightningTrainers } from '../../python/lightning';
import { defineRule } from '../rule';

const RELOAD = 'reload_dataloaders_every_n_epochs';

export default defineRule({
  code: 'LOAD014',
  name: 'pinned-persistent-reload',
  family: 'LOAD',
  severity: 'warning',
  confidence: 'high',
  fix: 'unsafe',
  messages: {
    pinnedReload: 'pin_memory and persistent_workers are both on while {{reload}} re-creates the dataloaders: Lightning warns this "can lead to instability due to limitations in PyTorch" (pytorch/pytorch#91252) and recommends pin_memory=False.',
  },
  docs: `## What it does
Finds DataLoader settings with \`pin_memory: true\` and \`persistent_workers: true\` in a Lightning CLI or Hydra config
whose Trainer reloads its dataloaders (\`trainer.reload_dataloaders_every_n_epochs\` above 0), and the same combination
in Python: \`DataLoader(..., pin_memory=True, persistent_workers=True)\` in a module whose Lightning \`Trainer\` is built
with \`reload_dataloaders_every_n_epochs=N > 0\`. (Worker-only options with zero workers, the other incompatible pair,
are LOAD004.)

## Why is this bad?
Lightning warns at runtime that this combination "can lead to instability due to limitations in PyTorch
(pytorch/pytorch#91252). We recommend setting \`pin_memory=False\` in this case." Reloading creates new DataLoaders
while the old persistent workers and their pin-memory thread are still alive, which can hang or crash the run.

## Example
\`\`\`yaml
trainer:
  max_epochs: 20
  reload_dataloaders_every_n_epochs: 1
data:
  class_path: my_project.data.CurriculumDataModule
  init_args:
    num_workers: 8
    pin_memory: true
    persistent_workers: true
\`\`\`

## Use instead
\`\`\`yaml
trainer:
  max_epochs: 20
  reload_dataloaders_every_n_epochs: 1
data:
  class_path: my_project.data.CurriculumDataModule
  init_args:
    num_workers: 8
    pin_memory: false
    persistent_workers: true
\`\`\`

## Fix safety
The fix sets \`pin_memory\` to false, as Lightning recommends; batches are the same, host-to-GPU copies are a little
slower. In configs it is offered as unsafe, because composed configs (Hydra overrides, several \`--config\` files)
may set these keys elsewhere; in Python it is safe. Dropping \`persistent_workers\` or the reloading instead is
equally valid when the reload is not needed every epoch.

## References
- Lightning \`_worker_check\` (the warning): https://github.com/Lightning-AI/pytorch-lightning/blob/master/src/lightning/pytorch/trainer/connectors/data_connector.py
- PyTorch issue 91252: https://github.com/pytorch/pytorch/issues/91252
- Lightning Trainer, \`reload_dataloaders_every_n_epochs\`: https://lightning.ai/docs/pytorch/stable/common/trainer.html#reload-dataloaders-every-n-epochs
`,

  checkPython(module, reporter) {
    if (!module.importsAny('lightning', 'pytorch_lightning') || !module.text.includes(RELOAD)) return;
    const reloading = lightningTrainers(module).find((t) => {
      const lookup = argument(t.args, RELOAD);
      if (lookup.kind !== 'present') return false;
      const v = literalValue(lookup.node);
      return typeof v === 'number' && v > 0;
    });
    if (!reloading) return;
    const reload = argument(reloading.args, RELOAD);
    for (const use of dataLoaderUses(module)) {
      const pin = arg(use, 'pin_memory');
      const persistent = arg(use, 'persistent_workers');
      if (pin.kind !== 'present' || persistent.kind !== 'present') continue;
      if (literalValue(pin.node) !== true || literalValue(persistent.node) !== true) continue;
      reporter.report({
        range: nodeRange(pin.node),
        messageId: 'pinnedReload',
        data: { reload: `${RELOAD}=${reload.kind === 'present' ? reload.node.text : '?'}` },
        related: reload.kind === 'present' ? [{ range: nodeRange(reload.node), message: 'dataloaders reloaded here' }] : [],
        fixes: pin.spread ? [] : [{ title: 'Set pin_memory=False', safe: true, edits: [replaceNode(pin.node, 'False')] }],
      });
    }
  },

  checkConfig({ doc, kinds, isDebugOrTest }, reporter) {
    if (isDebugOrTest || !(kinds.has('lightning-cli') || kinds.has('hydra'))) return;
    const reload = doc.get(`trainer.${RELOAD}`);
    if (reload?.kind !== 'scalar' || typeof reload.value !== 'number' || reload.value <= 0) return;
    for (const map of loaderMaps(doc, kinds)) {
      const pin = map.entries!.get('pin_memory');
      const persistent = map.entries!.get('persistent_workers');
      if (pin?.kind !== 'scalar' || pin.value !== true || persistent?.kind !== 'scalar' || persistent.value !== true) continue;
      reporter.report({
        range: pin.range,
        messageId: 'pinnedReload',
        data: { reload: `trainer.${RELOAD}: ${reload.value}` },
        related: [{ range: reload.range, message: 'dataloaders reloaded here' }],
        fixes: [{ title: 'Set pin_memory to false', safe: false, edits: [{ range: pin.range, newText: 'false' }] }],
        // Hydra values are often overridden by experiment files or the command line (docs/analysis.md, trap 14).
        severity: kinds.has('hydra') ? 'info' : undefined,
      });
    }
  },
});

/** The DataLoader settings maps and their direct sub-maps (`train_loader:` inside a data group). */
function loaderMaps(doc: ConfigDocument, kinds: Parameters<typeof dataLoaderMaps>[1]): ConfigNode[] {
  const out: ConfigNode[] = [];
  for (const { map } of dataLoaderMaps(doc, kinds)) {
    if (out.includes(map)) continue;
    out.push(map);
    for (const child of map.entries!.values()) if (child.kind === 'map' && !out.includes(child)) out.push(child);
  }
  return out;
}
