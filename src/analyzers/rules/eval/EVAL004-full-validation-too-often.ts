import type { Edit, Fix } from '../../../shared/findings';
import type { ConfigNode } from '../../config/document';
import { argument, callArguments } from '../../engine/calls';
import { contains, endIndexOf, field, namedChildren, nodeRange, parentOf, textOf, unwrap, type Node } from '../../engine/syntax';
import { parameterNames } from '../../python/bindings';
import { dataLoaderUses } from '../../python/dataloaders';
import { appendArguments, replaceNode } from '../../python/edits';
import { trainingArgumentsCalls } from '../../python/hf-trainer';
import { lightningTrainers } from '../../python/lightning';
import type { PythonModule } from '../../python/module';
import { hotLoops } from '../../python/training';
import { argConstant, constantValue, strategyValue } from '../../python/resolve';
import { defineRule, type Reporter } from '../rule';

/** A full evaluation every this many optimizer steps or fewer is "far too often" for any real validation set. */
const TINY_INTERVAL = 10;
/** HF fractional eval_steps (a ratio of all training steps) below this means more than 100 full passes. */
const TINY_HF_RATIO = 0.01;
/** Lightning fractional val_check_interval (a fraction of an epoch) below this means more than 50 passes per epoch. */
const TINY_LIGHTNING_FRACTION = 0.02;
const MAX_PASSES = 100;
const FIXED_EVAL_STEPS = 500;

const EVAL_LOADER_NAME = /(^|\.)(val|valid|validation|test|eval|dev|holdout)_?(loader|dl|dataloader|data_loader|batches|iter)$/i;

