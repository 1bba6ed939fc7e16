import type { Edit } from '../../../shared/findings';
import type { ConfigNode } from '../../config/document';
import { argument, callArguments, type ArgLookup } from '../../engine/calls';
import { field, nodeRange, type Node } from '../../engine/syntax';
import type { LineIndex } from '../../engine/text';
import { appendArguments, replaceNode } from '../../python/edits';
import { prerequisites, trainingArgumentsCalls } from '../../python/hf-trainer';
import type { PythonModule } from '../../python/module';
import { argConstant, strategyValue } from '../../python/resolve';
import { defineRule } from '../rule';

/** Keys of training wrappers whose configs are not plain TrainingArguments (axolotl and the like). */
const WRAPPER_KEYS = ['base_model', 'evals_per_epoch', 'val_set_size', 'datasets'];
const DEFAULT_STEPS = 500;

export default defineRule({
  code: 'STOP005',
  name: 'best-model-schedule-mismatch',
  family: 'STOP',
  severity: 'error',
  confidence: 'high',
  fix: 'unsafe',
  messages: {
    strategyMismatch: 'load_best_model_at_end needs matching save and eval schedules, but {{strategyKey}}{{eq}}"{{evalStrategy}}" and save_strategy{{eq}}"{{saveStrategy}}": TrainingArguments raises "ValueError: --load_best_model_at_end requires the save and eval strategy to match". {{advice}}',
    stepsMismatch: 'load_best_model_at_end needs a checkpoint at every evaluation, but save_steps{{eq}}{{saveSteps}} is not a multiple of eval_steps{{eq}}{{evalSteps}}: TrainingArguments raises "ValueError: --load_best_model_at_end requires the saving steps to be a round multiple of the evaluation steps". {{advice}}',
  },
  docs: `## What it does
Finds Hugging Face \`TrainingArguments\` (in code, and in TrainingArguments JSON/YAML files) with
\`load_best_model_at_end=True\` whose evaluation and save schedules do not match: \`eval_strategy\` (legacy
\`evaluation_strategy\`, default \`"no"\`) differs from \`save_strategy\` (default \`"steps"\`), or both are \`"steps"\` and
\`save_steps\` (default 500) is not a round multiple of \`eval_steps\` (default \`logging_steps\`, 500).
\`save_strategy="best"\` saves on evaluation and is exempt.

## Why is this bad?
\`TrainingArguments.__post_init__\` raises before training starts:
\`ValueError: --load_best_model_at_end requires the save and eval strategy to match\` or
\`… requires the saving steps to be a round multiple of the evaluation steps\`. The best checkpoint can only be restored
if a checkpoint is saved at every evaluation.

## Example
\`\`\`python
from transformers import TrainingArguments

args = TrainingArguments(
    output_dir="out",
    eval_strategy="steps",
    eval_steps=200,
    save_steps=500,
    load_best_model_at_end=True,
)
\`\`\`

\`\`\`json
{
  "output_dir": "out",
  "eval_strategy": "epoch",
  "save_strategy": "steps",
  "load_best_model_at_end": true
}
\`\`\`

## Use instead
\`\`\`python
from transformers import TrainingArguments

args = TrainingArguments(
    output_dir="out",
    eval_strategy="steps",
    eval_steps=200,
    save_steps=600,
    load_best_model_at_end=True,
)
\`\`\`

\`\`\`json
{
  "output_dir": "out",
  "eval_strategy": "epoch",
  "save_strategy": "epoch",
  "load_best_model_at_end": true
}
\`\`\`

## Fix safety
The fix sets \`save_strategy\` to the evaluation strategy (or, when evaluation is off, \`eval_strategy\` to the save
strategy), or rounds \`save_steps\` up to the next multiple of \`eval_steps\`. It is unsafe: it changes how often the
run evaluates or writes checkpoints. \`save_strategy="best"\` needs transformers ≥ 4.47.

## References
- \`TrainingArguments.__post_init__\`: https://github.com/huggingface/transformers/blob/main/src/transformers/training_args.py
- \`load_best_model_at_end\` docs: https://huggingface.co/docs/transformers/main_classes/trainer#transformers.TrainingArguments.load_best_model_at_end
`,

  checkPython(module, reporter) {
    for (const call of trainingArgumentsCalls(module)) {
      const problem = checkArgs(module, call);
      if (problem) reporter.report(problem);
    }
  },

  checkConfig({ doc, kinds, isDebugOrTest }, reporter) {
    if (!kinds.has('hf-training-args') || isDebugOrTest || doc.root?.kind !== 'map') return;
    const root = doc.root.entries!;
    if (WRAPPER_KEYS.some((k) => root.has(k))) return;
    const loadBest = root.get('load_best_model_at_end');
    if (loadBest?.kind !== 'scalar' || loadBest.value !== true) return;
    const strategyKey = root.has('eval_strategy') ? 'eval_strategy' : root.has('evaluation_strategy') ? 'evaluation_strategy' : 'eval_strategy';
    const read = (key: string): Setting => {
      const n = root.get(key);
      if (!n) return 'absent';
      if (n.kind !== 'scalar' || (typeof n.value === 'string' && n.value.includes('${'))) return 'unknown';
      return n.value === null || n.value === undefined ? 'absent' : typeof n.value === 'string' ? n.value.toLowerCase() : n.value;
    };
    const mismatch = findMismatch(read(strategyKey), read('save_strategy'), read('eval_steps'), read('save_steps'), read('logging_steps'));
    if (!mismatch) return;
    const json = doc.format === 'json';
    const quote = (v: string) => (json ? JSON.stringify(v) : v);
    const edits: Edit[] = [];
    const set = (key: string, value: string) => {
      const node = root.get(key);
      if (node) edits.push({ range: node.range, newText: value });
      else edits.push(appendConfigKey(doc.lines, root, key, value, json));
    };
    if (mismatch.kind === 'strategy') set(mismatch.change === 'save' ? 'save_strategy' : strategyKey, quote(mismatch.to));
    else set('save_steps', String(mismatch.to));
    const anchor: ConfigNode = (mismatch.kind === 'steps' ? root.get('save_steps') ?? root.get('eval_steps') : root.get('save_strategy') ?? root.get(strategyKey)) ?? loadBest;
    reporter.report({
      range: anchor.keyRange ?? anchor.range,
      ...messageOf(mismatch, strategyKey, ': '),
      related: [{ range: loadBest.keyRange ?? loadBest.range, message: 'load_best_model_at_end: true set here' }],
      // Flow-style YAML (`{a: 1}`) has no line to append a key to.
      fixes: !json && doc.text.trimStart().startsWith('{') ? [] : [{ title: fixTitle(mismatch, strategyKey), safe: false, edits }],
    });
  },
});

