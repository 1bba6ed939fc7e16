import type { Edit, Range } from '../../../shared/findings';
import type { ConfigDocument, ConfigNode } from '../../config/document';
import { argument } from '../../engine/calls';
import { field, nodeRange } from '../../engine/syntax';
import {
  isLightningEarlyStopping, isLightningTimer, lightningTrainers, loggedValidationLoss, trainerCallbacksMutated, trainerValidates,
  usesPytorchLightningName, type TrainerUse,
} from '../../python/lightning';
import type { PythonModule } from '../../python/module';
import { argConstant, addToCallbacks, callbacksHold, nameInStyle, runsUnderSweep } from '../../python/resolve';
import type { ProjectIndex } from '../../workspace/project';
import { defineRule, type Reporter } from '../rule';
import { foldLoop, scheduleSizedToRun } from './fixed-budget';

/** From this many epochs on, a run without early stopping is reported (STOP003\'s docs). */
export const LONG_LIGHTNING_EPOCHS = 100;
/** Lightning's own cap when neither max_epochs nor max_steps is set (`loops/utilities.py`). */
const IMPLICIT_EPOCHS = 1000;

export default defineRule({
  code: 'STOP003',
  name: 'lightning-no-early-stopping',
  family: 'STOP',
  severity: 'warning',
  confidence: 'medium',
  fix: 'unsafe',
  skipTestFiles: true,
  messages: {
    maxEpochsNoEarlyStopping: 'Trainer runs up to max_epochs={{maxEpochs}} with no EarlyStopping callback: every epoch runs even after the validation loss stops improving. Add EarlyStopping(monitor="{{monitor}}", mode="min", patience=3) to callbacks.',
    noLimitNoEarlyStopping: 'Trainer sets no max_epochs, max_steps or max_time, so Lightning trains up to {{epochs}} epochs, and no EarlyStopping callback ends it when the validation loss stops improving. Add EarlyStopping(monitor="{{monitor}}", mode="min", patience=3) to callbacks and set max_epochs.',
    configMaxEpochsNoEarlyStopping: 'trainer.max_epochs is {{maxEpochs}} and no EarlyStopping callback is configured: every epoch runs even after the validation loss stops improving. Add an EarlyStopping callback (monitor: val_loss, patience: 3).',
    configNoLimitNoEarlyStopping: 'trainer sets no max_epochs, max_steps or max_time, so Lightning trains up to {{epochs}} epochs, and no EarlyStopping callback is configured. Add an EarlyStopping callback and set max_epochs.',
  },
  docs: `## What it does
Finds a Lightning \`Trainer\` with no \`EarlyStopping\` callback that either has no training budget at all
(\`max_epochs\`, \`max_steps\` and \`max_time\` unset, no \`Timer\` callback) or runs \`max_epochs\` of ${LONG_LIGHTNING_EPOCHS} or more,
while the model it fits validates (its LightningModule defines \`validation_step\`, or \`fit\` gets validation
dataloaders). The same check runs on Lightning CLI configs (\`trainer.*\`) and Hydra configs with an inline trainer.

## Why is this bad?
Without a budget Lightning silently trains for ${IMPLICIT_EPOCHS} epochs: "\`max_epochs\` was not set. Setting it to 1000 epochs.
To train without an epoch limit, set \`max_epochs=-1\`." Its docs warn that "long training epochs can lead to either
overfitting or no major improvements". Without \`EarlyStopping\` every epoch runs even after the validation loss has
stopped improving, paying GPU time for nothing. Note that \`patience\` counts validation checks, not epochs
(\`check_val_every_n_epoch=10, patience=3\` trains at least 40 epochs).

Fixed budgets (\`max_steps\`, \`max_time\`, a \`Timer\`), short runs, debug runs (\`fast_dev_run\`, \`overfit_batches\`),
disabled validation (\`limit_val_batches=0\`), sweeps that prune trials (Optuna, Ray Tune) and callback lists built
where the analyzer cannot see (a variable it cannot resolve, \`**kwargs\`, \`trainer.callbacks.append\`, a Hydra
\`callbacks\` group) are left alone. Hydra findings are \`info\`, since composed configs may add the callback.
Runs where the whole curve is the point are left alone too: a Trainer built in a K-fold loop (one fold per pass), and
modules whose learning-rate schedule is sized to the run (\`OneCycleLR(total_steps=self.trainer.estimated_stepping_batches)\`,
\`CosineAnnealingLR(T_max=max_epochs)\`), where stopping early would end the run before the schedule decays.

## Example
\`\`\`python
import lightning as L


class LitModel(L.LightningModule):
    def training_step(self, batch, batch_idx):
        return self.model(batch).loss

    def validation_step(self, batch, batch_idx):
        self.log("val_loss", self.model(batch).loss)


trainer = L.Trainer(accelerator="gpu")
trainer.fit(LitModel(), train_loader, val_loader)
\`\`\`

\`\`\`yaml
trainer:
  max_epochs: 300
  accelerator: gpu
model:
  class_path: my_project.models.Classifier
\`\`\`

## Use instead
\`\`\`python
import lightning as L
from lightning.pytorch.callbacks import EarlyStopping


class LitModel(L.LightningModule):
    def training_step(self, batch, batch_idx):
        return self.model(batch).loss

    def validation_step(self, batch, batch_idx):
        self.log("val_loss", self.model(batch).loss)


trainer = L.Trainer(accelerator="gpu", max_epochs=50, callbacks=[EarlyStopping(monitor="val_loss", mode="min", patience=3)])
trainer.fit(LitModel(), train_loader, val_loader)
\`\`\`

\`\`\`yaml
trainer:
  max_epochs: 300
  accelerator: gpu
  callbacks:
    - class_path: lightning.pytorch.callbacks.EarlyStopping
      init_args:
        monitor: val_loss
        mode: min
        patience: 3
model:
  class_path: my_project.models.Classifier
\`\`\`

## Fix safety
The fix adds \`EarlyStopping(monitor="val_loss", mode="min", patience=3)\` to \`callbacks\` (creating the list when
absent; the monitor is the validation loss the module logs, if it logs one) and imports it in the module's style. In
Lightning CLI configs it adds a \`trainer.callbacks\` entry; in Hydra configs it adds an entry to an existing
\`callbacks\` map. It is unsafe: it changes how long training runs and which checkpoint is last, and Lightning raises
if the monitored metric is never logged (STOP002).

## References
- Lightning early stopping: https://lightning.ai/docs/pytorch/stable/common/early_stopping.html
- The 1000-epoch default, \`lightning/pytorch/loops/utilities.py\`: https://github.com/Lightning-AI/pytorch-lightning/blob/master/src/lightning/pytorch/loops/utilities.py
- Trainer \`max_epochs\` / \`max_steps\` / \`max_time\`: https://lightning.ai/docs/pytorch/stable/common/trainer.html
- lightning-hydra-template callbacks group: https://github.com/ashleve/lightning-hydra-template/blob/main/configs/callbacks/default.yaml
`,

  checkPython(module, reporter) {
    if (runsUnderSweep(module)) return;
    for (const trainer of lightningTrainers(module)) checkTrainer(module, trainer, reporter);
  },

  checkConfig({ doc, kinds, isDebugOrTest, project }, reporter) {
    if (isDebugOrTest) return;
    // Hydra files with an inline `trainer:` next to `model:` also look like Lightning CLI files.
    if (kinds.has('hydra')) checkTrainerConfig(doc, 'hydra', reporter, project);
    else if (kinds.has('lightning-cli')) checkTrainerConfig(doc, 'lightning-cli', reporter, project);
  },
});

