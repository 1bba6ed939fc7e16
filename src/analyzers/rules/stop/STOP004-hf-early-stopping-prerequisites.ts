import type { Edit } from '../../../shared/findings';
import type { ConfigDocument, ConfigNode } from '../../config/document';
import { field, nodeRange } from '../../engine/syntax';
import { earlyStoppingArgumentEdits, earlyStoppingCallbacks, hfTrainers, prerequisites } from '../../python/hf-trainer';
import { defineRule } from '../rule';

/** Keys of training wrappers whose configs are not plain TrainingArguments (axolotl: base_model, evals_per_epoch, val_set_size). */
const WRAPPER_KEYS = ['base_model', 'evals_per_epoch', 'val_set_size', 'datasets'];

const FIX_ARGS = 'eval_strategy="epoch", save_strategy="epoch", load_best_model_at_end=True, metric_for_best_model="eval_loss", greater_is_better=False';

export default defineRule({
  code: 'STOP004',
  name: 'hf-early-stopping-prerequisites',
  family: 'STOP',
  severity: 'error',
  confidence: 'high',
  fix: 'unsafe',
  messages: {
    noEvaluation: 'EarlyStoppingCallback needs evaluation, but {{args}} leave {{strategyKey}} at "no": training fails at start with "EarlyStoppingCallback requires IntervalStrategy of steps or epoch". Set {{fixArgs}}.',
    noMetric: 'EarlyStoppingCallback needs metric_for_best_model (or load_best_model_at_end=True, which defaults it to "loss"): training fails at start with "EarlyStoppingCallback requires metric_for_best_model to be defined". Set load_best_model_at_end=True, metric_for_best_model="eval_loss".',
    configNoEvaluation: '{{key}} is set but {{strategyKey}} is {{strategy}}: EarlyStoppingCallback fails at train start ("requires IntervalStrategy of steps or epoch"). Set eval_strategy: epoch, save_strategy: epoch, load_best_model_at_end: true, metric_for_best_model: eval_loss.',
    configNoMetric: '{{key}} is set but neither metric_for_best_model nor load_best_model_at_end: true is: EarlyStoppingCallback fails at train start ("requires metric_for_best_model to be defined"). Set load_best_model_at_end: true and metric_for_best_model: eval_loss.',
  },
  docs: `## What it does
Finds a Hugging Face \`EarlyStoppingCallback\` given to a \`Trainer\` (\`callbacks=[...]\` or \`trainer.add_callback\`)
whose \`TrainingArguments\` do not evaluate (\`eval_strategy\`, legacy \`evaluation_strategy\`, absent or \`"no"\`), or
name no metric (no \`metric_for_best_model\` and \`load_best_model_at_end\` not True). In TrainingArguments JSON/YAML
files it finds early-stopping keys (\`early_stopping_patience\`, …) with the same gaps.

## Why is this bad?
The callback checks its prerequisites when training starts and stops the run:
\`AssertionError: EarlyStoppingCallback requires metric_for_best_model to be defined\` or
\`… requires IntervalStrategy of steps or epoch\` (\`transformers/trainer_callback.py\`). With \`load_best_model_at_end=True\`
the metric defaults to \`"loss"\`. Without \`load_best_model_at_end\`, newer versions only warn that "the best model will
not be loaded automatically", so the run ends with the last, not the best, checkpoint.

## Example
\`\`\`python
from transformers import EarlyStoppingCallback, Trainer, TrainingArguments

args = TrainingArguments(output_dir="out", num_train_epochs=20)
trainer = Trainer(
    model=model,
    args=args,
    train_dataset=train_ds,
    eval_dataset=eval_ds,
    callbacks=[EarlyStoppingCallback(early_stopping_patience=3)],
)
\`\`\`

\`\`\`yaml
output_dir: out
per_device_train_batch_size: 16
num_train_epochs: 20
eval_strategy: "no"
early_stopping_patience: 3
\`\`\`

## Use instead
\`\`\`python
from transformers import EarlyStoppingCallback, Trainer, TrainingArguments

args = TrainingArguments(
    output_dir="out",
    num_train_epochs=20,
    eval_strategy="epoch",
    save_strategy="epoch",
    load_best_model_at_end=True,
    metric_for_best_model="eval_loss",
    greater_is_better=False,
)
trainer = Trainer(
    model=model,
    args=args,
    train_dataset=train_ds,
    eval_dataset=eval_ds,
    callbacks=[EarlyStoppingCallback(early_stopping_patience=3)],
)
\`\`\`

\`\`\`yaml
output_dir: out
per_device_train_batch_size: 16
num_train_epochs: 20
eval_strategy: epoch
save_strategy: epoch
load_best_model_at_end: true
metric_for_best_model: eval_loss
early_stopping_patience: 3
\`\`\`

## Fix safety
The fix sets \`${FIX_ARGS}\` on the \`TrainingArguments\` call (keeping an existing \`"steps"\` strategy, and the
module's spelling \`evaluation_strategy\` on older transformers). It is unsafe: it adds evaluation and checkpoint passes
and changes which weights the run ends with. In configs it sets the same keys.

## References
- \`EarlyStoppingCallback\` source: https://github.com/huggingface/transformers/blob/main/src/transformers/trainer_callback.py
- \`TrainingArguments\` (\`load_best_model_at_end\`, \`metric_for_best_model\`): https://huggingface.co/docs/transformers/main_classes/trainer#transformers.TrainingArguments
- Callbacks docs: https://huggingface.co/docs/transformers/main_classes/callback#transformers.EarlyStoppingCallback
`,

  checkPython(module, reporter) {
    for (const trainer of hfTrainers(module)) {
      const callbacks = earlyStoppingCallbacks(module, trainer);
      if (callbacks === 'unknown' || callbacks.length === 0) continue;
      if (!trainer.trainingArgs && !trainer.defaultArgs) continue;
      const pre = trainer.trainingArgs
        ? prerequisites(module, trainer.trainingArgs)
        : { noEvaluation: true, noMetric: true, strategyKeyword: 'eval_strategy' };
      if (!pre.noEvaluation && !pre.noMetric) continue;
      const edits: Edit[] = trainer.trainingArgs ? earlyStoppingArgumentEdits(module, trainer.trainingArgs) : [];
      const where = trainer.trainingArgs ? 'its TrainingArguments' : 'the default TrainingArguments (no args=)';
      reporter.report({
        range: nodeRange(callbacks[0]),
        messageId: pre.noEvaluation ? 'noEvaluation' : 'noMetric',
        data: { args: where, strategyKey: pre.strategyKeyword, fixArgs: FIX_ARGS },
        related: trainer.trainingArgs ? [{ range: nodeRange(field(trainer.trainingArgs, 'function') ?? trainer.trainingArgs), message: 'TrainingArguments built here' }] : [],
        fixes: edits.length > 0 ? [{ title: 'Evaluate every epoch and load the best model by eval_loss', safe: false, edits }] : [],
      });
    }
  },

  checkConfig({ doc, kinds, isDebugOrTest }, reporter) {
    if (!kinds.has('hf-training-args') || isDebugOrTest || doc.root?.kind !== 'map') return;
    const root = doc.root.entries!;
    const esKey = [...root.keys()].find((k) => /^early_stopping/.test(k));
    if (!esKey) return;
    // Wrapper configs (axolotl and the like) derive the evaluation schedule themselves from their own keys.
    if (WRAPPER_KEYS.some((k) => root.has(k))) return;
    const esNode = root.get(esKey)!;
    if (esNode.kind === 'scalar' && (esNode.value === null || esNode.value === false || esNode.value === 0)) return;
    const strategyKey = root.has('eval_strategy') ? 'eval_strategy' : root.has('evaluation_strategy') ? 'evaluation_strategy' : undefined;
    const strategy = strategyKey ? root.get(strategyKey)! : undefined;
    const strategyValue = strategy?.kind === 'scalar' ? strategy.value : strategy ? 'unknown' : 'absent';
    const noEvaluation = strategyValue === 'absent' || strategyValue === 'no' || strategyValue === null;
    const metric = root.get('metric_for_best_model');
    const loadBest = root.get('load_best_model_at_end');
    const noMetric = (!metric || (metric.kind === 'scalar' && metric.value === null)) && !(loadBest?.kind === 'scalar' && loadBest.value === true) &&
      !(loadBest?.kind === 'scalar' && typeof loadBest.value === 'string');
    if (!noEvaluation && !noMetric) return;
    const fix = configFix(doc, root, strategyKey, strategyValue, noEvaluation, noMetric);
    reporter.report({
      range: esNode.keyRange ?? esNode.range,
      messageId: noEvaluation ? 'configNoEvaluation' : 'configNoMetric',
      data: { key: esKey, strategyKey: strategyKey ?? 'eval_strategy', strategy: strategyValue === 'absent' ? 'unset (default "no")' : '"no"' },
      fixes: fix.length > 0 ? [{ title: 'Evaluate every epoch and load the best model by eval_loss', safe: false, edits: fix }] : [],
    });
  },
});