type Setting = string | number | boolean | 'absent' | 'unknown';

type Mismatch =
  | { kind: 'strategy'; evalStrategy: string; saveStrategy: string; change: 'save' | 'eval'; to: string }
  | { kind: 'steps'; evalSteps: number; saveSteps: number; to: number };

/** The `__post_init__` checks of TrainingArguments for load_best_model_at_end, on resolved values. */
function findMismatch(evalS: Setting, saveS: Setting, evalSteps: Setting, saveSteps: Setting, loggingSteps: Setting): Mismatch | undefined {
  if (evalS === 'unknown' || saveS === 'unknown' || typeof evalS === 'number' || typeof saveS === 'number' || typeof evalS === 'boolean' || typeof saveS === 'boolean') return undefined;
  const ev = evalS === 'absent' ? 'no' : evalS;
  const sv = saveS === 'absent' ? 'steps' : saveS;
  if (sv === 'best') return undefined;
  if (!['no', 'steps', 'epoch'].includes(ev) || !['no', 'steps', 'epoch'].includes(sv)) return undefined;
  if (ev !== sv) {
    // Evaluation off: turn it on at the save schedule; otherwise save at the evaluation schedule.
    return ev === 'no'
      ? { kind: 'strategy', evalStrategy: ev, saveStrategy: sv, change: 'eval', to: sv }
      : { kind: 'strategy', evalStrategy: ev, saveStrategy: sv, change: 'save', to: ev };
  }
  if (ev !== 'steps') return undefined;
  const logging = loggingSteps === 'absent' ? DEFAULT_STEPS : loggingSteps;
  const e = evalSteps === 'absent' ? logging : evalSteps;
  const s = saveSteps === 'absent' ? DEFAULT_STEPS : saveSteps;
  if (typeof e !== 'number' || typeof s !== 'number' || e <= 0 || s <= 0) return undefined;
  if (e >= 1 && s >= 1) {
    if (s % e === 0) return undefined;
    return { kind: 'steps', evalSteps: e, saveSteps: s, to: Math.ceil(s / e) * e };
  }
  // Fractional steps (a ratio of the total steps) must both be ratios, and the save ratio a multiple of the eval ratio.
  if (e < 1 && s < 1) {
    const ratio = s / e;
    if (Math.abs(ratio - Math.round(ratio)) < 1e-9) return undefined;
    return { kind: 'steps', evalSteps: e, saveSteps: s, to: Number((Math.max(1, Math.ceil(ratio)) * e).toPrecision(12)) };
  }
  return undefined;
}