function checkTrainer(module: PythonModule, trainer: TrainerUse, reporter: Reporter): void {
  const { args, call } = trainer;
  const maxEpochs = argConstant(module, argument(args, 'max_epochs'));
  const maxSteps = argConstant(module, argument(args, 'max_steps'));
  const maxTime = argConstant(module, argument(args, 'max_time'));
  if (maxEpochs === 'unknown' || maxSteps === 'unknown' || maxTime === 'unknown') return;
  // A step or wall-clock budget is deliberate (trap 8), and so is max_epochs=-1.
  if (!(maxSteps === 'absent' || maxSteps === null || maxSteps === -1) || !(maxTime === 'absent' || maxTime === null)) return;
  const implicit = maxEpochs === 'absent' || maxEpochs === null;
  const long = typeof maxEpochs === 'number' && maxEpochs >= LONG_LIGHTNING_EPOCHS;
  if (!implicit && !long) return;
  for (const debug of ['fast_dev_run', 'overfit_batches']) {
    const v = argConstant(module, argument(args, debug));
    if (v === 'unknown' || (v !== 'absent' && v !== false && v !== 0 && v !== null)) return;
  }
  const callbacks = argument(args, 'callbacks');
  if (callbacksHold(module, callbacks, call, isLightningEarlyStopping) !== 'no') return;
  if (callbacksHold(module, callbacks, call, isLightningTimer) !== 'no') return;
  if (trainerCallbacksMutated(module, trainer)) return;
  if (trainerValidates(module, trainer) !== 'yes') return;
  const epochsArg = argument(args, 'max_epochs');
  if (foldLoop(module, call) || scheduleSizedToRun(module, epochsArg.kind === 'present' ? epochsArg.node : undefined)) return;

  const monitor = loggedValidationLoss(module) ?? 'val_loss';
  const es = nameInStyle(module, ['lightning.pytorch.callbacks.EarlyStopping'], {
    from: usesPytorchLightningName(module) ? 'pytorch_lightning.callbacks' : 'lightning.pytorch.callbacks',
    name: 'EarlyStopping',
  });
  const element = `${es.expr}(monitor="${monitor}", mode="min", patience=3)`;
  const edit = addToCallbacks(module, call, element);
  const edits: Edit[] = edit ? [edit, ...(es.importEdit ? [es.importEdit] : [])] : [];
  const epochsNode = argument(args, 'max_epochs');
  reporter.report({
    range: long && epochsNode.kind === 'present' ? nodeRange(epochsNode.node) : nodeRange(field(call, 'function') ?? call),
    messageId: long ? 'maxEpochsNoEarlyStopping' : 'noLimitNoEarlyStopping',
    data: { maxEpochs: String(maxEpochs), monitor, epochs: IMPLICIT_EPOCHS },
    fixes: edits.length > 0 ? [{ title: `Add EarlyStopping(monitor="${monitor}") to the Trainer callbacks`, safe: false, edits }] : [],
  });
}