export default defineRule({
  code: 'EVAL004',
  name: 'full-validation-too-often',
  family: 'EVAL',
  severity: 'info',
  confidence: 'medium',
  fix: 'unsafe',
  skipTestFiles: true,
  messages: {
    hfConfigEvalTooOften: '{{verdict}} Raise eval_steps, or evaluate a fixed subsample between full passes.',
    lightningConfigValTooOften: 'trainer.val_check_interval: {{interval}} {{verdict}} Raise it, or set limit_val_batches to evaluate a fixed subsample.',
    hfEvalTooOften: '{{verdict}} Raise eval_steps (e.g. {{steps}}), or evaluate a fixed subsample of eval_dataset between full passes.',
    lightningValTooOften: 'val_check_interval={{interval}} {{verdict}} Raise it, or add limit_val_batches to evaluate a fixed subsample between full passes.',
    evalEveryFewSteps: 'The whole {{loader}} is iterated every {{steps}} training steps ({{guard}}), so evaluation costs several times the training it measures. Evaluate every few hundred steps or at epoch end, or on a fixed subsample.',
    evalEveryStep: 'The whole {{loader}} is iterated inside the per-batch training loop, so every training step pays a full validation pass. Evaluate every N steps (if step % eval_every == 0) or at epoch end, or on a fixed subsample.',
    evalFunctionEveryStep: '{{function}}() iterates the whole {{loader}} and is called inside the per-batch training loop, so every training step pays a full validation pass. Call it every N steps (if step % eval_every == 0) or at epoch end, or on a fixed subsample.',
  },
  docs: `## What it does
Finds training that runs a full validation pass far too often: Hugging Face \`eval_strategy="steps"\` with a tiny
\`eval_steps\` (≤ ${TINY_INTERVAL} steps, a ratio below ${TINY_HF_RATIO}, more than ${MAX_PASSES} passes over \`max_steps\`, or no
\`eval_steps\` and a tiny \`logging_steps\`, which it defaults to); Lightning \`val_check_interval\` a small integer
(≤ ${TINY_INTERVAL} batches) or a fraction below ${TINY_LIGHTNING_FRACTION} with the whole validation set (\`limit_val_batches\` not set); and a hand-written
training loop that iterates the whole validation loader inside the per-batch loop with no \`if step % k\` guard, or with
a guard whose interval is a constant k ≤ ${TINY_INTERVAL} (\`print_every = 5\`; \`if steps % print_every == 0:\` then a pass over the
whole test loader, as tutorials written for MNIST do on much larger data). Any other guard (a flag, an unknown or larger
interval) is taken as a deliberate schedule. Code and
TrainingArguments / Lightning CLI / Hydra configs are checked.

## Why is this bad?
Every evaluation is a forward pass over the whole validation set; run every few steps, evaluation cost dominates
training time. Tiered evaluation (a small fixed subsample often, the full set rarely) keeps the signal for a fraction of
the cost. Lightning documents \`val_check_interval\` and \`limit_val_batches\` for exactly this; Hugging Face's
\`eval_steps\` defaults to \`logging_steps\`, so a small logging interval silently makes evaluation just as frequent.

## Example
\`\`\`python
from transformers import TrainingArguments

args = TrainingArguments(output_dir="out", eval_strategy="steps", eval_steps=5, per_device_train_batch_size=32)
\`\`\`

\`\`\`yaml
trainer:
  max_epochs: 10
  val_check_interval: 5
model:
  class_path: my_project.LitModel
\`\`\`

## Use instead
\`\`\`python
from transformers import TrainingArguments

args = TrainingArguments(output_dir="out", eval_strategy="steps", eval_steps=500, per_device_train_batch_size=32)
\`\`\`

\`\`\`yaml
trainer:
  max_epochs: 10
  val_check_interval: 1000
  limit_val_batches: 0.1
model:
  class_path: my_project.LitModel
\`\`\`

## Fix safety
The fix raises the interval (\`eval_steps=${FIXED_EVAL_STEPS}\`, \`val_check_interval\` to 1000 batches or a quarter of an
epoch). It is unsafe: checkpoints chosen by validation, early-stopping patience and logged curves change. It is not
offered when \`load_best_model_at_end\` ties the save schedule to \`eval_steps\` (see STOP005). Hand-written loops get no
automatic fix: guard the evaluation with \`if step % eval_every == 0:\` or evaluate a fixed \`Subset\` of the data.
A Lightning \`Trainer(**trainer_kwargs)\` is read through the dict when the module builds it (\`dict(...)\`, \`{...}\`,
\`kw["val_check_interval"] = 5\`); the finding then points into the dict and has no fix (the dict may be shared), and
a \`limit_val_batches\` that may be set (under an \`if\`) keeps it silent.

## References
- Lightning \`val_check_interval\` / \`limit_val_batches\`: https://lightning.ai/docs/pytorch/stable/common/trainer.html#val-check-interval
- Hugging Face \`TrainingArguments.eval_steps\` ("Will default to the same value as logging_steps if not set"): https://huggingface.co/docs/transformers/main_classes/trainer#transformers.TrainingArguments
`,

  checkPython(module, reporter) {
    if (module.importsAny('transformers', 'trl')) checkHfCode(module, reporter);
    if (module.importsAny('lightning', 'lightning.pytorch')) checkLightningCode(module, reporter);
    if (module.importsAny('torch')) checkHandLoops(module, reporter);
  },

  checkConfig({ doc, kinds, isDebugOrTest }, reporter) {
    if (isDebugOrTest || doc.root?.kind !== 'map') return;
    if (kinds.has('hf-training-args')) {
      const root = doc.root.entries!;
      const read = (k: string): Value => {
        const n = root.get(k);
        if (!n) return 'absent';
        if (n.kind !== 'scalar' || (typeof n.value === 'string' && n.value.includes('${'))) return 'unknown';
        return n.value === null || n.value === undefined ? 'absent' : typeof n.value === 'string' ? n.value.toLowerCase() : n.value;
      };
      const strategyKey = root.has('eval_strategy') ? 'eval_strategy' : 'evaluation_strategy';
      const verdict = hfVerdict(read(strategyKey), read('eval_steps'), read('logging_steps'), read('max_steps'));
      if (verdict) {
        const evalNode = root.get('eval_steps');
        const anchor: ConfigNode = evalNode ?? root.get('logging_steps') ?? root.get(strategyKey)!;
        const fixes: Fix[] = [];
        if (evalNode && read('load_best_model_at_end') !== true) fixes.push({ title: `Evaluate every ${FIXED_EVAL_STEPS} steps`, safe: false, edits: [{ range: evalNode.range, newText: String(FIXED_EVAL_STEPS) }] });
        reporter.report({ range: anchor.keyRange ?? anchor.range, messageId: 'hfConfigEvalTooOften', data: { verdict: verdict.replace(/=/g, ': ') }, fixes });
      }
    }
    const trainer = doc.get('trainer');
    if ((kinds.has('lightning-cli') || kinds.has('hydra')) && trainer?.kind === 'map') {
      const t = trainer.entries!;
      const interval = t.get('val_check_interval');
      const limit = t.get('limit_val_batches');
      if (interval?.kind !== 'scalar' || typeof interval.value !== 'number') return;
      if (limit && !(limit.kind === 'scalar' && (limit.value === null || limit.value === 1 || limit.value === 1.0))) return;
      const verdict = lightningVerdict(interval.value);
      if (!verdict) return;
      reporter.report({
        range: interval.keyRange ?? interval.range,
        messageId: 'lightningConfigValTooOften',
        data: { interval: interval.value, verdict },
        // Hydra values are often overridden by experiment files (docs/analysis.md, trap 14); the severity is info anyway.
        fixes: [{ title: 'Validate less often', safe: false, edits: [{ range: interval.range, newText: Number.isInteger(interval.value) ? '1000' : '0.25' }] }],
      });
    }
  },
});