function configValue(doc: ConfigDocument, value: string | boolean): string {
  return doc.format === 'json' || typeof value !== 'string' ? JSON.stringify(value) : value;
}

/** Sets the TrainingArguments keys EarlyStoppingCallback needs: replaces wrong values, appends missing keys at the end. */
function configFix(
  doc: ConfigDocument, root: Map<string, ConfigNode>, strategyKey: string | undefined, strategy: unknown, noEvaluation: boolean, noMetric: boolean,
): Edit[] {
  const edits: Edit[] = [];
  const add: Array<[string, string | boolean]> = [];
  const set = (key: string, value: string | boolean) => {
    const node = root.get(key);
    if (!node) add.push([key, value]);
    else if (node.kind === 'scalar' && node.value !== value) edits.push({ range: node.range, newText: configValue(doc, value) });
  };
  let evalStrategy = typeof strategy === 'string' ? strategy : undefined;
  if (noEvaluation) {
    set(strategyKey ?? 'eval_strategy', 'epoch');
    evalStrategy = 'epoch';
  }
  if (noMetric) {
    set('load_best_model_at_end', true);
    set('metric_for_best_model', 'eval_loss');
    if (!root.has('greater_is_better')) add.push(['greater_is_better', false]);
    // load_best_model_at_end requires matching save and eval schedules (STOP005).
    const save = root.get('save_strategy');
    const saveValue = save?.kind === 'scalar' ? save.value : undefined;
    if (evalStrategy === 'epoch' && saveValue !== 'best') set('save_strategy', 'epoch');
    else if (evalStrategy === 'steps' && save && saveValue !== 'steps' && saveValue !== 'best') set('save_strategy', 'steps');
  }
  if (add.length > 0) {
    const entries = [...root.values()];
    const last = entries.reduce((a, b) => (doc.lines.offset(b.entryRange!.end) > doc.lines.offset(a.entryRange!.end) ? b : a));
    const indent = ' '.repeat(last.keyRange!.start.character);
    const eol = doc.lines.eol();
    if (doc.format === 'json') {
      const at = last.entryRange!.end;
      edits.push({ range: { start: at, end: at }, newText: add.map(([k, v]) => `,${eol}${indent}${JSON.stringify(k)}: ${configValue(doc, v)}`).join('') });
    } else {
      if (doc.text.trimStart().startsWith('{')) return [];
      const line = last.entryRange!.end.line;
      const at = { line, character: doc.lines.lineText(line).length };
      edits.push({ range: { start: at, end: at }, newText: add.map(([k, v]) => `${eol}${indent}${k}: ${configValue(doc, v)}`).join('') });
    }
  }
  return edits;
}