// ---------------------------------------------------------------------------------------------------
// Config front end: Lightning CLI `trainer:` sections and Hydra configs with an inline Lightning trainer.

type CallbackState = 'early-stopping' | 'timer' | 'none' | 'unknown';

function callbackTargets(node: ConfigNode | undefined): CallbackState {
  if (!node) return 'none';
  if (node.kind === 'scalar') {
    if (node.value === null) return 'none';
    return typeof node.value === 'string' ? classify(node.value) : 'unknown';
  }
  const items = node.kind === 'seq'
    ? node.items!
    : node.entries!.has('class_path') || node.entries!.has('_target_') ? [node] : [...node.entries!.values()];
  let state: CallbackState = 'none';
  for (const item of items) {
    let s: CallbackState;
    if (item.kind === 'map') {
      const target = item.entries!.get('class_path') ?? item.entries!.get('_target_');
      s = target?.kind === 'scalar' && typeof target.value === 'string' ? classify(target.value) : item.entries!.size === 0 ? 'none' : 'unknown';
    } else if (item.kind === 'scalar' && item.value === null) {
      s = 'none';
    } else {
      s = item.kind === 'scalar' && typeof item.value === 'string' ? classify(item.value) : 'unknown';
    }
    if (s === 'early-stopping' || s === 'timer') return s;
    if (s === 'unknown') state = 'unknown';
  }
  return state;
}

function classify(target: string): CallbackState {
  if (target.includes('${')) return 'unknown';
  if (/EarlyStopping$/.test(target)) return 'early-stopping';
  if (/(^|\.)Timer$/.test(target)) return 'timer';
  return 'none';
}

