// Runs whose whole training curve is the point, where a missing early stop is a choice, not an oversight
// (the STOP rules' docs, "Not reported"): K-fold runs that collect or average each fold's per-epoch
// history, memorisation / overfitting experiments, learning-rate schedules sized to the run's length
// (1cycle, cosine or linear decay to zero over the epochs), and a history that is plotted afterwards.
import { field, textOf, type Node } from '../../engine/syntax';
import type { PythonModule } from '../../python/module';
import type { ArgLookup } from '../../engine/calls';
import { bindingValue, callbacksHold } from '../../python/resolve';

/** Up to this many epochs a run is a short fixed budget: info at most (STOP001 docs, "Not reported"). */
export const SHORT_RUN_EPOCHS = 30;

/** Loop headers of a cross-validation: `for fold in range(k)`, `for tr, va in kf.split(X)`. */
const FOLD_HEADER = /fold|\.split\(|\bk\b|\bn_splits\b/i;
/** Labels that were shuffled or drawn at random: a memorisation experiment. */
const MEMORISED_LABELS = /random|shuffl/i;
/** Inputs that are noise, or padded with noise or zeros, to show what a model fits. */
const NOISE_INPUTS = /\bnp\.random\.|\btorch\.rand|noise_channels|zeros_channels/;
/** Schedules that decay over a fixed number of steps or epochs. */
const SCHEDULE_CALL = /(^|\.)(OneCycleLR|CosineAnnealingLR|CosineDecay|CosineDecayRestarts|PolynomialDecay|PolynomialLR|LinearLR|get_(cosine|linear|polynomial)_schedule_with_warmup|get_cosine_with_hard_restarts_schedule_with_warmup|get_scheduler|WarmUpCosine\w*|WarmupCosine\w*)$/;
/** Names that hold the run's length. */
const RUN_LENGTH = /\b(estimated_stepping_batches|max_epochs|num_training_steps|num_train_steps|total_steps|train_steps|n_epochs|num_epochs|epochs|EPOCHS)\b/;

/** The loop (around the training call, or around a call of the function holding it) that runs one fold per pass. */
export function foldLoop(module: PythonModule, call: Node): string | undefined {
  const direct = foldAround(module, call);
  if (direct) return direct;
  const fn = module.enclosingFunction(call);
  if (!fn) return undefined;
  const name = module.functionName(fn);
  for (const ref of module.referencesTo(name)) {
    if (ref.parent?.type !== 'call' || ref.parent.startIndex !== ref.startIndex) continue;
    const outer = foldAround(module, ref.parent);
    if (outer) return outer;
  }
  return undefined;
}

function foldAround(module: PythonModule, node: Node): string | undefined {
  for (let loop = module.enclosingLoop(node); loop; loop = module.enclosingLoop(loop)) {
    const header = loop.type === 'for_statement' ? `${textOf(field(loop, 'left') ?? loop)} in ${textOf(field(loop, 'right') ?? loop)}` : textOf(field(loop, 'condition') ?? loop);
    if (FOLD_HEADER.test(header)) return 'each pass of the loop trains one cross-validation fold, whose full per-epoch curve is compared across folds';
    const body = field(loop, 'body');
    const text = body ? textOf(body) : '';
    if (/\.history\b/.test(text) && /\.append\(/.test(text)) return 'the loop collects each run\'s per-epoch history to average or compare the curves';
  }
  return undefined;
}

/** A run that trains on random or shuffled data, or inside a function named for an overfitting experiment. */
export function memorisationRun(module: PythonModule, call: Node): string | undefined {
  const args = field(call, 'arguments');
  const positional = args ? args.namedChildren.filter((a) => a !== null && a.type !== 'keyword_argument').slice(0, 2) : [];
  const fn = module.enclosingFunction(call);
  const [inputs, labels] = positional;
  if ((labels && MEMORISED_LABELS.test(textOf(labels))) || (inputs && NOISE_INPUTS.test(textOf(inputs))) || (fn && /overfit|memori[sz]/i.test(module.functionName(fn)))) {
    return 'the run trains on random or shuffled data (a memorisation experiment), where the whole curve is the result';
  }
  return undefined;
}

/**
 * A learning-rate schedule in the module whose length is the run's length (`OneCycleLR(total_steps=
 * trainer.estimated_stepping_batches)`, `CosineDecay(lr, decay_steps=EPOCHS * steps)`): stopping early
 * would end the run before the schedule decays.
 */
export function scheduleSizedToRun(module: PythonModule, epochs: Node | undefined): string | undefined {
  if (!/Cycle|Cosine|Polynomial|LinearLR|schedule_with_warmup|get_scheduler|WarmUp|Warmup/.test(module.text)) return undefined;
  const epochsName = epochs && (epochs.type === 'identifier' || epochs.type === 'attribute') ? textOf(epochs) : undefined;
  for (const call of module.calls) {
    const fn = field(call, 'function');
    const name = fn ? textOf(fn) : '';
    if (!SCHEDULE_CALL.test(module.callee(call) ?? name)) continue;
    const args = field(call, 'arguments');
    if (!args) continue;
    let text = textOf(args);
    for (const id of args.descendantsOfType('identifier')) {
      const value = id && bindingValue(module, textOf(id), call);
      if (value) text += ` ${textOf(value)}`;
    }
    if (RUN_LENGTH.test(text) || (epochsName !== undefined && text.includes(epochsName))) {
      return `the ${name.split('.').pop()} learning-rate schedule is sized to the run's length, so stopping early would cut the schedule short`;
    }
  }
  return undefined;
}

/** The run's history is read back and plotted (`history.history["val_loss"]` next to a `.plot(`). */
export function curvePlotted(module: PythonModule, fit: Node): string | undefined {
  const bound = module.boundName(fit);
  if (!bound || !/\.plot\(|\bplot_\w*\(|\bplt\./.test(module.text)) return undefined;
  const uses = new RegExp(`\\b${bound.replace(/\./g, '\\.')}\\.history\\b`);
  return uses.test(module.text.slice(fit.startIndex)) ? `its learning curve (${bound}.history) is plotted, and early stopping would cut the curve` : undefined;
}

/**
 * The fit runs under a per-epoch learning-rate schedule callback (`LearningRateScheduler(lambda epoch: 1e-4 *
 * 10 ** (epoch / 20))`): the learning rate each epoch trains at is planned, as in a learning-rate range test, so
 * the epochs are the experiment and stopping early would cut it.
 */
export function scheduleCallback(module: PythonModule, callbacks: ArgLookup, fit: Node): string | undefined {
  return callbacksHold(module, callbacks, fit, (q) => /(^|\.)LearningRateScheduler$/.test(q)) === 'yes'
    ? 'a LearningRateScheduler callback sets the learning rate of every epoch (a range test or a planned schedule), so the epochs are the experiment'
    : undefined;
}