/** The message of a mismatch; `eq` is how the settings are written (`=` in code, `: ` in a config). */
function messageOf(m: Mismatch, strategyKey: string, eq: string): { messageId: 'strategyMismatch' | 'stepsMismatch'; data: Record<string, string | number> } {
  const advised = advice(m, strategyKey, eq);
  if (m.kind === 'strategy') {
    return { messageId: 'strategyMismatch', data: { strategyKey, eq, evalStrategy: m.evalStrategy, saveStrategy: m.saveStrategy, advice: advised } };
  }
  return { messageId: 'stepsMismatch', data: { eq, saveSteps: m.saveSteps, evalSteps: m.evalSteps, advice: advised } };
}

function advice(m: Mismatch, strategyKey: string, eq: string): string {
  if (m.kind === 'steps') return `Set save_steps${eq}${m.to}.`;
  return m.change === 'save' ? `Set save_strategy${eq}"${m.to}" (or "best" on transformers ≥ 4.47).` : `Set ${strategyKey}${eq}"${m.to}".`;
}

function fixTitle(m: Mismatch, strategyKey: string): string {
  if (m.kind === 'steps') return `Save every ${m.to} steps (a multiple of eval_steps)`;
  return m.change === 'save' ? `Save on the evaluation schedule ("${m.to}")` : `Set ${strategyKey} to "${m.to}" to match the save schedule`;
}

function checkArgs(module: PythonModule, call: Node) {
  const a = callArguments(call);
  const loadBest = argument(a, 'load_best_model_at_end');
  if (loadBest.kind !== 'present' || argConstant(module, loadBest) !== true) return undefined;
  const strategyKeyword = prerequisites(module, call).strategyKeyword;
  const modern = argument(a, 'eval_strategy');
  const legacy = argument(a, 'evaluation_strategy');
  const evalLookup: ArgLookup = modern.kind === 'present' ? modern : legacy.kind === 'present' ? legacy : modern.kind === 'unknown' ? modern : legacy;
  const saveLookup = argument(a, 'save_strategy');
  const num = (name: string): Setting => {
    const v = argConstant(module, argument(a, name));
    return v === null ? 'absent' : typeof v === 'number' || v === 'absent' ? v : 'unknown';
  };
  const mismatch = findMismatch(strategyValue(module, evalLookup), strategyValue(module, saveLookup), num('eval_steps'), num('save_steps'), num('logging_steps'));
  if (!mismatch) return undefined;
  const edits: Edit[] = [];
  if (mismatch.kind === 'strategy') {
    const target = mismatch.change === 'save' ? saveLookup : evalLookup;
    const keyword = mismatch.change === 'save' ? 'save_strategy' : strategyKeyword;
    if (target.kind === 'present') edits.push(replaceNode(target.node, `"${mismatch.to}"`));
    else edits.push(appendArguments(module, call, [`${keyword}="${mismatch.to}"`]));
  } else {
    const save = argument(a, 'save_steps');
    if (save.kind === 'present') edits.push(replaceNode(save.node, String(mismatch.to)));
    else edits.push(appendArguments(module, call, [`save_steps=${mismatch.to}`]));
  }
  const saveSteps = argument(a, 'save_steps');
  const anchor = mismatch.kind === 'steps'
    ? saveSteps.kind === 'present' ? saveSteps : argument(a, 'eval_steps')
    : saveLookup.kind === 'present' ? saveLookup : evalLookup;
  const at = anchor.kind === 'present' ? anchor.node : loadBest.node;
  return {
    range: nodeRange(at.parent?.type === 'keyword_argument' ? at.parent : at),
    ...messageOf(mismatch, strategyKeyword, '='),
    related: [{ range: nodeRange(loadBest.node), message: 'load_best_model_at_end=True set here' }, { range: nodeRange(field(call, 'function') ?? call), message: 'TrainingArguments built here' }],
    fixes: [{ title: fixTitle(mismatch, strategyKeyword), safe: false, edits }],
  };
}

/** Appends `key: value` after the last entry of a top-level map (YAML block style or JSON). */
function appendConfigKey(
  lines: LineIndex, root: Map<string, ConfigNode>, key: string, value: string, json: boolean,
): Edit {
  const entries = [...root.values()];
  const last = entries.reduce((x, y) => (lines.offset(y.entryRange!.end) > lines.offset(x.entryRange!.end) ? y : x));
  const indent = ' '.repeat(last.keyRange!.start.character);
  const eol = lines.eol();
  if (json) {
    const at = last.entryRange!.end;
    return { range: { start: at, end: at }, newText: `,${eol}${indent}${JSON.stringify(key)}: ${value}` };
  }
  const line = last.entryRange!.end.line;
  const at = { line, character: lines.lineText(line).length };
  return { range: { start: at, end: at }, newText: `${eol}${indent}${key}: ${value}` };
}