type Value = string | number | boolean | 'absent' | 'unknown';

/** Why an HF evaluation schedule is far too frequent, or undefined. */
function hfVerdict(strategy: Value, evalSteps: Value, loggingSteps: Value, maxSteps: Value): string | undefined {
  if (strategy !== 'steps') return undefined;
  if (evalSteps === 'absent') {
    if (typeof loggingSteps === 'number' && loggingSteps >= 1 && loggingSteps <= TINY_INTERVAL) {
      return `eval_strategy="steps" with no eval_steps evaluates every logging_steps=${loggingSteps} steps (eval_steps defaults to logging_steps): a full pass over the eval set every ${loggingSteps} steps dominates training time.`;
    }
    return undefined;
  }
  if (typeof evalSteps !== 'number' || evalSteps <= 0) return undefined;
  if (evalSteps < 1) {
    if (evalSteps < TINY_HF_RATIO) return `eval_steps=${evalSteps} (a ratio of all training steps) runs about ${Math.round(1 / evalSteps)} full passes over the eval set.`;
    return undefined;
  }
  if (evalSteps <= TINY_INTERVAL) return `eval_steps=${evalSteps} runs a full pass over the eval set every ${evalSteps} optimizer steps, so evaluation dominates training time.`;
  if (typeof maxSteps === 'number' && maxSteps > 0 && maxSteps / evalSteps > MAX_PASSES) {
    return `eval_steps=${evalSteps} with max_steps=${maxSteps} runs ${Math.floor(maxSteps / evalSteps)} full passes over the eval set.`;
  }
  return undefined;
}

function lightningVerdict(interval: number): string | undefined {
  if (Number.isInteger(interval) && interval >= 1 && interval <= TINY_INTERVAL) return `runs the whole validation set every ${interval} training batches, so validation dominates training time.`;
  if (!Number.isInteger(interval) && interval > 0 && interval < TINY_LIGHTNING_FRACTION) return `runs the whole validation set about ${Math.round(1 / interval)} times per epoch, so validation dominates training time.`;
  return undefined;
}

function checkHfCode(module: PythonModule, reporter: Reporter): void {
  for (const call of trainingArgumentsCalls(module)) {
    const a = callArguments(call);
    const modern = argument(a, 'eval_strategy');
    const strategy = strategyValue(module, modern.kind === 'absent' ? argument(a, 'evaluation_strategy') : modern);
    const value = (name: string): Value => {
      const v = argConstant(module, argument(a, name));
      return v === null ? 'absent' : v;
    };
    const verdict = hfVerdict(strategy, value('eval_steps'), value('logging_steps'), value('max_steps'));
    if (!verdict) continue;
    const evalSteps = argument(a, 'eval_steps');
    const logging = argument(a, 'logging_steps');
    const anchor = evalSteps.kind === 'present' ? evalSteps.node : logging.kind === 'present' ? logging.node : undefined;
    const edits: Edit[] = [];
    if (value('load_best_model_at_end') !== true && !a.hasKwargs) {
      edits.push(evalSteps.kind === 'present' ? replaceNode(evalSteps.node, String(FIXED_EVAL_STEPS)) : appendArguments(module, call, [`eval_steps=${FIXED_EVAL_STEPS}`]));
    }
    reporter.report({
      range: nodeRange(anchor ? keywordOrSelf(anchor) : field(call, 'function') ?? call),
      messageId: 'hfEvalTooOften',
      data: { verdict, steps: FIXED_EVAL_STEPS },
      fixes: edits.length > 0 ? [{ title: `Evaluate every ${FIXED_EVAL_STEPS} steps`, safe: false, edits }] : [],
    });
  }
}