const LIGHTNING_TARGET = /^(lightning|pytorch_lightning)(\.\w+)*\.Trainer$/;

function checkTrainerConfig(doc: ConfigDocument, kind: 'lightning-cli' | 'hydra', reporter: Reporter, project: ProjectIndex | undefined): void {
  const trainer = doc.get('trainer');
  if (trainer?.kind !== 'map') return;
  const t = trainer.entries!;
  const scalar = (k: string) => {
    const n = t.get(k);
    if (!n) return 'absent' as const;
    return n.kind === 'scalar' && !(typeof n.value === 'string' && n.value.includes('${')) ? n.value : ('unknown' as const);
  };
  const callbackNodes: Array<ConfigNode | undefined> = [t.get('callbacks')];
  if (kind === 'hydra') {
    const path = doc.path.replace(/\\/g, '/');
    // A trainer group file never holds the callbacks: Hydra composes them from the callbacks group.
    if (/(^|\/)trainer\/[^/]+$/.test(path)) return;
    const target = scalar('_target_');
    if (typeof target !== 'string' || !LIGHTNING_TARGET.test(target)) return;
    const defaults = doc.get('defaults');
    const defaultsText = defaults ? doc.text.slice(offsetOf(doc, defaults.range.start), offsetOf(doc, defaults.range.end)) : '';
    if (/hydra\/sweeper|hparams_search/.test(defaultsText)) return;
    if (/callbacks/.test(defaultsText)) {
      // The callbacks come from a group file: follow it when the project is known, else stay silent.
      const group = hydraCallbacksGroup(doc, defaults!, project);
      if (group === undefined) return;
      callbackNodes.push(group);
    }
    if (doc.get('hydra.sweeper') || /(^|\/)hparams_search\//.test(path)) return;
    callbackNodes.push(doc.get('callbacks'));
  }
  const maxEpochs = scalar('max_epochs');
  const maxSteps = scalar('max_steps');
  const maxTime = scalar('max_time');
  if (maxEpochs === 'unknown' || maxSteps === 'unknown' || maxTime === 'unknown') return;
  if (!(maxSteps === 'absent' || maxSteps === null || maxSteps === -1) || !(maxTime === 'absent' || maxTime === null)) return;
  const implicit = maxEpochs === 'absent' || maxEpochs === null;
  const long = typeof maxEpochs === 'number' && maxEpochs >= LONG_LIGHTNING_EPOCHS;
  if (!implicit && !long) return;
  for (const debug of ['fast_dev_run', 'overfit_batches']) {
    const v = scalar(debug);
    if (!(v === 'absent' || v === false || v === 0 || v === null)) return;
  }
  if (scalar('limit_val_batches') === 0) return;
  for (const node of callbackNodes) if (callbackTargets(node) !== 'none') return;

  const epochsNode = t.get('max_epochs');
  const range: Range = long && epochsNode ? epochsNode.range : trainer.keyRange ?? trainer.range;
  const fix = configFix(doc, kind, trainer, callbackNodes[1]);
  reporter.report({
    range,
    severity: kind === 'hydra' ? 'info' : undefined,
    messageId: long ? 'configMaxEpochsNoEarlyStopping' : 'configNoLimitNoEarlyStopping',
    data: { maxEpochs: String(maxEpochs), epochs: IMPLICIT_EPOCHS },
    fixes: fix ? [{ title: 'Add an EarlyStopping callback (monitor: val_loss)', safe: false, edits: [fix] }] : [],
  });
}

/**
 * The config selected by `- callbacks: <name>` in a Hydra defaults list, read from the `callbacks/`
 * group folder next to the primary config (searched a few folders up, as experiment files sit below it).
 * `null` content (`callbacks: null`) means no callbacks; undefined means it cannot be resolved.
 */
function hydraCallbacksGroup(doc: ConfigDocument, defaults: ConfigNode, project: ProjectIndex | undefined): ConfigNode | undefined {
  if (!project || defaults.kind !== 'seq') return undefined;
  const entry = defaults.items!.map((i) => (i.kind === 'map' ? [...i.entries!].find(([k]) => k.replace(/^override\s+/, '').replace(/^\//, '') === 'callbacks') : undefined)).find((e) => e !== undefined);
  if (!entry) return undefined;
  const choice = entry[1];
  if (choice.kind !== 'scalar') return undefined;
  if (choice.value === null || choice.value === 'none') return { kind: 'scalar', value: null, range: choice.range };
  if (typeof choice.value !== 'string' || choice.value.includes('${')) return undefined;
  const file = project.hydraGroupFile(doc.path, 'callbacks', choice.value);
  const group = file ? project.config(file) : undefined;
  // A group file that itself pulls in other groups is beyond what we resolve.
  if (!group?.root || group.get('defaults')) return undefined;
  return group.root;
}

function offsetOf(doc: ConfigDocument, pos: { line: number; character: number }): number {
  return doc.lines.offset(pos);
}

/** Line on which a block node's content ends (a block collection's range may end at the next line's start). */
function lastLine(doc: ConfigDocument, node: ConfigNode): number {
  const end = node.range.end;
  let line = end.character === 0 && end.line > node.range.start.line ? end.line - 1 : end.line;
  while (line > node.range.start.line && doc.lines.lineText(line).trim() === '') line--;
  return line;
}

function endOfLine(doc: ConfigDocument, line: number) {
  return { line, character: doc.lines.lineText(line).length };
}

function isBlock(doc: ConfigDocument, node: ConfigNode): boolean {
  const first = doc.text.charAt(offsetOf(doc, node.range.start));
  return doc.format === 'yaml' && first !== '{' && first !== '[';
}

function configFix(doc: ConfigDocument, kind: 'lightning-cli' | 'hydra', trainer: ConfigNode, hydraCallbacks: ConfigNode | undefined): Edit | undefined {
  const eol = doc.lines.eol();
  if (kind === 'lightning-cli') {
    if (!isBlock(doc, trainer)) return undefined;
    const callbacks = trainer.entries!.get('callbacks');
    if (!callbacks) {
      const first = [...trainer.entries!.values()][0];
      const indent = ' '.repeat(first.keyRange!.start.character);
      const at = endOfLine(doc, lastLine(doc, trainer));
      const lines = ['callbacks:', '  - class_path: lightning.pytorch.callbacks.EarlyStopping', '    init_args:', '      monitor: val_loss', '      mode: min', '      patience: 3'];
      return { range: { start: at, end: at }, newText: lines.map((l) => eol + indent + l).join('') };
    }
    if (callbacks.kind === 'seq' && callbacks.items!.length > 0 && isBlock(doc, callbacks)) {
      const firstItem = callbacks.items![0];
      const dashColumn = firstItem.range.start.character - 2;
      if (dashColumn < 0 || doc.lines.lineText(firstItem.range.start.line).charAt(dashColumn) !== '-') return undefined;
      const indent = ' '.repeat(dashColumn);
      const at = endOfLine(doc, lastLine(doc, callbacks));
      const lines = ['- class_path: lightning.pytorch.callbacks.EarlyStopping', '  init_args:', '    monitor: val_loss', '    mode: min', '    patience: 3'];
      return { range: { start: at, end: at }, newText: lines.map((l) => eol + indent + l).join('') };
    }
    return undefined;
  }
  // Hydra: add a named entry to an existing top-level `callbacks:` map (what the training script instantiates).
  if (hydraCallbacks?.kind === 'map' && hydraCallbacks.entries!.size > 0 && isBlock(doc, hydraCallbacks) && !hydraCallbacks.entries!.has('_target_')) {
    const first = [...hydraCallbacks.entries!.values()][0];
    const indent = ' '.repeat(first.keyRange!.start.character);
    const at = endOfLine(doc, lastLine(doc, hydraCallbacks));
    const lines = ['early_stopping:', '  _target_: lightning.pytorch.callbacks.EarlyStopping', '  monitor: val_loss', '  mode: min', '  patience: 3'];
    return { range: { start: at, end: at }, newText: lines.map((l) => eol + indent + l).join('') };
  }
  return undefined;
}
