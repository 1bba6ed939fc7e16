import type { Edit } from '../../../shared/findings';
import { argument, callArguments } from '../../engine/calls';
import { field, literalValue, nodeRange } from '../../engine/syntax';
import { earlyStoppingArgumentEdits, earlyStoppingCallbacks, hfTrainers } from '../../python/hf-trainer';
import { addToCallbacks, argConstant, nameInStyle, runsUnderSweep } from '../../python/resolve';
import { defineRule } from '../rule';
import { foldLoop, scheduleSizedToRun } from './fixed-budget';

/** From this many epochs on, a Trainer with an eval set and no early stopping is reported (STOP006\'s docs). */
export const LONG_HF_EPOCHS = 10;

export default defineRule({
  code: 'STOP006',
  name: 'hf-no-early-stopping',
  family: 'STOP',
  severity: 'info',
  confidence: 'low',
  fix: 'unsafe',
  skipTestFiles: true,
  messages: {
    noEarlyStoppingCallback: 'Trainer evaluates on eval_dataset but runs all {{epochs}} epochs with no EarlyStoppingCallback: epochs keep running after the eval loss stops improving. Consider callbacks=[EarlyStoppingCallback(early_stopping_patience=3)] with load_best_model_at_end=True.',
  },
  docs: `## What it does
Finds a Hugging Face \`Trainer\` that has an \`eval_dataset\` and trains for \`num_train_epochs\` of ${LONG_HF_EPOCHS} or more
(in the \`TrainingArguments\` it is given in the same module) with no \`EarlyStoppingCallback\` and no \`max_steps\` budget.

## Why is this bad?
The Trainer has no early stopping by default: every epoch runs even after the evaluation loss has stopped improving.
\`EarlyStoppingCallback\` exists to "stop training when the specified metric worsens for \`early_stopping_patience\`
evaluation calls" (\`transformers/trainer_callback.py\`). Long fine-tuning runs are where that wasted compute adds up.

This is advice (\`info\`): fixed token or step budgets (\`max_steps\`), short runs, hyperparameter searches
(\`trainer.hyperparameter_search\`, Optuna, Ray Tune) and callbacks added where the analyzer cannot see are left alone.
Nor are runs where the whole curve is the point: a Trainer built in a K-fold loop (one fold per pass), or a module that
sizes an explicit learning-rate schedule to the run (\`get_cosine_schedule_with_warmup(..., num_training_steps=...)\`),
where stopping early would cut the schedule short.

## Example
\`\`\`python
from transformers import Trainer, TrainingArguments

args = TrainingArguments(output_dir="out", num_train_epochs=30, eval_strategy="epoch")
trainer = Trainer(model=model, args=args, train_dataset=train_ds, eval_dataset=eval_ds)
trainer.train()
\`\`\`

## Use instead
\`\`\`python
from transformers import EarlyStoppingCallback, Trainer, TrainingArguments

args = TrainingArguments(
    output_dir="out", num_train_epochs=30, eval_strategy="epoch", save_strategy="epoch",
    load_best_model_at_end=True, metric_for_best_model="eval_loss", greater_is_better=False,
)
trainer = Trainer(
    model=model, args=args, train_dataset=train_ds, eval_dataset=eval_ds,
    callbacks=[EarlyStoppingCallback(early_stopping_patience=3)],
)
trainer.train()
\`\`\`

## Fix safety
The fix adds \`EarlyStoppingCallback(early_stopping_patience=3)\` to \`callbacks\` and the arguments it needs (STOP004):
\`eval_strategy="epoch", save_strategy="epoch", load_best_model_at_end=True, metric_for_best_model="eval_loss",
greater_is_better=False\`. It is unsafe: training may end earlier, extra evaluation and checkpoint passes run, and the
run ends with the best rather than the last weights.

## References
- \`EarlyStoppingCallback\`: https://huggingface.co/docs/transformers/main_classes/callback#transformers.EarlyStoppingCallback
- \`trainer_callback.py\`: https://github.com/huggingface/transformers/blob/main/src/transformers/trainer_callback.py
- \`TrainingArguments\`: https://huggingface.co/docs/transformers/main_classes/trainer#transformers.TrainingArguments
`,

  checkPython(module, reporter) {
    if (runsUnderSweep(module)) return;
    for (const trainer of hfTrainers(module)) {
      if (!trainer.trainingArgs) continue;
      const evalSet = argument(trainer.args, 'eval_dataset', 4);
      if (evalSet.kind !== 'present' || literalValue(evalSet.node) === null) continue;
      const a = callArguments(trainer.trainingArgs);
      const epochs = argConstant(module, argument(a, 'num_train_epochs'));
      if (typeof epochs !== 'number' || epochs < LONG_HF_EPOCHS) continue;
      const maxSteps = argConstant(module, argument(a, 'max_steps'));
      if (!(maxSteps === 'absent' || maxSteps === -1 || maxSteps === null)) continue;
      const existing = earlyStoppingCallbacks(module, trainer);
      if (existing === 'unknown' || existing.length > 0 || trainer.addedCallbacks.length > 0) continue;
      const epochsArg = argument(a, 'num_train_epochs');
      if (foldLoop(module, trainer.call) || scheduleSizedToRun(module, epochsArg.kind === 'present' ? epochsArg.node : undefined)) continue;

      const es = nameInStyle(module, ['transformers.EarlyStoppingCallback'], { from: 'transformers', name: 'EarlyStoppingCallback' });
      const add = addToCallbacks(module, trainer.call, `${es.expr}(early_stopping_patience=3)`);
      const edits: Edit[] = add ? [add, ...earlyStoppingArgumentEdits(module, trainer.trainingArgs), ...(es.importEdit ? [es.importEdit] : [])] : [];
      reporter.report({
        range: nodeRange(field(trainer.call, 'function') ?? trainer.call),
        messageId: 'noEarlyStoppingCallback',
        data: { epochs },
        related: [{ range: nodeRange(field(trainer.trainingArgs, 'function') ?? trainer.trainingArgs), message: `num_train_epochs=${epochs} set here` }],
        fixes: edits.length > 0 ? [{ title: 'Add EarlyStoppingCallback(early_stopping_patience=3) and its TrainingArguments', safe: false, edits }] : [],
      });
    }
  },
});