function keywordOrSelf(node: Node): Node {
  const p = parentOf(node);
  return p?.type === 'keyword_argument' ? p : node;
}

function checkLightningCode(module: PythonModule, reporter: Reporter): void {
  for (const trainer of lightningTrainers(module)) {
    const lookup = argument(trainer.args, 'val_check_interval');
    if (lookup.kind !== 'present') continue;
    const interval = argConstant(module, lookup);
    if (typeof interval !== 'number') continue;
    const limit = argConstant(module, argument(trainer.args, 'limit_val_batches'));
    if (!(limit === 'absent' || limit === null || limit === 1)) continue;
    const verdict = lightningVerdict(interval);
    if (!verdict) continue;
    reporter.report({
      range: nodeRange(keywordOrSelf(lookup.node)),
      messageId: 'lightningValTooOften',
      data: { interval: textOf(lookup.node), verdict },
      // A value read from a `**kwargs` dict may be shared: no fix edits it there.
      fixes: lookup.spread ? [] : [{ title: 'Validate less often', safe: false, edits: [replaceNode(lookup.node, Number.isInteger(interval) ? '1000' : '0.25')] }],
    });
  }
}

// ---------------------------------------------------------------------------------------------------
// Hand-written loops: the whole validation loader iterated inside the per-batch training loop.

/** Names of evaluation loaders: DataLoaders classified as evaluation, and names such as `val_loader` found in the text. */
function evalLoaderNames(module: PythonModule): Set<string> {
  const names = new Set<string>();
  for (const use of dataLoaderUses(module)) if (use.role === 'eval' && use.name) names.add(use.name);
  for (const m of module.text.matchAll(EVAL_LOADER_TEXT)) names.add(m[0]);
  return names;
}

const EVAL_LOADER_TEXT = /(?<![\w.])(?:self\.)?(?:val|valid|validation|test|eval|dev|holdout)_?(?:loader|dl|dataloader|data_loader|batches|iter)(?!\w)/gi;

function isEvalLoader(expr: Node, names: Set<string>): string | undefined {
  const n = unwrap(expr);
  // `for batch in tqdm(val_loader)`, `enumerate(val_loader)`.
  if (n.type === 'call') {
    const first = namedChildren(field(n, 'arguments') ?? n).find((c) => c.type !== 'comment' && c.type !== 'keyword_argument');
    return first ? isEvalLoader(first, names) : undefined;
  }
  if (n.type !== 'identifier' && n.type !== 'attribute') return undefined;
  const text = textOf(n);
  return names.has(text) || EVAL_LOADER_NAME.test(text) ? text : undefined;
}

/** True when an `if` (a logging/eval interval guard) sits between the node and the hot loop's body. */
function guarded(node: Node, body: Node): boolean {
  for (let p = parentOf(node); p && p.id !== body.id; p = parentOf(p)) {
    if (p.type === 'if_statement' || p.type === 'elif_clause' || p.type === 'else_clause' || p.type === 'conditional_expression') return true;
  }
  return false;
}

/**
 * Starts from the references to evaluation loaders (found by text, cheap) rather than from every loop and
 * call: a reference inside a hot loop body is either a nested loop's iterable or an argument of a local call.
 */
function checkHandLoops(module: PythonModule, reporter: Reporter): void {
  const names = evalLoaderNames(module);
  if (names.size === 0) return;
  // An epoch loop that calls a helper holding the per-batch loop is not a hot loop (the engine sees
  // that), so evaluating once per epoch there is not reported.
  const hot = hotLoops(module);
  if (hot.length === 0) return;
  const reported = new Set<number>();
  for (const name of names) {
    for (const ref of module.referencesTo(name)) {
      const loop = hot.find((l) => { const b = field(l, 'body'); return b !== undefined && contains(b, ref); });
      const body = loop && field(loop, 'body');
      if (!loop || !body) continue;
      const site = usageSite(ref, body);
      if (!site || reported.has(site.id)) continue;
      if (guarded(site, body)) {
        // `if step % 5 == 0:` still pays a full pass every few steps: the same tiny interval as eval_steps=5 (see the docs above).
        const every = site.type === 'for_statement' ? tinyModuloGuard(module, site, body) : undefined;
        if (every === undefined) continue;
        reported.add(site.id);
        reporter.report({
          range: nodeRange(site),
          messageId: 'evalEveryFewSteps',
          data: { loader: name, steps: every.steps, guard: textOf(every.guard) },
          related: [{ range: nodeRange(loop), message: 'per-batch training loop' }],
        });
        continue;
      }
      if (site.type === 'for_statement') {
        reported.add(site.id);
        reporter.report({
          range: nodeRange(site),
          messageId: 'evalEveryStep',
          data: { loader: name },
          related: [{ range: nodeRange(loop), message: 'per-batch training loop' }],
        });
        continue;
      }
      const target = module.localCallTarget(site);
      if (!target || contains(target, loop)) continue;
      const loader = evalPassedTo(module, site, target, names);
      if (!loader) continue;
      reported.add(site.id);
      reporter.report({
        range: nodeRange(site),
        messageId: 'evalFunctionEveryStep',
        data: { function: module.functionName(target), loader },
        related: [{ range: nodeRange(loop), message: 'per-batch training loop' }],
      });
    }
  }
}

