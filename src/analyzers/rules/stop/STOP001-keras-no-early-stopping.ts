import type { Edit } from '../../../shared/findings';
import { argument, callArguments } from '../../engine/calls';
import { field, nodeRange } from '../../engine/syntax';
import { isKerasEarlyStopping, KERAS_FIT_SLOTS, kerasFitCalls, kerasViaTensorflow } from '../../python/keras';
import { addToCallbacks, argConstant, callbacksHold, constantValue, nameInStyle, runsUnderSweep } from '../../python/resolve';
import { defineRule } from '../rule';
import { curvePlotted, foldLoop, memorisationRun, scheduleCallback, scheduleSizedToRun, SHORT_RUN_EPOCHS } from './fixed-budget';
import { tinyModel } from '../hw/precision';

/** From this many epochs on, a validated Keras run without EarlyStopping is reported (STOP001\'s docs). */
export const LONG_KERAS_EPOCHS = 20;

export default defineRule({
  code: 'STOP001',
  name: 'keras-no-early-stopping',
  family: 'STOP',
  severity: 'warning',
  confidence: 'medium',
  fix: 'unsafe',
  skipTestFiles: true,
  messages: {
    noEarlyStopping: 'fit() trains {{epochs}} epochs on validated data with no EarlyStopping callback: every epoch runs even after val_loss stops improving. Add {{callback}}(monitor="val_loss", patience=5, restore_best_weights=True) to callbacks.',
    noEarlyStoppingInfo: 'fit() trains {{epochs}} epochs on validated data with no EarlyStopping callback: every epoch runs even after val_loss stops improving. Add {{callback}}(monitor="val_loss", patience=5, restore_best_weights=True) to callbacks. Info only: {{why}}.',
  },
  docs: `## What it does
Finds a Keras \`model.fit(...)\` that trains for a literal ${LONG_KERAS_EPOCHS} epochs or more with validation data
(\`validation_data\` or \`validation_split\`) but has no \`EarlyStopping\` callback. The callbacks list is followed
through variables, \`.append\`/\`.extend\` and factory functions in the same module.

## Why is this bad?
Without the callback all epochs run even after the validation loss has stopped improving; \`EarlyStopping\` exists to
"stop training when a monitored metric has stopped improving" (Keras API docs). Every extra epoch costs a full pass
over the training data. Even with it, the defaults \`patience=0\` and \`restore_best_weights=False\` stop at the first
stall and keep the last epoch's weights, not the best ones, so the fix sets both.

Not reported where the whole curve is the point: K-fold runs that train one fold per loop pass or collect each run's
\`history\` to average the curves, memorisation experiments (training on random or shuffled labels, a function named
for overfitting), and runs whose learning-rate schedule is sized to the run (\`CosineDecay\` / \`OneCycleLR\` over the
epochs), runs under a \`LearningRateScheduler\` callback that sets every epoch's learning rate (a learning-rate range
test): early stopping would truncate what they measure. Nor are runs of up to ${SHORT_RUN_EPOCHS} epochs of a tiny model
(as the HW001 docs define it: a Fashion-MNIST MLP, a Dense(16) classifier), which take seconds: early stopping has
nothing to save. Other runs of up to ${SHORT_RUN_EPOCHS} epochs, and runs whose
\`history\` is plotted afterwards, are info, not warnings: whether stopping early saves anything depends on when the
validation loss levels off, which the code does not say.
Shorter runs (under ${LONG_KERAS_EPOCHS} epochs), hand-written epoch loops (\`fit(..., epochs=1)\` in a loop), runs without validation data, sweeps that
stop trials themselves (KerasTuner, Optuna, Ray Tune) and callback lists the analyzer cannot resolve are left alone.

## Example
\`\`\`python
from tensorflow import keras

model = keras.Sequential([keras.layers.Dense(64, activation="relu"), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(x_train, y_train, epochs=200, validation_split=0.2)
\`\`\`

## Use instead
\`\`\`python
from tensorflow import keras

model = keras.Sequential([keras.layers.Dense(64, activation="relu"), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(
    x_train, y_train, epochs=200, validation_split=0.2,
    callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)],
)
\`\`\`

## Fix safety
The fix adds \`EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)\` to \`callbacks\` (creating
the list when absent), spelled the way the module imports Keras (\`tf.keras.callbacks.EarlyStopping\` when only
TensorFlow is imported). It is unsafe: training may end earlier and the model keeps the best epoch's weights instead
of the last epoch's, which changes results.

## References
- Keras EarlyStopping: https://keras.io/api/callbacks/early_stopping/
- TensorFlow \`tf.keras.callbacks.EarlyStopping\`: https://www.tensorflow.org/api_docs/python/tf/keras/callbacks/EarlyStopping
- Keras \`Model.fit\`: https://keras.io/api/models/model_training_apis/#fit-method
`,

  checkPython(module, reporter) {
    if (runsUnderSweep(module)) return;
    for (const fit of kerasFitCalls(module)) {
      const args = callArguments(fit);
      const epochs = argConstant(module, argument(args, 'epochs', KERAS_FIT_SLOTS.epochs));
      if (typeof epochs !== 'number' || epochs < LONG_KERAS_EPOCHS) continue;
      const data = argument(args, 'validation_data', KERAS_FIT_SLOTS.validation_data);
      const split = argument(args, 'validation_split', KERAS_FIT_SLOTS.validation_split);
      const splitValue = split.kind === 'present' ? constantValue(module, split.node) : undefined;
      const validates = (data.kind === 'present' && constantValue(module, data.node) !== null) ||
        (split.kind === 'present' && splitValue !== null && splitValue !== 0);
      if (!validates) continue;
      const callbacks = argument(args, 'callbacks', KERAS_FIT_SLOTS.callbacks);
      if (callbacksHold(module, callbacks, fit, isKerasEarlyStopping) !== 'no') continue;
      const epochsArg = argument(args, 'epochs', KERAS_FIT_SLOTS.epochs);
      if (foldLoop(module, fit) || memorisationRun(module, fit) || scheduleSizedToRun(module, epochsArg.kind === 'present' ? epochsArg.node : undefined)) continue;
      if (scheduleCallback(module, callbacks, fit)) continue;
      // A short run of a tiny model (HW001 docs) takes seconds: early stopping has nothing to save.
      if (epochs <= SHORT_RUN_EPOCHS && tinyModel(module)) continue;
      const why = epochs <= SHORT_RUN_EPOCHS
        ? `a short fixed budget of ${epochs} epochs (up to ${SHORT_RUN_EPOCHS}), where whether early stopping saves any depends on when val_loss levels off, which the code does not fix`
        : curvePlotted(module, fit);

      const viaTf = kerasViaTensorflow(module);
      const es = nameInStyle(module, ['keras.callbacks.EarlyStopping', 'tensorflow.keras.callbacks.EarlyStopping'], {
        from: viaTf ? 'tensorflow.keras.callbacks' : 'keras.callbacks',
        name: 'EarlyStopping',
      });
      const element = `${es.expr}(monitor="val_loss", patience=5, restore_best_weights=True)`;
      const edit = addToCallbacks(module, fit, element, KERAS_FIT_SLOTS.callbacks);
      const edits: Edit[] = edit ? [edit, ...(es.importEdit ? [es.importEdit] : [])] : [];
      reporter.report({
        range: nodeRange(field(fit, 'function') ?? fit),
        severity: why ? 'info' : undefined,
        messageId: why ? 'noEarlyStoppingInfo' : 'noEarlyStopping',
        data: { epochs, callback: es.expr, why: why ?? '' },
        fixes: edits.length > 0 ? [{ title: 'Add EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)', safe: false, edits }] : [],
      });
    }
  },
});