/**
 * The interval of the only guard between the node and the loop body when it is `if step % k == 0` with a constant
 * k of at most TINY_INTERVAL; undefined for any other guard (a flag, a large or unknown interval, several conditions).
 */
function tinyModuloGuard(module: PythonModule, node: Node, body: Node): { steps: number; guard: Node } | undefined {
  const guards: Node[] = [];
  for (let p = parentOf(node); p && p.id !== body.id; p = parentOf(p)) {
    if (p.type === 'if_statement' || p.type === 'elif_clause' || p.type === 'else_clause' || p.type === 'conditional_expression') guards.push(p);
  }
  if (guards.length !== 1 || guards[0].type !== 'if_statement' || field(guards[0], 'alternative')) return undefined;
  const test = field(guards[0], 'condition') && unwrap(field(guards[0], 'condition')!);
  const sides = test?.type === 'comparison_operator' ? namedChildren(test) : [];
  if (!test || sides.length !== 2 || !/==/.test(textOf(test).slice(endIndexOf(sides[0]) - test.startIndex, sides[1].startIndex - test.startIndex))) return undefined;
  const [mod, zero] = unwrap(sides[0]).type === 'binary_operator' ? [unwrap(sides[0]), sides[1]] : [unwrap(sides[1]), sides[0]];
  if (mod.type !== 'binary_operator' || field(mod, 'operator')?.text !== '%' || textOf(zero) !== '0') return undefined;
  const k = constantValue(module, field(mod, 'right'), guards[0]);
  return typeof k === 'number' && Number.isInteger(k) && k >= 1 && k <= TINY_INTERVAL ? { steps: k, guard: test } : undefined;
}

/** The nested `for` whose iterable holds the reference, or the call it is an argument of; undefined otherwise. */
function usageSite(ref: Node, body: Node): Node | undefined {
  let child = ref;
  for (let p = parentOf(ref); p && p.id !== body.id; child = p, p = parentOf(p)) {
    if (p.type === 'for_statement') return field(p, 'right')?.id === child.id ? p : undefined;
    if (p.type === 'argument_list') {
      const call = parentOf(p);
      // `enumerate(val_loader)` / `tqdm(val_loader)` inside a for's iterable: keep climbing to the loop.
      const loopRight = call && parentOf(call);
      if (call && loopRight?.type === 'for_statement' && field(loopRight, 'right')?.id === call.id) continue;
      return call?.type === 'call' ? call : undefined;
    }
    if (p.type === 'keyword_argument' || p.type === 'parenthesized_expression') continue;
    if (p.type === 'block' || p.type === 'expression_statement') return undefined;
  }
  return undefined;
}

/** An evaluation loader passed to a local function that loops over that parameter. */
function evalPassedTo(module: PythonModule, call: Node, target: Node, names: Set<string>): string | undefined {
  const params = parameterNames(target);
  const args = callArguments(call);
  const fnBody = field(target, 'body');
  if (!fnBody) return undefined;
  const candidates: Array<[Node, string | undefined]> = [
    ...args.positional.map((p, i): [Node, string | undefined] => [p, params[i]]),
    ...[...args.keywords].map(([k, v]): [Node, string | undefined] => [v, k]),
  ];
  for (const [value, param] of candidates) {
    const loader = isEvalLoader(value, names);
    if (!loader || !param) continue;
    const iterates = module.loops.some((l) => l.type === 'for_statement' && l.startIndex > fnBody.startIndex && l.startIndex < fnBody.endIndex &&
      isEvalLoader(field(l, 'right') ?? l, new Set([param])) === param);
    if (iterates) return loader;
  }
  return undefined;
}
